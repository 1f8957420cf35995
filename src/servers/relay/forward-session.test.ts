import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  audioFrame,
  audioHeader,
  interframe,
  keyframe,
  labelOf,
  metadataMessage,
  testHub,
  videoHeader,
} from '../../hub/hub-test-kit.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { RtmpRejectedError } from '../rtmp/rtmp-client.ts';
import type { ForwardConnection, ForwardDialer, ForwardOptions } from './forward-session.ts';
import { PushForwarder } from './push-forwarder.ts';
import { forwardMarker } from './forward-targets.ts';

/** A target connection that records what it was sent; `buffered` plays the socket's unsent bytes. */
class FakeConn implements ForwardConnection {
  readonly sent: MediaMessage[] = [];
  buffered = 0;
  closedCalls = 0;
  #end!: (err: Error) => void;
  readonly closed = new Promise<Error>((resolve) => (this.#end = resolve));
  readonly url: string;
  readonly refuse: RtmpRejectedError | undefined;
  constructor(url: string, refuse?: RtmpRejectedError) {
    this.url = url;
    this.refuse = refuse;
  }
  async publish(): Promise<void> {
    if (this.refuse) throw this.refuse;
  }
  sendMedia(msg: MediaMessage): boolean {
    this.sent.push(msg);
    return true;
  }
  get bufferedBytes(): number {
    return this.buffered;
  }
  get bytesWritten(): number {
    return this.sent.reduce((n, m) => n + m.payload.length, 0);
  }
  async close(): Promise<void> {
    this.closedCalls++;
    this.#end(new Error('closed'));
  }
  /** The target drops the connection. */
  drop(): void {
    this.#end(new Error('ECONNRESET'));
  }
  get labels(): string[] {
    return this.sent.map((m) => labelOf(Buffer.concat([Buffer.from('x:'), m.payload])));
  }
}

type Script = 'ok' | 'unreachable' | 'refuse';

const options: ForwardOptions = {
  connectTimeoutMs: 1000,
  backoffInitialMs: 1000,
  backoffMaxMs: 8000,
  refusedRetryMs: 60_000,
  maxQueueBytes: 1000,
};
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function kit(script: Script[] = ['ok']) {
  const { hub, clock, logger } = testHub();
  const conns: FakeConn[] = [];
  const dials: number[] = [];
  const errors: string[] = [];
  const dial: ForwardDialer = async (url) => {
    dials.push(clock.time);
    const step = script.shift() ?? 'ok';
    if (step === 'unreachable') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const conn = new FakeConn(
      url,
      step === 'refuse' ? new RtmpRejectedError('NetStream.Publish.BadName', '18/503 signature mismatch') : undefined,
    );
    conns.push(conn);
    return conn;
  };
  const forwarder = new PushForwarder({
    hub,
    targets: [{ domain: '*', app: 'live', url: 'rtmp://b.example/live/{stream}?key=k', name: 'b' }],
    options,
    log: logger,
    now: clock.now,
    countError: (code) => errors.push(code),
    dial,
    timers: clock,
    random: () => 0,
  });
  const start = (query = 'txSecret=x') => {
    const stream = hub.claim('live/cam', { id: 'p1' });
    forwarder.onPublish({
      domain: 'push.example',
      app: 'live',
      stream: 'cam',
      clientIp: '1.2.3.4',
      serverIp: '',
      query,
      startedAt: 0,
    });
    return stream;
  };
  return { hub, clock, forwarder, conns, dials, errors, start };
}

test('on connect the target gets metadata (as @setDataFrame), headers, then the GOP from its keyframe, then live media', async () => {
  const k = kit();
  const stream = k.start();
  for (const m of [
    metadataMessage(),
    videoHeader(),
    audioHeader(),
    interframe(0, 'P-before'),
    keyframe(40),
    audioFrame(50),
    interframe(80),
  ])
    stream.publish(m);
  await flush();
  const conn = k.conns[0]!;
  assert.equal(conn.url, `rtmp://b.example/live/cam?key=k&${forwardMarker}=1`);
  stream.publish(interframe(120));
  assert.deepEqual(conn.labels, ['MD', 'VH', 'AH', 'K40', 'A50', 'P80', 'P120']);
  assert.ok(conn.sent[0]!.payload.subarray(3, 16).toString() === '@setDataFrame');
  const st = k.forwarder.list()[0]!;
  assert.equal(st.state, 'forwarding');
  assert.equal(st.url, 'rtmp://b.example/live/cam');
  assert.ok(st.bytes > 0);
});

test('a slow target skips to the next keyframe, counted; headers still go; the publisher is never held', async () => {
  const k = kit();
  const stream = k.start();
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  await flush();
  const conn = k.conns[0]!;
  conn.buffered = 5000;
  stream.publish(interframe(40));
  stream.publish(audioFrame(50));
  stream.publish(interframe(80));
  conn.buffered = 0;
  stream.publish(interframe(120)); // still waiting for a keyframe
  stream.publish(videoHeader('VH2'));
  stream.publish(keyframe(160));
  stream.publish(interframe(200));
  assert.deepEqual(conn.labels, ['VH', 'K0', 'VH2', 'K160', 'P200']);
  const st = k.forwarder.list()[0]!;
  assert.equal(st.skips, 1);
  assert.equal(st.skippedMessages, 4);
  assert.deepEqual(k.errors, ['FORWARD_QUEUE_OVERFLOW']);
});

test('an unreachable target is retried with growing delays; success resets them', async () => {
  const k = kit(['unreachable', 'unreachable', 'unreachable', 'ok']);
  const stream = k.start();
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  await flush();
  let st = k.forwarder.list()[0]!;
  assert.equal(st.state, 'backing-off');
  assert.equal(st.lastError?.code, 'FORWARD_UNREACHABLE');
  assert.match(st.lastError!.message, /^ECONNREFUSED/);
  for (const step of [499, 1, 999, 1, 1999, 1]) {
    k.clock.advance(step);
    await flush();
  }
  assert.deepEqual(k.dials, [0, 500, 1500, 3500]);
  st = k.forwarder.list()[0]!;
  assert.equal(st.state, 'forwarding');
  assert.equal(st.reconnects, 3);
  assert.deepEqual(k.conns[0]!.labels, ['VH', 'K0']);
  // Dropped after a success: the first delay again, and the headers and GOP again on the new connection.
  k.conns[0]!.drop();
  await flush();
  st = k.forwarder.list()[0]!;
  assert.equal(st.state, 'backing-off');
  assert.equal(st.lastError?.code, 'FORWARD_DISCONNECTED');
  k.clock.advance(500);
  await flush();
  assert.equal(k.forwarder.list()[0]!.state, 'forwarding');
  assert.deepEqual(k.conns[1]!.labels, ['VH', 'K0']);
  assert.deepEqual(k.errors, [
    'FORWARD_UNREACHABLE',
    'FORWARD_UNREACHABLE',
    'FORWARD_UNREACHABLE',
    'FORWARD_DISCONNECTED',
  ]);
});

test('a refusal keeps the target status code and is retried only after refusedRetryMs', async () => {
  const k = kit(['refuse', 'ok']);
  k.start();
  await flush();
  const st = k.forwarder.list()[0]!;
  assert.equal(st.state, 'backing-off');
  assert.deepEqual(
    [st.lastError?.code, st.lastError?.rtmpStatus, st.lastError?.message],
    ['FORWARD_REFUSED', 'NetStream.Publish.BadName', '18/503 signature mismatch'],
  );
  assert.equal(st.refusals, 1);
  assert.equal(k.conns[0]!.closedCalls, 1);
  k.clock.advance(59_999);
  await flush();
  assert.equal(k.dials.length, 1);
  k.clock.advance(1);
  await flush();
  assert.equal(k.dials.length, 2);
  assert.equal(k.forwarder.list()[0]!.state, 'forwarding');
});

test('the forward stops with the stream: connection closed, no timer left, status kept as stopped', async () => {
  const k = kit(['unreachable']);
  const stream = k.start();
  await flush();
  assert.equal(k.clock.pending, 1);
  stream.unpublish();
  assert.equal(k.clock.pending, 0);
  assert.equal(k.forwarder.list()[0]!.state, 'stopped');
  assert.equal(k.hub.get('live/cam'), undefined, 'the tap left the hub');
  // A stream that was forwarding: its connection is closed too.
  const again = k.start();
  await flush();
  again.unpublish();
  assert.equal(k.conns[0]!.closedCalls, 1);
  assert.deepEqual(
    k.forwarder.list().map((s) => s.state),
    ['stopped', 'stopped'],
  );
  assert.deepEqual(k.forwarder.countByState(), { connecting: 0, forwarding: 0, 'backing-off': 0, stopped: 0 });
});

test('a publish that came from an openlive forward is not forwarded again', async () => {
  const k = kit();
  k.start(`key=k&${forwardMarker}=1`);
  await flush();
  assert.equal(k.dials.length, 0);
  assert.equal(k.forwarder.totals().loopsAvoided, 1);
});

test('close() stops every forward, and later publishes start none', async () => {
  const k = kit();
  k.start();
  await flush();
  k.forwarder.close();
  assert.equal(k.forwarder.list()[0]!.state, 'stopped');
  assert.equal(k.conns[0]!.closedCalls, 1);
});

test('a second onPublish of a stream already forwarded (a reconnect grace) starts no second forward', async () => {
  const k = kit();
  k.start();
  k.forwarder.onPublish({
    domain: 'push.example',
    app: 'live',
    stream: 'cam',
    clientIp: '',
    serverIp: '',
    query: '',
    startedAt: 0,
  });
  await flush();
  assert.equal(k.forwarder.list().length, 1);
  assert.equal(k.dials.length, 1);
});

test("queuedBytes sums what waits in the forwards' sockets (memory budget)", async () => {
  const k = kit();
  k.start();
  await flush();
  k.conns[0]!.buffered = 4321;
  assert.equal(k.forwarder.queuedBytes(), 4321);
});
