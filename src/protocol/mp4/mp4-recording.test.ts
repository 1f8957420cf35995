import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { boxes, readMp4 } from '../../../test/support/mp4-reader.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { MediaType, mediaMessage } from '../media.ts';
import { Mp4Recording } from './mp4-recording.ts';

const [avcConfig] = new FlvDemuxer()
  .push(fixture('flv/h264-aac-320x240.flv'))
  .filter((m) => m.type === MediaType.Video && m.sequenceHeader);
const frame = (ms: number, key: boolean) =>
  mediaMessage(MediaType.Video, ms, Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0, 0, 0, 0, 1, key ? 0x65 : 0x41]));
const aac = (ms: number) => mediaMessage(MediaType.Audio, ms, Buffer.from([0xaf, 1, 0x21, 0]));
const aacConfig = mediaMessage(MediaType.Audio, 0, Buffer.concat([hex('af00'), hex('1210')]));

function faststart(rec: Mp4Recording, file: Buffer): Buffer {
  const layout = rec.finalize()!;
  return Buffer.concat([layout.header, ...layout.copies.map((c) => file.subarray(c.offset, c.offset + c.size))]);
}

it('starts at the first keyframe, cuts a fragment at each keyframe, and its layout makes a faststart file', () => {
  const rec = new Mp4Recording();
  const out: Buffer[] = [];
  out.push(...rec.push(avcConfig!));
  out.push(...rec.push(frame(0, false)));
  assert.equal(out.length, 0, 'nothing before the first keyframe');
  for (let i = 1; i <= 50; i++) out.push(...rec.push(frame(40 * i, i % 25 === 1)));
  out.push(...rec.flush());
  const file = Buffer.concat(out);
  assert.equal(file.length, rec.bytesWritten);
  assert.deepEqual(
    boxes(file).map((b) => b.type),
    ['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat'],
  );
  assert.equal(rec.durationMs, 49 * 40);
  const [video] = readMp4(faststart(rec, file));
  assert.equal(video!.samples.length, 50);
  // Decode times read back from stts count from the file's first sample (the keyframe at 40 ms).
  assert.deepEqual(
    video!.samples.filter((s) => s.sync).map((s) => s.dts / 90),
    [0, 1000],
  );
});

it('audio only: a fragment every fragmentMs', () => {
  const rec = new Mp4Recording({ fragmentMs: 500 });
  const out: Buffer[] = [...rec.push(aacConfig)];
  for (let ms = 0; ms < 2000; ms += 23) out.push(...rec.push(aac(ms)));
  out.push(...rec.flush());
  const file = Buffer.concat(out);
  assert.equal(boxes(file).filter((b) => b.type === 'moof').length, 4);
  assert.equal(readMp4(faststart(rec, file))[0]!.samples.length, Math.ceil(2000 / 23));
});

it('a track configured after the file started is left out and reported, so the recorder can split', () => {
  const rec = new Mp4Recording();
  rec.push(avcConfig!);
  rec.push(frame(0, true));
  assert.equal(rec.tracksChanged, false);
  rec.push(aacConfig);
  rec.push(aac(10));
  assert.equal(rec.tracksChanged, true);
  rec.push(frame(40, false));
  rec.push(aac(33));
  rec.flush();
  assert.deepEqual(
    rec.tracks.map((t) => t.kind),
    ['video'],
  );
  assert.ok(rec.finalize());
});
