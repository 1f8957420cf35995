/**
 * SRT through the whole service (`srt.enabled`): the real access policy signs and checks Tencent's
 * stream id, a wrong txSecret is refused in the handshake with SRT_REJX_UNAUTHORIZED and stored as a
 * rejected attempt (18/503) like an RTMP one, and a good one is demuxed into the hub and plays over RTMP and FLV.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stream } from '../../src/hub/stream.ts';
import { RejectReason } from '../../src/protocol/srt/srt-reject.ts';
import type { TsSinkFactory } from '../../src/servers/srt/ts-payload-sink.ts';
import { startService, type TestService } from '../support/service.ts';
import { connectCaller } from '../support/srt-udp-caller.ts';
import { waitFor } from '../support/wait.ts';
import { probe, run } from '../support/ffmpeg.ts';
import { srtPublishArgs } from '../support/srt-ffmpeg.ts';

/** Tencent's SRT stream id for the signed RTMP push URL of `stream`, with `secret` in place of its txSecret when given. */
function streamIdOf(svc: TestService, stream: string, secret?: string): string {
  const query = new URL(svc.urls(stream).push.rtmp).searchParams;
  return `#!::h=${svc.service.defaults.push!.name},r=live/${stream},txSecret=${secret ?? query.get('txSecret')},txTime=${query.get('txTime')}`;
}

test(
  'a wrong txSecret over SRT is refused with 1401 and recorded as 18/503; a good one publishes',
  { timeout: 30_000 },
  async () => {
    const received: Buffer[] = [];
    const sinks: TsSinkFactory<Stream> = (p) => ({
      write: (chunk) => void received.push(chunk),
      end: () => svc.service.admission.release(p.claim, p.publisherId),
    });
    const svc = await startService({ srt: { enabled: true, host: '127.0.0.1', port: 0 } }, { srtSinks: sinks });
    try {
      assert.ok(svc.service.srtPort > 0);
      const wrong = await connectCaller(svc.service.srtPort, streamIdOf(svc, 'cam', '0'.repeat(32)));
      assert.equal(await wrong.outcome, RejectReason.unauthorized);
      await wrong.close();
      await waitFor('the rejection to be stored', async () => {
        const page = await svc.service.store.listRejectedAttempts({ limit: 10 });
        return page.items.some((r) => r.stream === 'cam' && r.breakCode === '18/503' && r.code === 'SIGNATURE_INVALID');
      });
      const good = await connectCaller(svc.service.srtPort, streamIdOf(svc, 'cam'));
      assert.equal(await good.outcome, 'connected');
      good.send(Buffer.alloc(188 * 7, 0x47));
      await waitFor('the payload to reach the sink', () => received.length === 1);
      await good.close();
      assert.equal(svc.service.counters.srtConnectionsTotal, 1);
    } finally {
      await svc.close();
    }
  },
);

test(
  "ffmpeg publishes over SRT with Tencent's stream id; ffprobe plays it back over RTMP, HTTP-FLV and HLS",
  { timeout: 60_000 },
  async () => {
    const svc = await startService({ srt: { enabled: true, host: '127.0.0.1', port: 0 } });
    const ff = run(
      'ffmpeg',
      srtPublishArgs(`srt://127.0.0.1:${svc.service.srtPort}?streamid=${streamIdOf(svc, 'cam')}&latency=200000`, 20),
    );
    try {
      await waitFor('live/cam published over SRT', () => svc.service.hub.get('live/cam')?.live === true, 20_000);
      const play = svc.urls('cam').play!;
      const hls = play.flv.replace('.flv', '.m3u8');
      await waitFor(
        'the first HLS segment',
        async () => (await fetch(hls)).status === 200 && (await (await fetch(hls)).text()).includes('#EXTINF'),
        20_000,
      );
      for (const url of [play.rtmp, play.flv, hls]) {
        const result = await probe(url, 2);
        assert.deepEqual(result.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], url);
        const video = result.streams.find((s) => s.codec_type === 'video')!;
        assert.equal(video.width, 320, url);
        assert.ok(Number(video.nb_read_frames) > 10, `${url}: ${video.nb_read_frames} frames`);
      }
      const [record] = (await svc.service.store.listPublishRecords({ limit: 10 })).items;
      assert.equal(record?.stream, 'cam');
    } finally {
      await ff.stop();
      await svc.close();
    }
  },
);

test('srt.enabled is false by default: no UDP port is opened', { timeout: 30_000 }, async () => {
  const svc = await startService();
  try {
    assert.equal(svc.service.srt, undefined);
    assert.equal(svc.service.srtPort, 0);
  } finally {
    await svc.close();
  }
});
