/**
 * The RTMP listener's timeouts (rtmp.handshakeTimeoutMs, rtmp.connectTimeoutMs, rtmp.idleTimeoutMs) and the
 * player stall (fanout.stallTimeoutMs, RTMP and HTTP-FLV players) on an injected fake clock: real sockets
 * against a real service, the sweep fired by `clock.advance()`, no waiting for the timeout itself. Each test
 * first checks the connection survives just short of its timeout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startService, type TestService } from '../../../test/support/service.ts';
import { RawSocket } from '../../../test/support/raw-socket.ts';
import { ScriptedRtmp } from '../../../test/support/scripted-rtmp.ts';
import { fixtureMedia } from '../../../test/support/media-feed.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { FakeClock } from '../../hub/hub-test-kit.ts';
import type { ErrorCode } from '../../errors.ts';
import { MediaType, mediaMessage } from '../../protocol/media.ts';
import type { PublishRecord } from '../../store/store.ts';

const handshakeTimeoutMs = 10_000;
const connectTimeoutMs = 20_000;
const idleTimeoutMs = 30_000;
/** The hub's fanout.stallTimeoutMs: a player whose socket takes nothing while data waits is closed. */
const stallTimeoutMs = 5000;
/** The sweep runs once a second (rtmp-server.ts): a timeout is seen at most this much after it passed. */
const sweepMs = 1000;

const clock = new FakeClock();
let svc: TestService;
const sockets: { destroy(): void }[] = [];

before(async () => {
  // Wall-clock time, so the signed push URLs of the default domain are valid.
  clock.time = Date.now();
  svc = await startService(
    {
      rtmp: { handshakeTimeoutMs, connectTimeoutMs, idleTimeoutMs },
      // Queue bounds far above what fills the kernel's socket buffers: the stall, not the queue, closes a player.
      fanout: { mergeWindowMs: 0, stallTimeoutMs, maxQueueBytes: 256 * 1024 * 1024, maxQueueMs: 3_600_000 },
    },
    { now: clock.now, timers: clock },
  );
});

after(async () => {
  for (const s of sockets) s.destroy();
  await svc?.close();
});

const errors = (code: ErrorCode): number => svc.service.counters.errors.get(code) ?? 0;

/** Moves the fake clock in sweep-sized steps, so every sweep on the way runs. */
function advance(ms: number): void {
  for (let left = ms; left > 0; left -= sweepMs) clock.advance(Math.min(sweepMs, left));
}

test('a socket that says nothing is closed with RTMP_HANDSHAKE_TIMEOUT once rtmp.handshakeTimeoutMs passed on the clock', async () => {
  const before = errors('RTMP_HANDSHAKE_TIMEOUT');
  const raw = await RawSocket.open(svc.service.rtmpPort);
  sockets.push(raw);
  await waitFor('the server to admit the socket', () => svc.service.rtmp.handshakeCount === 1, 5000);
  advance(handshakeTimeoutMs - sweepMs);
  assert.equal(svc.service.rtmp.handshakeCount, 1, 'still open just short of the timeout');
  assert.equal(errors('RTMP_HANDSHAKE_TIMEOUT'), before);
  advance(2 * sweepMs);
  assert.equal(errors('RTMP_HANDSHAKE_TIMEOUT'), before + 1, 'closed by the sweep');
  assert.equal(await raw.closedWithin(5000), true, 'the client sees the close');
  await waitFor('the handshake slot to be free', () => svc.service.rtmp.handshakeCount === 0, 5000);
});

test('a connection that connects and does nothing is closed with RTMP_CONNECT_TIMEOUT after rtmp.connectTimeoutMs', async () => {
  const before = errors('RTMP_CONNECT_TIMEOUT');
  const c = await ScriptedRtmp.open(svc.urls('silent').push.rtmp);
  sockets.push(c.socket);
  advance(connectTimeoutMs - sweepMs);
  assert.equal(c.destroyed, false);
  assert.equal(await c.closedWithin(50), false, 'still open just short of the timeout');
  assert.equal(errors('RTMP_CONNECT_TIMEOUT'), before);
  advance(2 * sweepMs);
  assert.equal(errors('RTMP_CONNECT_TIMEOUT'), before + 1);
  assert.equal(await c.closedWithin(5000), true, 'the server closed it');
});

