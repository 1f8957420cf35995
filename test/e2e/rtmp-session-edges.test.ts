/**
 * A scripted RTMP client drives the real server through session edge cases: the OBS publish
 * preamble with a signed query, deleteStream and a second publish on one connection, abrupt closes,
 * players that come early or for streams that never start, and unknown commands. The listener's timeouts
 * (ghost publishers, connections that do nothing) run on a fake clock in src/servers/rtmp/rtmp-timeouts.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishRecord } from '../../src/store/store.ts';
import type { MediaMessage } from '../../src/protocol/media.ts';
import { startService, type TestService } from '../support/service.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { MediaFeed } from '../support/media-feed.ts';
import { waitFor } from '../support/wait.ts';

const playWaitMs = 2000;
let svc: TestService;
const open: ScriptedRtmp[] = [];
const feeds: MediaFeed[] = [];

before(async () => {
  svc = await startService({ http: { playWaitMs } });
});

after(async () => {
  for (const f of feeds) f.stop();
  for (const c of open) c.socket.destroy();
  await svc?.close();
});

/** Opens a scripted connection (handshake + connect) that the test run cleans up. */
async function connect(url: string): Promise<ScriptedRtmp> {
  const c = await ScriptedRtmp.open(url);
  open.push(c);
  return c;
}

/** The OBS publish sequence: releaseStream, FCPublish, createStream, publish; returns what the server answered. */
async function obsPublish(c: ScriptedRtmp, name = c.url.stream) {
  const release = c.call('releaseStream', null, name);
  const fcPublish = c.call('FCPublish', null, name);
  const streamId = await c.createStream();
  c.publish(streamId, name);
  const status = await c.status(streamId, 'NetStream.Publish.Start', { orError: true });
  return {
    streamId,
    status,
    release: await c.reply(release, 'releaseStream'),
    fcPublish: await c.reply(fcPublish, 'FCPublish'),
  };
}

/** Publishes and feeds real media until the test ends (or `stop()`); throws unless the server accepts. */
async function livePublisher(url: string): Promise<{ c: ScriptedRtmp; streamId: number; feed: MediaFeed }> {
  const c = await connect(url);
  const { streamId, status } = await obsPublish(c);
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  const feed = new MediaFeed((m) => c.sendMedia(streamId, m)).start();
  feeds.push(feed);
  return { c, streamId, feed };
}

/** createStream + play; resolves with the stream id without waiting for the answer. */
async function startPlay(url: string): Promise<{ c: ScriptedRtmp; streamId: number }> {
  const c = await connect(url);
  const streamId = await c.createStream();
  c.play(streamId, c.url.stream);
  return { c, streamId };
}

/** The newest publish record of a stream once it has ended. */
async function endedRecord(s: TestService, stream: string): Promise<PublishRecord> {
  let found: PublishRecord | undefined;
  await waitFor(
    `the record of ${stream} to end`,
    async () => {
      const page = await s.service.records.list({ stream, limit: 10 });
      found = page.items.find((r) => r.endedAt !== null);
      return found !== undefined;
    },
    5000,
  );
  return found!;
}

/** The live stream of `live/<stream>` on a service, or undefined. */
function live(s: TestService, stream: string): boolean {
  return s.service.hub.get(`live/${stream}`)?.live === true;
}

function firstVideo(media: MediaMessage[]): MediaMessage | undefined {
  return media.find((m) => m.type === 9);
}

