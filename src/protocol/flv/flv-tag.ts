/** FLV tags (FLV 10.1 §E.4.1): the unit HTTP-FLV players receive, built once per message and shared. */
import { LiveError } from '../../errors.ts';
import type { MediaMessage } from '../media.ts';

/** Bytes in an FLV tag header: TagType, DataSize(24), Timestamp(24), TimestampExtended, StreamID(24). */
export const FLV_TAG_HEADER_SIZE = 11;

/** The largest tag body DataSize's 24 bits can describe (also the RTMP message length limit). */
export const FLV_MAX_DATA_SIZE = 0xffffff;

/**
 * Encodes `msg` as one FLV tag followed by its PreviousTagSize, in a single allocation and one copy of
 * the payload: this runs once per message on the fan-out path, and every HTTP-FLV player shares the result.
 */
export function encodeFlvTag(msg: MediaMessage): Buffer {
  const size = msg.payload.length;
  if (size > FLV_MAX_DATA_SIZE) {
    throw new LiveError('FLV_INVALID', `a ${size}-byte payload does not fit an FLV tag (max ${FLV_MAX_DATA_SIZE})`);
  }
  const tagSize = FLV_TAG_HEADER_SIZE + size;
  const buf = Buffer.allocUnsafe(tagSize + 4);
  const ts = msg.timestamp >>> 0;
  buf[0] = msg.type; // Reserved(2) = 0, Filter(1) = 0 (not encrypted), TagType(5)
  buf.writeUIntBE(size, 1, 3);
  // Timestamp holds the low 24 bits and TimestampExtended the high 8 (FLV 10.1 §E.4.1).
  buf.writeUIntBE(ts & 0xffffff, 4, 3);
  buf[7] = ts >>> 24;
  buf.writeUIntBE(0, 8, 3); // StreamID: always 0
  msg.payload.copy(buf, FLV_TAG_HEADER_SIZE);
  buf.writeUInt32BE(tagSize, tagSize);
  return buf;
}
