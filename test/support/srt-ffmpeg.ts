/** What the SRT interop and end-to-end tests run: ffmpeg publishing a test source as MPEG-TS, ffprobe reading a TS file. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './wait.ts';

/** ffmpeg's arguments to publish `seconds` of testsrc2 + sine (H.264/AAC) as MPEG-TS in real time to `url`. */
export function srtPublishArgs(url: string, seconds: number): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=44100',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-f',
    'mpegts',
    url,
  ];
}

/** ffprobe's codecs (sorted) and duration of a TS file; none and 0 when it holds no readable stream. */
export function probeTsFile(file: string): { codecs: string[]; duration: number } {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  const j = JSON.parse(r.stdout) as { streams?: Array<{ codec_name: string }>; format?: { duration: string } };
  return { codecs: (j.streams ?? []).map((s) => s.codec_name).sort(), duration: Number(j.format?.duration ?? 0) };
}

/**
 * Publishes `seconds` of the test source through srt-live-transmit to `srtUrl` (ffmpeg pipes the TS into it),
 * waits until more than `minBytes` arrived and srt-live-transmit has sent everything, then stops it (SIGINT).
 */
export async function publishThroughSrtLiveTransmit(
  srtUrl: string,
  seconds: number,
  received: () => number,
  minBytes: number,
): Promise<void> {
  const ff = spawn('ffmpeg', srtPublishArgs('-', seconds).slice(0, -1).concat('pipe:1'), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const slt = spawn('srt-live-transmit', ['-q', 'file://con', srtUrl], { stdio: ['pipe', 'pipe', 'pipe'] });
  ff.stdout.pipe(slt.stdin);
  await once(ff, 'exit');
  await waitFor('srt-live-transmit to send it all', () => received() > minBytes && slt.stdin.writableLength === 0);
  // srt-live-transmit keeps sending what it buffered for a moment after its input ends.
  await new Promise((r) => setTimeout(r, 1000));
  slt.kill('SIGINT');
  await once(slt, 'exit');
}