test('OBS sequence with a signed query: _results, onFCPublish, Publish.Start, live; FCUnpublish + deleteStream end it with 1/0', async () => {
  const c = await connect(svc.urls('obs').push.rtmp);
  assert.match(c.url.stream, /^obs\?txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$/);
  const from = c.events.length;
  const { streamId, status, release, fcPublish } = await obsPublish(c);
  assert.equal(release.type, 'result', 'releaseStream is answered');
  assert.equal(fcPublish.type, 'result', 'FCPublish is answered');
  const onFCPublish = await c.command('onFCPublish', { from });
  const info = onFCPublish.command.args[0];
  assert.ok(info instanceof Map && info.get('code') === 'NetStream.Publish.Start', 'onFCPublish says Publish.Start');
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  assert.equal(status.level, 'status');
  assert.equal(live(svc, 'obs'), true, 'live as soon as Publish.Start is sent');

  const feed = new MediaFeed((m) => c.sendMedia(streamId, m)).start();
  feeds.push(feed);
  await waitFor('media in the hub', () => (svc.service.hub.get('live/obs')?.stats().bytesIn ?? 0) > 10_000);
  feed.stop();

  // OBS stops with FCUnpublish then deleteStream.
  const mark = c.events.length;
  const fcUnpublish = c.call('FCUnpublish', null, c.url.stream);
  assert.equal((await c.reply(fcUnpublish, 'FCUnpublish')).type, 'result');
  const onFCUnpublish = await c.command('onFCUnpublish', { from: mark });
  const unpublishInfo = onFCUnpublish.command.args[0];
  assert.ok(unpublishInfo instanceof Map && unpublishInfo.get('code') === 'NetStream.Unpublish.Success');
  c.deleteStream(streamId);
  await waitFor('the stream to end', () => !live(svc, 'obs'), 5000);
  const record = await endedRecord(svc, 'obs');
  assert.equal(record.breakCode, '1/0', record.reason ?? '');
  assert.ok(record.bytesIn > 10_000);
  assert.equal(record.width, 320, 'the codec was learnt from the sequence header');
  await c.end();
});

test('deleteStream ends the publish (1/0), players hear UnpublishNotify after the reconnect grace, and a second publish on the connection resumes them', async () => {
  const pub = await livePublisher(svc.urls('del').push.rtmp);
  const player = await startPlay(svc.urls('del').play!.rtmp);
  await player.c.status(player.streamId, 'NetStream.Play.Start');
  await player.c.next('video', (e) => e.type === 'media' && e.message.type === 9);

  pub.feed.stop();
  const mark = player.c.events.length;
  pub.c.deleteStream(pub.streamId);
  // The player is told once fanout.reconnectGraceMs (5 s) passed without a new publisher (docs/cluster.md).
  await player.c.status(player.streamId, 'NetStream.Play.UnpublishNotify', { from: mark, timeoutMs: 20_000 });
  assert.equal(live(svc, 'del'), false);
  const first = await endedRecord(svc, 'del');
  assert.equal(first.breakCode, '1/0', first.reason ?? '');
  assert.equal(pub.c.destroyed, false, 'deleteStream does not close the connection');
  assert.equal(player.c.destroyed, false, 'the player stays connected, waiting for the publisher');

  // The same connection publishes again on a new message stream: accepted, and the player is told.
  const again = player.c.events.length;
  const streamId = await pub.c.createStream();
  assert.notEqual(streamId, pub.streamId, 'a fresh message stream id');
  pub.c.publish(streamId, pub.c.url.stream);
  const status = await pub.c.status(streamId, 'NetStream.Publish.Start', { orError: true });
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  assert.equal(live(svc, 'del'), true);
  const feed = new MediaFeed((m) => pub.c.sendMedia(streamId, m)).start();
  feeds.push(feed);
  await player.c.status(player.streamId, 'NetStream.Play.PublishNotify', { from: again });
  await player.c.next('video after the second publish', (e) => e.type === 'media' && e.message.type === 9, {
    from: again,
  });
  feed.stop();
  await pub.c.end();
  await player.c.end();
});

