/**
 * The SRT listener against our own caller and hostile datagrams: rejection reason codes, recorded refusals,
 * connection caps, the handshake rate bound, unknown socket ids, garbage, receive buffer and idle limits,
 * each with its stable code, and a good publisher still served afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { ControlType, encodeControl, encodeData } from '../../src/protocol/srt/srt-packet.ts';
import { encodeHandshake, HandshakeType } from '../../src/protocol/srt/srt-handshake.ts';
import { RejectReason } from '../../src/protocol/srt/srt-reject.ts';
import { startSrtBed, type SrtBed } from '../support/srt-test-bed.ts';
import { connectCaller } from '../support/srt-udp-caller.ts';
import { waitFor } from '../support/wait.ts';

const good = '#!::h=push.example.com,r=live/cam,txSecret=good,txTime=7FFFFFFF';

async function publishOk(bed: SrtBed, stream = 'cam', escaped = false): Promise<void> {
  const id = `#!::r=live/${stream},txSecret=good`;
  const c = await connectCaller(bed.port, escaped ? encodeURIComponent(id) : id);
  assert.equal(await c.outcome, 'connected');
  for (let i = 0; i < 20; i++) c.send(Buffer.alloc(1316, i));
  await waitFor(
    'the payload to reach the sink',
    () => bed.publishes.some((p) => p.key === `live/${stream}` && p.bytes === 20 * 1316),
    5000,
  );
  await c.close();
}

test(
  'refusals carry their SRT reason and are recorded: 1401 signature, 1400 no stream, 1405 play, 1409 taken',
  { timeout: 30_000 },
  async () => {
    const bed = await startSrtBed();
    try {
      const wrong = await connectCaller(bed.port, good.replace('good', 'bad'));
      assert.equal(await wrong.outcome, RejectReason.unauthorized);
      await wrong.close();
      const empty = await connectCaller(bed.port, '#!::h=push.example.com,m=publish');
      assert.equal(await empty.outcome, RejectReason.badRequest);
      await empty.close();
      const play = await connectCaller(bed.port, '#!::r=live/cam,m=request');
      assert.equal(await play.outcome, RejectReason.badMode);
      await play.close();
      const first = await connectCaller(bed.port, good);
      assert.equal(await first.outcome, 'connected');
      const second = await connectCaller(bed.port, good);
      assert.equal(await second.outcome, RejectReason.conflict, 'one publisher per stream (18/601)');
      await second.close();
      assert.deepEqual(
        bed.rejections.map((r) => r.refused.breakCode),
        ['18/503', '18/308', '18/601'],
      );
      await first.close();
      await waitFor('the first publish to end', () => bed.publishes[0]?.ended !== undefined);
      assert.equal(bed.publishes[0]!.ended!.breakCode, '1/0');
      assert.equal(bed.counters.errors.get('SRT_STREAM_ID_INVALID'), 1);
      assert.equal(bed.counters.errors.get('SRT_PLAY_UNSUPPORTED'), 1);
      // A percent-encoded stream id (as URL builders write it) is read the same.
      await publishOk(bed, 'cam', true);
    } finally {
      await bed.close();
    }
  },
);

test(
  'connection caps: the third caller from one address hears 1402 and SRT_CONNECTION_LIMIT_PER_IP is counted',
  { timeout: 30_000 },
  async () => {
    const bed = await startSrtBed({ maxConnectionsPerIp: 2 });
    try {
      const a = await connectCaller(bed.port, '#!::r=live/a,txSecret=good');
      const b = await connectCaller(bed.port, '#!::r=live/b,txSecret=good');
      assert.deepEqual([await a.outcome, await b.outcome], ['connected', 'connected']);
      const c = await connectCaller(bed.port, '#!::r=live/c,txSecret=good');
      assert.equal(await c.outcome, RejectReason.overload);
      assert.equal(bed.counters.errors.get('SRT_CONNECTION_LIMIT_PER_IP'), 1);
      await Promise.all([a.close(), b.close(), c.close()]);
      await waitFor('the slots to come back', () => bed.server.connectionCount === 0);
      await publishOk(bed, 'd');
    } finally {
      await bed.close();
    }
  },
);

test(
  'hostile datagrams: garbage, truncated and lying handshakes, a handshake flood and 5000 fake socket ids stay bounded',
  { timeout: 60_000 },
  async () => {
    // The listener's monotonic clock, moved a second ahead below instead of waiting for the next handshake budget.
    let skewUs = 0;
    const bed = await startSrtBed({ maxHandshakesPerSecond: 200, clockUs: () => performance.now() * 1000 + skewUs });
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    const send = (d: Buffer) => new Promise<void>((r) => s.send(d, bed.port, '127.0.0.1', () => r()));
    try {
      const heapBefore = process.memoryUsage().heapUsed;
      const hs = {
        version: 4,
        encryption: 0,
        extension: 2,
        initialSeq: 1,
        mtu: 1500,
        flowWindow: 8192,
        type: HandshakeType.induction,
        socketId: 7,
        cookie: 0,
        peerIp: Buffer.alloc(16),
      };
      const lying = encodeControl(
        ControlType.handshake,
        0,
        0,
        0,
        Buffer.concat([
          encodeHandshake({ ...hs, version: 5, type: HandshakeType.conclusion }),
          Buffer.from('0005ffff', 'hex'),
        ]),
      );
      for (let n = 0; n < 16; n++) await send(Buffer.alloc(n, 0xff));
      await send(lying);
      await send(encodeControl(ControlType.handshake, 0, 0, 0, Buffer.alloc(20))); // a handshake CIF of 20 bytes
      for (let i = 0; i < 3000; i++)
        await send(encodeControl(ControlType.handshake, 0, 0, 0, encodeHandshake({ ...hs, socketId: i + 1 })));
      for (let i = 0; i < 500; i++)
        await send(
          encodeControl(
            ControlType.handshake,
            0,
            0,
            0,
            encodeHandshake({
              ...hs,
              version: 5,
              type: HandshakeType.conclusion,
              cookie: i,
              hsreq: { version: 0x010501, flags: 0, recvDelayMs: 1, sendDelayMs: 1 },
            }),
          ),
        );
      for (let i = 0; i < 5000; i++) {
        await send(
          encodeData({ seq: i, msgNo: 1, timestamp: 0, destId: 1 + ((i * 2654435761) >>> 1) }, Buffer.alloc(1316)),
        );
        // Paced, so the kernel's socket buffer (net.core.rmem_max) does not drop what the test wants read.
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
      }
      await waitFor('the flood to be read', () => bed.server.dropped.unknownId >= 4000, 20_000);
      assert.equal(bed.server.peerCount, 0, 'no state for callers that never proved their address');
      assert.ok(bed.server.dropped.rateLimited > 0, 'the handshake rate bound dropped part of the flood');
      assert.ok((bed.counters.errors.get('SRT_HANDSHAKE_LIMIT') ?? 0) > 0);
      assert.ok((bed.counters.errors.get('SRT_HANDSHAKE_INVALID') ?? 0) >= 2, 'the lying and the truncated handshakes');
      assert.ok((bed.counters.errors.get('SRT_PACKET_INVALID') ?? 0) >= 1, 'datagrams shorter than a header');
      const grown = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(grown < 30 * 1024 * 1024, `heap grew ${grown} bytes`);
      skewUs += 1_000_000; // the next second's handshake budget
      await publishOk(bed, 'after-flood');
    } finally {
      s.close();
      await bed.close();
    }
  },
);

test(
  'a data packet from another address for a live socket id is ignored (no injection by a guessed id)',
  { timeout: 30_000 },
  async () => {
    const bed = await startSrtBed();
    const c = await connectCaller(bed.port, good);
    const s = createSocket('udp4');
    try {
      assert.equal(await c.outcome, 'connected');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      const id = c.caller.connection!.peerId;
      await new Promise<void>((r) =>
        s.send(encodeControl(ControlType.shutdown, 0, 0, id, Buffer.alloc(4)), bed.port, '127.0.0.1', () => r()),
      );
      await waitFor('the spoofed shutdown to be dropped', () => bed.server.dropped.wrongSource === 1);
      assert.equal(bed.server.connectionCount, 1, 'the publisher is still connected');
    } finally {
      s.close();
      await c.close();
      await bed.close();
    }
  },
);

test(
  'receive buffer bound: a burst past srt.maxReceiveBufferBytes is dropped and counted, the connection lives',
  { timeout: 30_000 },
  async () => {
    const bed = await startSrtBed({ maxReceiveBufferBytes: 64 * 1024, latencyMs: 1000 });
    const c = await connectCaller(bed.port, good, 1000);
    try {
      assert.equal(await c.outcome, 'connected');
      for (let i = 0; i < 200; i++) c.send(Buffer.alloc(1316, i));
      await waitFor(
        'the overflow to be counted',
        () => (bed.counters.errors.get('SRT_RECEIVE_BUFFER_FULL') ?? 0) > 100,
        10_000,
      );
      assert.equal(bed.server.connectionCount, 1);
    } finally {
      await c.close();
      await bed.close();
    }
  },
);

test(
  'idle timeouts: no data for srt.idleTimeoutMs drops with 20/0; a vanished caller ends with SRT_PEER_IDLE_TIMEOUT',
  { timeout: 30_000 },
  async () => {
    // The listeners' clock jumps past each timeout instead of the test waiting for it (their 5 ms tick reads it).
    let skewUs = 0;
    const clockUs = (): number => performance.now() * 1000 + skewUs;
    const bed = await startSrtBed({ idleTimeoutMs: 1500, peerIdleTimeoutMs: 5000, clockUs });
    const bed2 = await startSrtBed({ idleTimeoutMs: 0, peerIdleTimeoutMs: 1500, clockUs });
    try {
      const quiet = await connectCaller(bed.port, '#!::r=live/quiet,txSecret=good');
      assert.equal(await quiet.outcome, 'connected');
      assert.equal(bed.publishes[0]?.ended, undefined, 'not dropped before the idle timeout');
      skewUs += 2_600_000; // past srt.idleTimeoutMs and the next once-a-second sweep, short of peerIdleTimeoutMs
      await waitFor('the quiet publisher to be dropped', () => bed.publishes[0]?.ended !== undefined, 10_000);
      assert.equal(bed.publishes[0]!.ended!.breakCode, '20/0');
      assert.equal(bed.counters.errors.get('SRT_IDLE_TIMEOUT'), 1);
      assert.match(await quiet.closed, /peer shut down/);
      await quiet.close();
      assert.equal(bed.server.connectionCount, 0);
      const gone = await connectCaller(bed2.port, '#!::r=live/gone,txSecret=good');
      assert.equal(await gone.outcome, 'connected');
      gone.vanish();
      skewUs += 2_600_000; // past srt.peerIdleTimeoutMs
      await waitFor('the vanished caller to time out', () => bed2.publishes[0]?.ended !== undefined, 10_000);
      assert.equal(bed2.publishes[0]!.ended!.breakCode, '12/0');
      assert.equal(bed2.counters.errors.get('SRT_PEER_IDLE_TIMEOUT'), 1);
      await gone.close();
      assert.equal(bed2.server.connectionCount, 0);
    } finally {
      await bed.close();
      await bed2.close();
    }
  },
);
