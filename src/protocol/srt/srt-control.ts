/**
 * The control information fields of ACK, NAK and message-drop request packets (draft-sharabayko-srt
 * §3.2.4, §3.2.5, §3.2.9). Loss lists are compressed: a single lost number is one word, a range is its
 * first number with the top bit set followed by its last number.
 */
import { ProtocolError } from '../../errors.ts';
import { seqCmp, seqInc } from './srt-seq.ts';

/** An ACK's fields; a light ACK carries only `ackSeq` (the next sequence number the receiver expects). */
export interface AckFields {
  readonly ackSeq: number;
  readonly rttUs?: number;
  readonly rttVarUs?: number;
  /** Free space in the receiver buffer, in packets. */
  readonly availableBuffer?: number;
  readonly packetsPerSecond?: number;
  readonly linkCapacity?: number;
  readonly bytesPerSecond?: number;
}

/** Encodes a full ACK's CIF (28 bytes), or a light ACK's (4 bytes) when only `ackSeq` is given. */
export function encodeAck(f: AckFields): Buffer {
  if (f.rttUs === undefined) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(f.ackSeq, 0);
    return b;
  }
  const b = Buffer.allocUnsafe(28);
  b.writeUInt32BE(f.ackSeq, 0);
  b.writeUInt32BE(f.rttUs >>> 0, 4);
  b.writeUInt32BE((f.rttVarUs ?? 0) >>> 0, 8);
  b.writeUInt32BE((f.availableBuffer ?? 0) >>> 0, 12);
  b.writeUInt32BE((f.packetsPerSecond ?? 0) >>> 0, 16);
  b.writeUInt32BE((f.linkCapacity ?? 0) >>> 0, 20);
  b.writeUInt32BE((f.bytesPerSecond ?? 0) >>> 0, 24);
  return b;
}

/** Decodes an ACK's CIF: light (4 bytes), small (16) or full (28 and more). */
export function decodeAck(cif: Buffer): AckFields {
  if (cif.length < 4) throw new ProtocolError('SRT_PACKET_INVALID', `ACK of ${cif.length} bytes`);
  const ackSeq = cif.readUInt32BE(0) & 0x7fffffff;
  if (cif.length < 16) return { ackSeq };
  const small = {
    ackSeq,
    rttUs: cif.readUInt32BE(4),
    rttVarUs: cif.readUInt32BE(8),
    availableBuffer: cif.readUInt32BE(12),
  };
  if (cif.length < 28) return small;
  return {
    ...small,
    packetsPerSecond: cif.readUInt32BE(16),
    linkCapacity: cif.readUInt32BE(20),
    bytesPerSecond: cif.readUInt32BE(24),
  };
}

/** A range of lost sequence numbers, both ends included. */
export interface LossRange {
  readonly first: number;
  readonly last: number;
}

/** Encodes loss ranges as a compressed loss list (§3.2.5). */
export function encodeLossList(ranges: readonly LossRange[]): Buffer {
  let words = 0;
  for (const r of ranges) words += r.first === r.last ? 1 : 2;
  const b = Buffer.allocUnsafe(words * 4);
  let o = 0;
  for (const r of ranges) {
    if (r.first === r.last) {
      b.writeUInt32BE(r.first, o);
      o += 4;
    } else {
      b.writeUInt32BE((0x80000000 | r.first) >>> 0, o);
      b.writeUInt32BE(r.last, o + 4);
      o += 8;
    }
  }
  return b;
}

/**
 * Decodes a compressed loss list, at most `maxRanges` ranges (the rest is ignored: a NAK cannot make us
 * do unbounded work). A range start without its end, or a range that runs backwards, is a protocol error.
 */
export function decodeLossList(cif: Buffer, maxRanges = 1024): LossRange[] {
  const out: LossRange[] = [];
  const words = cif.length >>> 2;
  for (let i = 0; i < words && out.length < maxRanges; i++) {
    const w = cif.readUInt32BE(i * 4);
    if ((w & 0x80000000) === 0) {
      out.push({ first: w, last: w });
      continue;
    }
    if (i + 1 >= words) throw new ProtocolError('SRT_PACKET_INVALID', 'NAK range start without its end');
    const first = w & 0x7fffffff;
    const last = cif.readUInt32BE(++i * 4) & 0x7fffffff;
    if (seqCmp(last, first) < 0)
      throw new ProtocolError('SRT_PACKET_INVALID', `NAK range ${first}..${last} runs backwards`);
    out.push({ first, last });
  }
  return out;
}

/** Encodes a message-drop request's CIF: the first and last sequence numbers of the dropped message. */
export function encodeDropRequest(first: number, last: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(first, 0);
  b.writeUInt32BE(last, 4);
  return b;
}

/** Decodes a message-drop request's CIF. */
export function decodeDropRequest(cif: Buffer): LossRange {
  if (cif.length < 8) throw new ProtocolError('SRT_PACKET_INVALID', `DROPREQ of ${cif.length} bytes`);
  const first = cif.readUInt32BE(0) & 0x7fffffff;
  const last = cif.readUInt32BE(4) & 0x7fffffff;
  if (seqCmp(last, first) < 0)
    throw new ProtocolError('SRT_PACKET_INVALID', `DROPREQ range ${first}..${last} runs backwards`);
  return { first, last };
}

/** Number of sequence numbers in a range. */
export function rangeLength(r: LossRange): number {
  return seqCmp(r.last, r.first) + 1;
}

/** Every number of a range, in order (callers bound the range first). */
export function* rangeSeqs(r: LossRange): Generator<number> {
  for (let s = r.first; ; s = seqInc(s)) {
    yield s;
    if (s === r.last) return;
  }
}
