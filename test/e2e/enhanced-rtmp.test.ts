/**
 * Enhanced RTMP v2 against the real server, from byte fixtures written from the spec (no encoder here
 * writes v2): a scripted publisher sends Multitrack video (two avc1 renditions), ManyTracksManyCodecs
 * audio (AAC + Opus, with a ModEx TimestampOffsetNano) and an AC-3 track without a default track. A
 * player that announced Multitrack gets every track; a legacy player and Debian's ffmpeg 5.1 read track 0
 * as plain H.264/AAC; a publisher whose track sizes lie is cut with FLV_MULTITRACK_INVALID.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { mediaMessage, MediaType, type MediaMessage } from '../../src/protocol/media.ts';
import { multitrackBody, opusHead, withNanoOffset } from '../../src/protocol/flv/ex-fixtures.ts';
import { readExTagBody } from '../../src/protocol/flv/ex-multitrack.ts';
import { startService, type TestService } from '../support/service.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { MediaFeed } from '../support/media-feed.ts';
import { connectionErrors } from '../support/metrics.ts';
import { probe } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

let svc: TestService;
const open: ScriptedRtmp[] = [];
const feeds: MediaFeed[] = [];
let audioFrames = 0;

before(async () => {
  svc = await startService({});
});

after(async () => {
  for (const f of feeds) f.stop();
  for (const c of open) c.socket.destroy();
  await svc?.close();
});

/** The fixture's legacy H.264/AAC message as an E-RTMP v2 encoder with two renditions and two audio codecs would send it. */
function toV2(m: MediaMessage): MediaMessage[] {
  const p = m.payload;
  if (m.type === MediaType.Video) {
    const seq = p[1] === 0;
    // avc1 SequenceStart carries the AVCDecoderConfigurationRecord; CodedFrames the SI24 CompositionTime and NALUs.
    const body = seq ? p.subarray(5) : p.subarray(2);
    const tracks = [0, 1].map((trackId) => ({ trackId, fourCc: 'avc1', body }));
    return [mediaMessage(m.type, m.timestamp, multitrackBody(true, 1, seq ? 0 : 1, tracks, p[0]! >> 4))];
  }
  if (m.type !== MediaType.Audio) return [m];
  const seq = p[1] === 0;
  const tracks = [
    { trackId: 0, fourCc: 'mp4a', body: p.subarray(2) },
    { trackId: 1, fourCc: 'Opus', body: seq ? opusHead() : Buffer.of(0xfc, 0xff, 0xfe) },
  ];
  const audio = multitrackBody(false, 2, seq ? 0 : 1, tracks);
  if (seq) return [mediaMessage(m.type, m.timestamp, audio)];
  // AC-3 on track 2 alone: a message without a default track, for Multitrack players only.
  const ac3 = multitrackBody(false, 0, 1, [{ trackId: 2, fourCc: 'ac-3', body: Buffer.of(0x0b, 0x77, 1, 2, 3) }]);
  audioFrames++;
  return [mediaMessage(m.type, m.timestamp, withNanoOffset(audio, 123_456)), mediaMessage(m.type, m.timestamp, ac3)];
}

async function connect(url: string, extra?: Parameters<typeof ScriptedRtmp.open>[2]): Promise<ScriptedRtmp> {
  const c = await ScriptedRtmp.open(url, 5000, extra);
  open.push(c);
  return c;
}

async function publishV2(stream: string): Promise<{ c: ScriptedRtmp; streamId: number }> {
  const c = await connect(svc.urls(stream).push.rtmp, {
    fourCcList: ['avc1', 'mp4a', 'Opus', 'ac-3'],
    capsEx: 2 | 4 | 8,
  });
  const streamId = await c.createStream();
  c.publish(streamId, c.url.stream);
  const status = await c.status(streamId, 'NetStream.Publish.Start', { orError: true });
  assert.equal(status.code, 'NetStream.Publish.Start', status.description);
  return { c, streamId };
}

async function play(
  stream: string,
  extra?: Parameters<typeof ScriptedRtmp.open>[2],
): Promise<{ c: ScriptedRtmp; streamId: number }> {
  const c = await connect(svc.urls(stream).play!.rtmp, extra);
  const streamId = await c.createStream();
  c.play(streamId, c.url.stream);
  return { c, streamId };
}

const trackIds = (m: MediaMessage): number[] =>
  m.multitrack === undefined
    ? []
    : readExTagBody(m.type === MediaType.Video, m.multitrack).tracks.map((t) => t.trackId);

