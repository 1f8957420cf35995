/**
 * Aggregate messages (RTMP 1.0 §7.1.6): several FLV-tag-shaped sub-messages in one message, as
 * FMS and Wowza send them to players and relays.
 */

import { ProtocolError } from '../../errors.ts';
import type { RtmpMessage } from './chunk-decoder.ts';

const TagHeaderSize = 11;
const BackPointerSize = 4;

/**
 * Splits an aggregate into its sub-messages. Sub-message timestamps are rebased so that the first
 * one gets the aggregate's own timestamp (§7.1.6: the aggregate's timestamp is the first's).
 */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const p = msg.payload;
  const out: RtmpMessage[] = [];
  let pos = 0;
  let first: number | undefined;
  while (pos < p.length) {
    if (p.length - pos < TagHeaderSize) {
      throw new ProtocolError('RTMP_MESSAGE_INVALID', `aggregate message truncated at byte ${pos}`);
    }
    const typeId = p[pos]!;
    const size = p.readUIntBE(pos + 1, 3);
    // FLV-style timestamp: 24 low bits, then the high 8 bits (FLV 10.1 §E.4.1 TimestampExtended).
    const tagTime = (p.readUIntBE(pos + 4, 3) | (p[pos + 7]! << 24)) >>> 0;
    const end = pos + TagHeaderSize + size;
    if (end > p.length) {
      throw new ProtocolError('RTMP_MESSAGE_INVALID', `aggregate sub-message of ${size} bytes overruns the aggregate`);
    }
    first ??= tagTime;
    out.push({
      csid: msg.csid,
      typeId,
      streamId: msg.streamId,
      timestamp: (msg.timestamp + tagTime - first) >>> 0,
      payload: p.subarray(pos + TagHeaderSize, end),
    });
    // The back pointer is advisory (some servers omit the last one).
    pos = Math.min(p.length, end + BackPointerSize);
  }
  return out;
}
