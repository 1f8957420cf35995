/**
 * Aggregate messages (RTMP 1.0 §7.1.6): several FLV-tag-shaped sub-messages in one message, as
 * FMS and Wowza send them to players and relays.
 */

import { ProtocolError } from '../../errors.ts';
import type { RtmpMessage } from './chunk-decoder.ts';

const TagHeaderSize = 11;
const BackPointerSize = 4;
/**
 * Most sub-messages in one aggregate (RTMP_AGGREGATE_LIMIT). FMS and Wowza put a few hundred
 * milliseconds of frames in one; 16 MiB of empty 11-byte tags would be 1.5 M messages.
 */
export const maxAggregateParts = 4096;
/** The FLV tag types a sub-message may have (audio, video, script data); an aggregate in an aggregate would recurse. */
const subTypes = new Set([8, 9, 18]);

/**
 * Splits an aggregate into its sub-messages (at most `maxAggregateParts`, each audio, video or data). Sub-message timestamps are rebased so that the first
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
    if (out.length === maxAggregateParts) {
      throw new ProtocolError(
        'RTMP_AGGREGATE_LIMIT',
        `aggregate message with more than ${maxAggregateParts} sub-messages`,
      );
    }
    const typeId = p[pos]!;
    if (!subTypes.has(typeId)) {
      throw new ProtocolError(
        'RTMP_MESSAGE_INVALID',
        `aggregate sub-message of type ${typeId}, not audio, video or data`,
      );
    }
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
