import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateRoc, updateRolloverCount, type SrtpSsrcState } from './srtp-index.ts';

test('RFC 3711 §3.3.1: the counter of a packet within 2^15 of the last one, either side of the wrap', () => {
  assert.equal(estimateRoc(0, 100, 101), 0);
  assert.equal(estimateRoc(0, 65360, 500), 1, 'a gap of 676 packets across the wrap');
  assert.equal(estimateRoc(1, 500, 65400), 0, 'a resend from before the wrap');
  assert.equal(estimateRoc(1, 40000, 40001), 1);
  assert.equal(estimateRoc(0, 10, 65000), 0, 'no counter below 0');
  assert.equal(estimateRoc(2, 10, 10 + 0x8000), 2, 'exactly 2^15 ahead is still this counter');
});

test('the state follows the packets: the first sets it, later ones move it either way', () => {
  const s: SrtpSsrcState = { rolloverCounter: 0, lastSequenceNumber: 0 };
  updateRolloverCount(64461, s);
  assert.deepEqual(s, { rolloverCounter: 0, lastSequenceNumber: 64461, rolloverHasProcessed: true });
  updateRolloverCount(200, s);
  assert.equal(s.rolloverCounter, 1);
  updateRolloverCount(65530, s);
  assert.equal(s.rolloverCounter, 0, 'a late packet from before the wrap');
  updateRolloverCount(201, s);
  assert.equal(s.rolloverCounter, 1);
  updateRolloverCount(0, s);
  assert.equal(s.rolloverCounter, 1, 'a resend of seq 0 is the wrap it came from, not a new one');
});
