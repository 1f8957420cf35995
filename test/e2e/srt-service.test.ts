/**
 * SRT through the whole service (`srt.enabled`): the real access policy signs and checks Tencent's
 * stream id, a wrong txSecret is refused in the handshake with SRT_REJX_UNAUTHORIZED and stored as a
 * rejected attempt (18/503) like an RTMP one, and a good one reaches the TS sink the integrator wires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stream } from '../../src/hub/stream.ts';
import { RejectReason } from '../../src/protocol/srt/srt-reject.ts';
import type { TsSinkFactory } from '../../src/servers/srt/ts-payload-sink.ts';
import { startService, type TestService } from '../support/service.ts';
import { connectCaller } from '../support/srt-udp-caller.ts';
import { waitFor } from '../support/wait.ts';

/** Tencent's SRT stream id for the signed RTMP push URL of `stream`, with `secret` in place of its txSecret when given. */
function streamIdOf(svc: TestService, stream: string, secret?: string): string {
  const query = new URL(svc.urls(stream).push.rtmp).searchParams;
  return `#!::h=${svc.service.defaults.push!.name},r=live/${stream},txSecret=${secret ?? query.get('txSecret')},txTime=${query.get('txTime')}`;
}

test('a wrong txSecret over SRT is refused with 1401 and recorded as 18/503; a good one publishes', { timeout: 30_000 }, async () => {
  const received: Buffer[] = [];
  let svc!: TestService;
  const sinks: TsSinkFactory<Stream> = (p) => ({
    write: (chunk) => void received.push(chunk),
    end: () => svc.service.admission.release(p.claim, p.publisherId),
  });
  svc = await startService({ srt: { enabled: true, host: '127.0.0.1', port: 0 } }, { srtSinks: sinks });
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
});

test('without a TS demuxer wired, an admitted SRT publish is refused (SRT_REJX_ISE) rather than accepted into nothing', { timeout: 30_000 }, async () => {
  const svc = await startService({ srt: { enabled: true, host: '127.0.0.1', port: 0 } });
  try {
    const c = await connectCaller(svc.service.srtPort, streamIdOf(svc, 'cam'));
    assert.equal(await c.outcome, RejectReason.internal);
    await c.close();
    assert.equal(svc.service.hub.get('live/cam')?.live ?? false, false);
  } finally {
    await svc.close();
  }
});

test('srt.enabled is false by default: no UDP port is opened', { timeout: 30_000 }, async () => {
  const svc = await startService();
  try {
    assert.equal(svc.service.srt, undefined);
    assert.equal(svc.service.srtPort, 0);
  } finally {
    await svc.close();
  }
});
