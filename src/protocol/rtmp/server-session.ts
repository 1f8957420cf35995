/**
 * The sans-I/O RTMP server session: bytes in (`receive`), events out, bytes to write (`drain`).
 * Protocol chores are answered inside; the caller decides only connect, publish and play.
 */

import { Buffer } from 'node:buffer';
import { LiveError } from '../../errors.ts';
import { amf0Number, type Amf0Object, type Amf0Value } from '../amf0/amf0-value.ts';
import { encodeAmf0 } from '../amf0/amf0-encoder.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../media.ts';
import { splitAggregate } from './aggregate.ts';
import type { NameLimits } from './bounded-query.ts';
import type { RtmpMessage } from './chunk-decoder.ts';
import { ChunkStreamId } from './chunk-encoder.ts';
import { decodeData, encodeError, encodeOnStatus, encodeResult, statusInfo } from './commands.ts';
import {
  encodeSetPeerBandwidth,
  isControlType,
  MessageType,
  PeerBandwidthLimit,
  UserControlEvent,
} from './control-messages.ts';
import { ServerHandshake } from './handshake.ts';
import { ServerCommands, type StreamSlot } from './server-commands.ts';
import { SessionCore } from './session-core.ts';

/** Options of a ServerSession. */
export interface ServerSessionOptions {
  /** Outgoing chunk size announced after connect, default 4096. */
  chunkSize?: number;
  /** Window Ack Size we announce, and the window we acknowledge until the peer sets one; default 2_500_000. */
  windowAckSize?: number;
  maxMessageSize?: number;
  maxChunkStreams?: number;
  /** The chunk layer's other limits (ChunkDecoderOptions; docs/security.md "RTMP"). */
  maxCommandSize?: number;
  maxControlSize?: number;
  maxPartialBytes?: number;
  minChunkSize?: number;
  /** Limits on tcUrl, app, stream names and their queries, for the command layer (bounded-query.ts). */
  names?: NameLimits;
  random?: (n: number) => Buffer;
  epoch?: number;
}

/** What the server learns from the peer. */
export type ServerSessionEvent =
  | { type: 'handshake-done' }
  | { type: 'connect'; app: string; tcUrl: string; query: URLSearchParams; objectEncoding: number; command: Amf0Object }
  | { type: 'publish'; streamId: number; name: string; query: URLSearchParams; rawName: string; publishType: string }
  | { type: 'play'; streamId: number; name: string; query: URLSearchParams; rawName: string; start: number }
  | { type: 'metadata'; streamId: number; message: MediaMessage; metadata: Amf0Value }
  | { type: 'media'; streamId: number; message: MediaMessage }
  | { type: 'unpublish'; streamId: number; reason: string }
  | { type: 'stop-play'; streamId: number; reason: string }
  | { type: 'pong'; timestamp: number }
  /** The peer's Set Chunk Size (RTMP 1.0 §5.4.1), already applied to the decoder; reported for push-error checks. */
  | { type: 'chunk-size'; size: number }
  | { type: 'ignored'; what: string };

/** The connection state. */
export type ServerSessionState = 'handshake' | 'connecting' | 'connected' | 'closed';

/** Enhanced RTMP v2 capability properties of connect that the server echoes in its `_result`. */
const EnhancedRtmpKeys = ['fourCcList', 'videoFourCcInfoMap', 'audioFourCcInfoMap', 'capsEx'];

function stateError(message: string): LiveError {
  return new LiveError('RTMP_STATE', message);
}

/** ServerSession is the server role of one RTMP connection. */
export class ServerSession {
  #core: SessionCore;
  #handshake: ServerHandshake | undefined;
  #commands: ServerCommands;
  #chunkSize: number;
  #windowAckSize: number;
  #digest = false;

