/** The chunk layer's limits (docs/security.md "RTMP"): each refused with its code before bytes are held. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { ChunkDecoder } from './chunk-decoder.ts';
import { chunkDecoderDefaults, type ChunkDecoderOptions } from './chunk-limits.ts';
import { encodeChunks } from './chunk-encoder.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function isCode(code: string) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

/** A fmt 0 header on `csid` announcing a `length`-byte message of `typeId` (RTMP 1.0 §5.3.1.2.1). */
function header(csid: number, typeId: number, length: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = csid;
  h.writeUIntBE(length, 4, 3);
  h[7] = typeId;
  h.writeUInt32LE(1, 8);
  return h;
}

function setChunkSize(size: number): Buffer {
  const b = hex('02 000000 000004 01 00000000 00000000');
  b.writeUInt32BE(size, 12);
  return b;
}

function push(bytes: Buffer, options?: ChunkDecoderOptions): ChunkDecoder {
  const d = new ChunkDecoder(options);
  d.push(bytes);
  return d;
}

describe('minimum peer chunk size (rtmp.minChunkSize)', () => {
  it('refuses Set Chunk Size below 128 with RTMP_CHUNK_SIZE_TOO_SMALL, accepts 128', () => {
    for (const size of [1, 2, 64, 127]) {
      assert.throws(() => push(setChunkSize(size)), isCode('RTMP_CHUNK_SIZE_TOO_SMALL'), `size ${size}`);
    }
    assert.equal(push(setChunkSize(128)).chunkSize, 128);
    // 0 and the top bit stay protocol violations (RTMP 1.0 §5.4.1), not a limit.
    assert.throws(() => push(setChunkSize(0)), isCode('RTMP_CHUNK_SIZE'));
    assert.throws(() => new ChunkDecoder().setChunkSize(1), isCode('RTMP_CHUNK_SIZE_TOO_SMALL'));
  });

  it('takes its minimum from the options', () => {
    assert.equal(push(setChunkSize(16), { minChunkSize: 16 }).chunkSize, 16);
    assert.throws(() => push(setChunkSize(15), { minChunkSize: 16 }), isCode('RTMP_CHUNK_SIZE_TOO_SMALL'));
  });
});

describe('message size per type', () => {
  const cases: [what: string, typeId: number, limit: number][] = [
    ['AMF0 command', 20, chunkDecoderDefaults.maxCommandSize],
    ['AMF3 command', 17, chunkDecoderDefaults.maxCommandSize],
    ['AMF0 data', 18, chunkDecoderDefaults.maxCommandSize],
    ['AMF3 data', 15, chunkDecoderDefaults.maxCommandSize],
    ['shared object', 19, chunkDecoderDefaults.maxCommandSize],
    ['an unknown type', 7, chunkDecoderDefaults.maxCommandSize],
    ['Window Ack Size', 5, chunkDecoderDefaults.maxControlSize],
    ['User Control', 4, chunkDecoderDefaults.maxControlSize],
    // The 16 MiB media default is more than the 24-bit length can say, so media is tested at 1 MiB.
    ['video', 9, 1 << 20],
    ['aggregate', 22, 1 << 20],
  ];
  const options = { maxMessageSize: 1 << 20 };
  for (const [what, typeId, limit] of cases) {
    it(`refuses ${what} (type ${typeId}) over ${limit} bytes from its header alone, accepts ${limit}`, () => {
      const d = new ChunkDecoder(options);
      assert.throws(() => d.push(header(3, typeId, limit + 1)), isCode('RTMP_MESSAGE_TOO_LARGE'));
      assert.equal(d.partialBytes, 0, 'nothing held for the refused message');
      const ok = new ChunkDecoder(options);
      assert.deepEqual(ok.push(header(3, typeId, limit)), []);
    });
  }

  it('names the type and its key in the refusal', () => {
    assert.throws(
      () => push(header(3, 20, 70_000)),
      /command message \(type 20\) of 70000 bytes .* \(rtmp\.maxCommandSize\)/,
    );
    assert.throws(() => push(header(3, 9, 2 << 20), options), /media message \(type 9\).*\(rtmp\.maxMessageSize\)/);
  });

  it('takes each limit from the options', () => {
    const options = { maxCommandSize: 100, maxControlSize: 8, maxMessageSize: 1000 };
    assert.throws(() => push(header(3, 18, 101), options), isCode('RTMP_MESSAGE_TOO_LARGE'));
    assert.throws(() => push(header(3, 3, 9), options), isCode('RTMP_MESSAGE_TOO_LARGE'));
    assert.throws(() => push(header(3, 8, 1001), options), isCode('RTMP_MESSAGE_TOO_LARGE'));
    assert.equal(push(Buffer.concat([header(3, 18, 100), Buffer.alloc(100)]), options).buffered, 0);
  });
});

