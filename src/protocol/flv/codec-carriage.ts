/**
 * Which output carries which codec (docs/enhanced-rtmp.md "What each output carries"): RTMP and HTTP-FLV
 * players and FLV recordings get the FLV tag bodies unchanged, so every codec; the muxers rewrite them
 * and carry only what they implement. Codec names are those of codec/media-info.ts.
 */

/** Outputs that rewrite media and so carry a fixed set of codecs. */
export type MuxedOutput = 'hls-ts' | 'hls-fmp4' | 'mp4-record';

/** What each muxer implements: TS (ts-muxer.ts: H.264/HEVC, ADTS AAC), MP4/fMP4 (mp4-track.ts). */
export const MuxedCodecs: Readonly<Record<MuxedOutput, ReadonlySet<string>>> = {
  'hls-ts': new Set(['H264', 'H265', 'AAC']),
  'hls-fmp4': new Set(['H264', 'H265', 'AV1', 'AAC', 'Opus']),
  'mp4-record': new Set(['H264', 'H265', 'AV1', 'AAC', 'Opus']),
};

/** The muxed outputs that leave `codec` out (its frames are skipped there; the other track still plays). */
export function outputsLeavingOut(codec: string): MuxedOutput[] {
  return (Object.keys(MuxedCodecs) as MuxedOutput[]).filter((o) => !MuxedCodecs[o].has(codec));
}
