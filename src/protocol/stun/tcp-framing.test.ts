import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, frame } from './tcp-framing.ts';

const packets = [
  Buffer.from('stun-binding-request'),
  Buffer.alloc(0),
  Buffer.from([0x16, 0xfe, 0xfd]),
  Buffer.alloc(300, 7),
];
const stream = Buffer.concat(packets.map(frame));

test('a stream split at every byte gives back the same frames, and holds only the partial one', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(1024);
    const a = d.push(stream.subarray(0, cut));
    assert.ok(d.pendingBytes <= 2 + 300);
    const b = d.push(stream.subarray(cut));
    assert.equal(a.error, undefined);
    assert.equal(b.error, undefined);
    assert.deepEqual([...a.frames, ...b.frames], packets, `cut at ${cut}`);
    assert.equal(d.pendingBytes, 0);
  }
  // One byte at a time.
  const d = new FrameDecoder(1024);
  const got: Buffer[] = [];
  for (const byte of stream) got.push(...d.push(Buffer.from([byte])).frames);
  assert.deepEqual(got, packets);
});

test('any split of any packets decodes to those packets (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (arrays, cuts) => {
        const ps = arrays.map((a) => Buffer.from(a));
        const all = Buffer.concat(ps.map(frame));
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((x, y) => x - y);
        const d = new FrameDecoder(200);
        const got: Buffer[] = [];
        let from = 0;
        for (const p of [...points, all.length]) {
          got.push(...d.push(all.subarray(from, p)).frames);
          from = p;
        }
        assert.deepEqual(got, ps);
      },
    ),
  );
});

test('a lying length: above the limit fails at once without buffering; a longer claim than sent waits, bounded', () => {
  const d = new FrameDecoder(100);
  // Frames before the bad length are still returned; the bad one is refused as soon as its 2 bytes arrive.
  const r = d.push(Buffer.concat([frame(Buffer.from('ok')), Buffer.from([0x00, 0x65])]));
  assert.deepEqual(r.frames, [Buffer.from('ok')]);
  assert.equal(r.error, 'too-large');
  assert.equal(d.pendingBytes, 0);
  // Once failed, always failed.
  assert.deepEqual(d.push(frame(Buffer.from('x'))), { frames: [], error: 'too-large' });
  // 0xffff announced with a limit of 65535 is accepted but only ever holds what arrived (the caller's timeout ends it).
  const wide = new FrameDecoder(0xffff);
  const claim = wide.push(Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(10)]));
  assert.deepEqual(claim, { frames: [] });
  assert.equal(wide.pendingBytes, 12);
  // The limit can be raised after binding (a bound connection takes DTLS and SRTP, not only STUN).
  const grow = new FrameDecoder(10);
  grow.maxFrameBytes = 50;
  assert.deepEqual(grow.push(frame(Buffer.alloc(40))).frames, [Buffer.alloc(40)]);
});

test('frame: length prefix, and more than 65535 bytes is refused', () => {
  assert.deepEqual(frame(Buffer.from([1, 2, 3])), Buffer.from([0, 3, 1, 2, 3]));
  assert.throws(() => frame(Buffer.alloc(0x10000)), RangeError);
});
