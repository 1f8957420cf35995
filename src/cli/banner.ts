/** The start-up banner: where to publish and where to play, ready to paste. */
import type { Config } from './config-schema.ts';

/** Text printed once the listeners are bound. */
export function startBanner(config: Config, rtmpPort: number, httpPort: number): string {
  const host = config.rtmp.host === '0.0.0.0' || config.rtmp.host === '::' ? '127.0.0.1' : config.rtmp.host;
  const rtmp = `rtmp://${host}${rtmpPort === 1935 ? '' : `:${rtmpPort}`}`;
  const http = `http://${host}${httpPort === 80 ? '' : `:${httpPort}`}`;
  return [
    '',
    `openlive is running (RTMP :${rtmpPort}, HTTP :${httpPort}, data in ${config.dataDir})`,
    '',
    'Publish (OBS: Server = first line, Stream Key = demo; or ffmpeg):',
    `  ${rtmp}/live/demo`,
    `  ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -c:v libx264 -preset veryfast -g 60 -c:a aac -f flv "${rtmp}/live/demo"`,
    '',
    'Play:',
    `  HTTP-FLV  ${http}/live/demo.flv`,
    `  RTMP      ${rtmp}/live/demo`,
    '',
    `Health ${http}/healthz   Metrics ${http}/metrics`,
    '',
  ].join('\n');
}
