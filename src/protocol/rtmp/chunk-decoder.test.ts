import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { ffmpegPublishCapture } from '../../../test/support/rtmp-fixtures.ts';
import { ChunkDecoder, type RtmpMessage } from './chunk-decoder.ts';
import type { ChunkDecoderOptions } from './chunk-limits.ts';
import { encodeChunks } from './chunk-encoder.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Framing tests use tiny chunk sizes to make many chunks; the 128-byte minimum has its own tests. */
const tiny = { minChunkSize: 1 };

function decodeAll(bytes: Buffer, options?: ChunkDecoderOptions, chunkSize?: number): RtmpMessage[] {
  const d = new ChunkDecoder({ ...tiny, ...options });
  if (chunkSize !== undefined) d.setChunkSize(chunkSize);
  return d.push(bytes);
}

function decodeSplit(bytes: Buffer, cuts: number[], chunkSize?: number): RtmpMessage[] {
  const d = new ChunkDecoder(tiny);
  if (chunkSize !== undefined) d.setChunkSize(chunkSize);
  const out: RtmpMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    d.push(bytes.subarray(from, cut), out);
    from = cut;
  }
  assert.equal(d.buffered, 0, 'nothing left over');
  return out;
}

function isCode(code: string) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

/** Messages and their exact chunked bytes; run both ways (encode and decode). */
const table: { name: string; chunkSize: number; msg: RtmpMessage; bytes: string }[] = [
  {
    name: 'fmt 0, 1-byte basic header',
    chunkSize: 128,
    msg: { csid: 3, typeId: 20, streamId: 0, timestamp: 1000, payload: hex('616263') },
    bytes: '03 0003e8 000003 14 00000000 616263',
  },
  {
    name: '2-byte basic header (csid 64) and a little-endian stream id',
    chunkSize: 128,
    msg: { csid: 64, typeId: 9, streamId: 0x01020304, timestamp: 0, payload: hex('17') },
    bytes: '00 00 000000 000001 09 04030201 17',
  },
  {
    name: '2-byte basic header, largest (csid 319)',
    chunkSize: 128,
    msg: { csid: 319, typeId: 8, streamId: 1, timestamp: 5, payload: hex('af01') },
    bytes: '00 ff 000005 000002 08 01000000 af01',
  },
  {
    name: '3-byte basic header (csid 320), little-endian id',
    chunkSize: 128,
    msg: { csid: 320, typeId: 8, streamId: 1, timestamp: 5, payload: hex('af01') },
    bytes: '01 0001 000005 000002 08 01000000 af01',
  },
  {
    name: '3-byte basic header, largest (csid 65599)',
    chunkSize: 128,
    msg: { csid: 65599, typeId: 8, streamId: 1, timestamp: 5, payload: hex('af') },
    bytes: '01 ffff 000005 000001 08 01000000 af',
  },
  {
    name: 'continuations as fmt 3 chunks',
    chunkSize: 2,
    msg: { csid: 6, typeId: 9, streamId: 1, timestamp: 40, payload: hex('0102030405') },
    bytes: '06 000028 000005 09 01000000 0102 c6 0304 c6 05',
  },
  {
    name: 'extended timestamp, repeated on every fmt 3 chunk (ffmpeg/librtmp)',
    chunkSize: 2,
    msg: { csid: 6, typeId: 9, streamId: 1, timestamp: 0x01000000, payload: hex('0102030405') },
    bytes: '06 ffffff 000005 09 01000000 01000000 0102 c6 01000000 0304 c6 01000000 05',
  },
  {
    name: 'timestamp 0xFFFFFF itself is extended',
    chunkSize: 128,
    msg: { csid: 4, typeId: 8, streamId: 1, timestamp: 0xffffff, payload: hex('00') },
    bytes: '04 ffffff 000001 08 01000000 00ffffff 00',
  },
  {
    name: 'empty payload',
    chunkSize: 128,
    msg: { csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: Buffer.alloc(0) },
    bytes: '03 000000 000000 14 00000000',
  },
];