test('a v2 publisher: the Multitrack player gets every track, legacy readers (scripted and ffprobe) get track 0 as H.264/AAC', async () => {
  const { c: pub, streamId } = await publishV2('mt');
  const connectResult = pub.events.find((e) => e.type === 'result');
  assert.ok(connectResult?.type === 'result' && connectResult.commandObject instanceof Map);
  assert.equal(connectResult.commandObject.get('capsEx'), 15, 'the server answers its own capsEx');
  assert.deepEqual(connectResult.commandObject.get('fourCcList'), ['avc1', 'mp4a', 'Opus', 'ac-3']);

  const multi = await play('mt', { capsEx: 2 });
  const legacy = await play('mt');
  const feed = new MediaFeed((m) => {
    for (const v2 of toV2(m)) pub.sendMedia(streamId, v2);
  }).start();
  feeds.push(feed);

  await waitFor(
    'every track at the Multitrack player',
    () => {
      const got = multi.c.media(multi.streamId);
      return (
        got.some((m) => m.type === MediaType.Video && trackIds(m).join() === '0,1' && m.keyframe) &&
        got.some((m) => m.type === MediaType.Audio && trackIds(m).join() === '0,1' && m.nanoOffset === 123_456) &&
        got.some((m) => m.type === MediaType.Audio && trackIds(m).join() === '2')
      );
    },
    15_000,
  );
  const mtAudio = multi.c
    .media(multi.streamId)
    .find((m) => m.type === MediaType.Audio && trackIds(m).join() === '0,1')!;
  assert.deepEqual(
    readExTagBody(false, mtAudio.multitrack!).tracks.map((t) => t.fourCc),
    ['mp4a', 'Opus'],
  );

  await waitFor(
    'media at the legacy player',
    () => legacy.c.media(legacy.streamId).filter((m) => m.type === MediaType.Audio).length > 20,
    15_000,
  );
  const got = legacy.c.media(legacy.streamId);
  assert.ok(
    got.every((m) => m.multitrack === undefined),
    'the legacy player gets no Multitrack message',
  );
  assert.ok(
    got.filter((m) => m.type === MediaType.Video).every((m) => (m.payload[0]! & 0x0f) === 7),
    'video is legacy AVC (CodecID 7)',
  );
  assert.ok(
    got.filter((m) => m.type === MediaType.Audio).every((m) => m.payload[0] === 0xaf),
    'audio is legacy AAC, no AC-3 track 2',
  );
  assert.ok(
    got.some((m) => m.type === MediaType.Video && m.keyframe),
    'track 0 keyframes stay keyframes',
  );

  const probed = await probe(svc.urls('mt').play!.rtmp, 2);
  const codecs = probed.streams.map((s) => s.codec_name).sort();
  assert.deepEqual(codecs, ['aac', 'h264'], JSON.stringify(probed.streams));
  assert.ok(
    probed.streams.every((s) => Number(s.nb_read_frames) > 0),
    'ffprobe decodes frames of both',
  );
  const flv = await probe(svc.urls('mt').play!.flv, 2);
  assert.deepEqual(flv.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  assert.ok(audioFrames > 0);
});

test('hostile Multitrack (a track size that lies, a zero-length track) is refused with FLV_MULTITRACK_INVALID; others go on', async () => {
  const { c: pub, streamId } = await publishV2('steady');
  const watcher = await play('steady', { capsEx: 2 });
  const feed = new MediaFeed((m) => {
    for (const v2 of toV2(m)) pub.sendMedia(streamId, v2);
  }).start();
  feeds.push(feed);
  await waitFor('the steady stream plays', () => watcher.c.media(watcher.streamId).length > 5, 15_000);

  const before = await connectionErrors(svc.httpUrl, 'FLV_MULTITRACK_INVALID');
  const lying = multitrackBody(true, 1, 1, [{ trackId: 0, fourCc: 'avc1', body: Buffer.alloc(16, 1) }]);
  lying.writeUIntBE(0xfffff0, 7, 3); // track 0 says ~16 MiB in a 28-byte message
  const zero = multitrackBody(false, 1, 1, [
    { trackId: 0, fourCc: 'Opus', body: Buffer.alloc(0) },
    { trackId: 1, fourCc: 'Opus', body: Buffer.of(1) },
  ]);
  for (const [name, type, body] of [
    ['lying', MediaType.Video, lying],
    ['zero', MediaType.Audio, zero],
  ] as const) {
    const { c, streamId: id } = await publishV2(name);
    c.sendMedia(id, mediaMessage(type, 0, body));
    assert.ok(await c.closedWithin(5000), `the ${name} publisher is cut`);
  }
  await waitFor(
    'both counted',
    async () => (await connectionErrors(svc.httpUrl, 'FLV_MULTITRACK_INVALID')) === before + 2,
    5000,
  );
  const seen = watcher.c.media(watcher.streamId).length;
  await waitFor('the steady stream still plays', () => watcher.c.media(watcher.streamId).length > seen + 5, 10_000);
  assert.equal(watcher.c.destroyed, false);
});
