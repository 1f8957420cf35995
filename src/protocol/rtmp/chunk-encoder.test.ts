import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mediaMessage, MediaType } from '../media.ts';
import { ChunkDecoder } from './chunk-decoder.ts';
import { ChunkStreamId, encodeChunks, encodedChunksSize, encodeRtmpMedia } from './chunk-encoder.ts';

describe('encodeRtmpMedia', () => {
  it('uses a fixed chunk stream per type, fmt 0 and the absolute timestamp on message stream 1', () => {
    const video = encodeRtmpMedia(mediaMessage(MediaType.Video, 0x123456, Buffer.of(0x17, 1, 0, 0, 0)), 4096);
    assert.equal(video.toString('hex'), '07' + '123456' + '000005' + '09' + '01000000' + '1701000000');
    const audio = encodeRtmpMedia(mediaMessage(MediaType.Audio, 7, Buffer.of(0xaf, 1)), 4096, 5);
    assert.equal(audio.toString('hex'), '06' + '000007' + '000002' + '08' + '05000000' + 'af01');
    const data = encodeRtmpMedia(mediaMessage(MediaType.Data, 0, Buffer.of(2, 0, 0)), 4096);
    assert.equal(data[0], ChunkStreamId.Data);
  });

  it('produces bytes any fresh player decoder reads, whatever it received before', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(MediaType.Audio, MediaType.Video, MediaType.Data),
            timestamp: fc.integer({ min: 0, max: 0xffffffff }),
            payload: fc.uint8Array({ minLength: 1, maxLength: 9000 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 7 }),
        (raw, joinAt) => {
          const msgs = raw.map((m) => mediaMessage(m.type, m.timestamp, Buffer.from(m.payload)));
          const shared = msgs.map((m) => encodeRtmpMedia(m, 4096));
          // A player that joins late gets a suffix of the same Buffers and must decode them alike.
          const start = joinAt % msgs.length;
          const d = new ChunkDecoder();
          d.setChunkSize(4096);
          const got = d.push(Buffer.concat(shared.slice(start)));
          assert.deepEqual(
            got.map((g) => [g.typeId, g.timestamp, g.streamId, g.payload.toString('hex')]),
            msgs.slice(start).map((m) => [m.type, m.timestamp, 1, m.payload.toString('hex')]),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('allocates exactly the size it announces', () => {
    for (const [csid, ts, len, cs] of [
      [3, 0, 0, 128],
      [64, 0xffffff, 129, 128],
      [400, 5, 4096, 4096],
      [5, 0xfffffffe, 10000, 1],
    ] as const) {
      const buf = encodeChunks({ csid, typeId: 9, streamId: 1, timestamp: ts, payload: Buffer.alloc(len) }, cs);
      assert.equal(buf.length, encodedChunksSize(csid, ts, len, cs));
    }
  });
});
