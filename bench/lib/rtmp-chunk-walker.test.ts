import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChunkWalker, type WalkerSink } from './rtmp-chunk-walker.ts';

interface Seen {
  type: number;
  body: string | null;
  head: number;
}

/** A sink that keeps bodies of control/command messages and applies Set Chunk Size, as RtmpPlayer does. */
function recorder(): { sink: WalkerSink; seen: Seen[]; walker: ChunkWalker } {
  const seen: Seen[] = [];
  const sink: WalkerSink = {
    keepBody: (type) => type <= 6 || type === 20,
    onMessageStart: () => {},
    onMessage: (type, body, head) => {
      seen.push({ type, body: body === null ? null : body.toString('hex'), head: body === null ? head : 0 });
      if (type === 1 && body !== null) walker.chunkSize = body.readUInt32BE(0);
    },
  };
  const walker = new ChunkWalker(sink);
  return { sink, seen, walker };
}

function basic(fmt: number, csid: number): Buffer {
  if (csid < 64) return Buffer.from([(fmt << 6) | csid]);
  if (csid < 320) return Buffer.from([fmt << 6, csid - 64]);
  return Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
}

/** Chunks one message with the given first-chunk fmt (RTMP 1.0 §5.3.1), fmt 3 continuations. */
function chunk(fmt: number, csid: number, type: number, ts: number, body: Buffer, size: number): Buffer {
  const ext = ts >= 0xffffff;
  const t24 = ext ? 0xffffff : ts;
  const parts: Buffer[] = [basic(fmt, csid)];
  const h = Buffer.alloc(fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0);
  if (fmt < 3) h.writeUIntBE(t24, 0, 3);
  if (fmt < 2) {
    h.writeUIntBE(body.length, 3, 3);
    h[6] = type;
  }
  if (fmt === 0) h.writeUInt32LE(1, 7);
  parts.push(h);
  const extBytes = Buffer.alloc(4);
  extBytes.writeUInt32BE(ts >>> 0, 0);
  if (ext && fmt < 3) parts.push(extBytes);
  for (let off = 0; off < body.length || off === 0; off += size) {
    if (off > 0) {
      parts.push(basic(3, csid));
      if (ext) parts.push(extBytes); // ffmpeg and librtmp repeat it on fmt 3 chunks
    }
    parts.push(body.subarray(off, Math.min(off + size, body.length)));
    if (body.length === 0) break;
  }
  return Buffer.concat(parts);
}

const video = (key: boolean, len: number): Buffer => {
  const b = Buffer.alloc(len, 0xab);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1;
  return b;
};
const setChunkSize = Buffer.from([0, 0, 0x10, 0]); // 4096

/** A stream that uses every header form: fmt 0..3, 1-, 2- and 3-byte basic headers, extended timestamps. */
function sampleStream(): { bytes: Buffer; expected: Seen[] } {
  const cmd = Buffer.from('02000c6f6e537461747573', 'hex');
  const bytes = Buffer.concat([
    chunk(0, 3, 20, 0, cmd, 128),
    chunk(0, 2, 1, 0, setChunkSize, 128),
    chunk(0, 7, 9, 0, video(true, 9000), 4096),
    chunk(1, 7, 9, 33, video(false, 300), 4096),
    chunk(2, 7, 9, 33, video(false, 300), 4096), // fmt 2: same length and type as before
    chunk(3, 7, 9, 33, video(false, 300), 4096), // fmt 3 starting a new message
    chunk(0, 100, 8, 0xffffff + 5, Buffer.alloc(5000, 0xaf), 4096), // 2-byte csid, extended timestamp
    chunk(0, 400, 18, 0, Buffer.alloc(0), 4096), // 3-byte csid, empty message
    chunk(0, 2, 4, 0, Buffer.from([0, 6, 0, 0, 0, 9]), 4096), // ping request
  ]);
  const expected: Seen[] = [
    { type: 20, body: cmd.toString('hex'), head: 0 },
    { type: 1, body: setChunkSize.toString('hex'), head: 0 },
    { type: 9, body: null, head: 0x1701 },
    { type: 9, body: null, head: 0x2701 },
    { type: 9, body: null, head: 0x2701 },
    { type: 9, body: null, head: 0x2701 },
    { type: 8, body: null, head: 0xafaf },
    { type: 18, body: null, head: 0 },
    { type: 4, body: '000600000009', head: 0 },
  ];
  return { bytes, expected };
}

test('walks every header form in one piece', () => {
  const { bytes, expected } = sampleStream();
  const { seen, walker } = recorder();
  walker.push(bytes, 0, bytes.length);
  assert.deepEqual(seen, expected);
});

test('gives the same messages when the stream is split at any offset', () => {
  const { bytes, expected } = sampleStream();
  for (let cut = 1; cut < bytes.length; cut++) {
    const { seen, walker } = recorder();
    walker.push(bytes, 0, cut);
    walker.push(bytes, cut, bytes.length);
    assert.deepEqual(seen, expected, `split at ${cut}`);
  }
});

test('gives the same messages when fed byte by byte or in random pieces', () => {
  const { bytes, expected } = sampleStream();
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 400 }), (sizes) => {
      const { seen, walker } = recorder();
      let off = 0;
      for (let i = 0; off < bytes.length; i++) {
        const n = Math.min(sizes[i % sizes.length] ?? 1, bytes.length - off);
        walker.push(bytes, off, off + n);
        off += n;
      }
      assert.deepEqual(seen, expected);
    }),
  );
});
