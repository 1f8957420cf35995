import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pat, pmt, section } from '../../../test/fixtures/mpegts/ts-builder.ts';
import type { ErrorCode } from '../../errors.ts';
import { readPat, readPmt, SectionAssembler } from './psi-reader.ts';

function collect(): { a: SectionAssembler; got: string[]; errors: ErrorCode[] } {
  const got: string[] = [];
  const errors: ErrorCode[] = [];
  const a = new SectionAssembler(
    (s, end) => got.push(s.subarray(0, end).toString('hex')),
    (code) => errors.push(code),
  );
  return { a, got, errors };
}

/** One packet payload of 184 bytes: the given bytes, then 0xFF stuffing. */
const payload = (...parts: Buffer[]): Buffer => {
  const b = Buffer.concat(parts);
  return Buffer.concat([b, Buffer.alloc(184 - b.length, 0xff)]);
};

test('two sections in one packet are both handed out; a table repeated unchanged is not parsed again', () => {
  const { a, got, errors } = collect();
  const one = pat(0x1000);
  const two = section(0, 1, 1, Buffer.from([0, 1, 0xe1, 0x00]));
  a.push(payload(Buffer.from([0]), one), 0, 184, true);
  a.push(payload(Buffer.from([0]), one), 0, 184, true);
  a.push(payload(Buffer.from([0]), two, one), 0, 184, true);
  assert.deepEqual(
    got,
    [one, two, one].map((s) => s.toString('hex')),
  );
  assert.deepEqual(errors, []);
});

test('a section that continues in the next packet: finished by the bytes before the pointer_field target', () => {
  const { a, got } = collect();
  const big = pmt(Array.from({ length: 40 }, (_, i) => ({ type: 0x1b, pid: 0x100 + i })));
  const next = pat(0x1001);
  a.push(Buffer.concat([Buffer.from([0]), big.subarray(0, 183)]), 0, 184, true);
  const rest = big.subarray(183);
  a.push(payload(Buffer.from([rest.length]), rest, next), 0, 184, true);
  assert.deepEqual(got, [big.toString('hex'), next.toString('hex')]);
  assert.equal(readPmt(Buffer.from(big), big.length, () => undefined)!.length, 40);
  assert.equal(
    readPat(Buffer.from(next), next.length, () => undefined),
    0x1001,
  );
});

test('a packet lost mid-section (reset) and a payload before any start are ignored without error', () => {
  const { a, got, errors } = collect();
  const big = pmt(Array.from({ length: 40 }, (_, i) => ({ type: 0x1b, pid: 0x100 + i })));
  a.push(big.subarray(0, 184), 0, 184, false);
  a.push(Buffer.concat([Buffer.from([0]), big.subarray(0, 183)]), 0, 184, true);
  a.reset();
  a.push(payload(big.subarray(183)), 0, 184, false);
  assert.deepEqual([got, errors], [[], []]);
});
