import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attr, bindingRequest } from '../../../test/support/stun.ts';
import { integrityMatches, mayBeStun, parseBindingRequest, splitUsername } from './stun-binding.ts';

test('a browser-shaped Binding request: USERNAME read, MESSAGE-INTEGRITY verified with the right password only', () => {
  const b = bindingRequest('d21c:1UN6', '78b34467a37d3cced6697a');
  assert.ok(mayBeStun(b));
  const r = parseBindingRequest(b);
  assert.ok(r);
  assert.equal(r.username, 'd21c:1UN6');
  assert.deepEqual(splitUsername(r.username), { server: 'd21c', client: '1UN6' });
  assert.equal(integrityMatches(b, r, '78b34467a37d3cced6697a'), true);
  assert.equal(integrityMatches(b, r, '78b34467a37d3cced6697b'), false);
  assert.equal(r.useCandidate, false);
  // A nominating check (USE-CANDIDATE) still verifies.
  const nominating = bindingRequest('d21c:1UN6', '78b34467a37d3cced6697a', 0x0001, true);
  const n = parseBindingRequest(nominating);
  assert.equal(n?.useCandidate, true);
  assert.equal(integrityMatches(nominating, n!, '78b34467a37d3cced6697a'), true);
});

test('hostile input: short, wrong type or cookie, lying lengths, no USERNAME, no integrity', () => {
  const good = bindingRequest('abcd:efgh', 'pw');
  assert.equal(parseBindingRequest(Buffer.alloc(0)), undefined);
  assert.equal(parseBindingRequest(good.subarray(0, 19)), undefined);
  // A Binding success response (0x0101) and a DTLS record are not requests.
  assert.equal(parseBindingRequest(bindingRequest('abcd:efgh', 'pw', 0x0101)), undefined);
  const dtls = Buffer.from(good);
  dtls[0] = 22;
  assert.equal(parseBindingRequest(dtls), undefined);
  const cookie = Buffer.from(good);
  cookie[4] = 0;
  assert.equal(parseBindingRequest(cookie), undefined);
  // Header length longer, shorter, or not a multiple of 4.
  for (const delta of [4, -4, 1]) {
    const lying = Buffer.from(good);
    lying.writeUInt16BE(good.length - 20 + delta, 2);
    assert.equal(parseBindingRequest(lying), undefined, `header length ${delta}`);
  }
  // The USERNAME attribute claims more bytes than the datagram holds.
  const attrLie = Buffer.from(good);
  attrLie.writeUInt16BE(0xfff0, 22);
  assert.equal(parseBindingRequest(attrLie), undefined);
  // No USERNAME at all (a header alone).
  const bare = Buffer.from(good.subarray(0, 20));
  bare.writeUInt16BE(0, 2);
  assert.equal(parseBindingRequest(bare), undefined);
  // Without MESSAGE-INTEGRITY the request parses but can never verify.
  const noMac = Buffer.concat([good.subarray(0, 20), attr(0x0006, Buffer.from('abcd:efgh'))]);
  noMac.writeUInt16BE(noMac.length - 20, 2);
  const r = parseBindingRequest(noMac);
  assert.ok(r);
  assert.equal(integrityMatches(noMac, r, 'pw'), false);
  // A username without a colon, or empty on one side, names no session.
  for (const u of ['abcd', ':efgh', 'abcd:', ':']) assert.equal(splitUsername(u), undefined, u);
});

test('property: random bytes never throw, and what parses stays inside the datagram', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, asStun) => {
      const b = Buffer.from(bytes);
      if (asStun && b.length >= 8) {
        b.writeUInt16BE(1, 0);
        b.writeUInt16BE(b.length - 20 > 0 ? (b.length - 20) & 0xfffc : 0, 2);
        b.writeUInt32BE(0x2112a442, 4);
      }
      const r = parseBindingRequest(b);
      if (r) {
        assert.ok(Buffer.byteLength(r.username) <= b.length);
        assert.ok(r.integrityAt < 0 || r.integrityAt + 24 <= b.length);
        integrityMatches(b, r, 'pw');
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: any truncation of a valid request fails to parse; any flipped byte under the MAC fails to verify', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9+/]{4,32}:[a-z0-9+/]{4,32}$/),
      fc.stringMatching(/^[a-z0-9]{22,32}$/),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (username, password, at, flip) => {
        const b = bindingRequest(username, password);
        const r = parseBindingRequest(b);
        assert.ok(r);
        assert.equal(integrityMatches(b, r, password), true);
        assert.equal(parseBindingRequest(b.subarray(0, at % b.length)), undefined);
        const bad = Buffer.from(b);
        // Bytes 2-3 are the length the MAC is computed with (rewritten), so flip elsewhere under the MAC.
        const i = [0, 1, ...Array.from({ length: r.integrityAt + 24 - 4 }, (_, k) => k + 4)][
          at % (r.integrityAt + 22)
        ]!;
        bad[i]! ^= flip;
        const r2 = parseBindingRequest(bad);
        assert.ok(!r2 || !integrityMatches(bad, r2, password), `byte ${i}`);
      },
    ),
    { numRuns: 500 },
  );
});
