/** The protocol encoders behind Packet.bytes(): RTMP chunks and FLV tags, built once per message. */
import { encodeFlvTag } from '../protocol/flv/flv-tag.ts';
import { encodeRtmpMedia } from '../protocol/rtmp/chunk-encoder.ts';
import type { PacketEncoders } from './packet.ts';

/**
 * Encoders for `chunkSize`-sized RTMP chunks on message stream 1 and plain FLV tags. Every RTMP
 * player shares these bytes, so the chunk size must be the one every play session announces.
 */
export function defaultEncoders(chunkSize: number): PacketEncoders {
  return {
    rtmp: (msg) => encodeRtmpMedia(msg, chunkSize),
    flv: encodeFlvTag,
  };
}
