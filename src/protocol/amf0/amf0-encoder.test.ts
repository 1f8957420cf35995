import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LiveError, ProtocolError } from '../../errors.ts';
import { hex } from '../../../test/fixtures/fixture.ts';
import { decodeAmf0, decodeAmf0All } from './amf0-decoder.ts';
import { encodeAmf0 } from './amf0-encoder.ts';
import { Amf0EcmaArray, amf0Object, type Amf0Value } from './amf0-value.ts';

describe('encodeAmf0 byte table', () => {
  const table: [string, Amf0Value, string][] = [
    ['integer as a double', 3, '00 4008000000000000'],
    ['negative zero', -0, '00 8000000000000000'],
    ['infinity', -Infinity, '00 fff0000000000000'],
    ['boolean', true, '01 01'],
    ['string', 'hi', '02 0002 6869'],
    ['null', null, '05'],
    ['undefined', undefined, '06'],
    ['date with time zone 0', new Date(1_000_000_000_000), '0b 426d1a94a2000000 0000'],
    ['strict array', [1, 'a'], '0a 00000002 00 3ff0000000000000 02 0001 61'],
    ['object', amf0Object({ a: null, b: false }), '03 0001 61 05 0001 62 01 00 0000 09'],
    ['ECMA array with its count', new Amf0EcmaArray([['k', 'v']]), '08 00000001 0001 6b 02 0001 76 0000 09'],
    ['empty object', new Map(), '03 0000 09'],
  ];
  for (const [name, value, bytes] of table) {
    it(name, () => assert.deepEqual(encodeAmf0(value), hex(bytes)));
  }

  it('writes several values back to back, as an RTMP command', () => {
    const buf = encodeAmf0('_result', 1, null, amf0Object({ code: 'NetConnection.Connect.Success' }));
    assert.deepEqual(decodeAmf0All(buf), ['_result', 1, null, amf0Object({ code: 'NetConnection.Connect.Success' })]);
  });

  it('switches to a long string only past 65535 UTF-8 bytes', () => {
    const short = encodeAmf0('a'.repeat(0xffff));
    assert.equal(short[0], 0x02);
    assert.equal(short.readUInt16BE(1), 0xffff);
    const long = encodeAmf0('é'.repeat(32768)); // 65536 bytes, 32768 UTF-16 units
    assert.equal(long[0], 0x0c);
    assert.equal(long.readUInt32BE(1), 65536);
    assert.equal(decodeAmf0(long).value, 'é'.repeat(32768));
  });

  it('encodes holes in a sparse array as undefined', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3] as Amf0Value[];
    assert.deepEqual(encodeAmf0(sparse), hex('0a 00000003 00 3ff0000000000000 06 00 4008000000000000'));
  });
});

describe('encodeAmf0 refuses what AMF0 cannot carry', () => {
  const cyclic = new Map<string, Amf0Value>();
  cyclic.set('self', cyclic);
  const cases: [string, unknown][] = [
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
    ['a bigint', 1n],
    ['a plain object', { a: 1 }],
    ['a Set', new Set([1])],
    ['a non-string key', new Map([[1, 1]])],
    ['a key over 65535 bytes', new Map([['k'.repeat(0x10000), 1]])],
    ['a cyclic object', cyclic],
    ['a function deep inside', [amf0Object({ a: [() => 1] as unknown as Amf0Value })]],
  ];
  for (const [name, value] of cases) {
    it(name, () => {
      assert.throws(
        () => encodeAmf0(value as Amf0Value),
        (err: unknown) =>
          err instanceof LiveError && !(err instanceof ProtocolError) && err.code === 'AMF0_UNENCODABLE',
      );
    });
  }
});

/** A tagged, order-preserving view of a value so deepEqual also checks Map key order and kind. */
function canonical(value: Amf0Value): unknown {
  if (value instanceof Date) return { date: value.getTime() };
  if (Array.isArray(value)) return { array: value.map(canonical) };
  if (value instanceof Map) {
    const kind = value instanceof Amf0EcmaArray ? 'ecma' : 'object';
    return { [kind]: [...value].map(([k, v]) => [k, canonical(v)]) };
  }
  return value;
}

const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', ''));
const leaf = fc.oneof(
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity),
  fc.boolean(),
  fc.string({ unit: 'binary' }),
  fc.constant(null),
  fc.constant(undefined),
  fc.date(),
);
const { value: amf0Value } = fc.letrec<{ value: Amf0Value }>((tie) => {
  const entries = fc.uniqueArray(fc.tuple(key, tie('value')), { selector: ([k]) => k, maxLength: 5 });
  return {
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 5 }),
      entries.map((e) => new Map(e)),
      entries.map((e) => new Amf0EcmaArray(e)),
    ),
  };
});

describe('encodeAmf0 / decodeAmf0 properties', () => {
  it('decode(encode(x)) equals x, including key order, -0, NaN, dates and unicode', () => {
    fc.assert(
      fc.property(fc.array(amf0Value, { maxLength: 4 }), (values) => {
        const decoded = decodeAmf0All(encodeAmf0(...values));
        assert.deepEqual(decoded.map(canonical), values.map(canonical));
      }),
      { numRuns: 2000 },
    );
  });

  it('every proper prefix of an encoded value is AMF0_TRUNCATED, never a wrong value', () => {
    fc.assert(
      fc.property(amf0Value, (value) => {
        const buf = encodeAmf0(value);
        for (let cut = 0; cut < buf.length; cut++) {
          assert.throws(
            () => decodeAmf0(buf.subarray(0, cut)),
            (err: unknown) => err instanceof ProtocolError && err.code === 'AMF0_TRUNCATED',
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
