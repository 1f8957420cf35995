/**
 * What the server and client sessions share below the command level: chunking of outgoing
 * messages, the output queue, byte counting with Acknowledgements (RTMP 1.0 §5.4.3), and answers
 * to the protocol chores (Window Ack Size, Set Peer Bandwidth, Ping).
 */

import type { Buffer } from 'node:buffer';
import { ChunkDecoder, type RtmpMessage } from './chunk-decoder.ts';
import type { ChunkDecoderOptions } from './chunk-limits.ts';
import { ChunkStreamId, encodeChunks } from './chunk-encoder.ts';
import {
  decodeControl,
  encodeAcknowledgement,
  encodeSetChunkSize,
  encodeUserControl,
  encodeWindowAckSize,
  MessageType,
  UserControlEvent,
  type ControlMessage,
} from './control-messages.ts';

/** Outgoing chunk size both sessions (and the hub's shared buffers, and `rtmp.chunkSize`) default to. */
export const defaultChunkSize = 4096;

/** Window Ack Size announced and acknowledged until the peer sets one (the value FMS and nginx-rtmp use). */
export const defaultWindowAckSize = 2_500_000;

/** SessionCore owns the chunk codec state and the output queue of one RTMP connection. */
export class SessionCore {
  readonly decoder: ChunkDecoder;
  #out: Buffer[] = [];
  /** Messages queued while the handshake runs; they must follow C2 on the wire. */
  #held: Buffer[] | undefined;
  #outChunkSize = 128;
  #bytesReceived = 0;
  /** Acknowledge every this many bytes: the peer's Window Ack Size, or our default until it sends one. */
  #ackWindow: number;
  #lastAck = 0;
  /** The Window Ack Size we announced last (§5.4.5 answers Set Peer Bandwidth against it). */
  #announcedWindow = 0;

  constructor(options: ChunkDecoderOptions & { ackWindow: number }) {
    this.decoder = new ChunkDecoder(options);
    this.#ackWindow = options.ackWindow;
  }

  /** Bytes received on the connection, handshake included. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** The chunk size our outgoing messages use. */
  get outChunkSize(): number {
    return this.#outChunkSize;
  }

  /** Counts received bytes (call before parsing them). */
  count(n: number): void {
    this.#bytesReceived += n;
  }

  /** Queues one message, chunked at the current outgoing chunk size. */
  send(csid: number, typeId: number, streamId: number, payload: Buffer, timestamp = 0): void {
    this.sendChunks(encodeChunks({ csid, typeId, streamId, timestamp, payload }, this.#outChunkSize));
  }

  /** Queues already chunked messages (held back while the handshake runs). */
  sendChunks(chunks: Buffer): void {
    (this.#held ?? this.#out).push(chunks);
  }

  /** Holds messages back until `release()`; handshake bytes (`sendRaw`) still go out. */
  hold(): void {
    this.#held ??= [];
  }

  /** Queues the held messages after what is already queued. */
  release(): void {
    if (this.#held !== undefined) this.#out.push(...this.#held);
    this.#held = undefined;
  }

  /** Queues handshake bytes, never held. */
  sendRaw(bytes: Buffer): void {
    this.#out.push(bytes);
  }

  /** Queues a protocol control message on chunk stream 2, message stream 0 (RTMP 1.0 §5.4). */
  sendControl(typeId: number, payload: Buffer): void {
    this.send(ChunkStreamId.Control, typeId, 0, payload);
  }

  /** Queues an AMF0 command message. */
  sendCommand(streamId: number, payload: Buffer): void {
    this.send(ChunkStreamId.Command, MessageType.CommandAmf0, streamId, payload);
  }

  /** Announces and switches to a new outgoing chunk size; the announcement uses the old one. */
  setOutChunkSize(size: number): void {
    this.sendControl(MessageType.SetChunkSize, encodeSetChunkSize(size));
    this.#outChunkSize = size;
  }

  /** Announces our Window Acknowledgement Size. */
  announceWindow(size: number): void {
    this.#announcedWindow = size;
    this.sendControl(MessageType.WindowAckSize, encodeWindowAckSize(size));
  }

  /** Sends a User Control event with one 32-bit value. */
  sendUserControl(event: number, value: number): void {
    this.sendControl(MessageType.UserControl, encodeUserControl(event, value));
  }

  /**
   * Handles a control message (types 1..6) and its chore, returning it decoded. Set Chunk Size and
   * Abort were already applied by the decoder.
   */
  handleControl(msg: RtmpMessage): ControlMessage {
    const ctl = decodeControl(msg.typeId, msg.payload);
    switch (ctl.type) {
      case 'window-ack-size':
        if (ctl.size > 0) this.#ackWindow = ctl.size;
        break;
      case 'set-peer-bandwidth':
        // §5.4.5: answer with Window Ack Size when it differs from the last one we sent.
        if (ctl.size !== this.#announcedWindow) this.announceWindow(ctl.size);
        break;
      case 'ping-request':
        this.sendUserControl(UserControlEvent.PingResponse, ctl.timestamp);
        break;
      case 'set-chunk-size':
      case 'abort':
        // Already applied by the chunk decoder, which must know them before the next chunk.
        break;
      case 'acknowledgement':
      case 'ping-response':
      case 'user-control':
      case 'user-control-unknown':
        // No chore here: the sessions that care (pong, stream begin) read the returned value.
        break;
    }
    return ctl;
  }

  /** Feeds bytes to the chunk decoder; returns the messages completed. */
  decode(bytes: Buffer): RtmpMessage[] {
    return this.decoder.push(bytes);
  }

  /** Sends an Acknowledgement when a full window arrived since the last one (§5.4.3). */
  acknowledge(): void {
    if (this.#bytesReceived - this.#lastAck < this.#ackWindow) return;
    this.#lastAck = this.#bytesReceived;
    this.sendControl(MessageType.Acknowledgement, encodeAcknowledgement(this.#bytesReceived));
  }

  /** Takes the bytes queued for writing, in order. */
  drain(): Buffer[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
