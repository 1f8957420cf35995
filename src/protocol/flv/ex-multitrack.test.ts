import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LiveError } from '../../errors.ts';
import { MediaType } from '../media.ts';
import { ingestMediaMessage } from './default-track.ts';
import { exAudioBody, multitrackBody, opusHead, withNanoOffset } from './ex-fixtures.ts';
import { MaxTracksPerMessage, readExTagBody } from './ex-multitrack.ts';

const isInvalid = (e: unknown) => e instanceof LiveError && e.code === 'FLV_MULTITRACK_INVALID';
const avcc = Buffer.from('0164001fffe1000467640028', 'hex');
const nalu = (n: number) => Buffer.concat([Buffer.of(0, 0, 0), Buffer.of(0, 0, 0, 1, n)]); // CTS 0, one 1-byte NALU

describe('readExTagBody', () => {
  it('reads a ManyTracks video keyframe: two avc1 tracks with their sizes', () => {
    const p = multitrackBody(true, 1, 1, [
      { trackId: 0, fourCc: 'avc1', body: nalu(0x65) },
      { trackId: 1, fourCc: 'avc1', body: nalu(0x66) },
    ]);
    const ex = readExTagBody(true, p);
    assert.equal(ex.multitrack, 1);
    assert.equal(ex.frameType, 1);
    assert.deepEqual(
      ex.tracks.map((t) => [t.trackId, t.fourCc, t.body.at(-1)]),
      [
        [0, 'avc1', 0x65],
        [1, 'avc1', 0x66],
      ],
    );
  });

  it('reads ManyTracksManyCodecs audio with a FourCC per track and OneTrack audio', () => {
    const many = multitrackBody(false, 2, 0, [
      { trackId: 0, fourCc: 'Opus', body: opusHead() },
      { trackId: 3, fourCc: 'fLaC', body: Buffer.alloc(38, 1) },
    ]);
    assert.deepEqual(
      readExTagBody(false, many).tracks.map((t) => [t.trackId, t.fourCc, t.body.length]),
      [
        [0, 'Opus', 19],
        [3, 'fLaC', 38],
      ],
    );
    const one = multitrackBody(false, 0, 1, [{ trackId: 2, fourCc: 'ac-3', body: Buffer.alloc(10, 9) }]);
    assert.deepEqual(
      readExTagBody(false, one).tracks.map((t) => [t.trackId, t.fourCc, t.body.length]),
      [[2, 'ac-3', 10]],
    );
  });

  it('keeps TimestampOffsetNano and skips unknown ModEx types', () => {
    const inner = exAudioBody(1, 'Opus', Buffer.of(0xfc, 1, 2));
    assert.equal(readExTagBody(false, withNanoOffset(inner, 500_000)).nanoOffset, 500_000);
    assert.equal(readExTagBody(false, withNanoOffset(inner, 5, 9)).nanoOffset, 0);
    assert.equal(readExTagBody(false, withNanoOffset(inner, 1_000_000)).nanoOffset, 0, 'over 999,999 is ignored');
    assert.equal(readExTagBody(false, withNanoOffset(inner, 5, 9)).tracks[0]!.fourCc, 'Opus');
  });

  it('refuses lying lengths with FLV_MULTITRACK_INVALID', () => {
    const good = multitrackBody(true, 1, 1, [{ trackId: 0, fourCc: 'avc1', body: nalu(0x65) }]);
    const longer = Buffer.from(good);
    longer.writeUIntBE(999, 7, 3); // the track says 999 bytes
    assert.throws(() => readExTagBody(true, longer), isInvalid);
    const zero = multitrackBody(true, 1, 1, [
      { trackId: 0, fourCc: 'avc1', body: Buffer.alloc(0) },
      { trackId: 1, fourCc: 'avc1', body: nalu(1) },
    ]);
    assert.throws(() => readExTagBody(true, zero), isInvalid);
    const twice = multitrackBody(false, 1, 1, [
      { trackId: 1, fourCc: 'Opus', body: Buffer.of(1) },
      { trackId: 1, fourCc: 'Opus', body: Buffer.of(2) },
    ]);
    assert.throws(() => readExTagBody(false, twice), isInvalid);
    const many = Array.from({ length: MaxTracksPerMessage + 1 }, (_, i) => ({
      trackId: i,
      fourCc: 'Opus',
      body: Buffer.of(i),
    }));
    assert.throws(() => readExTagBody(false, multitrackBody(false, 1, 1, many)), isInvalid);
    const nested = Buffer.from(good);
    nested[1] = 0x16; // ManyTracks of Multitrack
    assert.throws(() => readExTagBody(true, nested), isInvalid);
    for (let cut = 1; cut < 11; cut++)
      assert.throws(() => readExTagBody(true, good.subarray(0, cut)), isInvalid, `cut at ${cut}`);
  });

  it('reads random bodies into bounded views or refuses them with its code, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), (bytes, video) => {
        const p = Buffer.from(bytes);
        p[0] = video ? p[0]! | 0x80 : (p[0]! & 0x0f) | 0x90;
        try {
          const ex = readExTagBody(video, p);
          for (const t of ex.tracks)
            assert.ok(
              t.body.byteOffset >= p.byteOffset && t.body.byteOffset + t.body.length <= p.byteOffset + p.length,
            );
          assert.ok(ex.tracks.length <= MaxTracksPerMessage);
        } catch (err) {
          assert.ok(isInvalid(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ingestMediaMessage', () => {
  it('gives legacy readers track 0 as a legacy AVC tag and keeps every track for Multitrack players', () => {
    const start = multitrackBody(true, 1, 0, [
      { trackId: 0, fourCc: 'avc1', body: avcc },
      { trackId: 1, fourCc: 'hvc1', body: Buffer.alloc(23, 1) },
    ]);
    const msg = ingestMediaMessage(MediaType.Video, 0, start);
    assert.equal(msg.sequenceHeader, true);
    assert.deepEqual(msg.payload, Buffer.concat([Buffer.of(0x17, 0, 0, 0, 0), avcc]));
    assert.equal(msg.multitrack, start);
    const frame = ingestMediaMessage(
      MediaType.Video,
      40,
      multitrackBody(true, 0, 1, [{ trackId: 0, fourCc: 'avc1', body: nalu(0x65) }]),
    );
    assert.equal(frame.keyframe, true);
    assert.deepEqual(frame.payload.subarray(0, 2), Buffer.of(0x17, 1));
  });

  it('turns FourCC audio into AAC/MP3 legacy tags and other codecs into a v1 ex-header', () => {
    const aac = ingestMediaMessage(
      MediaType.Audio,
      0,
      multitrackBody(false, 0, 0, [{ trackId: 0, fourCc: 'mp4a', body: Buffer.of(0x12, 0x10) }]),
    );
    assert.deepEqual(aac.payload, Buffer.of(0xaf, 0, 0x12, 0x10));
    assert.equal(aac.sequenceHeader, true);
    const opus = ingestMediaMessage(
      MediaType.Audio,
      0,
      multitrackBody(false, 0, 0, [{ trackId: 0, fourCc: 'Opus', body: opusHead() }]),
    );
    assert.deepEqual(opus.payload, exAudioBody(0, 'Opus', opusHead()));
    const mp3 = ingestMediaMessage(
      MediaType.Audio,
      0,
      multitrackBody(false, 0, 1, [{ trackId: 0, fourCc: '.mp3', body: Buffer.of(0xff, 0xfb, 0x90, 0x64) }]),
    );
    assert.equal(mp3.payload[0], 0x2f);
  });

  it('strips ModEx for legacy readers and keeps the nano offset; a message without track 0 has an empty payload', () => {
    const nano = ingestMediaMessage(
      MediaType.Audio,
      10,
      withNanoOffset(exAudioBody(1, 'Opus', Buffer.of(0xfc)), 250_000),
    );
    assert.deepEqual(nano.payload, exAudioBody(1, 'Opus', Buffer.of(0xfc)));
    assert.equal(nano.nanoOffset, 250_000);
    assert.equal(nano.multitrack, undefined);
    const other = ingestMediaMessage(
      MediaType.Audio,
      0,
      multitrackBody(false, 0, 1, [{ trackId: 1, fourCc: 'Opus', body: Buffer.of(0xfc) }]),
    );
    assert.equal(other.payload.length, 0);
    assert.ok(other.multitrack !== undefined);
  });

  it('leaves legacy and plain v1 bodies untouched (the same Buffer)', () => {
    for (const [type, p] of [
      [MediaType.Video, Buffer.of(0x17, 1, 0, 0, 0, 5)],
      [MediaType.Audio, exAudioBody(1, 'Opus', Buffer.of(1))],
    ] as const) {
      assert.equal(ingestMediaMessage(type, 0, p).payload, p);
    }
  });
});

describe('TimestampOffsetNano in the TS muxer', () => {
  it('moves the PES time by the sub-millisecond ticks a 90 kHz clock can hold', async () => {
    const { TsMuxer } = await import('../mpegts/ts-muxer.ts');
    const asc = exAudioBody(0, 'mp4a', Buffer.of(0x12, 0x10));
    const pts = (nano: number | undefined) => {
      const mux = new TsMuxer();
      mux.push(ingestMediaMessage(MediaType.Audio, 0, asc));
      const frame = exAudioBody(1, 'mp4a', Buffer.alloc(8, 0x21));
      return mux.push(
        ingestMediaMessage(MediaType.Audio, 1000, nano === undefined ? frame : withNanoOffset(frame, nano)),
      )?.pts;
    };
    assert.equal(pts(undefined), 90_000);
    assert.equal(pts(500_000), 90_045, '0.5 ms = 45 ticks');
    assert.equal(pts(999_999), 90_089);
  });
});
