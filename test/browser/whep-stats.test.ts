/// <reference lib="dom" />
/**
 * The preview's WHEP latency figure from getStats() reports (console/src/ui/whep-player.ts `sampleOf`),
 * run in Node on reports shaped as Chromium writes them: the latency is that of the last second (deltas of
 * the cumulative counters), half the selected pair's round trip plus jitter buffer plus decode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleOf, type Counters } from '../../console/src/ui/whep-player.ts';

/** A report of Chromium's stats types: the video inbound-rtp, its codec, the transport and two pairs. */
function report(t: { delay: number; emitted: number; decode: number; decoded: number; rtt: number }): RTCStatsReport {
  const entries: Record<string, unknown>[] = [
    {
      id: 'IT01V',
      type: 'inbound-rtp',
      kind: 'video',
      codecId: 'CIT01_102',
      timestamp: 1000,
      jitterBufferDelay: t.delay,
      jitterBufferEmittedCount: t.emitted,
      totalDecodeTime: t.decode,
      framesDecoded: t.decoded,
      frameWidth: 1280,
      frameHeight: 720,
    },
    { id: 'CIT01_102', type: 'codec', mimeType: 'video/H264' },
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CPb' },
    // A nominated pair that is not the selected one: its round trip must not be used.
    { id: 'CPa', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.5 },
    { id: 'CPb', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: t.rtt },
  ];
  return new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;
}

test('the latency is the last second: RTT/2 + jitter buffer per emitted frame + decode per frame', () => {
  const prev: Counters = { at: 0, jitterDelay: 0, emitted: 0, decodeTime: 0, decoded: 0 };
  // The first second: 30 frames, 3 s in the jitter buffer in all (100 ms each), 60 ms of decoding (2 ms each).
  const a = sampleOf(report({ delay: 3, emitted: 30, decode: 0.06, decoded: 30, rtt: 0.004 }), prev);
  assert.equal(a.framesDecoded, 30);
  assert.deepEqual([a.width, a.height, a.codec], [1280, 720, 'H264']);
  assert.ok(a.latency);
  assert.equal(Math.round(a.latency.jitterBufferMs), 100);
  assert.equal(Math.round(a.latency.decodeMs * 10) / 10, 2);
  assert.equal(a.latency.networkMs, 2);
  assert.equal(Math.round(a.latency.totalMs), 104);
  // The next second: 30 more frames at 20 ms each; the long first second no longer counts.
  const b = sampleOf(report({ delay: 3.6, emitted: 60, decode: 0.09, decoded: 60, rtt: 0.004 }), prev);
  assert.equal(Math.round(b.latency!.jitterBufferMs), 20);
  assert.equal(Math.round(b.latency!.totalMs), 23);
});

test('no frame since the last report: no latency figure rather than a division by zero', () => {
  const prev: Counters = { at: 0, jitterDelay: 3, emitted: 30, decodeTime: 0.06, decoded: 30 };
  const s = sampleOf(report({ delay: 3, emitted: 30, decode: 0.06, decoded: 30, rtt: 0.004 }), prev);
  assert.equal(s.latency, undefined);
  assert.equal(s.framesDecoded, 30);
});
