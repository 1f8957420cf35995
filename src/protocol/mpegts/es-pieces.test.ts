import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EsPieces } from './es-pieces.ts';

test('reading the pieces in reads of any sizes yields their concatenation, across piece boundaries', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (parts, reads) => {
        const es = new EsPieces();
        es.add(Buffer.from('stale')); // from a previous frame
        es.reset();
        const expected = Buffer.concat(parts.map((p) => Buffer.from(p)));
        for (const p of parts) {
          const framed = Buffer.concat([Buffer.from([0xee]), Buffer.from(p), Buffer.from([0xee])]);
          es.add(framed, 1, 1 + p.length); // a view inside a larger buffer
        }
        assert.equal(es.length, expected.length);
        const out = Buffer.alloc(expected.length);
        let at = 0;
        for (let i = 0; at < out.length; i++) {
          const n = Math.min(reads[i % reads.length]!, out.length - at);
          es.read(out, at, n);
          at += n;
        }
        assert.deepEqual(out, expected);
      },
    ),
  );
});
