/**
 * The command half of the server session (RTMP 1.0 §7.2): connect, the FMLE publish preamble,
 * createStream, publish, play and their teardown, with the replies encoders wait for.
 */

import { LiveError, ProtocolError } from '../../errors.ts';
import { amf0Number, amf0String, type Amf0Object, type Amf0Value } from '../amf0/amf0-value.ts';
import { nameLimitDefaults, splitNameQuery, tcUrlQuery, unionQuery, type NameLimits } from './bounded-query.ts';
import type { RtmpMessage } from './chunk-decoder.ts';
import type { PendingDecision } from './decision-queue.ts';
import {
  decodeCommand,
  encodeCommand,
  encodeError,
  encodeResult,
  splitStreamName,
  statusInfo,
  type Command,
} from './commands.ts';
import {
  NoEnhancedCapabilities,
  parseEnhancedCapabilities,
  type EnhancedCapabilities,
} from './enhanced-capabilities.ts';
import type { ServerSessionEvent } from './server-session.ts';
import type { SessionCore } from './session-core.ts';

/** What one message stream (made by createStream) is doing. */
export interface StreamSlot {
  /** `play-waiting`: the play was admitted and waits for a publisher; the session reads on meanwhile. */
  role: 'idle' | 'publish-pending' | 'publishing' | 'play-pending' | 'play-waiting' | 'playing';
  /** The stream name without its query. */
  name: string;
}

/** A connect waiting for the caller's decision. */
export interface PendingConnect {
  transactionId: number;
  command: Amf0Object;
}

/** Most message streams one connection may create; createStream beyond it gets `_error`. */
const MaxStreams = 16;

/** Splits `live?k=v` into the app (no trailing slash) and its query, within the name limits (bounded-query.ts). */
function splitApp(raw: string, limits: NameLimits): { app: string; query: URLSearchParams } {
  const { name, query } = splitNameQuery(raw, 'app', limits);
  return { app: name.replace(/\/+$/, ''), query };
}

/** ServerCommands interprets command messages for a ServerSession. */
export class ServerCommands {
  state: 'connecting' | 'connected' | 'closed' = 'connecting';
  readonly streams = new Map<number, StreamSlot>();
  /** The decision the last command asked of the caller; the session holds later messages until it is made. */
  awaiting: PendingDecision | undefined;
  /** What the peer announced in connect (Enhanced RTMP v2); nothing before connect. */
  peerCapabilities: EnhancedCapabilities = NoEnhancedCapabilities;
  #core: SessionCore;
  #pendingConnect: PendingConnect | undefined;
  #connectSeen = false;
  #nextStreamId = 1;
  #names: NameLimits;

  constructor(core: SessionCore, names: NameLimits = nameLimitDefaults) {
    this.#core = core;
    this.#names = names;
  }

  /** Takes the connect awaiting a decision; a LiveError RTMP_STATE when there is none. */
  takePendingConnect(): PendingConnect {
    const pending = this.#pendingConnect;
    if (pending === undefined) throw new LiveError('RTMP_STATE', 'no connect is waiting for a decision');
    this.#pendingConnect = undefined;
    return pending;
  }

  /**
   * The slot of a stream in one of `roles`, or undefined: a decision for a stream the client closed or
   * deleted meanwhile has no one to tell, so it is a no-op rather than an error (the play-wait crash of
   * issue 9 was a closeStream during the wait, then a StreamNotFound for a stream that was idle again).
   */
  slotIn(streamId: number, ...roles: StreamSlot['role'][]): StreamSlot | undefined {
    if (this.state !== 'connected') return undefined;
    const slot = this.streams.get(streamId);
    return slot !== undefined && roles.includes(slot.role) ? slot : undefined;
  }

