/** Real ffmpeg publishes over RTMP; real ffprobe plays back over RTMP and HTTP-FLV. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { publish, probe, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { FlvDemuxer } from '../../src/protocol/flv/flv-demuxer.ts';
import { MediaType, type MediaMessage } from '../../src/protocol/media.ts';

let svc: TestService;
let publisher: FfmpegProcess;

before(async () => {
  svc = await startService({ http: { playWaitMs: 1500 } });
  publisher = publish(svc.urls('main').push.rtmp);
  await waitFor('the publisher to go live', () => svc.service.hub.get('live/main')?.live === true);
});

after(async () => {
  await publisher.stop();
  await svc.close();
});

function assertH264Aac(result: Awaited<ReturnType<typeof probe>>): void {
  const video = result.streams.find((s) => s.codec_type === 'video');
  const audio = result.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(video?.width, 320);
  assert.equal(video?.height, 240);
  assert.ok(Number(video?.nb_read_frames) >= 10, `video frames decoded: ${video?.nb_read_frames}`);
  assert.equal(audio?.codec_name, 'aac');
  assert.equal(audio?.sample_rate, '44100');
  assert.ok(Number(audio?.nb_read_frames) >= 10, `audio frames decoded: ${audio?.nb_read_frames}`);
}

test('ffprobe reads the stream back over RTMP: H.264 320x240 and AAC 44.1 kHz, frames decode', async () => {
  assertH264Aac(await probe(`${svc.rtmpUrl}/live/main`));
});

test('ffprobe reads the stream back over HTTP-FLV', async () => {
  assertH264Aac(await probe(`${svc.httpUrl}/live/main.flv`));
});

test('two players at once, one per protocol, both decode', async () => {
  const [a, b] = await Promise.all([probe(`${svc.rtmpUrl}/live/main`), probe(`${svc.httpUrl}/live/main.flv`)]);
  assertH264Aac(a);
  assertH264Aac(b);
});

/** Reads an HTTP-FLV response until `count` media messages arrived. */
async function readFlv(url: string, count: number): Promise<{ messages: MediaMessage[]; firstKeyframeMs: number }> {
  const started = performance.now();
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/x-flv');
  const demuxer = new FlvDemuxer();
  const messages: MediaMessage[] = [];
  let firstKeyframeMs = -1;
  const reader = res.body!.getReader();
  while (messages.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const m of demuxer.push(Buffer.from(value))) {
      if (firstKeyframeMs < 0 && m.keyframe) firstKeyframeMs = performance.now() - started;
      messages.push(m);
    }
  }
  await reader.cancel();
  return { messages, firstKeyframeMs };
}

test('a player that joins mid-stream gets metadata, sequence headers, then starts on a keyframe at once', async () => {
  await new Promise((resolve) => setTimeout(resolve, 700)); // join in the middle of a GOP (1 s at 25 fps)
  const { messages, firstKeyframeMs } = await readFlv(`${svc.httpUrl}/live/main.flv`, 20);
  assert.equal(messages[0]!.type, MediaType.Data, 'onMetaData first');
  const firstVideo = messages.find((m) => m.type === MediaType.Video && !m.sequenceHeader);
  assert.ok(
    messages.some((m) => m.type === MediaType.Video && m.sequenceHeader),
    'AVC sequence header sent',
  );
  assert.ok(
    messages.some((m) => m.type === MediaType.Audio && m.sequenceHeader),
    'AAC sequence header sent',
  );
  assert.equal(firstVideo?.keyframe, true, 'the first video frame is a keyframe');
  assert.ok(firstKeyframeMs >= 0 && firstKeyframeMs < 1000, `first keyframe after ${firstKeyframeMs} ms`);
});

test('unknown streams get a JSON 404 after the wait, with CORS', async () => {
  const res = await fetch(`${svc.httpUrl}/live/nobody.flv`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const body = (await res.json()) as { code: string };
  assert.equal(body.code, 'STREAM_NOT_FOUND');
});

test('HEAD tells a live stream from a missing one without a body', async () => {
  const live = await fetch(`${svc.httpUrl}/live/main.flv`, { method: 'HEAD' });
  assert.equal(live.status, 200);
  assert.equal(live.headers.get('content-type'), 'video/x-flv');
  const missing = await fetch(`${svc.httpUrl}/live/nobody.flv`, { method: 'HEAD' });
  assert.equal(missing.status, 404);
});

test('the publisher stops and restarts: the stream ends, then plays again', async () => {
  await publisher.stop();
  await waitFor('the stream to end', () => svc.service.hub.get('live/main')?.live !== true);
  publisher = publish(svc.urls('main').push.rtmp);
  await waitFor('the publisher to come back', () => svc.service.hub.get('live/main')?.live === true);
  assertH264Aac(await probe(`${svc.httpUrl}/live/main.flv`));
});

test('an audio-only and a video-only stream play back with just their track', async () => {
  const audioOnly = publish(svc.urls('radio').push.rtmp, { video: false });
  const videoOnly = publish(svc.urls('silent').push.rtmp, { audio: false });
  try {
    await waitFor(
      'both to go live',
      () => svc.service.hub.get('live/radio')?.live === true && svc.service.hub.get('live/silent')?.live === true,
    );
    const [a, v] = await Promise.all([probe(`${svc.httpUrl}/live/radio.flv`), probe(`${svc.rtmpUrl}/live/silent`)]);
    assert.deepEqual(
      a.streams.map((s) => s.codec_name),
      ['aac'],
    );
    assert.deepEqual(
      v.streams.map((s) => s.codec_name),
      ['h264'],
    );
  } finally {
    await Promise.all([audioOnly.stop(), videoOnly.stop()]);
  }
});
