/**
 * The sans-I/O RTMP server session: bytes in (`receive`), events out, bytes to write (`drain`).
 * Protocol chores are answered inside; the caller decides only connect, publish and play.
 */

import { Buffer } from 'node:buffer';
import { LiveError } from '../../errors.ts';
import { amf0Number, type Amf0Value } from '../amf0/amf0-value.ts';
import { encodeAmf0 } from '../amf0/amf0-encoder.ts';
import { mediaMessage, MediaType } from '../media.ts';
import { splitAggregate } from './aggregate.ts';
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
import { DecisionQueue, type PendingDecision } from './decision-queue.ts';
import { ServerHandshake } from './handshake.ts';
import { ServerCommands, type StreamSlot } from './server-commands.ts';
import { defaultChunkSize, defaultWindowAckSize, SessionCore } from './session-core.ts';
import { ingestMediaMessage } from '../flv/default-track.ts';
import { enhancedConnectReply, type EnhancedCapabilities } from './enhanced-capabilities.ts';
import type { ServerSessionEvent, ServerSessionOptions, ServerSessionState } from './server-session-types.ts';

export type { ServerSessionEvent, ServerSessionOptions, ServerSessionState } from './server-session-types.ts';

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
  /** Messages that arrived while a decision was pending, in order (see decision-queue.ts). */
  #queue: DecisionQueue;

  constructor(options: ServerSessionOptions = {}) {
    this.#queue = new DecisionQueue(options.maxQueuedMessages, options.maxQueuedBytes);
    this.#windowAckSize = options.windowAckSize ?? defaultWindowAckSize;
    this.#chunkSize = options.chunkSize ?? defaultChunkSize;
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
    this.#commands = new ServerCommands(this.#core, options.names);
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

  /** Bytes the unfinished messages of this connection announced (the memory budget counts them). */
  get partialBytes(): number {
    return this.#core.decoder.partialBytes;
  }

  /** The chunk size of what this session writes (shared media must be encoded with it). */
  get outChunkSize(): number {
    return this.#core.outChunkSize;
  }

  /** The decision the session waits for (later messages are held meanwhile), or undefined. */
  get pendingDecision(): PendingDecision | undefined {
    return this.#commands.state === 'closed' ? undefined : this.#commands.awaiting;
  }

  /** Messages held until the pending decision is made. */
  get queuedMessages(): number {
    return this.#queue.length;
  }

  /**
   * What the peer announced in connect (Enhanced RTMP v2 capsEx, FourCC lists); a legacy peer's
   * all-false value before connect or without the properties. The drain reads `reconnect` here.
   */
  get peerCapabilities(): EnhancedCapabilities {
    return this.#commands.peerCapabilities;
  }

  /** Whether the client used the digest (Flash) handshake; false until the handshake is done. */
  get digestHandshake(): boolean {
    return this.#digest;
  }

  /**
   * Feeds received bytes; throws ProtocolError on invalid data. Control messages (RTMP 1.0 §5.4) are
   * handled at once; any other message that arrives while a decision is pending is held until it is made.
   */
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
    for (const msg of this.#core.decode(bytes)) {
      if (this.#commands.awaiting !== undefined && !isControlType(msg.typeId)) this.#queue.push(msg);
      else this.#dispatch(msg, events);
    }
    this.#core.acknowledge();
    return events;
  }

  /**
   * The decision was made: handles the held messages in order until the next one asks for a decision.
   * Returns their events; may throw ProtocolError for them, as `receive` does.
   */
  #decided(): ServerSessionEvent[] {
    this.#commands.awaiting = undefined;
    const events: ServerSessionEvent[] = [];
    while (this.#commands.awaiting === undefined && this.#commands.state !== 'closed') {
      const msg = this.#queue.shift();
      if (msg === undefined) break;
      this.#dispatch(msg, events);
    }
    if (this.#commands.state === 'closed') this.#queue.clear();
    return events;
  }

  /** Whether `streamId`'s publish/play is the decision the session waits for. */
  #awaited(kind: 'publish' | 'play', streamId: number): boolean {
    const awaiting = this.#commands.awaiting;
    return awaiting !== undefined && awaiting.kind === kind && awaiting.streamId === streamId;
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
    else if (ctl.type === 'user-control-unknown')
      events.push({ type: 'ignored', what: `user control event ${ctl.event}` });
  }

  /** Whether the message is on the accepted publishing stream; records an ignored event if not. */
  #publishing(msg: RtmpMessage, events: ServerSessionEvent[]): StreamSlot | undefined {
    const slot = this.#commands.streams.get(msg.streamId);
    if (slot?.role === 'publishing') return slot;
    events.push({
      type: 'ignored',
      what: `message type ${msg.typeId} on stream ${msg.streamId}, which is not publishing`,
    });
    return undefined;
  }

  #media(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    if (!this.#publishing(msg, events)) return;
    if (msg.payload.length === 0) {
      events.push({ type: 'ignored', what: `empty message type ${msg.typeId}` });
      return;
    }
    const type = msg.typeId === MessageType.Audio ? MediaType.Audio : MediaType.Video;
    events.push({
      type: 'media',
      streamId: msg.streamId,
      message: ingestMediaMessage(type, msg.timestamp, msg.payload),
    });
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

  /**
   * Accepts the pending connect: window, bandwidth, chunk size, then `_result` (Connect.Success).
   * Returns the events of the messages held behind it (a pipelined createStream, publish or play).
   */
  acceptConnect(): ServerSessionEvent[] {
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
    for (const [key, value] of enhancedConnectReply(this.#commands.peerCapabilities)) props.set(key, value);
    const info = statusInfo('status', 'NetConnection.Connect.Success', 'Connection succeeded.', {
      objectEncoding: amf0Number(connect.command, 'objectEncoding') ?? 0,
    });
    core.sendCommand(0, encodeResult(connect.transactionId, props, info));
    this.#commands.state = 'connected';
    return this.#decided();
  }

  /** Rejects the pending connect with `_error` NetConnection.Connect.Rejected; the session closes. */
  rejectConnect(description: string): ServerSessionEvent[] {
    const connect = this.#commands.takePendingConnect();
    const info = statusInfo('error', 'NetConnection.Connect.Rejected', description);
    this.#core.sendCommand(0, encodeError(connect.transactionId, null, info));
    this.#commands.state = 'closed';
    return this.#decided();
  }

  /**
   * Whether a publish or play on this stream still awaits the caller's decision; false once the client
   * closed or deleted the stream, or the session closed.
   */
  awaitsDecision(streamId: number): boolean {
    return this.#commands.slotIn(streamId, 'publish-pending', 'play-pending') !== undefined;
  }

  /**
   * Accepts a pending publish: StreamBegin, then onStatus NetStream.Publish.Start. Returns the events of
   * the messages held behind the publish; a no-op for a stream that awaits no publish decision.
   */
  acceptPublish(streamId: number): ServerSessionEvent[] {
    const slot = this.#commands.slotIn(streamId, 'publish-pending');
    if (slot === undefined) return [];
    slot.role = 'publishing';
    this.#core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Publish.Start', `${slot.name} is now published.`);
    return this.#awaited('publish', streamId) ? this.#decided() : [];
  }

  /** Rejects a pending publish with an error onStatus (e.g. NetStream.Publish.BadName); a no-op otherwise. */
  rejectPublish(streamId: number, code: string, description: string): ServerSessionEvent[] {
    const slot = this.#commands.slotIn(streamId, 'publish-pending');
    if (slot === undefined) return [];
    slot.role = 'idle';
    this.sendStatus(streamId, 'error', code, description);
    return this.#awaited('publish', streamId) ? this.#decided() : [];
  }

  /**
   * The play was admitted but its stream has no publisher yet: the session reads on (pings, closeStream,
   * deleteStream) while the caller waits, and `acceptPlay` or `rejectPlay` ends the wait. Returns the
   * events of the messages held behind the play; a no-op for a stream that awaits no play decision.
   */
  holdPlay(streamId: number): ServerSessionEvent[] {
    const slot = this.#commands.slotIn(streamId, 'play-pending');
    if (slot === undefined) return [];
    slot.role = 'play-waiting';
    return this.#awaited('play', streamId) ? this.#decided() : [];
  }

  /**
   * Accepts a pending or waiting play: StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess. Returns
   * the events of the messages held behind the play; a no-op for a stream that awaits no play.
   */
  acceptPlay(streamId: number): ServerSessionEvent[] {
    const slot = this.#commands.slotIn(streamId, 'play-pending', 'play-waiting');
    if (slot === undefined) return [];
    slot.role = 'playing';
    const core = this.#core;
    core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Play.Reset', `Playing and resetting ${slot.name}.`);
    this.sendStatus(streamId, 'status', 'NetStream.Play.Start', `Started playing ${slot.name}.`);
    // Flash players refuse to read the video/audio bits of a stream without |RtmpSampleAccess.
    core.send(ChunkStreamId.Data, MessageType.DataAmf0, streamId, encodeAmf0('|RtmpSampleAccess', true, true));
    // No NetStream.Data.Start data message (SRS sends one, nginx-rtmp does not): ffmpeg turns it
    // into an extra "Data: none" stream, and ffprobe/ffplay then probe for a long time.
    return this.#awaited('play', streamId) ? this.#decided() : [];
  }

  /** Rejects a pending or waiting play with an error onStatus (e.g. NetStream.Play.StreamNotFound); a no-op otherwise. */
  rejectPlay(streamId: number, code: string, description: string): ServerSessionEvent[] {
    const slot = this.#commands.slotIn(streamId, 'play-pending', 'play-waiting');
    if (slot === undefined) return [];
    slot.role = 'idle';
    this.sendStatus(streamId, 'error', code, description);
    return this.#awaited('play', streamId) ? this.#decided() : [];
  }

  /** Tells a player that the publisher went away: onStatus UnpublishNotify, then StreamEOF; a no-op unless playing. */
  unpublishNotify(streamId: number): void {
    if (this.#commands.slotIn(streamId, 'playing') === undefined) return;
    this.sendStatus(streamId, 'status', 'NetStream.Play.UnpublishNotify', 'The stream is unpublished.');
    this.#core.sendUserControl(UserControlEvent.StreamEof, streamId);
  }

  /** Tells a player that the publisher is back: StreamBegin, then onStatus PublishNotify; a no-op unless playing. */
  publishNotify(streamId: number): void {
    if (this.#commands.slotIn(streamId, 'playing') === undefined) return;
    this.#core.sendUserControl(UserControlEvent.StreamBegin, streamId);
    this.sendStatus(streamId, 'status', 'NetStream.Play.PublishNotify', 'The stream is published.');
  }

  /** Sends a PingRequest (a no-op during the handshake); the answer arrives as a `pong` event. */
  ping(timestamp: number): void {
    // Before S2 a chunk would be read as handshake bytes; after a rejected connect nobody listens.
    if (this.#handshake !== undefined || this.#commands.state === 'closed') return;
    this.#core.sendUserControl(UserControlEvent.PingRequest, timestamp);
  }

  /** Sends an onStatus on a message stream; `extra` adds info properties (E-RTMP v2 ReconnectRequest: `tcUrl`). */
  sendStatus(
    streamId: number,
    level: string,
    code: string,
    description: string,
    extra?: Record<string, Amf0Value>,
  ): void {
    if (this.#commands.state !== 'connected') throw stateError(`onStatus ${code} while ${this.state}`);
    this.#core.sendCommand(streamId, encodeOnStatus(level, code, description, extra));
  }
}