describe('bytes held in partial messages (rtmp.maxPartialBytes)', () => {
  it('counts every chunk stream together and refuses the header that would pass the limit', () => {
    const d = new ChunkDecoder({ maxPartialBytes: 1000 });
    // Two 400-byte video messages, each cut after its first 128-byte chunk.
    d.push(Buffer.concat([header(4, 9, 400), Buffer.alloc(128), header(5, 9, 400), Buffer.alloc(128)]));
    assert.equal(d.partialBytes, 800);
    assert.throws(() => d.push(header(6, 9, 201)), isCode('RTMP_PARTIAL_LIMIT'));
  });

  it('gives the bytes back when a message completes or is aborted (RTMP 1.0 §5.4.2)', () => {
    const d = new ChunkDecoder({ maxPartialBytes: 1000 });
    d.push(Buffer.concat([header(4, 9, 600), Buffer.alloc(128)]));
    assert.equal(d.partialBytes, 600);
    const rest = [];
    for (let left = 600 - 128; left > 0; left -= 128) rest.push(Buffer.of(0xc4), Buffer.alloc(Math.min(128, left)));
    assert.equal(d.push(Buffer.concat(rest)).length, 1);
    assert.equal(d.partialBytes, 0);
    d.push(Buffer.concat([header(5, 9, 900), Buffer.alloc(128)]));
    assert.equal(d.partialBytes, 900);
    d.push(hex('02 000000 000004 02 00000000 00000005'));
    assert.equal(d.partialBytes, 0);
    d.push(Buffer.concat([header(5, 9, 1000), Buffer.alloc(128)]));
    assert.equal(d.partialBytes, 1000);
  });

  it('refuses a single-chunk message over the limit before waiting for its bytes', () => {
    const d = new ChunkDecoder({ maxPartialBytes: 1000 });
    d.setChunkSize(4096);
    assert.throws(() => d.push(header(4, 9, 1001)), isCode('RTMP_PARTIAL_LIMIT'));
  });

  it('defaults to one largest message plus 1 MiB', () => {
    const d = new ChunkDecoder({ maxMessageSize: 2 << 20 });
    d.push(Buffer.concat([header(4, 9, 2 << 20), Buffer.alloc(128), header(5, 9, 1 << 20), Buffer.alloc(128)]));
    assert.throws(() => d.push(header(6, 8, 1)), isCode('RTMP_PARTIAL_LIMIT'));
  });

  it('never holds more than the limit, whatever the peer sends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 3, max: 20 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 30 }),
        (msgs) => {
          const d = new ChunkDecoder({ maxPartialBytes: 4000, maxMessageSize: 3000 });
          try {
            for (const [csid, length] of msgs) {
              d.push(Buffer.concat([header(csid, 9, length), Buffer.alloc(Math.min(length, 128))]));
              assert.ok(d.partialBytes <= 4000);
            }
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('assembly memory', () => {
  it('a 4 MB message in 1-byte chunks costs about 4 MB, not a Buffer view per chunk', () => {
    // Before: 4 M subarray views (~130 bytes each) of the received reads, ~550 MB for this message.
    const length = 4 * 1024 * 1024;
    const d = new ChunkDecoder({ minChunkSize: 1 });
    d.push(setChunkSize(1));
    d.push(Buffer.concat([header(6, 9, length), Buffer.of(0x27)]));
    const before = process.memoryUsage();
    const read = Buffer.alloc(64 * 1024);
    for (let i = 0; i < read.length; i += 2) read[i] = 0xc6;
    let out: ReturnType<ChunkDecoder['push']> = [];
    for (let sent = 1; sent < length; sent += read.length / 2) {
      const n = Math.min(read.length / 2, length - sent);
      out = d.push(Buffer.from(read.subarray(0, 2 * n)));
    }
    const after = process.memoryUsage();
    assert.equal(out.length, 1);
    assert.equal(out[0]!.payload.length, length);
    const grown = after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers;
    assert.ok(grown < 32 * 1024 * 1024, `grew ${(grown / 1e6).toFixed(0)} MB`);
  });

  it('a multi-chunk message is a copy of its own, not views of the received reads', () => {
    const wire = encodeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(1000, 7) }, 128);
    const [msg] = new ChunkDecoder().push(wire);
    wire.fill(0);
    assert.equal(msg!.payload.length, 1000);
    assert.ok(msg!.payload.every((b) => b === 7));
  });
});

describe('limits and splits', () => {
  /** The messages and the error code (if any) a decoder gives for `bytes` fed in pieces cut at `cuts`. */
  function outcome(bytes: Buffer, cuts: number[], options: ChunkDecoderOptions): { payloads: string[]; code?: string } {
    const d = new ChunkDecoder(options);
    const out: ReturnType<ChunkDecoder['push']> = [];
    let from = 0;
    try {
      for (const cut of [...cuts, bytes.length]) {
        d.push(bytes.subarray(from, cut), out);
        from = cut;
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return { payloads: out.map((m) => m.payload.toString('hex')), code: err.code };
    }
    return { payloads: out.map((m) => m.payload.toString('hex')) };
  }

  it('split at any offsets gives the messages and the refusal of the whole, whatever the limits', () => {
    const msgArb = fc.record({
      csid: fc.integer({ min: 3, max: 12 }),
      typeId: fc.constantFrom(1, 4, 8, 9, 18, 20, 22),
      payload: fc.integer({ min: 0, max: 900 }).map((n) => Buffer.alloc(n, 0x5a)),
    });
    fc.assert(
      fc.property(
        fc.array(msgArb, { maxLength: 8 }),
        fc.record({
          maxMessageSize: fc.integer({ min: 1, max: 1000 }),
          maxCommandSize: fc.integer({ min: 1, max: 1000 }),
          maxControlSize: fc.integer({ min: 1, max: 1000 }),
          maxPartialBytes: fc.integer({ min: 1, max: 3000 }),
          maxChunkStreams: fc.integer({ min: 1, max: 12 }),
        }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (msgs, options, rawCuts) => {
          // Control messages of types 1 and 4 get bodies the decoder accepts (chunk size 128, a ping).
          const wire = Buffer.concat(
            msgs.map((m) => {
              const payload =
                m.typeId === 1
                  ? Buffer.from('00000080', 'hex')
                  : m.typeId === 4
                    ? Buffer.from('000600000001', 'hex')
                    : m.payload;
              return encodeChunks({ csid: m.csid, typeId: m.typeId, streamId: 1, timestamp: 0, payload }, 128);
            }),
          );
          const cuts = [...new Set(rawCuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          assert.deepEqual(outcome(wire, cuts, options), outcome(wire, [], options));
        },
      ),
      { numRuns: 500 },
    );
  });
});
