import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../errors.ts';
import { fixture } from '../../../test/fixtures/fixture.ts';
import { all, boxes, find } from '../../../test/support/mp4-reader.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { box, boxHeader, fullBox } from './box-writer.ts';
import { FlvMp4Muxer } from './flv-mp4-muxer.ts';
import { Fmp4Muxer, fragmentBytes, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS, type Mp4Sample } from './fmp4-muxer.ts';

/** Real tracks from the H.264 + AAC fixture. */
function fixtureTracks() {
  const m = new FlvMp4Muxer();
  for (const msg of new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'))) m.push(msg);
  return m.tracks;
}

const sample = (dts: number, duration: number, cts: number, keyframe: boolean, data: string): Mp4Sample => ({
  dts,
  duration,
  cts,
  keyframe,
  data: Buffer.from(data),
});

describe('box writer', () => {
  it('writes size, type and payload; a FullBox adds version and flags', () => {
    assert.deepEqual(box('free', Buffer.from([1, 2])), Buffer.from([0, 0, 0, 10, 0x66, 0x72, 0x65, 0x65, 1, 2]));
    assert.deepEqual(fullBox('abcd', 1, 0x020304), Buffer.from([0, 0, 0, 12, 0x61, 0x62, 0x63, 0x64, 1, 2, 3, 4]));
  });

  it('an mdat past 4 GiB gets size 1 and a 64-bit largesize', () => {
    assert.deepEqual(boxHeader('mdat', 100), Buffer.from([0, 0, 0, 108, 0x6d, 0x64, 0x61, 0x74]));
    const big = boxHeader('mdat', 2 ** 32);
    assert.equal(big.length, 16);
    assert.equal(big.readUInt32BE(0), 1);
    assert.equal(big.readBigUInt64BE(8), BigInt(2 ** 32 + 16));
  });
});

describe('Fmp4Muxer', () => {
  const tracks = fixtureTracks();

  it('init segment: ftyp, then moov with a trak per track and mvex/trex, empty sample tables', () => {
    const init = new Fmp4Muxer(tracks).init();
    assert.deepEqual(
      boxes(init).map((b) => b.type),
      ['ftyp', 'moov'],
    );
    const moov = find(init, 'moov')!;
    assert.equal(all(init, 'trak', moov).length, 2);
    const trex = all(init, 'trex', find(init, 'mvex', moov));
    assert.deepEqual(
      trex.map((b) => init.readUInt32BE(b.body + 4)),
      [1, 2],
    );
    const stsd = find(init, 'trak/mdia/minf/stbl/stsd', moov)!;
    assert.deepEqual(
      boxes(init, stsd.body + 8, stsd.end).map((b) => b.type),
      ['avc1'],
    );
    assert.equal(init.readUInt32BE(find(init, 'trak/mdia/minf/stbl/stsz', moov)!.body + 8), 0);
  });

  it('fragment: mfhd numbers, tfhd default-base-is-moof, tfdt 64-bit, trun offsets point at each sample', () => {
    const mux = new Fmp4Muxer(tracks, 7);
    const f = mux.fragment([
      {
        trackId: 1,
        samples: [sample(2 ** 33, 3600, 7200, true, 'KEY'), sample(2 ** 33 + 3600, 3600, -3600, false, 'PP')],
      },
      { trackId: 2, samples: [sample(1024, 1024, 0, true, 'aac')] },
    ]);
    const bytes = fragmentBytes(f);
    assert.equal(bytes.length, f.size);
    assert.deepEqual(
      boxes(bytes).map((b) => b.type),
      ['moof', 'mdat'],
    );
    const moof = find(bytes, 'moof')!;
    assert.equal(bytes.readUInt32BE(find(bytes, 'mfhd', moof)!.body + 4), 7);
    assert.equal(mux.nextSequence, 8);
    const trafs = all(bytes, 'traf', moof);
    assert.equal(trafs.length, 2);
    const tfhd = find(bytes, 'tfhd', trafs[0])!;
    assert.equal(bytes.readUInt32BE(tfhd.body) & 0xffffff, 0x020000);
    assert.equal(bytes.readUInt32BE(tfhd.body + 4), 1);
    const tfdt = find(bytes, 'tfdt', trafs[0])!;
    assert.equal(bytes[tfdt.body], 1);
    assert.equal(bytes.readBigUInt64BE(tfdt.body + 4), BigInt(2 ** 33));
    const trun = find(bytes, 'trun', trafs[0])!;
    assert.equal(bytes.readUInt32BE(trun.body), 0x01000f01, 'version 1, offset/duration/size/flags/cts');
    assert.equal(bytes.readUInt32BE(trun.body + 4), 2);
    const offset = bytes.readInt32BE(trun.body + 8);
    assert.equal(bytes.toString('latin1', offset, offset + 5), 'KEYPP');
    const entry = (i: number) =>
      [0, 4, 8]
        .map((k) => bytes.readUInt32BE(trun.body + 12 + 16 * i + k))
        .concat(bytes.readInt32BE(trun.body + 24 + 16 * i));
    assert.deepEqual(entry(0), [3600, 3, SYNC_SAMPLE_FLAGS, 7200]);
    assert.deepEqual(entry(1), [3600, 2, NON_SYNC_SAMPLE_FLAGS, -3600]);
    const audioTrun = find(bytes, 'trun', trafs[1])!;
    const audioOffset = bytes.readInt32BE(audioTrun.body + 8);
    assert.equal(bytes.toString('latin1', audioOffset, audioOffset + 3), 'aac');
    assert.deepEqual(
      f.runs.map((r) => r.dataOffset),
      [offset, audioOffset],
    );
  });

  it('refuses what MP4 cannot say with MP4_MUX_INPUT', () => {
    const mux = new Fmp4Muxer(tracks);
    const code = (fn: () => unknown) =>
      assert.throws(fn, (e) => e instanceof ProtocolError && e.code === 'MP4_MUX_INPUT');
    code(() => mux.fragment([]));
    code(() => mux.fragment([{ trackId: 9, samples: [sample(0, 1, 0, true, 'x')] }]));
    code(() => mux.fragment([{ trackId: 1, samples: [sample(-1, 1, 0, true, 'x')] }]));
    code(() => mux.fragment([{ trackId: 1, samples: [sample(0, 0.5, 0, true, 'x')] }]));
    code(() => mux.fragment([{ trackId: 1, samples: [sample(0, 1, 2 ** 31, true, 'x')] }]));
    code(() => new Fmp4Muxer([]));
    code(() => new Fmp4Muxer([tracks[0]!, tracks[0]!]));
  });
});
