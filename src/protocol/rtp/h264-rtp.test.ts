import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { H264Depacketizer, type H264AccessUnit } from './h264-depacketizer.ts';
import { packetizeH264, type H264RtpPayload } from './h264-packetizer.ts';
import { encodeRtpPacket, parseRtpPacket } from './rtp-packet.ts';
import type { ErrorCode } from '../../errors.ts';

const sps = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex'); // x264 Constrained Baseline 640x360
const pps = Buffer.from('68cb83cb20', 'hex');
const idr = (n: number) => Buffer.concat([Buffer.of(0x65), Buffer.alloc(n, 0xab)]);
const inter = (n: number) => Buffer.concat([Buffer.of(0x41), Buffer.alloc(n, 0xcd)]);

function depack(max = 1 << 20) {
  const errors: ErrorCode[] = [];
  return { d: new H264Depacketizer({ maxAccessUnitBytes: max, onError: (c) => errors.push(c) }), errors };
}

/** Feeds payloads as RTP packets from `seq`, one timestamp per access unit. */
function feed(d: H264Depacketizer, aus: H264RtpPayload[][], seq = 65530): H264AccessUnit[] {
  const out: H264AccessUnit[] = [];
  let s = seq;
  aus.forEach((ps, i) => {
    for (const p of ps)
      d.push({ payload: p.payload, marker: p.marker, timestamp: 3000 * i, sequenceNumber: s++ & 0xffff }, out);
  });
  return out;
}

function packets(nalus: Buffer[], mtu: number): H264RtpPayload[] {
  const out: H264RtpPayload[] = [];
  packetizeH264(nalus, mtu, { sps: [sps], pps: [pps] }, out);
  return out;
}

test('a single NAL unit packet and the marker end an access unit', () => {
  const { d } = depack();
  const out = feed(d, [
    [
      { payload: sps, marker: false },
      { payload: pps, marker: false },
      { payload: idr(10), marker: true },
    ],
  ]);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.keyframe, true);
  assert.deepEqual(out[0]!.nalus, [sps, pps, idr(10)]);
});

test('STAP-A byte fixture: SPS and PPS aggregated (RFC 6184 §5.7.1)', () => {
  const stap = Buffer.concat([Buffer.of(0x78), Buffer.of(0, sps.length), sps, Buffer.of(0, pps.length), pps]);
  const { d } = depack();
  const out = feed(d, [
    [
      { payload: stap, marker: false },
      { payload: idr(4), marker: true },
    ],
  ]);
  assert.deepEqual(out[0]!.nalus, [sps, pps, idr(4)]);
});

test('FU-A fragments rebuild the NAL header from indicator and FU header (§5.8)', () => {
  const nal = idr(3000);
  const ps = packets([nal], 1200);
  assert.ok(ps.length > 3);
  assert.equal(ps.at(-1)!.marker, true);
  assert.equal(ps.filter((p) => p.marker).length, 1);
  for (const p of ps) assert.ok(p.payload.length <= 1200);
  const { d } = depack();
  const out = feed(d, [ps]);
  // SPS and PPS were put in front of the IDR.
  assert.deepEqual(out[0]!.nalus, [sps, pps, nal]);
});

test('a frame before the first IDR is dropped and asks for a keyframe', () => {
  const { d } = depack();
  const out = feed(d, [packets([inter(50)], 1200), packets([idr(50)], 1200), packets([inter(50)], 1200)]);
  assert.equal(out.length, 2);
  assert.equal(d.dropped, 1);
  assert.equal(d.keyframeWanted, false);
});

test('FU-A fragments without their start (a lying or lossy sender) drop the picture until the next IDR', () => {
  const gop = [
    packets([idr(5000)], 1000),
    packets([inter(3000)], 1000),
    packets([inter(100)], 1000),
    packets([idr(100)], 1000),
  ];
  gop[1]!.shift(); // the first fragment of the first inter frame never came; sequence numbers still run on
  const { d } = depack();
  const out = feed(d, gop);
  assert.equal(d.lost, 0);
  assert.deepEqual(
    out.map((a) => a.keyframe),
    [true, true],
  );
});