test('a publisher that sends no media for rtmp.idleTimeoutMs is dropped with RTMP_IDLE_TIMEOUT and 20/0; the URL publishes again at once', async () => {
  const url = svc.urls('ghost').push.rtmp;
  const before = errors('RTMP_IDLE_TIMEOUT');
  const c = await ScriptedRtmp.open(url);
  sockets.push(c.socket);
  const streamId = await c.createStream();
  c.publish(streamId, c.url.stream);
  const status = await c.status(streamId, 'NetStream.Publish.Start', { orError: true });
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  // The headers and the first frames, then silence with the socket open.
  const media = fixtureMedia().slice(0, 8);
  for (const m of media) c.sendMedia(streamId, m);
  await waitFor('the media to arrive', () => (svc.service.hub.get('live/ghost')?.stats().bytesIn ?? 0) > 0, 5000);
  advance(idleTimeoutMs - sweepMs);
  assert.equal(errors('RTMP_IDLE_TIMEOUT'), before, 'not before the idle timeout');
  assert.equal(svc.service.hub.get('live/ghost')?.live, true, 'still publishing just short of the timeout');
  advance(2 * sweepMs);
  assert.equal(errors('RTMP_IDLE_TIMEOUT'), before + 1, 'dropped by the sweep');
  assert.equal(await c.closedWithin(5000), true, 'the encoder sees the close');
  assert.equal(svc.service.hub.get('live/ghost')?.live === true, false, 'the stream is free');
  let record: PublishRecord | undefined;
  await waitFor(
    'the publish record to end',
    async () => {
      const page = await svc.service.records.list({ stream: 'ghost', limit: 10 });
      record = page.items.find((r) => r.endedAt !== null);
      return record !== undefined;
    },
    5000,
  );
  assert.equal(record?.breakCode, '20/0', record?.reason ?? '');

  const again = await ScriptedRtmp.open(url);
  sockets.push(again.socket);
  const id = await again.createStream();
  again.publish(id, again.url.stream);
  const restarted = await again.status(id, 'NetStream.Publish.Start', { orError: true });
  assert.equal(restarted.code, 'NetStream.Publish.Start', 'the same URL publishes again at once');
  await again.end();
});

test('a long-lived connection that unpublishes may publish again within rtmp.connectTimeoutMs; idle longer, it is closed', async () => {
  const c = await ScriptedRtmp.open(svc.urls('again').push.rtmp);
  sockets.push(c.socket);
  const live = (): boolean => svc.service.hub.get('live/again')?.live === true;
  const publishOnce = async (): Promise<number> => {
    const streamId = await c.createStream();
    c.publish(streamId, c.url.stream);
    const status = await c.status(streamId, 'NetStream.Publish.Start', { orError: true });
    assert.equal(status.code, 'NetStream.Publish.Start', status.description);
    for (const m of fixtureMedia().slice(0, 8)) c.sendMedia(streamId, m);
    return streamId;
  };
  const first = await publishOnce();
  // Older than the connect timeout (short of the idle one): a publisher is not idle.
  advance(connectTimeoutMs + 2 * sweepMs);
  assert.equal(live(), true, 'a publisher is kept past rtmp.connectTimeoutMs');
  c.deleteStream(first);
  await waitFor('the stream to end', () => !live(), 5000);
  advance(connectTimeoutMs - sweepMs);
  assert.equal(await c.closedWithin(50), false, 'still open within the connect timeout, counted from the unpublish');
  const second = await publishOnce();
  assert.equal(live(), true, 'the same connection publishes again');
  const before = errors('RTMP_CONNECT_TIMEOUT');
  c.deleteStream(second);
  await waitFor('the stream to end again', () => !live(), 5000);
  advance(connectTimeoutMs - sweepMs);
  assert.equal(errors('RTMP_CONNECT_TIMEOUT'), before, 'not before the connect timeout');
  advance(2 * sweepMs);
  assert.equal(errors('RTMP_CONNECT_TIMEOUT'), before + 1, 'an idle connection is closed in the end');
  assert.equal(await c.closedWithin(5000), true);
});

test('a handshake cut off inside C1 or inside C2 is closed with RTMP_HANDSHAKE_TIMEOUT on the clock', async () => {
  const before = errors('RTMP_HANDSHAKE_TIMEOUT');
  const inC1 = await RawSocket.open(svc.service.rtmpPort);
  sockets.push(inC1);
  inC1.write(Buffer.concat([Buffer.of(3), Buffer.alloc(700)]));
  const inC2 = await RawSocket.open(svc.service.rtmpPort);
  sockets.push(inC2);
  inC2.write(Buffer.concat([Buffer.of(3), Buffer.alloc(1536)]));
  await inC2.read(1 + 2 * 1536);
  inC2.write(Buffer.alloc(1000));
  await waitFor('both sockets in the handshake', () => svc.service.rtmp.handshakeCount === 2, 5000);
  advance(handshakeTimeoutMs - sweepMs);
  assert.equal(svc.service.rtmp.handshakeCount, 2, 'both still open short of the timeout');
  advance(2 * sweepMs);
  assert.equal(errors('RTMP_HANDSHAKE_TIMEOUT'), before + 2);
  assert.equal(await inC1.closedWithin(5000), true);
  assert.equal(await inC2.closedWithin(5000), true);
});

