/**
 * Real SRT callers against our listener: Debian's ffmpeg (libsrt) and srt-live-transmit publish MPEG-TS
 * with Tencent's stream id; the bytes our TsPayloadSink receives must make a TS file ffprobe reads with
 * H.264 and AAC and the right duration, also through a relay that loses 7 % of the datagrams each way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { run } from '../support/ffmpeg.ts';
import { srtPublishArgs, probeTsFile, publishThroughSrtLiveTransmit } from '../support/srt-ffmpeg.ts';
import { startSrtBed } from '../support/srt-test-bed.ts';
import { startUdpProxy } from '../support/udp-proxy.ts';
import { waitFor } from '../support/wait.ts';

const tencentId = (secret: string) => `#!::h=push.example.com,r=live/cam,txSecret=${secret},txTime=7FFFFFFF`;

/** Lines ffmpeg prints when it decodes the whole file (errors only). */
function decodeErrors(file: string): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

test(
  "ffmpeg publishes with Tencent's stream id: the sink's bytes are a 4 s H.264/AAC TS file",
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed();
    try {
      const ff = run(
        'ffmpeg',
        srtPublishArgs(`srt://127.0.0.1:${bed.port}?streamid=${tencentId('good')}&latency=200000`, 4),
      );
      assert.equal(await ff.exited, 0, ff.stderr());
      await waitFor('the publish to end', () => bed.publishes[0]?.ended !== undefined);
      await bed.publishes[0]!.done;
      const p = bed.publishes[0]!;
      assert.equal(p.key, 'live/cam');
      assert.equal(p.ended!.breakCode, '1/0', 'the encoder stopped (SRT shutdown)');
      const probe = probeTsFile(p.file);
      assert.deepEqual(probe.codecs, ['aac', 'h264']);
      assert.ok(probe.duration > 3.5 && probe.duration < 4.5, `duration ${probe.duration}`);
      assert.deepEqual(decodeErrors(p.file), []);
      assert.equal(bed.counters.srtConnectionsTotal, 1);
    } finally {
      await bed.close();
    }
  },
);

test(
  'srt-live-transmit publishes what ffmpeg pipes to it (plain app/stream?query stream id)',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed();
    try {
      await publishThroughSrtLiveTransmit(
        `srt://127.0.0.1:${bed.port}?streamid=live/slt?txSecret=good&latency=200`,
        4,
        () => bed.publishes[0]?.bytes ?? 0,
        100_000,
      );
      await waitFor('the publish to end', () => bed.publishes[0]?.ended !== undefined);
      await bed.publishes[0]!.done;
      const p = bed.publishes[0]!;
      assert.equal(p.key, 'live/slt');
      const probe = probeTsFile(p.file);
      assert.deepEqual(probe.codecs, ['aac', 'h264']);
      assert.ok(probe.duration > 3.3 && probe.duration < 4.5, `duration ${probe.duration}`);
    } finally {
      await bed.close();
    }
  },
);

test(
  '7 % loss each way and 3 % reordering: retransmission delivers a TS that decodes without errors',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed();
    const proxy = await startUdpProxy({ targetPort: bed.port, seed: 42, loss: 0.07, reorder: 0.03, delayMs: 5 });
    try {
      const ff = run(
        'ffmpeg',
        srtPublishArgs(`srt://127.0.0.1:${proxy.port}?streamid=${tencentId('good')}&latency=300000`, 5),
      );
      assert.equal(await ff.exited, 0, ff.stderr());
      await waitFor('the publish to end', () => bed.publishes[0]?.ended !== undefined, 20_000);
      await bed.publishes[0]!.done;
      const p = bed.publishes[0]!;
      const share = proxy.stats.dropped / (proxy.stats.dropped + proxy.stats.forwarded);
      assert.ok(
        proxy.stats.dropped > 30 && share > 0.05,
        `the relay dropped ${proxy.stats.dropped} (${(share * 100).toFixed(1)} %)`,
      );
      const probe = probeTsFile(p.file);
      assert.deepEqual(probe.codecs, ['aac', 'h264']);
      assert.ok(probe.duration > 4.3 && probe.duration < 5.5, `duration ${probe.duration}`);
      const errors = decodeErrors(p.file);
      assert.ok(errors.length <= 2, `decode errors:\n${errors.join('\n')}`);
    } finally {
      await proxy.close();
      await bed.close();
    }
  },
);

test(
  'a wrong txSecret is refused in the handshake (SRT_REJX_UNAUTHORIZED) and recorded as 18/503',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed();
    try {
      const ff = run(
        'ffmpeg',
        srtPublishArgs(`srt://127.0.0.1:${bed.port}?streamid=${tencentId('wrong')}&latency=200000`, 2),
      );
      assert.notEqual(await ff.exited, 0);
      assert.match(ff.stderr(), /reject/i, ff.stderr());
      const slt = spawn(
        'srt-live-transmit',
        ['-t:3', '-a:no', 'file://con', `srt://127.0.0.1:${bed.port}?streamid=live/cam?txSecret=wrong`],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      slt.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      slt.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      slt.stdin.on('error', () => {});
      slt.stdin.write(Buffer.alloc(188 * 7));
      // srt-live-transmit logs the rejection but does not exit on it: it is stopped once it said so.
      await waitFor('srt-live-transmit to report the rejection', () => /reject/i.test(out), 10_000).finally(() =>
        slt.kill('SIGKILL'),
      );
      assert.deepEqual(
        bed.rejections.map((r) => [r.refused.code, r.refused.breakCode]),
        [
          ['SIGNATURE_INVALID', '18/503'],
          ['SIGNATURE_INVALID', '18/503'],
        ],
      );
      assert.equal(bed.publishes.length, 0, 'nothing was opened for a refused publisher');
      assert.equal(bed.counters.rejectedPublishes, 2);
      assert.equal(bed.server.connectionCount, 0, 'the gate slots came back');
    } finally {
      await bed.close();
    }
  },
);
