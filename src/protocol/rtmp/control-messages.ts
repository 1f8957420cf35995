/**
 * Protocol control messages (RTMP 1.0 §5.4) and User Control messages (§6.2, §7.1.7): typed
 * values to and from message payloads.
 */

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../errors.ts';
import { checkChunkSize } from './chunk-limits.ts';

/** RTMP message type ids (RTMP 1.0 §5.4, §7.1). */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** User Control event types (RTMP 1.0 §7.1.7). */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/** Set Peer Bandwidth limit types (RTMP 1.0 §5.4.5). */
export const PeerBandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;

/** A decoded protocol control or user control message. */
export type ControlMessage =
  | { type: 'set-chunk-size'; chunkSize: number }
  | { type: 'abort'; csid: number }
  | { type: 'acknowledgement'; sequenceNumber: number }
  | { type: 'window-ack-size'; size: number }
  | { type: 'set-peer-bandwidth'; size: number; limitType: number }
  | { type: 'user-control'; event: number; streamId: number; bufferLength?: number }
  | { type: 'ping-request'; timestamp: number }
  | { type: 'ping-response'; timestamp: number }
  | { type: 'user-control-unknown'; event: number; data: Buffer };

/** Whether a message type id is one `decodeControl` understands (1..6). */
export function isControlType(typeId: number): boolean {
  return typeId >= MessageType.SetChunkSize && typeId <= MessageType.SetPeerBandwidth;
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) {
    throw new ProtocolError('RTMP_MESSAGE_INVALID', `${what} needs ${n} bytes, got ${payload.length}`);
  }
}

/** Decodes a control message payload of type 1..6; throws ProtocolError on short or invalid ones. */
export function decodeControl(typeId: number, payload: Buffer): ControlMessage {
  switch (typeId) {
    case MessageType.SetChunkSize:
      need(payload, 4, 'Set Chunk Size');
      return { type: 'set-chunk-size', chunkSize: checkChunkSize(payload.readUInt32BE(0)) };
    case MessageType.Abort:
      need(payload, 4, 'Abort');
      return { type: 'abort', csid: payload.readUInt32BE(0) };
    case MessageType.Acknowledgement:
      need(payload, 4, 'Acknowledgement');
      return { type: 'acknowledgement', sequenceNumber: payload.readUInt32BE(0) };
    case MessageType.WindowAckSize:
      need(payload, 4, 'Window Acknowledgement Size');
      return { type: 'window-ack-size', size: payload.readUInt32BE(0) };
    case MessageType.SetPeerBandwidth:
      // Some encoders omit the limit type byte; dynamic is the harmless reading.
      need(payload, 4, 'Set Peer Bandwidth');
      return { type: 'set-peer-bandwidth', size: payload.readUInt32BE(0), limitType: payload[4] ?? 2 };
    case MessageType.UserControl:
      return decodeUserControl(payload);
    default:
      throw new ProtocolError('RTMP_MESSAGE_INVALID', `message type ${typeId} is not a control message`);
  }
}

function decodeUserControl(payload: Buffer): ControlMessage {
  need(payload, 2, 'User Control');
  const event = payload.readUInt16BE(0);
  switch (event) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEof:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      need(payload, 6, `User Control event ${event}`);
      return { type: 'user-control', event, streamId: payload.readUInt32BE(2) };
    case UserControlEvent.SetBufferLength:
      need(payload, 10, 'SetBufferLength');
      return {
        type: 'user-control',
        event,
        streamId: payload.readUInt32BE(2),
        bufferLength: payload.readUInt32BE(6),
      };
    case UserControlEvent.PingRequest:
      need(payload, 6, 'PingRequest');
      return { type: 'ping-request', timestamp: payload.readUInt32BE(2) };
    case UserControlEvent.PingResponse:
      need(payload, 6, 'PingResponse');
      return { type: 'ping-response', timestamp: payload.readUInt32BE(2) };
    default:
      // e.g. SWFVerification 26/27 and the buffer events 31/32 some Flash servers send.
      return { type: 'user-control-unknown', event, data: payload.subarray(2) };
  }
}

function u32(value: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(value >>> 0, 0);
  return buf;
}

/** Payload of Set Chunk Size (type 1). */
export function encodeSetChunkSize(chunkSize: number): Buffer {
  return u32(checkChunkSize(chunkSize));
}

/** Payload of Abort (type 2). */
export function encodeAbort(csid: number): Buffer {
  return u32(csid);
}

/** Payload of Acknowledgement (type 3): the bytes received so far, modulo 2^32. */
export function encodeAcknowledgement(sequenceNumber: number): Buffer {
  return u32(sequenceNumber);
}

/** Payload of Window Acknowledgement Size (type 5). */
export function encodeWindowAckSize(size: number): Buffer {
  return u32(size);
}

/** Payload of Set Peer Bandwidth (type 6). */
export function encodeSetPeerBandwidth(size: number, limitType: number): Buffer {
  const buf = Buffer.allocUnsafe(5);
  buf.writeUInt32BE(size >>> 0, 0);
  buf[4] = limitType;
  return buf;
}

/** Payload of a User Control message (type 4) carrying one 32-bit value: a stream id or a ping time. */
export function encodeUserControl(event: number, value: number): Buffer {
  const buf = Buffer.allocUnsafe(6);
  buf.writeUInt16BE(event, 0);
  buf.writeUInt32BE(value >>> 0, 2);
  return buf;
}

/** Payload of the SetBufferLength User Control event (a player tells its buffer in ms). */
export function encodeSetBufferLength(streamId: number, bufferLength: number): Buffer {
  const buf = Buffer.allocUnsafe(10);
  buf.writeUInt16BE(UserControlEvent.SetBufferLength, 0);
  buf.writeUInt32BE(streamId >>> 0, 2);
  buf.writeUInt32BE(bufferLength >>> 0, 6);
  return buf;
}
