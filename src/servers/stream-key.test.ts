import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamClaimKey } from '../cluster/coordinator.ts';
import { claimTargetOf } from '../control/admission.ts';
import { streamKey } from './stream-key.ts';

test('the claim key of stream control is the hub stream key admission claims', () => {
  assert.equal(streamClaimKey('live', 'cam/1'), streamKey('live', 'cam/1'));
  assert.equal(claimTargetOf({ app: 'live', stream: 'cam/1' }).key, streamKey('live', 'cam/1'));
});
