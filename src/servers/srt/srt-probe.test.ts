import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { decodePacket, encodeControl, ControlType } from '../../protocol/srt/srt-packet.ts';
import { decodeHandshake, encodeHandshake, HandshakeType } from '../../protocol/srt/srt-handshake.ts';
import { RejectReason, rejectionType } from '../../protocol/srt/srt-reject.ts';
import { createSrtProbe } from './srt-probe.ts';
import { srtProbeReason } from '../../control/srt-stream-id.ts';
import { startSrtBed } from '../../../test/support/srt-test-bed.ts';

async function udp(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port };
}

test('a UDP port nobody answers times out in the induction', async () => {
  const { socket, port } = await udp();
  try {
    const r = await createSrtProbe({ timeoutMs: 600 })('127.0.0.1', port, '#!::r=live/cam');
    assert.deepEqual([r.ok, r.failedAt], [false, 'induction']);
    assert.match(r.error ?? '', /^timeout: no answer to the induction within 600 ms/);
  } finally {
    socket.close();
  }
});

test('through an injected socket: the induction answered, the conclusion refused; the stream id is sent as a probe', async () => {
  const { socket: listener, port } = await udp();
  const seen: string[] = [];
  listener.on('message', (msg, rinfo) => {
    const p = decodePacket(msg);
    if (p.kind !== 'control' || p.type !== ControlType.handshake) return;
    const hs = decodeHandshake(p.cif);
    const type = hs.type === HandshakeType.induction ? HandshakeType.induction : rejectionType(RejectReason.badSecret);
    if (hs.streamId !== undefined) seen.push(hs.streamId);
    const answer = { ...hs, version: 5, type, cookie: 1234, extension: 0x4a17, socketId: 77 };
    const out = encodeControl(ControlType.handshake, 0, 0, hs.socketId, encodeHandshake(answer));
    listener.send(out, rinfo.port, rinfo.address);
  });
  let made = 0;
  try {
    const probe = createSrtProbe({ timeoutMs: 3000, createSocket: (type) => (made++, createSocket(type)) });
    const r = await probe('127.0.0.1', port, '#!::h=a.test,r=live/cam,txSecret=x');
    assert.equal(made, 1);
    assert.deepEqual([r.ok, r.failedAt, r.rejectReason], [false, 'conclusion', RejectReason.badSecret]);
    assert.equal(typeof r.inductionMs, 'number');
    assert.deepEqual(seen, ['#!::h=a.test,r=live/cam,txSecret=x,m=probe']);
  } finally {
    listener.close();
  }
});

test("openlive's listener answers a probe with srtProbeReason without admission: nothing published, refused or recorded", async () => {
  const bed = await startSrtBed();
  try {
    const probe = createSrtProbe({ timeoutMs: 3000 });
    for (const secret of ['good', 'wrong']) {
      const r = await probe('127.0.0.1', bed.port, `#!::h=a.test,r=live/cam,txSecret=${secret},txTime=1`);
      assert.deepEqual([r.ok, r.rejectReason, r.failedAt], [true, srtProbeReason, undefined], secret);
    }
    assert.deepEqual([bed.publishes.length, bed.rejections.length], [0, 0]);
    assert.equal(bed.counters.rejectedPublishes, 0);
  } finally {
    await bed.close();
  }
});
