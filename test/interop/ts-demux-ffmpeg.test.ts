/**
 * Interop: MPEG-TS written by real ffmpeg (libx264/libx265, aac, libopus; a start time near 2^33 so the
 * clock wraps) read by our demuxer in SRT-sized pieces, written out as FLV by src/protocol/flv, and read
 * back by ffprobe (codecs, size, frame counts, duration) and decoded by ffmpeg without errors. HEVC goes
 * back through our TS muxer instead, because Debian's ffmpeg 5.1 reads no HEVC in FLV.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeFlvHeader } from '../../src/protocol/flv/flv-header.ts';
import { encodeFlvTag } from '../../src/protocol/flv/flv-tag.ts';
import { MediaType, type MediaMessage } from '../../src/protocol/media.ts';
import { TsDemuxer } from '../../src/protocol/mpegts/ts-demuxer.ts';
import { TsMuxer } from '../../src/protocol/mpegts/ts-muxer.ts';
import { readPackets, readPes } from '../support/ts-reader.ts';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'openlive-tsdemux-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lavfi = (seconds: number, rate = 44100): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc=size=320x240:rate=25:duration=${seconds}`,
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`,
];

/** Runs ffmpeg to write a TS file and returns its bytes. */
async function ffmpegTs(name: string, args: string[]): Promise<Buffer> {
  const path = join(dir, name);
  await exec('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args, '-f', 'mpegts', path]);
  return readFileSync(path);
}

/** Demuxes in 1316-byte pieces (seven packets, what SRT carries) and checks the timelines only grow. */
function demux(bytes: Buffer): { messages: MediaMessage[]; demuxer: TsDemuxer } {
  const demuxer = new TsDemuxer();
  const messages: MediaMessage[] = [];
  for (let at = 0; at < bytes.length; at += 1316) demuxer.push(bytes.subarray(at, at + 1316), messages);
  demuxer.end(messages);
  for (const type of [MediaType.Video, MediaType.Audio]) {
    const times = messages.filter((m) => m.type === type).map((m) => m.timestamp);
    times.forEach((t, i) => assert.ok(i === 0 || t >= times[i - 1]!, `type ${type}: ${t} after ${times[i - 1]}`));
  }
  return { messages, demuxer };
}

function writeFlv(name: string, messages: readonly MediaMessage[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([encodeFlvHeader({ audio: true, video: true }), ...messages.map(encodeFlvTag)]));
  return path;
}

interface Probed {
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    sample_rate?: string;
    nb_read_frames?: string;
  }[];
  format: { duration: string };
}

async function probe(path: string): Promise<Probed> {
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-of',
    'json',
    '-show_streams',
    '-show_format',
    path,
  ]);
  return JSON.parse(stdout) as Probed;
}