describe('chunk byte tables', () => {
  for (const t of table) {
    it(`encodes ${t.name}`, () => {
      assert.equal(encodeChunks(t.msg, t.chunkSize).toString('hex'), hex(t.bytes).toString('hex'));
    });
    it(`decodes ${t.name}, whole, byte by byte and split at every offset`, () => {
      const bytes = hex(t.bytes);
      assert.deepEqual(decodeAll(bytes, {}, t.chunkSize), [t.msg]);
      assert.deepEqual(decodeSplit(bytes, [...bytes.keys()].slice(1), t.chunkSize), [t.msg]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        assert.deepEqual(decodeSplit(bytes, [cut], t.chunkSize), [t.msg], `cut at ${cut}`);
      }
    });
  }

  it('decodes fmt 1, fmt 2 and fmt 3 headers as deltas on the previous header (RTMP 1.0 §5.3.2.2)', () => {
    const bytes = hex(`
      04 000064 000002 08 01000000 aaaa
      44 000028 000003 09 bbbbbb
      84 000014 cccccc
      c4 dddddd`);
    const got = decodeAll(bytes).map((m) => [m.timestamp, m.typeId, m.streamId, m.payload.toString('hex')]);
    assert.deepEqual(got, [
      [100, 8, 1, 'aaaa'],
      [140, 9, 1, 'bbbbbb'],
      [160, 9, 1, 'cccccc'],
      [180, 9, 1, 'dddddd'],
    ]);
  });

  it('takes the timestamp of a fmt 0 chunk as the delta of a following fmt 3 message (§5.3.1.2.4, as ffmpeg)', () => {
    const got = decodeAll(hex('05 000064 000001 08 01000000 aa c5 bb')).map((m) => m.timestamp);
    assert.deepEqual(got, [100, 200]);
  });

  it('reads an extended timestamp delta on fmt 1 and wraps at 2^32', () => {
    const got = decodeAll(hex('04 000010 000001 08 01000000 aa 44 ffffff 000001 08 fffffff8 bb'));
    assert.deepEqual(
      got.map((m) => m.timestamp),
      [16, 8],
    );
  });

  it('also reads continuations from a peer that does not repeat the extended timestamp (2009 spec text)', () => {
    const bytes = hex('06 ffffff 000005 09 01000000 01000000 0102 c6 0304 c6 05');
    const [msg] = decodeAll(bytes, {}, 2);
    assert.equal(msg?.payload.toString('hex'), '0102030405');
    assert.equal(msg?.timestamp, 0x01000000);
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.equal(decodeSplit(bytes, [cut], 2)[0]?.payload.toString('hex'), '0102030405');
    }
  });

  it('interleaves chunk streams', () => {
    const bytes = hex('04 000001 000004 08 01000000 aabb 06 000002 000003 09 01000000 1122 c4 ccdd c6 33');
    const got = decodeAll(bytes, {}, 2).map((m) => [m.csid, m.timestamp, m.payload.toString('hex')]);
    assert.deepEqual(got, [
      [4, 1, 'aabbccdd'],
      [6, 2, '112233'],
    ]);
  });

  it('hands out a view of the received bytes when a message fits in one chunk', () => {
    const bytes = hex('03 000000 000003 14 00000000 616263');
    const [msg] = decodeAll(bytes);
    assert.equal(msg?.payload.buffer, bytes.buffer);
  });
});

