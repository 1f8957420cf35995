/**
 * SRT playback (`m=request`): ffmpeg publishes over RTMP, ffprobe reads H.264 + AAC back over SRT from our
 * listener (TS muxed from the hub, 7 × 188-byte payloads, libsrt as the receiver), ffmpeg decodes 5 s of it
 * without an error, and a play of a stream nobody publishes is refused with SRT_REJX_NOTFOUND (1404).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probe, publish, run } from '../support/ffmpeg.ts';
import { startService } from '../support/service.ts';
import { waitFor } from '../support/wait.ts';
import { connectCaller } from '../support/srt-udp-caller.ts';
import { RejectReason } from '../../src/protocol/srt/srt-reject.ts';

test(
  'ffprobe and ffmpeg play a stream over SRT (m=request); a missing stream is refused with 1404',
  { timeout: 90_000 },
  async () => {
    const svc = await startService({ srt: { enabled: true, host: '127.0.0.1', port: 0 } });
    const ff = publish(svc.urls('x').push.rtmp);
    try {
      await waitFor('live/x published over RTMP', () => svc.service.hub.get('live/x')?.live === true, 20_000);
      const url = `srt://127.0.0.1:${svc.service.srtPort}?streamid=#!::r=live/x,m=request&latency=200000`;
      // ffprobe runs asynchronously: the listener is in this process (a spawnSync would block its event loop).
      const probed = await probe(url, 3);
      assert.deepEqual(probed.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
      assert.ok(
        probed.streams.every((s) => Number(s.nb_read_frames) > 10),
        JSON.stringify(probed.streams),
      );
      const decode = run('ffmpeg', ['-v', 'error', '-i', url, '-t', '5', '-f', 'null', '-']);
      assert.equal(await decode.exited, 0, decode.stderr());
      assert.equal(decode.stderr().trim(), '', decode.stderr());
      await waitFor('the players to be gone', () => svc.service.counters.srtPlayers === 0);
      const missing = await connectCaller(svc.service.srtPort, '#!::r=live/nobody,m=request');
      assert.equal(await missing.outcome, RejectReason.notFound);
      await missing.close();
    } finally {
      await ff.stop();
      await svc.close();
    }
  },
);
