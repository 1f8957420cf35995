/**
 * Interop: our fragmented and faststart MP4 files, made from real ffmpeg encodes (H.264 + AAC over FLV;
 * HEVC + Opus and AV1 + AAC as Enhanced RTMP messages), read by ffprobe and MP4Box.js and decoded by
 * ffmpeg without an error: codecs, size, duration within 0.2 s, sample counts as the input says.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FlvDemuxer } from '../../src/protocol/flv/flv-demuxer.ts';
import type { MediaMessage } from '../../src/protocol/media.ts';
import { boxes, enhancedRtmpMessages, readMp4 } from '../support/mp4-reader.ts';
import { mp4boxRead } from '../support/mp4box-check.ts';
import { recordMp4 } from '../support/mp4-record.ts';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'openlive-mp4-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Probe {
  streams: {
    codec_type: string;
    codec_name: string;
    start_time: string;
    width?: number;
    height?: number;
    sample_rate?: string;
    channels?: number;
  }[];
  format: { duration: string; format_name: string };
}

async function probe(path: string): Promise<Probe> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-show_format', path]);
  return JSON.parse(stdout) as Probe;
}

async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await exec('ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

async function encode(name: string, args: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await exec('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args, path], { maxBuffer: 1 << 24 });
  return path;
}

const lavfi = (seconds: number, size = '320x240'): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=25`,
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=48000',
  '-t',
  String(seconds),
];

/** Records `messages`, writes both files, and checks each with ffprobe, ffmpeg and MP4Box.js. */
async function checkBoth(
  name: string,
  messages: readonly MediaMessage[],
  want: {
    video: string;
    audio: string;
    width: number;
    height: number;
    seconds: number;
    videoFrames: number;
    audioFrames: number;
    source?: string;
  },
): Promise<void> {
  const lead = async (path: string): Promise<number> => {
    const s = (await probe(path)).streams;
    return (
      Number(s.find((x) => x.codec_type === 'video')!.start_time) -
      Number(s.find((x) => x.codec_type === 'audio')!.start_time)
    );
  };
  const sourceLead = want.source === undefined ? undefined : await lead(want.source);
  const rec = recordMp4(messages);
  assert.ok(rec.fragments > 2, 'a fragment per GOP');
  for (const [kind, bytes] of [
    ['fmp4', rec.fmp4],
    ['mp4', rec.mp4],
  ] as const) {
    const path = join(dir, `${name}.${kind}.mp4`);
    writeFileSync(path, bytes);
    const p = await probe(path);
    const v = p.streams.find((s) => s.codec_type === 'video');
    const a = p.streams.find((s) => s.codec_type === 'audio');
    assert.deepEqual(
      [v?.codec_name, v?.width, v?.height, a?.codec_name],
      [want.video, want.width, want.height, want.audio],
      `${kind} streams`,
    );
    const duration = Number(p.format.duration);
    assert.ok(Math.abs(duration - want.seconds) <= 0.2, `${kind} lasts ${duration} s, want ${want.seconds} ± 0.2`);
    assert.equal(await decodeErrors(path), '', `${kind} decodes without errors`);
    // Audio/video sync: the video's first picture leads (or trails) the audio by what the source says.
    if (sourceLead !== undefined)
      assert.ok(Math.abs((await lead(path)) - sourceLead) < 0.002, `${kind} keeps A/V sync`);
    const top = boxes(bytes).map((b) => b.type);
    if (kind === 'mp4') assert.deepEqual(top, ['ftyp', 'moov', 'mdat'], 'faststart: moov before mdat');
    else assert.deepEqual(top.slice(0, 4), ['ftyp', 'moov', 'moof', 'mdat']);
    const box = mp4boxRead(bytes);
    assert.deepEqual(box.errors, []);
    assert.equal(box.info.isFragmented, kind === 'fmp4');
    const [vt, at] = [box.info.videoTracks[0]!, box.info.audioTracks[0]!];
    assert.equal(vt.video?.width, want.width);
    assert.equal(box.samples.get(vt.id)?.count, want.videoFrames, `${kind}: MP4Box.js video samples`);
    assert.equal(box.samples.get(at.id)?.count, want.audioFrames, `${kind}: MP4Box.js audio samples`);
    assert.equal(vt.codec, rec.video!.codecString);
    assert.equal(at.codec.toLowerCase(), rec.audio!.codecString.toLowerCase());
  }
}

let h264Flv: string;
before(async () => {
  // 20 s as the recordings; B-frames, so composition offsets matter.
  h264Flv = await encode('h264-aac.flv', [
    ...lavfi(20),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-bf',
    '2',
    '-g',
    '50',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-f',
    'flv',
  ]);
});

test('H.264 + AAC from ffmpeg FLV: fMP4 and faststart MP4 read back by ffprobe and MP4Box.js, 20 s', async () => {
  const messages = new FlvDemuxer().push(readFileSync(h264Flv));
  const frames = (type: number) =>
    messages.filter((m) => m.type === type && !m.sequenceHeader && m.payload[1] === 1).length;
  await checkBoth('h264', messages, {
    video: 'h264',
    audio: 'aac',
    width: 320,
    height: 240,
    seconds: 20,
    videoFrames: frames(9),
    audioFrames: frames(8),
    source: h264Flv,
  });
});

test('HEVC (libx265) + Opus as Enhanced RTMP hvc1/Opus: both files play', async () => {
  const src = await encode('hevc-opus.mp4', [
    ...lavfi(6),
    '-c:v',
    'libx265',
    '-preset',
    'ultrafast',
    '-x265-params',
    'log-level=error:keyint=25:bframes=2',
    '-tag:v',
    'hvc1',
    '-c:a',
    'libopus',
    '-b:a',
    '48k',
  ]);
  const tracks = readMp4(readFileSync(src));
  const count = (h: string) => tracks.find((t) => t.handler === h)!.samples.length;
  await checkBoth('hevc', enhancedRtmpMessages(tracks), {
    video: 'hevc',
    audio: 'opus',
    width: 320,
    height: 240,
    seconds: 6,
    videoFrames: count('vide'),
    audioFrames: count('soun'),
  });
});

test('AV1 (SVT-AV1) + AAC as Enhanced RTMP av01/mp4a: both files play', async () => {
  const src = await encode('av1-aac.mp4', [
    ...lavfi(4),
    '-c:v',
    'libsvtav1',
    '-preset',
    '12',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
  ]);
  const tracks = readMp4(readFileSync(src));
  const count = (h: string) => tracks.find((t) => t.handler === h)!.samples.length;
  await checkBoth('av1', enhancedRtmpMessages(tracks), {
    video: 'av1',
    audio: 'aac',
    width: 320,
    height: 240,
    seconds: 4,
    videoFrames: count('vide'),
    audioFrames: count('soun'),
  });
});
