/**
 * The RTMP chunk encoder (RTMP 1.0 §5.3): each message becomes one Buffer with a fmt 0 first chunk
 * and fmt 3 continuations. Always writing fmt 0 costs a few bytes per message but makes the bytes
 * independent of what was sent before, so one encoding can be shared by every player.
 */

import { Buffer } from 'node:buffer';
import { MediaType, type MediaMessage } from '../media.ts';

/** A message to chunk: the chunk stream to use and the message header fields. */
export interface ChunkMessage {
  csid: number;
  typeId: number;
  streamId: number;
  timestamp: number;
  payload: Buffer;
}

/**
 * Fixed chunk stream ids, as nginx-rtmp uses them: protocol control on 2 (required by RTMP 1.0
 * §5.4), commands on 3, data (metadata) on 5, audio on 6, video on 7.
 */
export const ChunkStreamId = { Control: 2, Command: 3, Data: 5, Audio: 6, Video: 7 } as const;

function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/** Writes a basic header (§5.3.1.1) at `pos`; returns the position after it. */
function writeBasicHeader(out: Buffer, pos: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[pos] = (fmt << 6) | csid;
    return pos + 1;
  }
  if (csid < 320) {
    out[pos] = fmt << 6;
    out[pos + 1] = csid - 64;
    return pos + 2;
  }
  out[pos] = (fmt << 6) | 1;
  out[pos + 1] = (csid - 64) & 0xff;
  out[pos + 2] = (csid - 64) >> 8;
  return pos + 3;
}

/** The size `encodeChunks` will produce, for callers that pack several messages into one Buffer. */
export function encodedChunksSize(csid: number, timestamp: number, payloadLength: number, chunkSize: number): number {
  const basic = basicHeaderSize(csid);
  const ext = timestamp >= 0xffffff ? 4 : 0;
  const chunks = payloadLength === 0 ? 1 : Math.ceil(payloadLength / chunkSize);
  return basic + 11 + ext + (chunks - 1) * (basic + ext) + payloadLength;
}

/** Chunks one message into `out` at `pos` (see `encodeChunks`); returns the position after it. */
export function writeChunks(out: Buffer, pos: number, msg: ChunkMessage, chunkSize: number): number {
  const { csid, payload } = msg;
  const timestamp = msg.timestamp >>> 0;
  // §5.3.1.3: timestamps from 0xFFFFFF on go in the extended field, the 24-bit field says 0xFFFFFF.
  const extended = timestamp >= 0xffffff;
  pos = writeBasicHeader(out, pos, 0, csid);
  out.writeUIntBE(extended ? 0xffffff : timestamp, pos, 3);
  out.writeUIntBE(payload.length, pos + 3, 3);
  out[pos + 6] = msg.typeId;
  out.writeUInt32LE(msg.streamId >>> 0, pos + 7);
  pos += 11;
  if (extended) pos = out.writeUInt32BE(timestamp, pos);
  for (let sent = 0; ;) {
    const n = Math.min(chunkSize, payload.length - sent);
    pos += payload.copy(out, pos, sent, sent + n);
    sent += n;
    if (sent >= payload.length) return pos;
    pos = writeBasicHeader(out, pos, 3, csid);
    // ffmpeg and librtmp read the extended timestamp again on every fmt 3 chunk after one.
    if (extended) pos = out.writeUInt32BE(timestamp, pos);
  }
}

/** Chunks one message: a fmt 0 chunk, then fmt 3 continuations, in one Buffer. */
export function encodeChunks(msg: ChunkMessage, chunkSize: number): Buffer {
  const size = encodedChunksSize(msg.csid, msg.timestamp >>> 0, msg.payload.length, chunkSize);
  const out = Buffer.allocUnsafe(size);
  writeChunks(out, 0, msg, chunkSize);
  return out;
}

function mediaChunkStreamId(type: MediaType): number {
  if (type === MediaType.Video) return ChunkStreamId.Video;
  if (type === MediaType.Audio) return ChunkStreamId.Audio;
  return ChunkStreamId.Data;
}

/**
 * Encodes a media message for players: fixed chunk stream per type, fmt 0 with the absolute
 * timestamp, so the same Buffer is valid on every player connection that uses this chunk size
 * and message stream id.
 */
export function encodeRtmpMedia(msg: MediaMessage, chunkSize: number, messageStreamId = 1): Buffer {
  return encodeChunks(
    {
      csid: mediaChunkStreamId(msg.type),
      typeId: msg.type,
      streamId: messageStreamId,
      timestamp: msg.timestamp,
      payload: msg.payload,
    },
    chunkSize,
  );
}
