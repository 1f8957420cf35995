/**
 * The sans-I/O RTMP client session, the server session's counterpart over the same handshake,
 * chunk and command code: tests, the doctor, relays and benchmarks publish and play with it.
 */

import type { Buffer } from 'node:buffer';
import { LiveError } from '../../errors.ts';
import type { Amf0Value } from '../amf0/amf0-value.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../media.ts';
import { splitAggregate } from './aggregate.ts';
import type { RtmpMessage } from './chunk-decoder.ts';
import { ChunkStreamId, encodeRtmpMedia } from './chunk-encoder.ts';
import { decodeCommand, decodeData, encodeCommand, encodeSetDataFrame, type Command } from './commands.ts';
import { isControlType, MessageType, type ControlMessage } from './control-messages.ts';
import { ClientHandshake, type ClientHandshakeOptions } from './handshake.ts';
import { defaultWindowAckSize, SessionCore } from './session-core.ts';
import { ingestMediaMessage } from '../flv/default-track.ts';

/** Options of a ClientSession. */
export interface ClientSessionOptions extends ClientHandshakeOptions {
  /** The window we acknowledge until the server sets one; default 2_500_000. */
  windowAckSize?: number;
  maxMessageSize?: number;
  maxChunkStreams?: number;
}

/** What the client learns from the server. */
export type ClientSessionEvent =
  | { type: 'handshake-done'; warnings: string[] }
  | { type: 'result'; transactionId: number; commandObject: Amf0Value; args: Amf0Value[] }
  | { type: 'error'; transactionId: number; commandObject: Amf0Value; args: Amf0Value[] }
  | { type: 'status'; streamId: number; level: string; code: string; description: string; info: Amf0Value }
  | { type: 'command'; streamId: number; command: Command }
  | { type: 'media'; streamId: number; message: MediaMessage }
  | { type: 'metadata'; streamId: number; message: MediaMessage; metadata: Amf0Value }
  | { type: 'data'; streamId: number; name: string | undefined; values: Amf0Value[] }
  | { type: 'control'; message: ControlMessage }
  | { type: 'ignored'; what: string };

/** The client's connection state. */
export type ClientSessionState = 'handshake' | 'ready' | 'connecting' | 'connected';

/** ClientSession is the client role of one RTMP connection; C0+C1 are queued on construction. */
export class ClientSession {
  #core: SessionCore;
  #handshake: ClientHandshake | undefined;
  #connected = false;
  #nextTransaction = 1;
  #connectTransaction = -1;

