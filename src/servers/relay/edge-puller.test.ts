import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamCommand, StreamHolder } from '../../cluster/coordinator.ts';
import { RelayTokens } from '../../control/relay-token.ts';
import { LiveError, type ErrorCode } from '../../errors.ts';
import { audioHeader, FakeSink, keyframe, testHub, videoHeader } from '../../hub/hub-test-kit.ts';
import type { HubInit } from '../../hub/hub.ts';
import { RtmpRejectedError } from '../rtmp/rtmp-client.ts';
import type { EdgeDialer, EdgeDialHandlers, EdgeUpstream } from './edge-dialer.ts';
import { EdgePuller, relayUrl } from './edge-puller.ts';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

class FakeUpstream implements EdgeUpstream {
  closeCalls = 0;
  bytesRead = 0;
  #end!: (err: Error) => void;
  readonly closed = new Promise<Error>((resolve) => (this.#end = resolve));
  readonly url: string;
  readonly handlers: EdgeDialHandlers;
  constructor(url: string, handlers: EdgeDialHandlers) {
    this.url = url;
    this.handlers = handlers;
  }
  async close(): Promise<void> {
    this.closeCalls++;
    this.#end(new Error('closed'));
  }
  /** The origin drops the connection. */
  drop(): void {
    this.#end(new Error('ECONNRESET'));
  }
}

type Script = 'ok' | 'unreachable' | 'refuse' | 'ends-at-once';

function kit(
  o: { secret?: string; maxPulls?: number; script?: Script[]; hub?: HubInit; holder?: StreamHolder | undefined } = {},
) {
  const commandListeners: Array<(c: StreamCommand) => void> = [];
  const { hub, clock, logger } = testHub(o.hub ?? {});
  const holders = new Map<string, StreamHolder>();
  const a: StreamHolder = { nodeId: 'a', advertise: '10.0.0.1:1935', since: 0 };
  if (o.holder !== undefined) holders.set('live/cam', o.holder);
  else if (!('holder' in o)) holders.set('live/cam', a);
  const ups: FakeUpstream[] = [];
  const dials: number[] = [];
  const errors: ErrorCode[] = [];
  const script = [...(o.script ?? [])];
  const dial: EdgeDialer = async (url, _timeoutMs, handlers) => {
    dials.push(clock.time);
    const step = script.shift() ?? 'ok';
    if (step === 'unreachable') throw new LiveError('STREAM_CLOSED', 'ECONNREFUSED');
    if (step === 'refuse') throw new RtmpRejectedError('NetStream.Play.Failed', '18/503: the relay token is wrong');
    const up = new FakeUpstream(url, handlers);
    ups.push(up);
    // As the real client: Play.Start (and the first media, in the same read) before play() resolves.
    handlers.onStart();
    handlers.onMedia(videoHeader());
    handlers.onMedia(audioHeader());
    if (step === 'ends-at-once') handlers.onUnpublished();
    return up;
  };
  const puller = new EdgePuller({
    hub,
    coordinator: {
      nodeId: 'b',
      holder: async (key) => holders.get(key),
      onCommand: (listener) => (commandListeners.push(listener), () => undefined),
    },
    selfAdvertise: () => '10.0.0.2:1935',
    secret: o.secret ?? 's3cret',
    maxPulls: o.maxPulls ?? 10,
    options: {
      connectTimeoutMs: 1000,
      backoffInitialMs: 1000,
      backoffMaxMs: 8000,
      lingerMs: 2000,
      pollMs: 500,
      idleTimeoutMs: 10_000,
    },
    dial,
    timers: clock,
    now: clock.now,
    random: () => 0,
    log: logger,
    countError: (code) => errors.push(code),
  });
  puller.start();
  const broadcast = (c: StreamCommand): void => commandListeners.forEach((l) => l(c));
  return { hub, clock, logger, holders, ups, dials, errors, puller, broadcast };
}

test('two local players of a stream held elsewhere cause one pull; its media reach both', async () => {
  const { hub, ups, dials, puller } = kit();
  const one = new FakeSink('rtmp');
  const two = new FakeSink('flv');
  hub.subscribe('live/cam', one);
  hub.subscribe('live/cam', two);
  await flush();
  assert.equal(dials.length, 1);
  assert.equal(puller.pull('live/cam')?.state, 'pulling');
  const url = new URL(ups[0]!.url);
  assert.equal(url.host, '10.0.0.1:1935');
  assert.equal(url.pathname, '/live/cam');
  assert.equal(url.searchParams.get('openliveRelayHops'), '1');
  const check = new RelayTokens('s3cret').verify('live/cam', url.searchParams, 0);
  assert.deepEqual(check, { ok: true, hops: 1 });
  assert.equal(hub.get('live/cam')?.publisher?.protocol, 'relay');
  ups[0]!.handlers.onMedia(keyframe(40));
  for (const sink of [one, two]) assert.ok(sink.events.some((e) => e.type === 'started'));
  assert.deepEqual(puller.stats(), { connecting: 0, pulling: 1, waiting: 0, errors: {} });
});

test('the pull lingers after the last player, is kept by a returning one, then stops', async () => {
  const { hub, clock, ups, dials, puller } = kit();
  const first = hub.subscribe('live/cam', new FakeSink());
  await flush();
  first.close();
  clock.advance(1500);
  const again = hub.subscribe('live/cam', new FakeSink());
  clock.advance(5000);
  await flush();
  assert.equal(dials.length, 1, 'the returning player kept the pull');
  assert.equal(ups[0]!.closeCalls, 0);
  again.close();
  clock.advance(1999);
  assert.equal(puller.pull('live/cam')?.state, 'pulling');
  clock.advance(1);
  assert.equal(puller.pull('live/cam'), undefined);
  assert.equal(ups[0]!.closeCalls, 1);
  assert.equal(hub.get('live/cam'), undefined, 'the local stream is gone with its last player');
});

test('an unreachable origin is retried with exponential backoff; a success resets it', async () => {
  const { hub, clock, dials, errors } = kit({ script: ['unreachable', 'unreachable', 'refuse', 'ok'] });
  hub.subscribe('live/cam', new FakeSink());
  await flush();
  for (let t = 0; t < 4000; t += 100) {
    clock.advance(100);
    await flush();
  }
  // random() = 0: each delay is half its base (1000, 2000, 4000 ms doubling).
  assert.deepEqual(dials, [0, 500, 1500, 3500]);
  assert.deepEqual(errors, ['EDGE_PULL_UNREACHABLE', 'EDGE_PULL_UNREACHABLE', 'EDGE_PULL_REFUSED']);
  assert.equal(hub.get('live/cam')?.publisher?.protocol, 'relay');
});

test('a new holder is pulled at once, without waiting out the backoff of the one that failed', async () => {
  const { hub, clock, holders, dials, ups } = kit({ script: ['unreachable', 'unreachable', 'unreachable'] });
  hub.subscribe('live/cam', new FakeSink());
  await flush();
  for (let t = 0; t < 2000; t += 100) {
    clock.advance(100);
    await flush();
  }
  assert.deepEqual(dials, [0, 500, 1500]);
  // The next try of A is due at 1500 + 2000; the registry names C (the encoder moved) at 2000.
  holders.set('live/cam', { nodeId: 'c', advertise: '10.0.0.3:1935', since: 1 });
  for (let t = 0; t < 600; t += 100) {
    clock.advance(100);
    await flush();
  }
  assert.equal(dials.length, 4);
  assert.ok(dials[3]! <= 2500, `C dialled at ${dials[3]}`);
  assert.equal(new URL(ups[0]!.url).host, '10.0.0.3:1935');
});

test('an origin that sends nothing for the idle timeout is left, its players kept through the grace', async () => {
  const { hub, clock, ups, errors } = kit({ hub: { reconnectGraceMs: 5000 } });
  hub.subscribe('live/cam', new FakeSink());
  await flush();
  ups[0]!.bytesRead = 1000;
  clock.advance(10_000);
  assert.equal(ups[0]!.closeCalls, 0, 'bytes came: still pulling');
  clock.advance(10_000);
  assert.equal(ups[0]!.closeCalls, 1);
  assert.deepEqual(errors, ['EDGE_PULL_ENDED']);
  assert.equal(hub.get('live/cam')?.reconnecting, true);
});

test('an operator drop broadcast ends the edge players at once, without a grace', async () => {
  const { hub, ups, broadcast } = kit({ hub: { reconnectGraceMs: 5000 } });
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  await flush();
  broadcast({ kind: 'drop', app: 'live', stream: 'other', domain: '', from: 'a' });
  assert.equal(ups[0]!.closeCalls, 0);
  broadcast({ kind: 'drop', app: 'live', stream: 'cam', domain: '', from: 'a' });
  assert.equal(ups[0]!.closeCalls, 1);
  assert.ok(
    sink.events.some((e) => e.type === 'ended'),
    'ended at once',
  );
  assert.equal(hub.get('live/cam')?.reconnecting, false);
});

test('nobody holds the stream, or this node does: no pull until another node holds it', async () => {
  const { hub, clock, holders, dials } = kit({ holder: undefined });
  hub.subscribe('live/cam', new FakeSink());
  await flush();
  clock.advance(600);
  await flush();
  holders.set('live/cam', { nodeId: 'b', advertise: '10.0.0.2:1935', since: 0 });
  clock.advance(600);
  await flush();
  assert.equal(dials.length, 0);
  holders.set('live/cam', { nodeId: 'a', advertise: '10.0.0.1:1935', since: 0 });
  clock.advance(600);
  await flush();
  assert.equal(dials.length, 1);
});

test('a stream published here is not pulled, only watched', async () => {
  const { hub, clock, dials, puller } = kit();
  hub.claim('live/cam', { id: 'rtmp-1' });
  hub.subscribe('live/cam', new FakeSink());
  clock.advance(5000);
  await flush();
  assert.equal(dials.length, 0);
  assert.equal(puller.pull('live/cam')?.state, 'local');
  assert.deepEqual(puller.stats(), { connecting: 0, pulling: 0, waiting: 0, errors: {} });
});

test('an origin whose encoder moved to another node within the grace pulls from there; its players continue', async () => {
  const { hub, clock, holders, dials, ups } = kit({ hub: { reconnectGraceMs: 5000 } });
  const local = hub.claim('live/cam', { id: 'rtmp-1' });
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  clock.advance(2000);
  await flush();
  assert.equal(dials.length, 0);
  hub.release(local, 'rtmp-1');
  holders.set('live/cam', { nodeId: 'c', advertise: '10.0.0.3:1935', since: 5 });
  clock.advance(600);
  await flush();
  assert.equal(dials.length, 1);
  assert.equal(new URL(ups[0]!.url).host, '10.0.0.3:1935');
  assert.equal(sink.events.filter((e) => e.type === 'started').length, 1, 'the grace continued the stream');
  assert.ok(!sink.events.some((e) => e.type === 'ended'));
});

test('an UnpublishNotify in the same read as Play.Start ends the pull once it is up', async () => {
  const { hub, ups, errors } = kit({ script: ['ends-at-once'], hub: { reconnectGraceMs: 5000 } });
  hub.subscribe('live/cam', new FakeSink());
  await flush();
  assert.equal(ups[0]!.closeCalls, 1);
  assert.deepEqual(errors, ['EDGE_PULL_ENDED']);
  assert.equal(hub.get('live/cam')?.reconnecting, true);
});

test('relay.maxPulls bounds concurrent pulls; a waiting stream pulls once a slot frees', async () => {
  const { hub, clock, holders, dials, errors, puller } = kit({ maxPulls: 1 });
  holders.set('live/two', { nodeId: 'a', advertise: '10.0.0.1:1935', since: 0 });
  const one = hub.subscribe('live/cam', new FakeSink());
  hub.subscribe('live/two', new FakeSink());
  await flush();
  assert.equal(dials.length, 1);
  assert.deepEqual(errors, ['EDGE_PULLS_FULL']);
  assert.equal(puller.pull('live/two')?.state, 'waiting');
  one.close();
  clock.advance(2000);
  await flush();
  clock.advance(1000);
  await flush();
  assert.equal(dials.length, 2);
  assert.equal(puller.pull('live/two')?.state, 'pulling');
});

test('an upstream that ends keeps the players through the grace and re-pulls from the new holder', async () => {
  const { hub, clock, holders, ups, errors } = kit({ hub: { reconnectGraceMs: 5000 } });
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  await flush();
  holders.set('live/cam', { nodeId: 'c', advertise: '10.0.0.3:1935', since: 0 });
  ups[0]!.handlers.onUnpublished();
  assert.equal(hub.get('live/cam')?.reconnecting, true);
  assert.ok(!sink.events.some((e) => e.type === 'ended'), 'players wait through the grace');
  clock.advance(600);
  await flush();
  assert.equal(ups.length, 2);
  assert.equal(new URL(ups[1]!.url).host, '10.0.0.3:1935');
  assert.equal(hub.get('live/cam')?.reconnecting, false);
  assert.equal(sink.events.filter((e) => e.type === 'started').length, 1, 'no new start: the same stream continues');
  assert.deepEqual(errors, ['EDGE_PULL_ENDED']);
  // A dropped connection is an end as well.
  ups[1]!.drop();
  await flush();
  assert.equal(hub.get('live/cam')?.reconnecting, true);
});

test('relay plays ask for one hop more than the relay plays they serve', async () => {
  const { hub, ups } = kit();
  const relaySink = Object.assign(new FakeSink('rtmp'), { relayHops: 2 });
  hub.subscribe('live/cam', relaySink);
  await flush();
  assert.equal(new URL(ups[0]!.url).searchParams.get('openliveRelayHops'), '3');
  assert.equal(hub.stats().subscribers, 0, 'a relay play is not a viewer');
  assert.equal(hub.stats().relaySubscribers, 1);
});

test('an HLS segmenter tap (viewer) is demand; a plain tap is not', async () => {
  const { hub, clock, dials, ups } = kit();
  const plain = hub.tap('live/cam', { publisherStarted() {}, media() {}, publisherEnded() {} });
  await flush();
  assert.equal(dials.length, 0);
  const hls = hub.tap('live/cam', { viewer: true, publisherStarted() {}, media() {}, publisherEnded() {} });
  await flush();
  assert.equal(dials.length, 1);
  hls.close();
  clock.advance(2000);
  assert.equal(ups[0]!.closeCalls, 1);
  plain.close();
});

test('without relay.secret nothing is pulled, and the log says why once', async () => {
  const { hub, clock, dials, logger } = kit({ secret: '' });
  hub.subscribe('live/cam', new FakeSink()).close();
  hub.subscribe('live/cam', new FakeSink());
  clock.advance(5000);
  await flush();
  assert.equal(dials.length, 0);
  const warnings = logger.lines.filter((l) => l.level === 'warn' && /relay\.secret/.test(l.msg));
  assert.equal(warnings.length, 1);
});

test('close stops every pull and ends their local streams at once', async () => {
  const { hub, ups, puller } = kit({ hub: { reconnectGraceMs: 5000 } });
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  await flush();
  puller.close();
  puller.close();
  assert.equal(ups[0]!.closeCalls, 1);
  assert.ok(sink.events.some((e) => e.type === 'ended'));
});

test('relayUrl escapes the names', () => {
  assert.equal(relayUrl('h:1', 'live/a b', { t: '1' }), 'rtmp://h:1/live/a%20b?t=1');
});

test('a local publisher that takes a pulled stream over makes the pull step aside', async () => {
  const { hub, clock, ups, dials, puller } = kit({ hub: { reconnectGraceMs: 5000 } });
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  await flush();
  const stream = hub.get('live/cam')!;
  const relayId = stream.publisher!.id;
  // What cluster-claims.ts does for an encoder the cluster gives the stream to: the relay yields, the encoder claims.
  hub.release(stream, relayId);
  hub.claim('live/cam', { id: 'rtmp-9', protocol: 'rtmp' });
  assert.equal(ups[0]!.closeCalls, 1);
  const before = stream.stats().messagesIn;
  ups[0]!.handlers.onMedia(keyframe(80));
  assert.equal(stream.stats().messagesIn, before, 'relay media never reach the new publisher');
  assert.equal(stream.publisher?.id, 'rtmp-9');
  clock.advance(5000);
  await flush();
  assert.equal(dials.length, 1, 'no pull while the stream is published here');
  assert.equal(puller.stats().pulling, 0);
  assert.equal(sink.events.filter((e) => e.type === 'started').length, 1, 'the players continued');
});
