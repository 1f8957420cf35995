import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../errors.ts';
import { fixture } from '../../../test/fixtures/fixture.ts';
import { boxes, find, readMp4 } from '../../../test/support/mp4-reader.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { FlvMp4Muxer } from './flv-mp4-muxer.ts';
import { progressiveMp4, ProgressiveMp4Writer } from './progressive-mp4-writer.ts';

function fixtureTracks() {
  const m = new FlvMp4Muxer();
  for (const msg of new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'))) m.push(msg);
  return m.tracks;
}

const tracks = fixtureTracks();
const bytes = (s: string) => Buffer.from(s);

describe('ProgressiveMp4Writer', () => {
  it('lays out ftyp, moov, mdat; sample tables read back sample by sample', () => {
    const video = [
      { dts: 0, duration: 3600, cts: 7200, keyframe: true, data: bytes('I0') },
      { dts: 3600, duration: 3600, cts: -3600, keyframe: false, data: bytes('P1x') },
      { dts: 7200, duration: 3600, cts: 0, keyframe: false, data: bytes('B2') },
      { dts: 10800, duration: 3600, cts: 0, keyframe: true, data: bytes('I3yy') },
    ];
    const audio = [
      { dts: 0, duration: 1024, cts: 0, keyframe: true, data: bytes('a0') },
      { dts: 1024, duration: 1024, cts: 0, keyframe: true, data: bytes('a1') },
    ];
    const file = progressiveMp4(tracks, [
      { trackId: 1, samples: video.slice(0, 2) },
      { trackId: 2, samples: audio },
      { trackId: 1, samples: video.slice(2) },
    ]);
    assert.deepEqual(
      boxes(file).map((b) => b.type),
      ['ftyp', 'moov', 'mdat'],
    );
    const [v, a] = readMp4(file);
    assert.deepEqual([v!.entry, v!.timescale, a!.entry, a!.timescale], ['avc1', 90000, 'mp4a', 44100]);
    assert.deepEqual(
      v!.samples.map((s) => [s.dts, s.cts, s.sync, s.data.toString()]),
      video.map((s) => [s.dts, s.cts, s.keyframe, s.data.toString()]),
    );
    assert.deepEqual(
      a!.samples.map((s) => s.data.toString()),
      ['a0', 'a1'],
    );
    const stbl = find(file, 'moov/trak/mdia/minf/stbl')!;
    // Three chunks in file order: video (2 samples), audio (2), video (2): stsc says so in one row.
    const stsc = find(file, 'stsc', stbl)!;
    assert.deepEqual(
      [file.readUInt32BE(stsc.body + 4), file.readUInt32BE(stsc.body + 8), file.readUInt32BE(stsc.body + 12)],
      [1, 1, 2],
    );
    assert.equal(file[find(file, 'ctts', stbl)!.body], 1, 'ctts version 1 for a negative offset');
    assert.ok(find(file, 'stss', stbl), 'video with non-sync samples has stss');
    assert.ok(find(file, 'stco', stbl) && !find(file, 'co64', stbl));
  });

  it('keeps no payload: the layout copies merged source ranges after the header', () => {
    const w = new ProgressiveMp4Writer(tracks);
    w.add(1, { dts: 0, duration: 3600, cts: 0, keyframe: true, size: 10 }, 100);
    w.add(1, { dts: 3600, duration: 3600, cts: 0, keyframe: false, size: 5 }, 110);
    w.add(2, { dts: 0, duration: 1024, cts: 0, keyframe: true, size: 4 }, 200);
    const layout = w.finalize();
    assert.deepEqual(layout.copies, [
      { offset: 100, size: 15 },
      { offset: 200, size: 4 },
    ]);
    assert.equal(layout.size, layout.header.length + 19);
    const header = layout.header;
    assert.equal(header.toString('latin1', header.length - 4), 'mdat');
    assert.equal(header.readUInt32BE(header.length - 8), 8 + 19);
    const stco = find(header, 'moov/trak/mdia/minf/stbl/stco')!;
    assert.equal(
      header.readUInt32BE(stco.body + 8),
      header.length,
      'the first chunk starts right after the mdat header',
    );
  });

  it('past 4 GiB: co64 offsets and a 64-bit mdat size', () => {
    const w = new ProgressiveMp4Writer(tracks);
    const big = 3 * 2 ** 30;
    w.add(1, { dts: 0, duration: 3600, cts: 0, keyframe: true, size: big }, 0);
    w.add(2, { dts: 0, duration: 1024, cts: 0, keyframe: true, size: big }, big);
    w.add(1, { dts: 3600, duration: 3600, cts: 0, keyframe: true, size: 10 }, 2 * big);
    const { header, size } = w.finalize();
    assert.equal(size, header.length + 2 * big + 10);
    const traks = boxes(header, find(header, 'moov')!.body, find(header, 'moov')!.end).filter((b) => b.type === 'trak');
    const co64 = find(header, 'mdia/minf/stbl/co64', traks[0])!;
    assert.ok(co64 && !find(header, 'mdia/minf/stbl/stco', traks[0]));
    assert.equal(
      Number(header.readBigUInt64BE(co64.body + 16)),
      header.length + 2 * big,
      'the third sample is past 4 GiB',
    );
    const mdat = header.length - 16;
    assert.equal(header.toString('latin1', mdat + 4, mdat + 8), 'mdat');
    assert.equal(header.readUInt32BE(mdat), 1);
    assert.equal(Number(header.readBigUInt64BE(mdat + 8)), 16 + 2 * big + 10);
  });

  it('refuses an unknown track and an empty file with MP4_MUX_INPUT', () => {
    const w = new ProgressiveMp4Writer(tracks);
    const code = (fn: () => unknown) =>
      assert.throws(fn, (e) => e instanceof ProtocolError && e.code === 'MP4_MUX_INPUT');
    code(() => w.finalize());
    code(() => w.add(5, { dts: 0, duration: 1, cts: 0, keyframe: true, size: 1 }, 0));
    code(() => new ProgressiveMp4Writer([]));
  });
});