  /** Handles one command message. */
  handle(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    const cmd = decodeCommand(msg.typeId, msg.payload);
    switch (cmd.name) {
      case 'connect':
        return this.#connect(cmd, events);
      case 'createStream':
        return this.#createStream(cmd, events);
      case 'publish':
        return this.#publish(msg.streamId, cmd, events);
      case 'play':
        return this.#play(msg.streamId, cmd, events);
      case 'releaseStream':
        // FMLE, OBS and ffmpeg send releaseStream and FCPublish before createStream.
        this.#require(cmd);
        return this.#result(cmd, null, undefined);
      case 'FCPublish':
        this.#require(cmd);
        this.#result(cmd, null, undefined);
        return this.#notify('onFCPublish', 'NetStream.Publish.Start', cmd);
      case 'FCUnpublish':
        this.#require(cmd);
        this.#fcUnpublish(cmd, events);
        this.#result(cmd, null, undefined);
        return this.#notify('onFCUnpublish', 'NetStream.Unpublish.Success', cmd);
      case 'deleteStream':
        this.#require(cmd);
        return this.#stopStream(numberArg(cmd.args[0]) ?? msg.streamId, 'deleteStream', true, events);
      case 'closeStream':
        this.#require(cmd);
        return this.#stopStream(msg.streamId, 'closeStream', false, events);
      case 'getStreamLength':
        // Flash players ask before playing; live streams have no length.
        return this.#result(cmd, null, 0);
      case '_checkbw':
        // Haivision encoders and librtmp (after onBWDone) probe bandwidth; a plain answer suffices.
        return this.#result(cmd, null, undefined);
      case 'receiveAudio':
      case 'receiveVideo':
      case 'pause':
      case 'FCSubscribe':
      case '_result':
      case '_error':
      case 'onStatus':
      case 'onBWDone':
        events.push({ type: 'ignored', what: `command ${cmd.name}${describeArgs(cmd.args)}` });
        return;
      default:
        events.push({ type: 'ignored', what: `unknown command ${cmd.name}` });
        if (cmd.transactionId !== 0) {
          const info = statusInfo('error', 'NetConnection.Call.Failed', `Method not found (${cmd.name}).`);
          this.#core.sendCommand(0, encodeError(cmd.transactionId, null, info));
        }
    }
  }

