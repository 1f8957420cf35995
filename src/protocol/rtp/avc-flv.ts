/**
 * H.264 access units to and from FLV video tag bodies (FLV 10.1 §E.4.3.1): what a WHIP publish hands the
 * hub (an AVCDecoderConfigurationRecord sequence header from the in-band SPS/PPS, then AVCPacketType 1
 * frames of 4-byte-length NAL units), and what a WHEP player reads back out of any source's tags.
 */
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { buildAvcRecord } from '../mpegts/decoder-records.ts';
import type { H264AccessUnit } from './h264-depacketizer.ts';

const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;

/** Turns access units into FLV video messages; a changed SPS/PPS sends a new sequence header first. */
export class AvcFlvWriter {
  #sps: Buffer | undefined;
  #pps: Buffer | undefined;
  #configured = false;

  /** Appends the messages of one access unit at `timeMs`; frames before the first SPS/PPS are dropped (false). */
  push(au: H264AccessUnit, timeMs: number, out: MediaMessage[]): boolean {
    let changed = false;
    let size = 0;
    for (const n of au.nalus) {
      const type = n[0]! & 0x1f;
      if (type === NAL_SPS) {
        if (!this.#sps?.equals(n)) changed = true;
        this.#sps = n;
      } else if (type === NAL_PPS) {
        if (!this.#pps?.equals(n)) changed = true;
        this.#pps = n;
      } else if (type !== NAL_AUD) size += 4 + n.length;
    }
    if (changed && this.#sps && this.#pps) {
      const record = buildAvcRecord(this.#sps, [this.#pps]);
      out.push(mediaMessage(MediaType.Video, timeMs, Buffer.concat([Buffer.of(0x17, 0, 0, 0, 0), record])));
      this.#configured = true;
    }
    if (!this.#configured || size === 0) return false;
    const body = Buffer.allocUnsafe(5 + size);
    body[0] = au.keyframe ? 0x17 : 0x27; // FrameType 1 key / 2 inter, CodecID 7 AVC
    body[1] = 1; // AVCPacketType NALU
    body.writeUIntBE(0, 2, 3); // CompositionTime: WebRTC H.264 has no B-frames (Constrained Baseline)
    let pos = 5;
    for (const n of au.nalus) {
      const type = n[0]! & 0x1f;
      if (type === NAL_SPS || type === NAL_PPS || type === NAL_AUD) continue;
      body.writeUInt32BE(n.length, pos);
      n.copy(body, pos + 4);
      pos += 4 + n.length;
    }
    out.push(mediaMessage(MediaType.Video, timeMs, body));
    return true;
  }
}

/** What a WHEP player needs of one FLV AVC tag: the parameter sets of a record, or a frame's NAL units. */
export type AvcTag =
  | {
      readonly kind: 'config';
      readonly sps: readonly Buffer[];
      readonly pps: readonly Buffer[];
      readonly lengthSize: number;
    }
  | { readonly kind: 'frame'; readonly keyframe: boolean; readonly cts: number; readonly nalus: Buffer[] };

/**
 * Reads a legacy FLV AVC tag body (CodecID 7); undefined for other codecs, end of sequence, or bytes that
 * do not add up (a NAL length past the body ends the list). `lengthSize` is the record's NAL length size.
 */
export function readAvcTag(body: Buffer, lengthSize: number): AvcTag | undefined {
  if (body.length < 5 || (body[0]! & 0x0f) !== 7 || body[0]! & 0x80) return undefined;
  const type = body[1];
  if (type === 0) {
    const c = parseAvcDecoderConfig(body.subarray(5));
    return { kind: 'config', sps: c.sps, pps: c.pps, lengthSize: c.lengthSize };
  }
  if (type !== 1) return undefined;
  const nalus: Buffer[] = [];
  let pos = 5;
  while (pos + lengthSize <= body.length) {
    const n = body.readUIntBE(pos, lengthSize);
    pos += lengthSize;
    if (n === 0 || pos + n > body.length) break;
    nalus.push(body.subarray(pos, pos + n));
    pos += n;
  }
  return { kind: 'frame', keyframe: body[0]! >> 4 === 1, cts: body.readIntBE(2, 3), nalus };
}
