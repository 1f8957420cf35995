/**
 * Interop: our MPEG-TS muxer's output read by real ffprobe and decoded by real ffmpeg: codecs, sizes,
 * packet counts and timestamps as the FLV input says, and no decoder errors.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixture } from '../fixtures/fixture.ts';
import { hevcMessages } from '../fixtures/mpegts/hevc-annexb.ts';
import { FlvDemuxer } from '../../src/protocol/flv/flv-demuxer.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../../src/protocol/media.ts';
import { TsMuxer } from '../../src/protocol/mpegts/ts-muxer.ts';
import { readPackets, readPes } from '../support/ts-reader.ts';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'openlive-ts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface ProbeStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}
interface ProbePacket {
  codec_type: string;
  pts: number;
  dts: number;
  flags: string;
}

/** Muxes messages into a .ts file as a segmenter would (tables first) and returns its path and bytes. */
function muxToFile(name: string, messages: readonly MediaMessage[]): { path: string; bytes: Buffer; muxer: TsMuxer } {
  const muxer = new TsMuxer();
  const chunks: Buffer[] = [];
  for (const msg of messages) {
    const chunk = muxer.push(msg, chunks.length === 0);
    if (chunk) chunks.push(chunk.bytes);
  }
  const path = join(dir, name);
  const bytes = Buffer.concat(chunks);
  writeFileSync(path, bytes);
  return { path, bytes, muxer };
}

async function probe(path: string): Promise<{ streams: ProbeStream[]; packets: ProbePacket[] }> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-show_packets', path]);
  return JSON.parse(stdout) as { streams: ProbeStream[]; packets: ProbePacket[] };
}