describe('ChunkDecoder control and limits', () => {
  it('applies Set Chunk Size at once, for the chunks that follow in the same read', () => {
    const bytes = hex(
      '02 000000 000004 01 00000000 00000004  03 000000 00000a 14 00000000 00010203 c3 04050607 c3 0809',
    );
    const d = new ChunkDecoder(tiny);
    const msgs = d.push(bytes);
    assert.equal(d.chunkSize, 4);
    assert.deepEqual(
      msgs.map((m) => m.typeId),
      [1, 20],
    );
    assert.equal(msgs[1]?.payload.toString('hex'), '00010203040506070809');
  });

  it('rejects chunk size 0 and sizes with the MSB set (RTMP 1.0 §5.4.1)', () => {
    for (const size of ['00000000', '80000000', 'ffffffff']) {
      assert.throws(() => decodeAll(hex(`02 000000 000004 01 00000000 ${size}`)), isCode('RTMP_CHUNK_SIZE'));
    }
    assert.throws(() => decodeAll(hex('02 000000 000002 01 00000000 0001')), isCode('RTMP_MESSAGE_INVALID'));
    assert.equal(decodeAll(hex('02 000000 000004 01 00000000 7fffffff')).length, 1);
  });

  it('drops a partial message on Abort (RTMP 1.0 §5.4.2)', () => {
    const bytes = hex(
      '04 000000 000004 08 01000000 aabb  02 000000 000004 02 00000000 0000 c2 0004  04 000009 000002 08 01000000 eeff',
    );
    const msgs = decodeAll(bytes, {}, 2);
    assert.deepEqual(
      msgs.map((m) => [m.typeId, m.payload.toString('hex')]),
      [
        [2, '00000004'],
        [8, 'eeff'],
      ],
    );
  });

  it('accepts librtmp starting a chunk stream with fmt 1 (its ping), refuses fmt 2 and 3 there', () => {
    const [ping] = decodeAll(hex('42 000000 000006 04 0006 00000d0f'));
    assert.deepEqual([ping?.typeId, ping?.streamId, ping?.payload.toString('hex')], [4, 0, '000600000d0f']);
    assert.throws(() => decodeAll(hex('86 000000 aa')), isCode('RTMP_CHUNK_HEADER'));
    assert.throws(() => decodeAll(hex('c6 aa')), isCode('RTMP_CHUNK_HEADER'));
  });

  it('refuses a new message header before the previous message on that chunk stream completed', () => {
    const first = encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: Buffer.alloc(200) }, 128);
    const cut = first.subarray(0, 12 + 128);
    assert.throws(() => decodeAll(Buffer.concat([cut, first])), isCode('RTMP_CHUNK_HEADER'));
  });

  it('refuses a declared length over maxMessageSize before any payload arrives', () => {
    const header = hex('04 000000 0003e9 09 01000000');
    assert.throws(() => decodeAll(header, { maxMessageSize: 1000 }), isCode('RTMP_MESSAGE_TOO_LARGE'));
    assert.equal(
      decodeAll(
        Buffer.concat([hex('04 000000 0003e8 09 01000000'), Buffer.alloc(1000)]),
        { maxMessageSize: 1000 },
        1000,
      ).length,
      1,
    );
  });

  it('refuses more distinct chunk streams than maxChunkStreams', () => {
    const many = Buffer.concat(
      Array.from({ length: 65 }, (_, i) =>
        encodeChunks({ csid: 3 + i, typeId: 8, streamId: 1, timestamp: 0, payload: Buffer.of(1) }, 128),
      ),
    );
    assert.throws(() => decodeAll(many), isCode('RTMP_CHUNK_STREAM_LIMIT'));
    assert.equal(decodeAll(many, { maxChunkStreams: 65 }).length, 65);
  });
});