  /** Stream commands need an accepted connect (RTMP_STATE otherwise: the peer skipped a step). */
  #require(cmd: Command): void {
    if (this.state !== 'connected') {
      throw new ProtocolError('RTMP_STATE', `${cmd.name} before a successful connect`);
    }
  }

  #result(cmd: Command, commandObject: Amf0Value, ...args: Amf0Value[]): void {
    if (cmd.transactionId === 0) return;
    this.#core.sendCommand(0, encodeResult(cmd.transactionId, commandObject, ...args));
  }

  #notify(name: string, code: string, cmd: Command): void {
    const streamName = amf0Index(cmd.args, 0);
    const info = statusInfo('status', code, String(streamName ?? ''));
    this.#core.sendCommand(0, encodeCommand(name, 0, null, info));
  }

  #connect(cmd: Command, events: ServerSessionEvent[]): void {
    if (this.#connectSeen) throw new ProtocolError('RTMP_STATE', 'connect sent twice');
    const obj = cmd.commandObject;
    if (!(obj instanceof Map)) {
      throw new ProtocolError('RTMP_COMMAND_INVALID', 'connect without a command object');
    }
    this.#connectSeen = true;
    this.peerCapabilities = parseEnhancedCapabilities(obj);
    const tcUrl = amf0String(obj, 'tcUrl') ?? '';
    const { app, query: appQuery } = splitApp(amf0String(obj, 'app') ?? '', this.#names);
    // FMLE-era encoders put parameters in the app or the tcUrl; merge both, without duplicates, in linear time.
    const query = unionQuery(tcUrlQuery(tcUrl, this.#names), appQuery);
    this.#pendingConnect = { transactionId: cmd.transactionId, command: obj };
    this.awaiting = { kind: 'connect' };
    const objectEncoding = amf0Number(obj, 'objectEncoding') ?? 0;
    events.push({ type: 'connect', app, tcUrl, query, objectEncoding, command: obj });
  }

  #createStream(cmd: Command, events: ServerSessionEvent[]): void {
    this.#require(cmd);
    if (this.streams.size >= MaxStreams) {
      events.push({ type: 'ignored', what: `createStream beyond ${MaxStreams} streams` });
      const info = statusInfo('error', 'NetConnection.Call.Failed', `At most ${MaxStreams} streams.`);
      if (cmd.transactionId !== 0) this.#core.sendCommand(0, encodeError(cmd.transactionId, null, info));
      return;
    }
    const id = this.#nextStreamId++;
    this.streams.set(id, { role: 'idle', name: '' });
    this.#result(cmd, null, id);
  }

  #slotFor(streamId: number, cmd: Command): { slot: StreamSlot; rawName: string } {
    this.#require(cmd);
    const slot = this.streams.get(streamId);
    if (slot === undefined) {
      throw new ProtocolError('RTMP_STATE', `${cmd.name} on stream ${streamId}, which createStream did not make`);
    }
    if (slot.role !== 'idle')
      throw new ProtocolError('RTMP_STATE', `${cmd.name} on stream ${streamId}, already ${slot.role}`);
    const rawName = amf0Index(cmd.args, 0);
    if (typeof rawName !== 'string') {
      throw new ProtocolError('RTMP_COMMAND_INVALID', `${cmd.name} without a stream name`);
    }
    return { slot, rawName };
  }

  /**
   * The name and query of a publish or play. A name or query over its limit (RTMP_NAME_TOO_LONG and
   * friends) is refused like an access decision, so the encoder reads why in an onStatus error: the
   * stream awaits a decision, and the `refused` event tells the caller to reject it.
   */
  #split(
    streamId: number,
    slot: StreamSlot,
    rawName: string,
    action: 'publish' | 'play',
    events: ServerSessionEvent[],
  ) {
    try {
      return splitStreamName(rawName, this.#names);
    } catch (err) {
      if (!(err instanceof LiveError) || err.kind !== 'limit') throw err;
      slot.role = action === 'publish' ? 'publish-pending' : 'play-pending';
      this.awaiting = { kind: action, streamId };
      events.push({ type: 'refused', streamId, action, name: rawName, error: err });
      return undefined;
    }
  }

  #publish(streamId: number, cmd: Command, events: ServerSessionEvent[]): void {
    const { slot, rawName } = this.#slotFor(streamId, cmd);
    const split = this.#split(streamId, slot, rawName, 'publish', events);
    if (split === undefined) return;
    const { name, query } = split;
    const type = amf0Index(cmd.args, 1);
    slot.role = 'publish-pending';
    slot.name = name;
    this.awaiting = { kind: 'publish', streamId };
    const publishType = typeof type === 'string' ? type : 'live';
    events.push({ type: 'publish', streamId, name, query, rawName, publishType });
  }

  #play(streamId: number, cmd: Command, events: ServerSessionEvent[]): void {
    const { slot, rawName } = this.#slotFor(streamId, cmd);
    const split = this.#split(streamId, slot, rawName, 'play', events);
    if (split === undefined) return;
    const { name, query } = split;
    const start = amf0Index(cmd.args, 1);
    slot.role = 'play-pending';
    slot.name = name;
    this.awaiting = { kind: 'play', streamId };
    events.push({ type: 'play', streamId, name, query, rawName, start: typeof start === 'number' ? start : -2 });
  }

  #fcUnpublish(cmd: Command, events: ServerSessionEvent[]): void {
    const raw = amf0Index(cmd.args, 0);
    const name = typeof raw === 'string' ? splitStreamName(raw).name : undefined;
    for (const [id, slot] of this.streams) {
      if (slot.role === 'publishing' && (name === undefined || slot.name === name)) {
        this.#stopStream(id, 'FCUnpublish', false, events);
      }
    }
  }

  /** Ends what a stream does; `remove` forgets the stream (deleteStream) rather than idling it. */
  #stopStream(streamId: number, reason: string, remove: boolean, events: ServerSessionEvent[]): void {
    const slot = this.streams.get(streamId);
    if (slot === undefined) {
      events.push({ type: 'ignored', what: `${reason} of unknown stream ${streamId}` });
      return;
    }
    if (slot.role === 'publishing') events.push({ type: 'unpublish', streamId, reason });
    // A player still waiting for its publisher stops too: the caller must drop its subscriber.
    else if (slot.role === 'playing' || slot.role === 'play-waiting')
      events.push({ type: 'stop-play', streamId, reason });
    slot.role = 'idle';
    if (remove) this.streams.delete(streamId);
  }
}

function amf0Index(values: Amf0Value[], i: number): Amf0Value {
  return values[i];
}

function numberArg(value: Amf0Value): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function describeArgs(args: Amf0Value[]): string {
  const simple = args.filter((a) => typeof a !== 'object' || a === null);
  return simple.length === 0 ? '' : ` ${simple.map(String).join(' ')}`;
}
