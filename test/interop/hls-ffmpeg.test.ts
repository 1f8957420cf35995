/** Real ffmpeg publishes over RTMP; real ffprobe and ffmpeg play the HLS playlist and its segments back. */
import { metricValue } from '../support/metrics.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type TestService } from '../support/service.ts';
import { publish, probe, run, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { parsePlaylist, type ParsedPlaylist } from '../../src/servers/hls/hls-test-kit.ts';
import { streamUrls } from '../../src/control/stream-urls.ts';

let svc: TestService;
const publishers: FfmpegProcess[] = [];
let scratch: string;

before(async () => {
  svc = await startService({ hls: { segmentTargetMs: 2000 } });
  scratch = mkdtempSync(join(tmpdir(), 'openlive-hls-'));
  for (const [name, options] of [
    ['main', {}],
    ['audio', { video: false }],
    ['video', { audio: false }],
  ] as const) {
    publishers.push(publish(svc.urls(name).push.rtmp, options));
  }
  await waitFor('three publishers to go live', () =>
    ['main', 'audio', 'video'].every((n) => svc.service.hub.get(`live/${n}`)?.live),
  );
});

after(async () => {
  await Promise.all(publishers.map((p) => p.stop()));
  await svc.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The signed playlist URL of `live/<name>` (signed when the play domain has auth on). */
const playlistUrl = (name: string): string => svc.urls(name).play!.hls;

/** Reads the playlist until it lists `n` segments (the first request starts the segmenter). */
async function playlistWith(name: string, n: number): Promise<ParsedPlaylist> {
  let p: ParsedPlaylist | undefined;
  await waitFor(
    `${n} segments of ${name}`,
    async () => {
      const res = await fetch(playlistUrl(name));
      p = res.ok ? parsePlaylist(await res.text()) : undefined;
      return (p?.segments.length ?? 0) >= n;
    },
    30_000,
  );
  return p!;
}

/** ffprobe's packets of a file: stream type and times, in file order. */
async function packets(file: string): Promise<Array<{ type: string; dts: number; duration: number }>> {
  const child = run('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_entries',
    'packet=codec_type,dts_time,duration_time',
    file,
  ]);
  let out = '';
  child.child.stdout!.removeAllListeners('data');
  child.child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  assert.equal(await child.exited, 0, child.stderr());
  const json = JSON.parse(out) as { packets: Array<{ codec_type: string; dts_time: string; duration_time?: string }> };
  return json.packets.map((p) => ({
    type: p.codec_type,
    dts: Number(p.dts_time),
    duration: Number(p.duration_time ?? 0),
  }));
}

test('ffprobe reads the .m3u8: H.264 320x240 and AAC 44.1 kHz, frames decode', async () => {
  await playlistWith('main', 1);
  const result = await probe(playlistUrl('main'), 2);
  const video = result.streams.find((s) => s.codec_type === 'video');
  const audio = result.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(video?.width, 320);
  assert.equal(video?.height, 240);
  assert.ok(Number(video?.nb_read_frames) >= 10, `video frames: ${video?.nb_read_frames}`);
  assert.equal(audio?.codec_name, 'aac');
  assert.equal(audio?.sample_rate, '44100');
});

test('segments last the 2 s target (1 s GOPs) and timestamps run on without gaps across them', async () => {
  const p = await playlistWith('main', 4);
  const targetDuration = p.targetDuration!;
  for (const s of p.segments) {
    assert.ok(Math.round(s.duration) <= targetDuration);
    assert.ok(Math.abs(s.duration - 2) <= 0.05, `segment of ${s.duration} s`);
  }
  const base = playlistUrl('main').replace(/[^/]*$/, '');
  const lists = [];
  for (const [i, s] of p.segments.slice(-3).entries()) {
    const res = await fetch(new URL(s.uri, base));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp2t');
    const file = join(scratch, `seg${i}.ts`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    lists.push({ packets: await packets(file), extinf: s.duration });
  }
  for (let i = 1; i < lists.length; i++) {
    for (const type of ['video', 'audio']) {
      const prev = lists[i - 1]!.packets.filter((x) => x.type === type);
      const next = lists[i]!.packets.filter((x) => x.type === type);
      const end = prev.at(-1)!.dts + prev.at(-1)!.duration;
      const gap = next[0]!.dts - end;
      assert.ok(Math.abs(gap) < 0.05, `${type} jumps by ${gap.toFixed(3)} s between segments`);
    }
    const video = lists[i - 1]!.packets.filter((x) => x.type === 'video');
    const span = lists[i]!.packets.find((x) => x.type === 'video')!.dts - video[0]!.dts;
    assert.ok(Math.abs(span - lists[i - 1]!.extinf) < 0.01, `EXTINF ${lists[i - 1]!.extinf} vs media ${span}`);
  }
});

test('ffmpeg -i URL.m3u8 -t 10 -f null - decodes without an error', async () => {
  await playlistWith('main', 2);
  const ff = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', playlistUrl('main'), '-t', '10', '-f', 'null', '-']);
  const code = await ff.exited;
  assert.equal(code, 0, ff.stderr());
  assert.equal(ff.stderr().trim(), '', 'ffmpeg reported no decoding error');
});

test('/metrics shows the running segmenters and the segments they hold', async () => {
  await fetch(playlistUrl('main'));
  assert.ok((await metricValue(svc.httpUrl, 'openlive_hls_streams')) >= 1);
  assert.ok((await metricValue(svc.httpUrl, 'openlive_hls_segments')) >= 1);
  assert.ok((await metricValue(svc.httpUrl, 'openlive_hls_bytes')) > 10_000);
});

test('an audio-only stream plays as audio-only HLS', async () => {
  const p = await playlistWith('audio', 2);
  for (const s of p.segments) assert.ok(Math.abs(s.duration - 2) < 0.1, `audio segment of ${s.duration} s`);
  const result = await probe(playlistUrl('audio'), 2);
  assert.deepEqual(
    result.streams.map((s) => s.codec_type),
    ['audio'],
  );
  assert.equal(result.streams[0]!.codec_name, 'aac');
  assert.ok(Number(result.streams[0]!.nb_read_frames) >= 20);
});

test('a video-only stream plays as video-only HLS', async () => {
  await playlistWith('video', 2);
  const result = await probe(playlistUrl('video'), 2);
  assert.deepEqual(
    result.streams.map((s) => s.codec_type),
    ['video'],
  );
  assert.equal(result.streams[0]!.codec_name, 'h264');
  assert.ok(Number(result.streams[0]!.nb_read_frames) >= 10);
});

test('play auth: an unsigned playlist is refused; a signed one lists signed segment URIs that play, never the key', async () => {
  const play = svc.service.defaults.play!.name;
  const domain = await svc.service.domains.setAuth(play, { enabled: true });
  // HLS remembers admissions for a second (play-decision-cache.ts); the earlier tests' unsigned ones must lapse.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  try {
    const refused = await fetch(`${svc.httpUrl}/live/main.m3u8`);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'TXTIME_MISSING');
    const signed = (stream: string) =>
      streamUrls({
        app: 'live',
        stream,
        expiresAt: Math.floor(Date.now() / 1000) + 600,
        push: { host: '127.0.0.1', auth: svc.service.defaults.push!.auth },
        play: { host: '127.0.0.1', auth: domain.auth },
        httpPort: svc.service.httpPort,
      }).play!.hls;
    const url = signed('main');
    const text = await (await fetch(url)).text();
    assert.ok(!text.includes(domain.auth.key), 'the play key is not in the playlist');
    const p = parsePlaylist(text);
    const query = new URL(url).search;
    for (const s of p.segments) assert.ok(s.uri.endsWith(query), `${s.uri} carries the playlist's signature`);
    const segment = new URL(p.segments.at(-1)!.uri, url);
    assert.equal((await fetch(segment)).status, 200);
    assert.equal((await fetch(segment.href.split('?')[0]!)).status, 403, 'a segment without the signature is refused');
    const otherStream = new URL(signed('other')).search;
    assert.equal(
      (await fetch(segment.href.split('?')[0]! + otherStream)).status,
      403,
      "another stream's signature does not fit",
    );
    const result = await probe(url, 1);
    assert.ok(result.streams.some((s) => s.codec_name === 'h264'));
  } finally {
    await svc.service.domains.setAuth(play, { enabled: false });
  }
});
