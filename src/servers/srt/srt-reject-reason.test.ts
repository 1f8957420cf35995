import { test } from 'node:test';
import assert from 'node:assert/strict';
import { srtReasonOf } from './srt-reject-reason.ts';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';

test('refusal codes map to SRT rejection reasons in one place', () => {
  assert.equal(srtReasonOf('SIGNATURE_INVALID'), RejectReason.unauthorized);
  assert.equal(srtReasonOf('TXTIME_EXPIRED'), RejectReason.unauthorized);
  assert.equal(srtReasonOf('STREAM_ALREADY_PUBLISHING'), RejectReason.conflict);
  assert.equal(srtReasonOf('STREAM_FORBIDDEN'), RejectReason.forbidden);
  assert.equal(srtReasonOf('DOMAIN_UNKNOWN'), RejectReason.notFound);
  assert.equal(srtReasonOf('MEMORY_BUDGET_EXCEEDED'), RejectReason.overload);
  assert.equal(srtReasonOf('COORDINATOR_UNAVAILABLE'), RejectReason.overload);
  assert.equal(srtReasonOf('STORE_FAILED'), RejectReason.internal);
  assert.equal(srtReasonOf('SRT_PLAY_UNSUPPORTED'), RejectReason.badMode);
});
