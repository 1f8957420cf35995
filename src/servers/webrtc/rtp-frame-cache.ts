/**
 * H.264 FLV tags packetized once per stream, not once per viewer. The hub hands every `flv` subscriber the
 * same Buffer for a packet (subscriber-sink.ts: shared, never modified), so a WeakMap keyed by that Buffer
 * holds the RTP payloads (FU-A fragments, SPS/PPS in front of IDRs: h264-packetizer.ts) and the 90 kHz
 * timestamp for as long as the hub keeps the packet (its GOP cache) and no longer. Each WHEP viewer then
 * only writes its own 12-byte header (SSRC, sequence number, payload type) and encrypts.
 * The decoder configuration is cached the same way, so every viewer of a stream holds the same SPS/PPS
 * arrays and a cached frame is reused only by viewers packetizing with the same parameter sets and MTU.
 */
import { readAvcTag } from '../../protocol/rtp/avc-flv.ts';
import { packetizeH264, type H264RtpPayload } from '../../protocol/rtp/h264-packetizer.ts';

/** The SPS/PPS of a stream as its last AVC sequence header gave them. */
export interface AvcParams {
  readonly sps: readonly Buffer[];
  readonly pps: readonly Buffer[];
  readonly lengthSize: number;
}

/** One access unit as RTP payloads; the last one carries the marker bit (RFC 6184 §5.1). */
export interface RtpFrame {
  readonly payloads: readonly Buffer[];
  /** Presentation time at 90 kHz (FLV DTS + composition offset). */
  readonly rtpTimestamp: number;
  /** The same presentation time in media ms (the base the Sender Reports map to wall time). */
  readonly timeMs: number;
  readonly keyframe: boolean;
}

/** What a video tag turned into: new parameter sets, a frame, or nothing (undecodable, not AVC, before SPS/PPS). */
export type VideoTagResult =
  | { readonly kind: 'config'; readonly params: AvcParams }
  | { readonly kind: 'frame'; readonly frame: RtpFrame }
  | undefined;

interface Entry {
  readonly params: AvcParams | undefined;
  readonly mtu: number;
  readonly result: VideoTagResult;
}

const cache = new WeakMap<Buffer, Entry>();

/** Counts for tests: packetizations done, and cache hits. */
export const rtpFrameCacheStats = { packetized: 0, hits: 0 };

/**
 * The RTP form of one FLV video tag (`body` at `ts` ms) under `params`; `key` is the Buffer the hub
 * shared (the whole tag) or undefined when the tag is not alone in its Buffer (then nothing is cached).
 */
export function rtpOfVideoTag(
  key: Buffer | undefined,
  body: Buffer,
  ts: number,
  params: AvcParams | undefined,
  mtu: number,
): VideoTagResult {
  const hit = key && cache.get(key);
  if (hit && hit.mtu === mtu && (hit.result?.kind === 'config' || hit.params === params)) {
    rtpFrameCacheStats.hits++;
    return hit.result;
  }
  const result = packetize(body, ts, params, mtu);
  if (key) cache.set(key, { params, mtu, result });
  return result;
}

function packetize(body: Buffer, ts: number, params: AvcParams | undefined, mtu: number): VideoTagResult {
  let tag;
  try {
    tag = readAvcTag(body, params?.lengthSize ?? 4);
  } catch {
    return undefined; // a record we cannot read: the frames that follow wait for a good one
  }
  if (!tag) return undefined;
  if (tag.kind === 'config')
    return { kind: 'config', params: { sps: tag.sps, pps: tag.pps, lengthSize: tag.lengthSize } };
  if (!params || params.sps.length === 0) return undefined;
  rtpFrameCacheStats.packetized++;
  const out: H264RtpPayload[] = [];
  packetizeH264(tag.nalus, mtu, params, out);
  if (out.length === 0) return undefined;
  return {
    kind: 'frame',
    // The presentation time: FLV time is DTS, the composition offset makes it PTS (RFC 6184 §5.1).
    frame: {
      payloads: out.map((p) => p.payload),
      rtpTimestamp: ((ts + tag.cts) * 90) >>> 0,
      timeMs: ts + tag.cts,
      keyframe: tag.keyframe,
    },
  };
}