test('abrupt close (FIN) of a publisher ends the stream with 1/0; the same URL publishes again at once and players continue within the reconnect grace', async () => {
  const url = svc.urls('abrupt').push.rtmp;
  const first = await livePublisher(url);
  const player = await startPlay(svc.urls('abrupt').play!.rtmp);
  await player.c.status(player.streamId, 'NetStream.Play.Start');
  await player.c.next('video', (e) => e.type === 'media' && e.message.type === 9);
  first.feed.stop();
  const mark = player.c.events.length;
  first.c.socket.destroy();
  // No waiting for the server to notice: the reconnect's own round trips come after the FIN.
  const second = await livePublisher(url);
  assert.equal(live(svc, 'abrupt'), true);
  const record = await endedRecord(svc, 'abrupt');
  assert.equal(record.breakCode, '1/0', record.reason ?? '');
  await player.c.next('video from the new publisher', (e) => e.type === 'media' && e.message.type === 9, {
    from: mark,
  });
  // fanout.reconnectGraceMs (docs/cluster.md): the player was kept; it hears neither end nor start.
  const notes = player.c.events.slice(mark).flatMap((e) => (e.type === 'status' ? [e.code] : []));
  assert.deepEqual(notes, [], 'no UnpublishNotify / PublishNotify within the grace');
  second.feed.stop();
  await second.c.end();
  await player.c.end();
});

test('a reset (RST) publisher ends with the network-error code 12/0; the same URL publishes again at once', async () => {
  const url = svc.urls('reset').push.rtmp;
  const first = await livePublisher(url);
  await waitFor('media in the hub', () => (svc.service.hub.get('live/reset')?.stats().bytesIn ?? 0) > 0);
  first.feed.stop();
  first.c.socket.resetAndDestroy();
  const second = await livePublisher(url);
  assert.equal(live(svc, 'reset'), true);
  const record = await endedRecord(svc, 'reset');
  assert.equal(record.breakCode, '12/0', record.reason ?? '');
  second.feed.stop();
  await second.c.end();
});

test('a player that arrives before the publisher waits, then gets Play.Start and media from a keyframe', async () => {
  const player = await startPlay(svc.urls('late').play!.rtmp);
  await waitFor(
    'the player to wait in the hub',
    () => svc.service.hub.get('live/late')?.stats().subscribers === 1,
    5000,
  );
  assert.equal(
    player.c.events.some((e) => e.type === 'status'),
    false,
    'no status while nobody publishes',
  );

  await livePublisher(svc.urls('late').push.rtmp);
  const start = await player.c.status(player.streamId, 'NetStream.Play.Start', { orError: true });
  assert.equal(start.code, 'NetStream.Play.Start', start.description);
  await player.c.next('video', (e) => e.type === 'media' && e.message.type === 9);
  const startAt = player.c.events.indexOf(start);
  const firstMediaAt = player.c.events.findIndex((e) => e.type === 'media');
  assert.ok(startAt < firstMediaAt, 'Play.Start comes before any media');
  const video = firstVideo(player.c.media(player.streamId))!;
  assert.ok(video.sequenceHeader || video.keyframe, 'the first video is a sequence header or a keyframe');
  await player.c.next('a keyframe', (e) => e.type === 'media' && e.message.keyframe);
  player.c.socket.destroy();
  await waitFor(
    'the hub to drop the closed player',
    () => svc.service.hub.get('live/late')?.stats().subscribers === 0,
    5000,
  );
});

test('a player of a stream that never starts hears StreamNotFound after http.playWaitMs, then is closed', async () => {
  const started = Date.now();
  const player = await startPlay(svc.urls('never').play!.rtmp);
  const status = await player.c.status(player.streamId, 'NetStream.Play.StreamNotFound', {
    orError: true,
    timeoutMs: playWaitMs + 5000,
  });
  const waited = Date.now() - started;
  assert.equal(status.code, 'NetStream.Play.StreamNotFound', status.description);
  assert.equal(status.level, 'error');
  assert.ok(waited >= playWaitMs - 50, `answered after ${waited} ms, not before playWaitMs`);
  assert.equal(await player.c.closedWithin(5000), true, 'the server closes the connection after telling why');
  await waitFor(
    'the hub to forget the waiting player',
    () => (svc.service.hub.get('live/never')?.stats().subscribers ?? 0) === 0,
    5000,
  );
});

