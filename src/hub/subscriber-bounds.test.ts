import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FakeSink,
  audioFrame,
  audioHeader,
  interframe,
  keyframe,
  labelOf,
  testHub,
  videoHeader,
} from './hub-test-kit.ts';

type Action =
  | { kind: 'publish'; size: number; audio: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'drain'; bytes: number };

const publish = fc.record({
  kind: fc.constant('publish' as const),
  size: fc.integer({ min: 1, max: 3000 }),
  audio: fc.boolean(),
});
const advance = fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 80 }) });
const drain = fc.record({ kind: fc.constant('drain' as const), bytes: fc.integer({ min: 0, max: 8000 }) });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: publish },
  { weight: 2, arbitrary: advance },
  { weight: 2, arbitrary: drain },
);

/** A socket whose peer reads only when told: every write stays buffered until a `drain` action. */
class SlowSink extends FakeSink {
  override write(buffers: Buffer[]): void {
    super.write(buffers);
    for (const b of buffers) this.bufferedBytes += b.length;
  }
}

const actions = fc.array(action, { minLength: 50, maxLength: 400, size: 'max' });

test('whatever the reader does, memory stays bounded and every inter frame it gets is decodable', () => {
  const maxQueueBytes = 16_000;
  // Headers are resent after a skip without a limit check; they are tiny.
  const headerSlack = 64;
  fc.assert(
    fc.property(actions, fc.integer({ min: 0, max: 1 }), (script, window) => {
      const { hub, clock } = testHub({
        mergeWindowMs: window * 40,
        subscriber: { maxQueueBytes, maxQueueMs: 2000, stallTimeoutMs: 1e9 },
      });
      const stream = hub.claim('live/a', { id: 'p' });
      const sink = new SlowSink();
      const sub = hub.subscribe('live/a', sink);
      stream.publish(videoHeader());
      stream.publish(audioHeader());
      let video = 0;
      let ts = 0;
      for (const a of script) {
        if (a.kind === 'publish') {
          ts += 20;
          if (a.audio) stream.publish(audioFrame(ts, `A${ts}`, a.size));
          else {
            const label = `V${video}`;
            stream.publish(video % 10 === 0 ? keyframe(ts, label, a.size) : interframe(ts, label, a.size));
            video++;
          }
        } else if (a.kind === 'advance') clock.advance(a.ms);
        else sink.bufferedBytes = Math.max(0, sink.bufferedBytes - a.bytes);
        assert.ok(sink.bufferedBytes + sub.pendingBytes <= maxQueueBytes + headerSlack);
      }
      clock.advance(40);
      const got = sink.written
        .map(labelOf)
        .filter((l) => /^V\d+$/.test(l))
        .map((l) => Number(l.slice(1)));
      for (let i = 0; i < got.length; i++) {
        const n = got[i]!;
        if (n % 10 !== 0) assert.equal(got[i - 1], n - 1, `V${n} follows its predecessor`);
      }
      assert.equal(hub.stats().droppedMessages, sub.droppedMessages);
    }),
    { numRuns: 300 },
  );
});