/** A player whose socket the test stops reading; `closed` resolves once the server closed it. */
interface PausedPlayer {
  readonly socket: Socket;
  readonly closed: Promise<void>;
}

/**
 * A publisher on `stream`, a player from `openPlayer` that stops reading, keyframes of 512 KiB until the
 * server's socket to the player holds bytes the kernel would not take; then the clock: not stalled just
 * short of fanout.stallTimeoutMs, stalled past it (the hub checks as packets arrive, hub/subscriber.ts).
 */
async function stallCase(stream: string, openPlayer: () => Promise<PausedPlayer>): Promise<void> {
  const pub = await ScriptedRtmp.open(svc.urls(stream).push.rtmp);
  sockets.push(pub.socket);
  const pubId = await pub.createStream();
  pub.publish(pubId, pub.url.stream);
  assert.equal((await pub.status(pubId, 'NetStream.Publish.Start', { orError: true })).code, 'NetStream.Publish.Start');
  for (const m of fixtureMedia().filter((m) => m.type === 18 || m.sequenceHeader)) pub.sendMedia(pubId, m);
  const player = await openPlayer();
  sockets.push(player.socket);
  player.socket.pause();
  let ts = 0;
  const frame = (): void => {
    const payload = Buffer.alloc(512 * 1024);
    payload.set([0x17, 0x01, 0, 0, 0]);
    pub.sendMedia(pubId, mediaMessage(MediaType.Video, (ts += 40), payload));
  };
  const held = (): number => svc.service.memoryBudget.stats().sources.get('subscriberQueues') ?? 0;
  await waitFor(
    'the player socket to back up',
    () => {
      if (held() > 0) return true;
      for (let i = 0; i < 4; i++) frame();
      return false;
    },
    20_000,
  );
  const before = svc.service.hub.stats().stalledCloses;
  const messagesIn = (): number => svc.service.hub.get(`live/${stream}`)?.stats().messagesIn ?? 0;
  const oneFrame = async (): Promise<void> => {
    const was = messagesIn();
    frame();
    await waitFor('the frame to reach the hub', () => messagesIn() > was, 5000);
  };
  advance(stallTimeoutMs - sweepMs);
  await oneFrame();
  assert.equal(svc.service.hub.stats().stalledCloses, before, 'not stalled short of the timeout');
  advance(2 * sweepMs);
  await oneFrame();
  assert.equal(svc.service.hub.stats().stalledCloses, before + 1, 'closed as stalled');
  player.socket.resume();
  await player.closed;
  assert.equal(svc.service.hub.get(`live/${stream}`)?.live, true, 'the publisher goes on');
  assert.equal(pub.destroyed, false);
  await pub.end();
}

test('an RTMP player that stops reading is closed with SUBSCRIBER_STALLED after fanout.stallTimeoutMs on the clock; the publisher goes on', async () => {
  const errorsBefore = errors('SUBSCRIBER_STALLED');
  await stallCase('stall', async () => {
    const player = await ScriptedRtmp.open(svc.urls('stall').play!.rtmp);
    const playId = await player.createStream();
    player.play(playId, player.url.stream);
    await player.status(playId, 'NetStream.Play.Start');
    return { socket: player.socket, closed: player.closedWithin(30_000).then((c) => assert.ok(c, 'closed')) };
  });
  assert.equal(errors('SUBSCRIBER_STALLED'), errorsBefore + 1, 'the RTMP connection closed with the code');
});

test('an HTTP-FLV player that stops reading is closed by the same stall timeout on the clock', async () => {
  await stallCase('flvstall', async () => {
    const { pathname, search } = new URL(svc.urls('flvstall').play!.flv);
    const socket = connect({ host: '127.0.0.1', port: svc.service.httpPort });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await once(socket, 'connect');
    socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const [head] = (await once(socket, 'data')) as [Buffer];
    assert.match(head.toString('latin1'), /^HTTP\/1.1 200 /);
    return { socket, closed };
  });
});
