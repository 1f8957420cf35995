/**
 * The MP4 muxer fed arbitrary media messages (FLV/Enhanced RTMP tag bodies with avc1, hvc1, av01,
 * mp4a and Opus configurations and frames): only coded errors escape, and what comes out is well-formed
 * (boxes whose sizes tile the init segment, fragment and faststart layout exactly).
 */
import { mediaMessage, MediaType, type MediaMessage } from '../../../src/protocol/media.ts';
import { FlvMp4Muxer } from '../../../src/protocol/mp4/flv-mp4-muxer.ts';
import { Fmp4Muxer, fragmentBytes } from '../../../src/protocol/mp4/fmp4-muxer.ts';
import { ProgressiveMp4Writer } from '../../../src/protocol/mp4/progressive-mp4-writer.ts';
import * as media from '../../../test/fixtures/mpegts/flv-messages.ts';
import { codedOutcome, isCodedError, OracleFailure, type BytesTarget } from '../target.ts';

/** An SVT-AV1 320x240 AV1CodecConfigurationRecord (ffmpeg 5.1 av1C). */
const AV1C = Buffer.from('81000c000a0b000000043cffbc02f80040', 'hex');
const OPUS_HEAD = Buffer.concat([Buffer.from('OpusHead'), Buffer.from('0102380180bb0000000000', 'hex')]);

const exAudio = (ts: number, packetType: number, fourCc: string, body: Buffer): MediaMessage =>
  mediaMessage(
    MediaType.Audio,
    ts,
    Buffer.concat([Buffer.from([0x90 | packetType]), Buffer.from(fourCc, 'latin1'), body]),
  );

/** Messages as `type(1) timestamp(4) length(2) payload`, the framing the tsmux target uses too. */
function frames(input: Buffer): MediaMessage[] {
  const out: MediaMessage[] = [];
  for (let at = 0; at + 7 <= input.length;) {
    const type = [MediaType.Audio, MediaType.Video, MediaType.Data][input[at]! % 3]!;
    const len = input.readUInt16BE(at + 5);
    out.push(mediaMessage(type, input.readUInt32BE(at + 1), input.subarray(at + 7, at + 7 + len)));
    at += 7 + len;
  }
  return out;
}

function frame(m: MediaMessage): Buffer {
  const h = Buffer.alloc(7);
  h[0] = m.type === MediaType.Audio ? 0 : m.type === MediaType.Video ? 1 : 2;
  h.writeUInt32BE(m.timestamp >>> 0, 1);
  h.writeUInt16BE(Math.min(m.payload.length, 0xffff), 5);
  return Buffer.concat([h, m.payload.subarray(0, 0xffff)]);
}

/** Throws unless top-level boxes tile `bytes` exactly. */
function tiles(bytes: Buffer, what: string): void {
  let at = 0;
  while (at < bytes.length) {
    const size = bytes.readUInt32BE(at);
    if (size < 8 || at + size > bytes.length)
      throw new OracleFailure(`${what}: box of ${size} bytes at ${at} of ${bytes.length}`);
    at += size;
  }
}

/** FlvMp4Muxer → Fmp4Muxer → ProgressiveMp4Writer on arbitrary messages. */
export const mp4muxTarget: BytesTarget = {
  kind: 'bytes',
  name: 'mp4mux',
  inputs: 1_000_000,
  maxLen: 8192,
  seeds() {
    const nals = media.lengthPrefixed([media.avcNal(5, 60), media.avcNal(1, 30)]);
    const hnals = media.lengthPrefixed([media.hevcNal(19, 60), media.hevcNal(1, 20)]);
    const seqs: MediaMessage[][] = [
      [
        media.legacyVideoConfig(media.AVC_RECORD),
        media.aacConfig(),
        media.legacyVideoFrame(0, 80, true, nals),
        media.aacFrame(10, Buffer.alloc(20, 1)),
        media.legacyVideoFrame(40, 0, false, nals),
      ],
      [
        media.exVideoConfig(media.HEVC_RECORD),
        exAudio(0, 0, 'Opus', OPUS_HEAD),
        media.exVideoFrame(0, 0, true, hnals),
        exAudio(20, 1, 'Opus', Buffer.alloc(30, 4)),
        media.exVideoFrame(40, undefined, false, hnals),
      ],
      [
        media.exVideoConfig(AV1C, 'av01'),
        media.exVideoFrame(0, undefined, true, Buffer.from([0x12, 0, 0x32, 2, 0, 0])),
        media.exVideoFrame(0xffffff00, undefined, false, Buffer.alloc(9, 5)),
      ],
      [
        media.aacConfig(),
        media.aacFrame(0, Buffer.alloc(300, 2)),
        media.aacFrame(23, Buffer.alloc(5, 3)),
        media.aacConfig(Buffer.from([0x11, 0x90]), 30),
      ],
    ];
    return seqs.map((s) => Buffer.concat(s.map(frame)));
  },
  run(input) {
    const source = new FlvMp4Muxer();
    const seen: string[] = [];
    let fmp4: Fmp4Muxer | undefined;
    let writer: ProgressiveMp4Writer | undefined;
    let position = 0;
    const messages = frames(input);
    for (const [i, m] of messages.entries()) {
      try {
        const pushed = source.push(m);
        if (pushed) seen.push(pushed.track);
        const last = i === messages.length - 1;
        if (i % 3 !== 2 && !last) continue;
        const runs = source.take(last);
        if (runs.length === 0) continue;
        if (!fmp4 || !writer) {
          fmp4 = new Fmp4Muxer(source.tracks);
          writer = new ProgressiveMp4Writer(source.tracks);
          const init = fmp4.init();
          tiles(init, 'init segment');
          position += init.length;
        }
        const known = runs.filter((r) => fmp4!.tracks.some((t) => t.id === r.trackId));
        if (known.length === 0) continue;
        const f = fmp4.fragment(known);
        const bytes = fragmentBytes(f);
        tiles(bytes, 'fragment');
        writer.addFragment(f, position);
        position += bytes.length;
      } catch (err) {
        // The muxer stays usable after a bad message (its contract): keep feeding it.
        if (!isCodedError(err)) throw err;
        seen.push(codedOutcome(err));
      }
    }
    if (writer && writer.sampleCount > 0) {
      const layout = writer.finalize();
      const copied = layout.copies.reduce((n, c) => n + c.size, 0);
      if (layout.size !== layout.header.length + copied)
        throw new OracleFailure(`layout of ${layout.size} bytes: header ${layout.header.length} + ${copied} copied`);
      if (layout.copies.some((c) => c.offset + c.size > position))
        throw new OracleFailure('a copy range runs past the fragmented file');
      seen.push('mp4');
    }
    return [...new Set(seen)].sort().join(',');
  },
};
