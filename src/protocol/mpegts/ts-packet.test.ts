import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readTimestamp } from '../../../test/support/ts-reader.ts';
import { TS_CLOCK_WRAP, wrap33, writePacketHeader, writePcr, writeTimestamp } from './ts-packet.ts';

test('a PTS is 4 prefix bits, then 3 + 15 + 15 bits of the time, each part closed by a marker bit of 1', () => {
  const b = Buffer.alloc(5);
  writeTimestamp(b, 0, 0x2, 0);
  assert.deepEqual([...b], [0x21, 0x00, 0x01, 0x00, 0x01]);
  writeTimestamp(b, 0, 0x3, TS_CLOCK_WRAP - 1);
  assert.deepEqual([...b], [0x3f, 0xff, 0xff, 0xff, 0xff]);
  // 0x123456789 as 33 bits: '100' '100011010001010' '110011110001001'; with prefix '0001' and markers:
  // 0001 100 1 | 10001101 | 0001010 1 | 11001111 | 0001001 1
  writeTimestamp(b, 0, 0x1, 0x123456789);
  assert.deepEqual([...b], [0x19, 0x8d, 0x15, 0xcf, 0x13]);
});

test('PTS fields round-trip random 33-bit values through an independent reader, markers set', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: TS_CLOCK_WRAP - 1 }), fc.constantFrom(1, 2, 3), (t, prefix) => {
      const b = Buffer.alloc(7, 0xaa);
      writeTimestamp(b, 1, prefix, t);
      const read = readTimestamp(b, 1);
      assert.equal(read.value, t);
      assert.equal(read.prefix, prefix);
      assert.ok(read.markersOk);
      assert.equal(b[0], 0xaa);
      assert.equal(b[6], 0xaa);
    }),
  );
});

test('a PCR is the 33-bit base, six reserved 1-bits and a zero 9-bit extension', () => {
  const b = Buffer.alloc(6);
  writePcr(b, 0, 0);
  assert.deepEqual([...b], [0, 0, 0, 0, 0x7e, 0]);
  writePcr(b, 0, TS_CLOCK_WRAP - 1);
  assert.deepEqual([...b], [0xff, 0xff, 0xff, 0xff, 0xfe, 0]);
  writePcr(b, 0, 0x123456789);
  // base >> 1 = 0x91A2B3C4; its last bit 1 leads the byte with the reserved bits.
  assert.deepEqual([...b], [0x91, 0xa2, 0xb3, 0xc4, 0xfe, 0]);
});

test('wrap33 brings unwrapped and negative times into [0, 2^33)', () => {
  assert.equal(wrap33(0), 0);
  assert.equal(wrap33(TS_CLOCK_WRAP), 0);
  assert.equal(wrap33(TS_CLOCK_WRAP + 90), 90);
  assert.equal(wrap33(-90), TS_CLOCK_WRAP - 90);
  assert.equal(wrap33(5 * TS_CLOCK_WRAP + 7), 7);
});

test('packet header: sync byte, start flag, 13-bit PID, adaptation control and 4-bit counter', () => {
  const b = Buffer.alloc(4);
  writePacketHeader(b, 0, 0x1fff, true, 3, 17);
  assert.deepEqual([...b], [0x47, 0x5f, 0xff, 0x31]);
  writePacketHeader(b, 0, 0x100, false, 1, 15);
  assert.deepEqual([...b], [0x47, 0x01, 0x00, 0x1f]);
});