/** Decodes the whole file with ffmpeg and returns what it printed at level "warning" and above. */
async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await exec('ffmpeg', ['-hide_banner', '-nostats', '-v', 'warning', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

const flvMessages = (name: string): MediaMessage[] => new FlvDemuxer().push(fixture(`flv/${name}`));
const isFrame = (msg: MediaMessage, type: number): boolean =>
  msg.type === type && !msg.sequenceHeader && msg.payload[1] === 1;

test('H.264 + AAC fixture: ffprobe sees 320x240 High and AAC-LC 44.1 kHz, every frame at its FLV time', async () => {
  const messages = flvMessages('h264-aac-320x240.flv');
  const { path } = muxToFile('h264-aac.ts', messages);
  const { streams, packets } = await probe(path);
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  assert.deepEqual([video?.codec_name, video?.profile, video?.width, video?.height], ['h264', 'High', 320, 240]);
  assert.deepEqual([audio?.codec_name, audio?.profile, audio?.sample_rate, audio?.channels], ['aac', 'LC', '44100', 1]);
  const videoFrames = messages.filter((m) => isFrame(m, MediaType.Video));
  const audioFrames = messages.filter((m) => isFrame(m, MediaType.Audio));
  const videoPackets = packets.filter((p) => p.codec_type === 'video');
  const audioPackets = packets.filter((p) => p.codec_type === 'audio');
  assert.equal(videoPackets.length, videoFrames.length);
  assert.equal(audioPackets.length, audioFrames.length);
  videoPackets.forEach((p, i) => {
    const f = videoFrames[i]!;
    assert.equal(p.dts, f.timestamp * 90, `video ${i} dts`);
    assert.equal(p.pts, (f.timestamp + f.payload.readIntBE(2, 3)) * 90, `video ${i} pts`);
    assert.equal(p.flags.startsWith('K'), f.keyframe, `video ${i} keyframe flag`);
  });
  audioPackets.forEach((p, i) => assert.equal(p.pts, audioFrames[i]!.timestamp * 90, `audio ${i} pts`));
  assert.equal(await decodeErrors(path), '');
});

test('our ADTS stream is byte for byte what ffmpeg writes when it copies the same AAC to ADTS', async () => {
  const { bytes } = muxToFile('adts-check.ts', flvMessages('h264-aac-320x240.flv'));
  const ours = Buffer.concat(readPes(readPackets(bytes), 0x101).map((p) => p.data));
  const adts = join(dir, 'ffmpeg.adts');
  await exec('ffmpeg', [
    '-v',
    'error',
    '-i',
    new URL('../fixtures/flv/h264-aac-320x240.flv', import.meta.url).pathname,
    '-vn',
    '-c:a',
    'copy',
    '-f',
    'adts',
    adts,
  ]);
  assert.deepEqual(ours, readFileSync(adts));
});

test('audio-only: AAC 48 kHz stereo with the PCR on audio decodes without errors', async () => {
  // The fixture's 0.1 s looped to 2 s, re-timed 1024 samples apart: a file of a few packets would be too
  // short for ffmpeg's MPEG-TS probe (it wants more than 10 packets) and would be taken for MPEG-PS.
  const fixtureMessages = flvMessages('aac-48000-stereo.flv');
  const frames = fixtureMessages.filter((m) => isFrame(m, MediaType.Audio));
  const looped = Array.from({ length: 94 }, (_, i) =>
    mediaMessage(MediaType.Audio, Math.round((i * 1024 * 1000) / 48000), frames[i % frames.length]!.payload),
  );
  const messages = [...fixtureMessages.filter((m) => m.sequenceHeader), ...looped];
  const { path, muxer } = muxToFile('audio-only.ts', messages);
  assert.equal(muxer.hasVideo, false);
  const { streams, packets } = await probe(path);
  assert.deepEqual(
    streams.map((s) => [s.codec_type, s.codec_name, s.sample_rate, s.channels]),
    [['audio', 'aac', '48000', 2]],
  );
  assert.equal(packets.length, looped.length);
  packets.forEach((p, i) => assert.equal(p.pts, looped[i]!.timestamp * 90));
  assert.equal(await decodeErrors(path), '');
});

test('video-only: the fixture without its audio is one H.264 stream that decodes without errors', async () => {
  const messages = flvMessages('h264-aac-320x240.flv').filter((m) => m.type !== MediaType.Audio);
  const { path } = muxToFile('video-only.ts', messages);
  const { streams, packets } = await probe(path);
  assert.deepEqual(
    streams.map((s) => [s.codec_type, s.codec_name, s.width, s.height]),
    [['video', 'h264', 320, 240]],
  );
  assert.equal(packets.length, messages.filter((m) => isFrame(m, MediaType.Video)).length);
  assert.equal(await decodeErrors(path), '');
});

test('timestamps crossing 2^33 mid-file: ffmpeg reads every frame in order and decodes without errors', async () => {
  const wrapMs = Math.ceil(2 ** 33 / 90);
  const offset = wrapMs - 500; // the wrap comes half a second in
  const messages = flvMessages('h264-aac-320x240.flv').map((m) =>
    mediaMessage(m.type, m.timestamp + offset, m.payload),
  );
  const { path } = muxToFile('wrap.ts', messages);
  const { packets } = await probe(path);
  const video = packets.filter((p) => p.codec_type === 'video');
  assert.equal(video.length, messages.filter((m) => isFrame(m, MediaType.Video)).length);
  assert.ok(
    video.some((p) => p.dts % 2 ** 33 < 45_000),
    'some frames lie after the wrap',
  );
  for (let i = 1; i < video.length; i++) assert.equal(video[i]!.dts - video[i - 1]!.dts, 3600, `dts step at ${i}`);
  assert.equal(await decodeErrors(path), '');
});

test('HEVC from x265 over Enhanced RTMP: ffprobe sees hevc Main 320x240, all frames, keyframes flagged', async () => {
  const hevc = join(dir, 'x265.hevc');
  await exec('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-frames:v',
    '30',
    '-c:v',
    'libx265',
    '-preset',
    'ultrafast',
    '-x265-params',
    'log-level=error:bframes=0:keyint=10:min-keyint=10',
    '-f',
    'hevc',
    hevc,
  ]);
  const messages = hevcMessages(readFileSync(hevc), 25);
  const { path, muxer } = muxToFile('hevc.ts', messages);
  assert.match(muxer.codecs()[0]!, /^hvc1\.1\.6\.L\d+\.90$/);
  const { streams, packets } = await probe(path);
  assert.deepEqual(
    streams.map((s) => [s.codec_name, s.profile, s.width, s.height]),
    [['hevc', 'Main', 320, 240]],
  );
  assert.equal(packets.length, 30);
  assert.deepEqual(
    packets.map((p) => p.flags.startsWith('K')),
    messages.slice(1).map((m) => m.keyframe),
  );
  assert.deepEqual(
    packets.map((p) => p.pts),
    messages.slice(1).map((m) => m.timestamp * 90),
  );
  assert.equal(messages.filter((m) => m.keyframe).length, 3);
  assert.equal(await decodeErrors(path), '');

  // A player joining at the second keyframe (a later HLS segment) has only what that keyframe brings:
  // the publisher sent VPS/SPS/PPS only in its sequence header, so the muxer must have put them there.
  const muxer2 = new TsMuxer();
  const chunks = messages.map((m) => muxer2.push(m)).filter((c) => c !== undefined);
  const second = chunks.findIndex((c, i) => i > 0 && c.keyframe);
  const joined = join(dir, 'hevc-joined.ts');
  writeFileSync(joined, Buffer.concat(chunks.slice(second).map((c) => c.bytes)));
  const late = await probe(joined);
  assert.deepEqual(
    late.streams.map((s) => [s.codec_name, s.width, s.height]),
    [['hevc', 320, 240]],
  );
  assert.equal(late.packets.length, 20);
  assert.equal(await decodeErrors(joined), '');
});