  constructor(options: ServerSessionOptions = {}) {
    this.#windowAckSize = options.windowAckSize ?? 2_500_000;
    this.#chunkSize = options.chunkSize ?? 4096;
    this.#core = new SessionCore({
      maxMessageSize: options.maxMessageSize,
      maxChunkStreams: options.maxChunkStreams,
      maxCommandSize: options.maxCommandSize,
      maxControlSize: options.maxControlSize,
      maxPartialBytes: options.maxPartialBytes,
      minChunkSize: options.minChunkSize,
      ackWindow: this.#windowAckSize,
    });
    this.#handshake = new ServerHandshake({ random: options.random, epoch: options.epoch });
    this.#commands = new ServerCommands(this.#core);
  }

  /** The connection state. */
  get state(): ServerSessionState {
    if (this.#handshake !== undefined) return 'handshake';
    return this.#commands.state;
  }

  /** Bytes received so far, handshake included. */
  get bytesReceived(): number {
    return this.#core.bytesReceived;
  }

  /** The chunk size of what this session writes (shared media must be encoded with it). */
  get outChunkSize(): number {
    return this.#core.outChunkSize;
  }

  /** Whether the client used the digest (Flash) handshake; false until the handshake is done. */
  get digestHandshake(): boolean {
    return this.#digest;
  }

  /** Feeds received bytes; throws ProtocolError on invalid data. */
  receive(bytes: Buffer): ServerSessionEvent[] {
    const events: ServerSessionEvent[] = [];
    if (this.#commands.state === 'closed') return events;
    this.#core.count(bytes.length);
    if (this.#handshake !== undefined) {
      const result = this.#handshake.receive(bytes);
      for (const out of result.out) this.#core.sendRaw(out);
      if (!result.done) return events;
      this.#digest = this.#handshake.digest;
      this.#handshake = undefined;
      events.push({ type: 'handshake-done' });
      bytes = result.rest;
    }
    for (const msg of this.#core.decode(bytes)) this.#dispatch(msg, events);
    this.#core.acknowledge();
    return events;
  }

  /** Bytes to write, in order (an empty array when none). */
  drain(): Buffer[] {
    return this.#core.drain();
  }

  #dispatch(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.#commands.handle(msg, events);
        return;
      case MessageType.Audio:
      case MessageType.Video:
        this.#media(msg, events);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.#data(msg, events);
        return;
      case MessageType.Aggregate:
        if (!this.#publishing(msg, events)) return;
        for (const sub of splitAggregate(msg)) this.#dispatch(sub, events);
        return;
    }
    if (!isControlType(msg.typeId)) {
      events.push({ type: 'ignored', what: `message type ${msg.typeId} on stream ${msg.streamId}` });
      return;
    }
    const ctl = this.#core.handleControl(msg);
    if (ctl.type === 'ping-response') events.push({ type: 'pong', timestamp: ctl.timestamp });
    else if (ctl.type === 'set-chunk-size') events.push({ type: 'chunk-size', size: ctl.chunkSize });
    else if (ctl.type === 'user-control-unknown') events.push({ type: 'ignored', what: `user control event ${ctl.event}` });
  }

  /** Whether the message is on the accepted publishing stream; records an ignored event if not. */
  #publishing(msg: RtmpMessage, events: ServerSessionEvent[]): StreamSlot | undefined {
    const slot = this.#commands.streams.get(msg.streamId);
    if (slot?.role === 'publishing') return slot;
    events.push({ type: 'ignored', what: `message type ${msg.typeId} on stream ${msg.streamId}, which is not publishing` });
    return undefined;
  }

  #media(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    if (!this.#publishing(msg, events)) return;
    if (msg.payload.length === 0) {
      events.push({ type: 'ignored', what: `empty message type ${msg.typeId}` });
      return;
    }
    const type = msg.typeId === MessageType.Audio ? MediaType.Audio : MediaType.Video;
    events.push({ type: 'media', streamId: msg.streamId, message: mediaMessage(type, msg.timestamp, msg.payload) });
  }

  #data(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    if (!this.#publishing(msg, events)) return;
    const data = decodeData(msg.typeId, msg.payload);
    let payload: Buffer;
    let metadata: Amf0Value;
    if (data.name === '@setDataFrame' && data.values[0] === 'onMetaData') {
      // OBS and ffmpeg wrap metadata in @setDataFrame; players expect the bare onMetaData.
      payload = data.body.subarray(data.valuesOffset);
      metadata = data.values[1];
    } else if (data.name === 'onMetaData') {
      payload = data.body;
      metadata = data.values[0];
    } else {
      events.push({ type: 'ignored', what: `data message ${data.name ?? '(unnamed)'}` });
      return;
    }
    const message = mediaMessage(MediaType.Data, msg.timestamp, payload);
    events.push({ type: 'metadata', streamId: msg.streamId, message, metadata });
  }

  /** Accepts the pending connect: window, bandwidth, chunk size, then `_result` (Connect.Success). */
  acceptConnect(): void {
    const connect = this.#commands.takePendingConnect();
    const core = this.#core;
    core.announceWindow(this.#windowAckSize);
    const bandwidth = encodeSetPeerBandwidth(this.#windowAckSize, PeerBandwidthLimit.Dynamic);
    core.sendControl(MessageType.SetPeerBandwidth, bandwidth);
    core.setOutChunkSize(this.#chunkSize);
    const props = new Map<string, Amf0Value>([
      ['fmsVer', 'FMS/3,5,7,7009'],
      ['capabilities', 31],
      ['mode', 1],
    ]);
    for (const key of EnhancedRtmpKeys) {
      const value = connect.command.get(key);
      if (value !== undefined) props.set(key, value);
    }
    const info = statusInfo('status', 'NetConnection.Connect.Success', 'Connection succeeded.', {
      objectEncoding: amf0Number(connect.command, 'objectEncoding') ?? 0,
    });
    core.sendCommand(0, encodeResult(connect.transactionId, props, info));
    this.#commands.state = 'connected';
  }

  /** Rejects the pending connect with `_error` NetConnection.Connect.Rejected; the session closes. */
  rejectConnect(description: string): void {
    const connect = this.#commands.takePendingConnect();
    const info = statusInfo('error', 'NetConnection.Connect.Rejected', description);
    this.#core.sendCommand(0, encodeError(connect.transactionId, null, info));
    this.#commands.state = 'closed';
  }

  /**
   * Whether a publish or play on this stream still awaits the caller's decision; false once the client
   * deleted the stream, e.g. with a deleteStream in the same read as the publish (a quick start/stop).
   */
  awaitsDecision(streamId: number): boolean {
    const role = this.#commands.streams.get(streamId)?.role;
    return role === 'publish-pending' || role === 'play-pending';
  }

  /** Accepts a pending publish: StreamBegin, then onStatus NetStream.Publish.Start. */
  acceptPublish(streamId: number): void {
    const slot = this.#commands.pending(streamId, 'publish-pending');
    if (slot === undefined) return;
    slot.role = 'publishing';
    this.#core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Publish.Start', `${slot.name} is now published.`);
  }

  /** Rejects a pending publish with an error onStatus (e.g. NetStream.Publish.BadName). */
  rejectPublish(streamId: number, code: string, description: string): void {
    const slot = this.#commands.pending(streamId, 'publish-pending');
    if (slot === undefined) return;
    slot.role = 'idle';
    this.sendStatus(streamId, 'error', code, description);
  }

  /** Accepts a pending play: StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess. */
  acceptPlay(streamId: number): void {
    const slot = this.#commands.pending(streamId, 'play-pending');
    if (slot === undefined) return;
    slot.role = 'playing';
    const core = this.#core;
    core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Play.Reset', `Playing and resetting ${slot.name}.`);
    this.sendStatus(streamId, 'status', 'NetStream.Play.Start', `Started playing ${slot.name}.`);
    // Flash players refuse to read the video/audio bits of a stream without |RtmpSampleAccess.
    core.send(ChunkStreamId.Data, MessageType.DataAmf0, streamId, encodeAmf0('|RtmpSampleAccess', true, true));
    // No NetStream.Data.Start data message (SRS sends one, nginx-rtmp does not): ffmpeg turns it
    // into an extra "Data: none" stream, and ffprobe/ffplay then probe for a long time.
  }

  /** Rejects a pending play with an error onStatus (e.g. NetStream.Play.StreamNotFound). */
  rejectPlay(streamId: number, code: string, description: string): void {
    const slot = this.#commands.pending(streamId, 'play-pending');
    if (slot === undefined) return;
    slot.role = 'idle';
    this.sendStatus(streamId, 'error', code, description);
  }

  /** Tells a player that the publisher went away: onStatus UnpublishNotify, then StreamEOF. */
  unpublishNotify(streamId: number): void {
    this.sendStatus(streamId, 'status', 'NetStream.Play.UnpublishNotify', 'The stream is unpublished.');
    this.#core.sendUserControl(UserControlEvent.StreamEof, streamId);
  }

  /** Tells a player that the publisher is back: StreamBegin, then onStatus PublishNotify. */
  publishNotify(streamId: number): void {
    this.#core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Play.PublishNotify', 'The stream is published.');
  }

  /** Sends a PingRequest; the answer arrives as a `pong` event. */
  ping(timestamp: number): void {
    this.#core.sendUserControl(UserControlEvent.PingRequest, timestamp);
  }

  /** Sends an onStatus on a message stream. */
  sendStatus(streamId: number, level: string, code: string, description: string): void {
    if (this.#commands.state !== 'connected') throw stateError(`onStatus ${code} while ${this.state}`);
    this.#core.sendCommand(streamId, encodeOnStatus(level, code, description));
  }
}