describe('ChunkDecoder on ffmpeg bytes', () => {
  const { chunks } = ffmpegPublishCapture();
  const whole = decodeAll(chunks);

  it('decodes the capture into ffmpeg’s commands, metadata and video', () => {
    assert.deepEqual(
      whole.slice(0, 6).map((m) => [m.csid, m.typeId, m.streamId]),
      [
        [3, 20, 0], // connect
        [3, 20, 0], // releaseStream (fmt 1)
        [3, 20, 0], // FCPublish
        [3, 20, 0], // createStream
        [8, 20, 1], // publish
        [4, 18, 1], // @setDataFrame
      ],
    );
    assert.ok(whole.filter((m) => m.typeId === 9).length >= 25, 'a second of 25 fps video');
  });

  it('gives the same messages fed one byte at a time and split at every offset', () => {
    assert.deepEqual(decodeSplit(chunks, [...chunks.keys()].slice(1)), whole);
    for (let cut = 1; cut < chunks.length; cut += 1) {
      const got = decodeSplit(chunks, [cut]);
      if (got.length !== whole.length || !got.every((m, i) => m.payload.equals(whole[i]!.payload))) {
        assert.fail(`split at ${cut} changed the messages`);
      }
    }
  });
});

const messageArb = fc
  .record({
    csid: fc.oneof(fc.integer({ min: 3, max: 63 }), fc.integer({ min: 64, max: 65599 })),
    typeId: fc.integer({ min: 3, max: 255 }),
    streamId: fc.integer({ min: 0, max: 0xffffffff }),
    timestamp: fc.oneof(fc.integer({ min: 0, max: 0xffffff + 10 }), fc.integer({ min: 0, max: 0xffffffff })),
    payload: fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
  })
  .map((m): RtmpMessage => ({ ...m }));

describe('ChunkDecoder properties', () => {
  it('decode(encode(messages)) = messages for random messages, chunk sizes and splits', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 12 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (msgs, chunkSize, rawCuts) => {
          const bytes = Buffer.concat(msgs.map((m) => encodeChunks(m, chunkSize)));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const d = new ChunkDecoder({ maxChunkStreams: 100, ...tiny });
          d.setChunkSize(chunkSize);
          const out: RtmpMessage[] = [];
          let from = 0;
          for (const cut of [...cuts, bytes.length]) {
            d.push(bytes.subarray(from, cut), out);
            from = cut;
          }
          assert.deepEqual(out, msgs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('interleaved chunk streams decode to the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 6 }),
        fc.integer({ min: 1, max: 64 }),
        fc.nat(),
        (msgs, chunkSize, seed) => {
          // One message per chunk stream, so any interleaving of their chunks is a valid stream.
          const unique = msgs.map((m, i) => ({ ...m, csid: 3 + i }));
          const queues = unique.map((m) => splitChunks(encodeChunks(m, chunkSize), m, chunkSize));
          const parts: Buffer[] = [];
          for (let s = seed; queues.some((q) => q.length > 0); s = (s * 1103515245 + 12345) >>> 0) {
            const live = queues.filter((q) => q.length > 0);
            parts.push(live[s % live.length]!.shift()!);
          }
          const out = decodeAll(Buffer.concat(parts), {}, chunkSize);
          const byCsid = (a: RtmpMessage, b: RtmpMessage) => a.csid - b.csid;
          assert.deepEqual(out.sort(byCsid), unique);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random bytes produce messages or a ProtocolError, never another exception or a hang', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), (bytes, chunkSize) => {
        const d = new ChunkDecoder({ maxMessageSize: 64 * 1024, ...tiny });
        d.setChunkSize(chunkSize);
        try {
          d.push(Buffer.from(bytes));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Cuts one encoded message back into its chunks (fmt 0 first, then fmt 3 continuations). */
function splitChunks(encoded: Buffer, msg: RtmpMessage, chunkSize: number): Buffer[] {
  const basic = msg.csid < 64 ? 1 : msg.csid < 320 ? 2 : 3;
  const ext = msg.timestamp >= 0xffffff ? 4 : 0;
  const out: Buffer[] = [];
  let pos = 0;
  let left = msg.payload.length;
  let header = basic + 11 + ext;
  do {
    const n = Math.min(chunkSize, left);
    out.push(encoded.subarray(pos, pos + header + n));
    pos += header + n;
    left -= n;
    header = basic + ext;
  } while (left > 0);
  return out;
}
