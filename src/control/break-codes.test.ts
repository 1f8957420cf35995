import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoSeconds, maxSentenceBytes, sentence } from './break-codes.ts';

test('a sentence starts with its code and fits in the 255 bytes ffmpeg keeps, cut on a character boundary', () => {
  assert.equal(sentence('18/501', 'short'), '18/501: short');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
      const s = sentence('18/305', text);
      // A character cut in half shows as a lone surrogate (no UTF-8 round trip) or a U+FFFD the text did not hold.
      const cutInHalf = Buffer.from(s).toString() !== s || (s.includes('\uFFFD') && !text.includes('\uFFFD'));
      return s.startsWith('18/305: ') && Buffer.byteLength(s) <= maxSentenceBytes && !cutInHalf;
    }),
  );
  const long = sentence('18/305', '禁'.repeat(200));
  assert.ok(long.endsWith('...'));
  assert.equal(Buffer.from(long).toString(), long, 'valid UTF-8');
});

test('times are written to the second in UTC, and absurd ones do not throw', () => {
  assert.equal(isoSeconds(Date.UTC(2026, 10, 25, 10, 0, 0, 999)), '2026-11-25T10:00:00Z');
  assert.equal(isoSeconds(0xffffffffffff * 1000), '281474976710655 s after 1970');
});