test('unknown commands (getStreamLength, _checkbw, a made-up one) leave the connection working', async () => {
  const errorsBefore = [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0);
  const c = await connect(svc.urls('chatty').push.rtmp);
  const length = await c.reply(c.call('getStreamLength', null, 'chatty'), 'getStreamLength');
  assert.equal(length.type, 'result');
  assert.equal(length.args[0], 0, 'a live stream has no length');
  assert.equal((await c.reply(c.call('_checkbw'), '_checkbw')).type, 'result');
  const madeUp = await c.reply(c.call('frobnicate', null, 'x', 42), 'frobnicate');
  assert.equal(madeUp.type, 'error');
  const info = madeUp.args[0];
  assert.ok(info instanceof Map && info.get('code') === 'NetConnection.Call.Failed');
  // Transaction 0 asks for no answer: nothing comes back, nothing breaks.
  c.notify('onCustomEvent', 'x');
  const { status } = await obsPublish(c);
  assert.equal(status.code, 'NetStream.Publish.Start', 'the connection still publishes after all that');
  assert.equal(
    c.events.some((e) => e.type === 'command' && e.command.name === 'onCustomEvent'),
    false,
  );
  await c.end();
  const errorsAfter = [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0);
  assert.equal(errorsAfter, errorsBefore, 'no connection error was counted');
});

test('publish and deleteStream in one packet (a quick start/stop) are answered in order and free the stream: the same connection and URL publish again', async () => {
  const url = svc.urls('quick').push.rtmp;
  const c = await connect(url);
  const first = await c.createStream();
  // One write: publish, then deleteStream before the server could answer (cork keeps them in one segment).
  c.socket.cork();
  c.publish(first, c.url.stream);
  c.deleteStream(first);
  c.socket.uncork();
  // Commands are handled in order (issue 9): the deleteStream waits for the publish decision, then ends
  // that publish; the next publish must find the stream free.
  const second = await c.createStream();
  c.publish(second, c.url.stream);
  const status = await c.status(second, 'NetStream.Publish.Start', { orError: true });
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  const onFirst = c.events
    .filter((e) => e.type === 'status' && e.streamId === first)
    .map((e) => e.type === 'status' && e.code);
  assert.deepEqual(onFirst, ['NetStream.Publish.Start'], 'the first publish was answered, then deleted; no error');
  await c.end();
  await waitFor('the stream to end', () => !live(svc, 'quick'), 5000);
  const again = await livePublisher(url);
  again.feed.stop();
  await again.c.end();
});

test('play and deleteStream in one packet are answered in order; the next play gets its media on its own message stream id', async () => {
  const pub = await livePublisher(svc.urls('quickplay').push.rtmp);
  const c = await connect(svc.urls('quickplay').play!.rtmp);
  const first = await c.createStream();
  c.socket.cork();
  c.play(first, c.url.stream);
  c.deleteStream(first);
  c.socket.uncork();
  const second = await c.createStream();
  c.play(second, c.url.stream);
  await c.status(second, 'NetStream.Play.Start');
  await c.next(
    'video on the second stream',
    (e) => e.type === 'media' && e.streamId === second && e.message.type === 9,
  );
  const secondStart = c.events.findIndex(
    (e) => e.type === 'status' && e.streamId === second && e.code === 'NetStream.Play.Start',
  );
  const lastOnFirst = c.events.findLastIndex(
    (e) => (e.type === 'media' || e.type === 'status') && e.streamId === first,
  );
  assert.ok(lastOnFirst < secondStart, 'nothing on the deleted stream once the next play started');
  assert.equal(svc.service.hub.get('live/quickplay')?.stats().subscribers, 1, 'one subscriber, for the second play');
  pub.feed.stop();
  await c.end();
  await pub.c.end();
});