  constructor(options: ClientSessionOptions = {}) {
    this.#core = new SessionCore({
      maxMessageSize: options.maxMessageSize,
      maxChunkStreams: options.maxChunkStreams,
      ackWindow: options.windowAckSize ?? defaultWindowAckSize,
    });
    this.#handshake = new ClientHandshake(options);
    this.#core.sendRaw(this.#handshake.start());
    this.#core.hold();
  }

  /** The connection state; commands may be issued in any state and go out after the handshake. */
  get state(): ClientSessionState {
    if (this.#handshake !== undefined) return 'handshake';
    if (this.#connected) return 'connected';
    return this.#connectTransaction < 0 ? 'ready' : 'connecting';
  }

  /** Bytes received so far, handshake included. */
  get bytesReceived(): number {
    return this.#core.bytesReceived;
  }

  /** The chunk size of what this session writes. */
  get outChunkSize(): number {
    return this.#core.outChunkSize;
  }

  /** Feeds received bytes; throws ProtocolError on invalid data. */
  receive(bytes: Buffer): ClientSessionEvent[] {
    const events: ClientSessionEvent[] = [];
    this.#core.count(bytes.length);
    if (this.#handshake !== undefined) {
      const result = this.#handshake.receive(bytes);
      for (const out of result.out) this.#core.sendRaw(out);
      if (!result.done) return events;
      this.#handshake = undefined;
      this.#core.release();
      events.push({ type: 'handshake-done', warnings: result.warnings });
      bytes = result.rest;
    }
    for (const msg of this.#core.decode(bytes)) this.#dispatch(msg, events);
    this.#core.acknowledge();
    return events;
  }

  /** Bytes to write, in order. */
  drain(): Buffer[] {
    return this.#core.drain();
  }

  /** Sends any command; returns its transaction id (replies arrive as `result`/`error` events). */
  call(name: string, commandObject: Amf0Value = null, ...args: Amf0Value[]): number {
    const id = this.#nextTransaction++;
    this.#core.sendCommand(0, encodeCommand(name, id, commandObject, ...args));
    return id;
  }

  /** Sends connect with the properties ffmpeg sends, plus `extra` (e.g. Enhanced RTMP fourCcList). */
  connect(tcUrl: string, app: string, extra: Record<string, Amf0Value> = {}): number {
    if (this.#connectTransaction >= 0) throw new LiveError('RTMP_STATE', 'connect was already sent');
    const props = new Map<string, Amf0Value>([
      ['app', app],
      ['type', 'nonprivate'],
      ['flashVer', 'FMLE/3.0 (compatible; openlive)'],
      ['tcUrl', tcUrl],
      ...Object.entries(extra),
    ]);
    this.#connectTransaction = this.call('connect', props);
    return this.#connectTransaction;
  }

  /** Sends createStream; the stream id arrives as the first arg of its `result`. */
  createStream(): number {
    return this.call('createStream', null);
  }

  /** Sends releaseStream and FCPublish, as FMLE, OBS and ffmpeg do before createStream. */
  preparePublish(name: string): void {
    this.call('releaseStream', null, name);
    this.call('FCPublish', null, name);
  }

  /** Sends publish on a created stream (`name` may carry `?query`); the answer is an onStatus. */
  publish(streamId: number, name: string, type = 'live'): void {
    this.#streamCommand(streamId, 'publish', name, type);
  }

  /** Sends play on a created stream; -2 = live or recorded, as Flash and ffmpeg default. */
  play(streamId: number, name: string, start = -2): void {
    this.#streamCommand(streamId, 'play', name, start);
  }

  /** Sends deleteStream for a stream. */
  deleteStream(streamId: number): void {
    this.#core.sendCommand(0, encodeCommand('deleteStream', 0, null, streamId));
  }

  /** Sends one media message on a stream (fixed chunk stream per type, fmt 0). */
  sendMedia(streamId: number, msg: MediaMessage): void {
    this.#core.sendChunks(encodeRtmpMedia(msg, this.#core.outChunkSize, streamId));
  }

  /** Sends `@setDataFrame onMetaData` with the stream's metadata. */
  sendMetadata(streamId: number, metadata: Amf0Value, timestamp = 0): void {
    this.#core.send(ChunkStreamId.Data, MessageType.DataAmf0, streamId, encodeSetDataFrame(metadata), timestamp);
  }

  /** Announces and switches to a larger outgoing chunk size. */
  setChunkSize(size: number): void {
    this.#core.setOutChunkSize(size);
  }

  #streamCommand(streamId: number, name: string, ...args: Amf0Value[]): void {
    const payload = encodeCommand(name, this.#nextTransaction++, null, ...args);
    this.#core.send(ChunkStreamId.Command, MessageType.CommandAmf0, streamId, payload);
  }

  #dispatch(msg: RtmpMessage, events: ClientSessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.#command(msg, events);
      case MessageType.Audio:
      case MessageType.Video: {
        const type = msg.typeId === MessageType.Audio ? MediaType.Audio : MediaType.Video;
        events.push({
          type: 'media',
          streamId: msg.streamId,
          message: ingestMediaMessage(type, msg.timestamp, msg.payload),
        });
        return;
      }
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        return this.#data(msg, events);
      case MessageType.Aggregate:
        for (const sub of splitAggregate(msg)) this.#dispatch(sub, events);
        return;
    }
    if (isControlType(msg.typeId)) events.push({ type: 'control', message: this.#core.handleControl(msg) });
    else events.push({ type: 'ignored', what: `message type ${msg.typeId}` });
  }

  #command(msg: RtmpMessage, events: ClientSessionEvent[]): void {
    const cmd = decodeCommand(msg.typeId, msg.payload);
    const { transactionId, commandObject, args } = cmd;
    if (cmd.name === '_result' || cmd.name === '_error') {
      if (transactionId === this.#connectTransaction && cmd.name === '_result') this.#connected = true;
      events.push({ type: cmd.name === '_result' ? 'result' : 'error', transactionId, commandObject, args });
    } else if (cmd.name === 'onStatus') {
      const info = args[0] ?? null;
      const field = (key: string) =>
        info instanceof Map && typeof info.get(key) === 'string' ? (info.get(key) as string) : '';
      events.push({
        type: 'status',
        streamId: msg.streamId,
        level: field('level'),
        code: field('code'),
        description: field('description'),
        info,
      });
    } else {
      events.push({ type: 'command', streamId: msg.streamId, command: cmd });
    }
  }

  #data(msg: RtmpMessage, events: ClientSessionEvent[]): void {
    const data = decodeData(msg.typeId, msg.payload);
    if (data.name === 'onMetaData') {
      const message = mediaMessage(MediaType.Data, msg.timestamp, data.body);
      events.push({ type: 'metadata', streamId: msg.streamId, message, metadata: data.values[0] });
      return;
    }
    events.push({ type: 'data', streamId: msg.streamId, name: data.name, values: data.values });
  }
}