test('a sequence gap is a loss (across the 16-bit wrap)', () => {
  const aus = [packets([idr(3000)], 1000), packets([inter(3000)], 1000), packets([inter(10)], 1000)];
  const { d } = depack();
  const out: H264AccessUnit[] = [];
  let seq = 65533;
  aus.forEach((ps, i) =>
    ps.forEach((p, j) => {
      if (i === 1 && j === 1) {
        seq++;
        return;
      }
      d.push({ payload: p.payload, marker: p.marker, timestamp: i * 3000, sequenceNumber: seq++ & 0xffff }, out);
    }),
  );
  assert.equal(d.lost, 1);
  assert.equal(out.length, 1);
  assert.equal(d.keyframeWanted, true);
});

test('duplicates and late packets are ignored', () => {
  const { d } = depack();
  const out: H264AccessUnit[] = [];
  const p = { payload: idr(5), marker: true, timestamp: 0, sequenceNumber: 10 };
  d.push(p, out);
  d.push(p, out);
  d.push({ ...p, sequenceNumber: 9, timestamp: 9 }, out);
  assert.equal(out.length, 1);
});

test('an access unit over maxAccessUnitBytes is dropped with RTP_FRAME_TOO_LARGE', () => {
  const { d, errors } = depack(2000);
  const out = feed(d, [packets([idr(5000)], 1000), packets([idr(100)], 1000)]);
  assert.deepEqual(errors, ['RTP_FRAME_TOO_LARGE']);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.nalus.at(-1)!.length, 101);
});

test('lying payloads are counted, never thrown', () => {
  const { d, errors } = depack();
  const out: H264AccessUnit[] = [];
  const bad = [
    Buffer.of(0x78, 0, 50, 1),
    Buffer.of(0x78, 0),
    Buffer.of(0x80),
    Buffer.of(0x79, 1),
    Buffer.alloc(0),
    Buffer.of(0x7c),
  ];
  bad.forEach((payload, i) => d.push({ payload, marker: true, timestamp: i, sequenceNumber: i }, out));
  assert.equal(out.length, 0);
  assert.equal(errors.length, bad.length);
  assert.ok(errors.every((c) => c === 'RTP_PACKET_INVALID'));
});

test('property: packetize then depacketize gives the NAL units back at any MTU', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 4000 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 3, max: 1500 }),
      (bodies, mtu) => {
        const nalus = [idr(20), ...bodies.map((b) => Buffer.concat([Buffer.of(0x41), Buffer.from(b)]))];
        const ps = packets(nalus, mtu);
        for (const p of ps) assert.ok(p.payload.length <= mtu);
        const { d, errors } = depack();
        const out = feed(d, [ps]);
        assert.deepEqual(errors, []);
        assert.deepEqual(out[0]!.nalus, [sps, pps, ...nalus]);
      },
    ),
    { numRuns: 200 },
  );
});

test('property: random payloads never throw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff })), {
        maxLength: 50,
      }),
      (ps) => {
        const { d } = depack(500);
        const out: H264AccessUnit[] = [];
        for (const [b, marker, seq] of ps)
          d.push({ payload: Buffer.from(b), marker, timestamp: seq >> 4, sequenceNumber: seq }, out);
      },
    ),
  );
});

test('RTP header round trip; extension, CSRCs and padding skipped on read', () => {
  const p = encodeRtpPacket(
    { payloadType: 102, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, marker: true },
    Buffer.of(1, 2, 3),
  );
  assert.deepEqual(parseRtpPacket(p), {
    payloadType: 102,
    sequenceNumber: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    marker: true,
    payload: Buffer.of(1, 2, 3),
  });
  const ext = Buffer.concat([
    Buffer.of(0xb1, 0x60),
    p.subarray(2, 12),
    Buffer.alloc(4, 9),
    Buffer.of(0xbe, 0xde, 0, 1),
    Buffer.alloc(4, 7),
    Buffer.of(5, 6, 0, 2),
  ]);
  assert.deepEqual(parseRtpPacket(ext).payload, Buffer.of(5, 6));
  assert.throws(() => parseRtpPacket(Buffer.alloc(11)), { code: 'RTP_PACKET_INVALID' });
  assert.throws(() => parseRtpPacket(Buffer.concat([Buffer.of(0x90), p.subarray(1, 12), Buffer.of(0, 0, 0, 9)])), {
    code: 'RTP_PACKET_INVALID',
  });
});

test('property: parseRtpPacket of random bytes returns or throws RTP_PACKET_INVALID', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      try {
        parseRtpPacket(Buffer.from(b));
      } catch (err) {
        assert.equal((err as { code: string }).code, 'RTP_PACKET_INVALID');
      }
    }),
  );
});