async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await exec('ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

const frames = (messages: readonly MediaMessage[], type: number): MediaMessage[] =>
  messages.filter((m) => m.type === type && !m.sequenceHeader);

async function checkH264Aac(name: string, ts: Buffer): Promise<TsDemuxer> {
  const { messages, demuxer } = demux(ts);
  assert.deepEqual(demuxer.stats.errors, {});
  assert.equal(demuxer.stats.timestampJumps, 0);
  assert.equal(frames(messages, MediaType.Video).length, 100);
  const flv = writeFlv(`${name}.flv`, messages);
  const { streams, format } = await probe(flv);
  const v = streams.find((s) => s.codec_type === 'video');
  const a = streams.find((s) => s.codec_type === 'audio');
  assert.deepEqual([v?.codec_name, v?.width, v?.height, v?.nb_read_frames], ['h264', 320, 240, '100']);
  assert.deepEqual([a?.codec_name, a?.sample_rate], ['aac', '44100']);
  // 4 s of audio at 1024 samples a frame, give or take the encoder's priming frame.
  const audioFrames = Number(a?.nb_read_frames);
  assert.ok(Math.abs(audioFrames - Math.ceil((4 * 44100) / 1024)) <= 2, `${audioFrames} AAC frames`);
  assert.ok(Math.abs(Number(format.duration) - 4) < 0.15, `duration ${format.duration}`);
  assert.equal(await decodeErrors(flv), '');
  return demuxer;
}

test('ffmpeg H.264 + AAC in TS, demuxed to FLV: ffprobe reads 320x240 H.264, AAC 44.1 kHz, 100 frames, 4 s', async () => {
  const ts = await ffmpegTs('h264.ts', [...lavfi(4), '-c:v', 'libx264', '-g', '50', '-c:a', 'aac']);
  const demuxer = await checkH264Aac('h264', ts);
  assert.deepEqual(demuxer.video, { codec: 'avc', width: 320, height: 240 });
});

test('a start PTS just below 2^33 (-mpegts_copyts): the wrap 1.5 s in leaves no jump and the same FLV', async () => {
  // 2^33 / 90 kHz = 95443.7 s: starting 1.5 s before it puts the wrap in the middle of the clip.
  const ts = await ffmpegTs('wrap.ts', [
    ...lavfi(4),
    '-c:v',
    'libx264',
    '-g',
    '50',
    '-c:a',
    'aac',
    '-output_ts_offset',
    '95442.2',
    '-mpegts_copyts',
    '1',
  ]);
  const pts = readPes(readPackets(ts), 0x100).map((p) => p.pts!.value);
  assert.ok(pts[0]! > 2 ** 33 - 90_000 * 2 && pts.at(-1)! < 90_000 * 3, `the clip wraps: ${pts[0]} .. ${pts.at(-1)}`);
  await checkH264Aac('wrap', ts);
});

test('ffmpeg HEVC in TS: the records we build make a TS our muxer writes and ffmpeg decodes, 50 frames', async () => {
  const ts = await ffmpegTs('hevc.ts', [
    ...lavfi(2),
    '-c:v',
    'libx265',
    '-x265-params',
    'log-level=none:keyint=25',
    '-c:a',
    'aac',
  ]);
  const { messages, demuxer } = demux(ts);
  assert.deepEqual(demuxer.stats.errors, {});
  assert.deepEqual(demuxer.video, { codec: 'hevc', width: 320, height: 240 });
  const video = frames(messages, MediaType.Video);
  assert.equal(video.length, 50);
  assert.equal(video.filter((m) => m.keyframe).length, 2);
  const muxer = new TsMuxer();
  const out = messages.map((m, i) => muxer.push(m, i === 0)?.bytes).filter((b) => b !== undefined);
  const path = join(dir, 'hevc-again.ts');
  writeFileSync(path, Buffer.concat([muxer.tables(), ...out]));
  const { streams } = await probe(path);
  const v = streams.find((s) => s.codec_type === 'video');
  assert.deepEqual([v?.codec_name, v?.width, v?.height, v?.nb_read_frames], ['hevc', 320, 240, '50']);
  assert.equal(await decodeErrors(path), '');
});

test('ffmpeg Opus in TS: one Enhanced RTMP Opus frame per packet ffprobe counts, at its time', async () => {
  const ts = await ffmpegTs('opus.ts', [...lavfi(2, 48000), '-c:v', 'libx264', '-c:a', 'libopus', '-ac', '2']);
  const { messages, demuxer } = demux(ts);
  assert.deepEqual(demuxer.stats.errors, {});
  assert.deepEqual(demuxer.audio, { codec: 'opus', sampleRate: 48000, channels: 2 });
  const head = messages.find((m) => m.type === MediaType.Audio && m.sequenceHeader);
  assert.equal(head?.payload.subarray(1, 13).toString('latin1'), 'OpusOpusHead');
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a',
    '-show_entries',
    'packet=pts',
    '-of',
    'csv=p=0',
    join(dir, 'opus.ts'),
  ]);
  const pts = stdout
    .split('\n')
    .map((l) => parseInt(l, 10))
    .filter((n) => Number.isFinite(n));
  const audio = frames(messages, MediaType.Audio);
  assert.equal(audio.length, pts.length);
  assert.ok(audio[0]!.timestamp < 200, `the first Opus frame at ${audio[0]!.timestamp} ms`);
  audio.forEach((m, i) => {
    const expected = audio[0]!.timestamp + (pts[i]! - pts[0]!) / 90;
    assert.ok(Math.abs(m.timestamp - expected) <= 1, `opus ${i} at ${m.timestamp}, ffprobe says ${expected}`);
  });
});

test('x264 intra refresh (no IDR after the first): a keyframe per recovery point, and the FLV decodes', async () => {
  const ts = await ffmpegTs('intra-refresh.ts', [
    ...lavfi(4),
    '-c:v',
    'libx264',
    '-x264-params',
    'intra-refresh=1:keyint=25',
    '-c:a',
    'aac',
  ]);
  const { messages, demuxer } = demux(ts);
  assert.deepEqual(demuxer.stats.errors, {});
  const video = frames(messages, MediaType.Video);
  assert.equal(video.length, 100);
  assert.equal(video.filter((m) => m.keyframe).length, 4);
  const flv = writeFlv('intra-refresh.flv', messages);
  assert.equal(await decodeErrors(flv), '');
});

test('MP3 in TS (stream_type 0x03): one FLV MP3 tag per frame; ffprobe counts the same frames and it decodes', async () => {
  const ts = await ffmpegTs('mp3.ts', [...lavfi(3), '-c:v', 'libx264', '-c:a', 'libmp3lame']);
  const { messages, demuxer } = demux(ts);
  assert.deepEqual(demuxer.stats.errors, {});
  assert.deepEqual(demuxer.audio, { codec: 'mp3', sampleRate: 44100, channels: 1 });
  const flv = writeFlv('mp3.flv', messages);
  const source = (await probe(join(dir, 'mp3.ts'))).streams.find((s) => s.codec_type === 'audio');
  const a = (await probe(flv)).streams.find((s) => s.codec_type === 'audio');
  assert.deepEqual([a?.codec_name, a?.sample_rate, a?.nb_read_frames], ['mp3', '44100', source?.nb_read_frames]);
  assert.equal(frames(messages, MediaType.Audio).length, Number(source?.nb_read_frames));
  assert.equal(await decodeErrors(flv), '');
});
