import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { maxAggregateParts, splitAggregate } from './aggregate.ts';
import type { RtmpMessage } from './chunk-decoder.ts';

function isCode(code: string) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

/** One FLV-tag-shaped sub-message with its back pointer (RTMP 1.0 §7.1.6). */
function tag(typeId: number, time: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(11);
  h[0] = typeId;
  h.writeUIntBE(payload.length, 1, 3);
  h.writeUIntBE(time & 0xffffff, 4, 3);
  h[7] = time >>> 24;
  const back = Buffer.alloc(4);
  back.writeUInt32BE(11 + payload.length);
  return Buffer.concat([h, payload, back]);
}

function aggregate(payload: Buffer, timestamp = 1000): RtmpMessage {
  return { csid: 6, typeId: 22, streamId: 1, timestamp, payload };
}

describe('splitAggregate', () => {
  it('splits FLV-shaped sub-messages, rebasing their times on the aggregate’s', () => {
    const parts = splitAggregate(
      aggregate(
        Buffer.concat([tag(9, 500, Buffer.of(0x17, 1)), tag(8, 520, Buffer.of(0xaf)), tag(18, 540, Buffer.of(2))]),
      ),
    );
    assert.deepEqual(
      parts.map((m) => [m.typeId, m.timestamp, m.payload.toString('hex')]),
      [
        [9, 1000, '1701'],
        [8, 1020, 'af'],
        [18, 1040, '02'],
      ],
    );
  });

  it(`accepts ${maxAggregateParts} sub-messages and refuses one more with RTMP_AGGREGATE_LIMIT`, () => {
    const one = tag(8, 0, Buffer.alloc(0));
    assert.equal(
      splitAggregate(aggregate(Buffer.concat(Array(maxAggregateParts).fill(one)))).length,
      maxAggregateParts,
    );
    assert.throws(
      () => splitAggregate(aggregate(Buffer.concat(Array(maxAggregateParts + 1).fill(one)))),
      isCode('RTMP_AGGREGATE_LIMIT'),
    );
  });

  it('refuses a sub-message that is an aggregate itself (it would recurse) or a command', () => {
    for (const typeId of [22, 20, 1]) {
      assert.throws(() => splitAggregate(aggregate(tag(typeId, 0, Buffer.alloc(4)))), isCode('RTMP_MESSAGE_INVALID'));
    }
  });

  it('random bytes give sub-messages or a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          splitAggregate(aggregate(Buffer.from(bytes)));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
