/** The AMF0 decoder's bounds (docs/security.md "RTMP"): hostile bodies cost bounded work and memory. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { amf0LimitDefaults, decodeAmf0, decodeAmf0All } from './amf0-decoder.ts';
import { encodeAmf0 } from './amf0-encoder.ts';
import { Amf0EcmaArray, type Amf0Value } from './amf0-value.ts';

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.code === code);
}

function objectOf(n: number, Kind: typeof Map<string, Amf0Value> = Map): Map<string, Amf0Value> {
  const m = new Kind();
  for (let i = 0; i < n; i++) m.set(`k${i}`, null);
  return m;
}

describe('AMF0 properties per object or ECMA array', () => {
  const max = amf0LimitDefaults.maxProperties;
  it(`accepts ${max}, refuses ${max + 1} with AMF0_PROPERTY_LIMIT`, () => {
    assert.equal((decodeAmf0(encodeAmf0(objectOf(max))).value as Map<string, Amf0Value>).size, max);
    assertCode(() => decodeAmf0(encodeAmf0(objectOf(max + 1))), 'AMF0_PROPERTY_LIMIT');
    assertCode(() => decodeAmf0(encodeAmf0(objectOf(max + 1, Amf0EcmaArray))), 'AMF0_PROPERTY_LIMIT');
  });

  it('counts repeated keys too: a Map dedupes them, the work does not', () => {
    const pairs = Buffer.concat(Array.from({ length: max + 1 }, () => Buffer.from('000161' + '05', 'hex')));
    assertCode(
      () => decodeAmf0(Buffer.concat([Buffer.of(0x03), pairs, Buffer.from('000009', 'hex')])),
      'AMF0_PROPERTY_LIMIT',
    );
  });

  it('takes its limit from the call', () => {
    assertCode(
      () => decodeAmf0(encodeAmf0(objectOf(3)), 0, { ...amf0LimitDefaults, maxProperties: 2 }),
      'AMF0_PROPERTY_LIMIT',
    );
  });
});

describe('AMF0 values per body', () => {
  const max = amf0LimitDefaults.maxValues;
  it(`accepts ${max} values, refuses ${max + 1} with AMF0_VALUE_LIMIT, nested ones included`, () => {
    assert.equal(decodeAmf0All(Buffer.alloc(max, 0x05)).length, max);
    assertCode(() => decodeAmf0All(Buffer.alloc(max + 1, 0x05)), 'AMF0_VALUE_LIMIT');
    // One strict array of max nulls is max + 1 values.
    const arr = Buffer.concat([Buffer.of(0x0a, 0, 0, 0, 0), Buffer.alloc(max, 0x05)]);
    arr.writeUInt32BE(max, 1);
    assertCode(() => decodeAmf0(arr), 'AMF0_VALUE_LIMIT');
    arr.writeUInt32BE(max - 1, 1);
    assert.equal((decodeAmf0(arr.subarray(0, arr.length - 1)).value as unknown[]).length, max - 1);
  });

  it('refuses a strict array that claims more items than the limit before reading one', () => {
    const arr = Buffer.concat([Buffer.of(0x0a, 0, 0, 0, 0), Buffer.alloc(20_000, 0x05)]);
    arr.writeUInt32BE(20_000, 1);
    assertCode(() => decodeAmf0(arr), 'AMF0_VALUE_LIMIT');
  });

  it('a count of 2^32-1 with 3 bytes behind it is AMF0_TRUNCATED and allocates nothing', () => {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++)
      assertCode(() => decodeAmf0(Buffer.from('0affffffff050505', 'hex')), 'AMF0_TRUNCATED');
    assert.ok(process.memoryUsage().heapUsed - before < 16 * 1024 * 1024);
  });
});

describe('AMF0 string lengths', () => {
  const longString = (n: number) => {
    const b = Buffer.alloc(5 + n, 0x61);
    b[0] = 0x0c;
    b.writeUInt32BE(n, 1);
    return b;
  };
  it('accepts a long string at maxStringLength, refuses one byte more with AMF0_STRING_LIMIT', () => {
    const max = amf0LimitDefaults.maxStringLength;
    assert.equal((decodeAmf0(longString(max)).value as string).length, max);
    assertCode(() => decodeAmf0(longString(max + 1)), 'AMF0_STRING_LIMIT');
    assertCode(() => decodeAmf0(longString(11), 0, { ...amf0LimitDefaults, maxStringLength: 10 }), 'AMF0_STRING_LIMIT');
  });

  it('a length that lies about the bytes behind it stays AMF0_TRUNCATED', () => {
    assertCode(() => decodeAmf0(Buffer.from('0cffffffff61', 'hex')), 'AMF0_TRUNCATED');
  });
});

describe('AMF0 decode work', () => {
  it('any 64 KiB body (the command size cap) decodes or is refused within a small time budget', () => {
    // Worst shapes for the decoder: all nulls, empty objects, empty-key properties, deep nesting.
    const shapes = [
      Buffer.alloc(65536, 0x05),
      Buffer.concat(Array.from({ length: 16384 }, () => Buffer.from('03000009', 'hex'))),
      Buffer.concat([
        Buffer.of(0x08, 0, 0, 0, 0),
        ...Array.from({ length: 16000 }, () => Buffer.from('000005', 'hex')),
      ]),
      Buffer.alloc(65536, 0x03),
    ];
    for (const body of shapes) {
      const start = performance.now();
      try {
        decodeAmf0All(body);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err));
      }
      const ms = performance.now() - start;
      assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    }
  });

  it('random bytes with tiny limits give values or a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(8), fc.nat(30), (bytes, maxProperties, maxValues) => {
        try {
          decodeAmf0All(Buffer.from(bytes), { maxProperties, maxValues, maxStringLength: 50 });
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
