import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { BitWriter, nalUnit } from '../../../test/fixtures/bit-writer.ts';
import { hex } from '../../../test/fixtures/fixture.ts';
import { BitReader, nalToRbsp } from './bit-reader.ts';

const invalid = (err: unknown): boolean => err instanceof ProtocolError && err.code === 'CODEC_CONFIG_INVALID';

/** Packs a string of 0/1 characters, zero-padded, into bytes. */
function bits(s: string): Buffer {
  const padded = s.padEnd(Math.ceil(s.length / 8) * 8, '0');
  return Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}

describe('BitReader', () => {
  it('reads Exp-Golomb codes as H.264 Table 9-2 lists them', () => {
    const table: [string, number, number][] = [
      ['1', 0, 0],
      ['010', 1, 1],
      ['011', 2, -1],
      ['00100', 3, 2],
      ['00111', 6, -3],
      ['0001000', 7, 4],
      ['000010001', 16, -8],
    ];
    for (const [code, ue, se] of table) {
      assert.equal(new BitReader(bits(code)).readUE(), ue, code);
      assert.equal(new BitReader(bits(code)).readSE(), se, code);
    }
  });

  it('reads fields across byte boundaries, up to 32 bits, without sign trouble', () => {
    const r = new BitReader(hex('ab cd ff ff ff ff 80'));
    assert.equal(r.readBits(4), 0xa);
    assert.equal(r.readBits(8), 0xbc);
    assert.equal(r.readBits(4), 0xd);
    assert.equal(r.readBits(32), 0xffffffff);
    assert.equal(r.bitsLeft, 8);
    assert.equal(r.readBit(), 1);
    r.byteAlign();
    assert.equal(r.bitsLeft, 0);
  });

  it('throws CODEC_CONFIG_INVALID past the end and for over-long Exp-Golomb codes', () => {
    assert.throws(() => new BitReader(hex('ff')).readBits(9), invalid);
    assert.throws(() => new BitReader(hex('00')).readUE(), invalid);
    assert.throws(() => new BitReader(hex('ff')).skipBits(9), invalid);
    assert.throws(() => new BitReader(hex('00000000 ff')).readUE(), invalid); // 32 leading zeros
    assert.equal(new BitReader(bits('0'.repeat(31) + '1' + '1'.repeat(31))).readUE(), 2 ** 32 - 2);
  });

  it('reads back what BitWriter wrote', () => {
    const field = fc.oneof(
      fc.record({ kind: fc.constant('u' as const), n: fc.integer({ min: 1, max: 32 }), v: fc.nat() }),
      fc.record({ kind: fc.constant('ue' as const), n: fc.constant(0), v: fc.nat({ max: 2 ** 31 }) }),
      fc.record({
        kind: fc.constant('se' as const),
        n: fc.constant(0),
        v: fc.integer({ min: -(2 ** 30), max: 2 ** 30 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), (fields) => {
        const w = new BitWriter();
        const expected = fields.map((f) => {
          if (f.kind === 'u') {
            const v = f.v % 2 ** f.n;
            w.u(f.n, v);
            return v;
          }
          w[f.kind](f.v);
          return f.v;
        });
        const r = new BitReader(w.bytes());
        const got = fields.map((f) => (f.kind === 'u' ? r.readBits(f.n) : f.kind === 'ue' ? r.readUE() : r.readSE()));
        assert.deepEqual(got, expected);
      }),
    );
  });
});

describe('nalToRbsp', () => {
  it('removes the 03 of every 00 00 03 and nothing else', () => {
    assert.deepEqual(nalToRbsp(hex('67 00 00 03 01 00 00 03 00 00 03 03 05')), hex('67 00 00 01 00 00 00 00 03 05'));
    assert.deepEqual(nalToRbsp(hex('00 03 00 00 00 03')), hex('00 03 00 00 00'));
  });

  it('returns its input, uncopied, when there is nothing to remove', () => {
    const nal = hex('67 64 00 28 03 00 03');
    assert.equal(nalToRbsp(nal), nal);
  });

  it('undoes emulation prevention for any payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (rbsp) => {
        const nal = nalUnit([0x67], Buffer.from(rbsp));
        assert.deepEqual(nalToRbsp(nal).subarray(1), Buffer.from(rbsp));
      }),
      { numRuns: 2000 },
    );
  });
});
