/**
 * A small promise-based RTMP client over a TCP socket and the sans-I/O ClientSession: connect,
 * publish or play, send or receive media. Used by tests, the doctor and relays.
 */

import { Buffer } from 'node:buffer';
import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { LiveError } from '../../errors.ts';
import type { Amf0Value } from '../../protocol/amf0/amf0-value.ts';
import { ClientSession, type ClientSessionEvent } from '../../protocol/rtmp/client-session.ts';
import { defaultChunkSize } from '../../protocol/rtmp/session-core.ts';
import type { MediaMessage } from '../../protocol/media.ts';

/** The parts of an `rtmp://host[:port]/app/stream[?query]` URL that RTMP sends separately. */
export interface RtmpUrl {
  host: string;
  port: number;
  app: string;
  /** The stream name with its query, as publish/play send it (ffmpeg does the same). */
  stream: string;
  /** `rtmp://host[:port]/app`, as ffmpeg sends it in connect. */
  tcUrl: string;
  /** An `rtmps://` URL: RTMP over TLS (default port 443, as YouTube's and Facebook's ingest). */
  secure: boolean;
}

/**
 * A refusal the server answered with an `onStatus` or `_error` (NetStream.Publish.BadName,
 * NetConnection.Connect.Rejected): `status` is its code, so callers branch on it, not on the text.
 */
export class RtmpRejectedError extends LiveError {
  readonly status: string;
  constructor(status: string, description: string) {
    super('RTMP_REJECTED', description || status);
    this.status = status;
  }
}

/** Parses an RTMP URL: the first path segment is the app, the rest (plus query) the stream. */
export function parseRtmpUrl(url: string): RtmpUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new LiveError('CONFIG_INVALID', `not a URL: ${url}`, { cause: err });
  }
  if (u.protocol !== 'rtmp:' && u.protocol !== 'rtmps:')
    throw new LiveError('CONFIG_INVALID', `not an rtmp:// URL: ${url}`);
  const secure = u.protocol === 'rtmps:';
  const path = decodeURIComponent(u.pathname).replace(/^\/+/, '');
  const slash = path.indexOf('/');
  const app = slash < 0 ? path : path.slice(0, slash);
  const stream = (slash < 0 ? '' : path.slice(slash + 1)) + u.search;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port === '' ? (secure ? 443 : 1935) : Number(u.port);
  return { host, port, app, stream, tcUrl: `${u.protocol}//${u.host}/${app}`, secure };
}

/** Options of an RtmpClient; every wait is bounded by `timeoutMs`. */
export interface RtmpClientOptions {
  /** Bound on TCP connect + handshake + connect, and on each later command's answer (default 10000). */
  timeoutMs?: number;
  /** Send the Flash digest handshake (default true, as ffmpeg). */
  digest?: boolean;
  /** Outgoing chunk size announced after connect (default 4096). */
  chunkSize?: number;
  /** Extra connect properties, e.g. Enhanced RTMP `fourCcList`. */
  connectExtra?: Record<string, Amf0Value>;
  /** TLS options for `rtmps://` URLs (a private CA, or `rejectUnauthorized: false` in tests). */
  tls?: TlsConnectionOptions;
  /**
   * Takes every media message (audio, video, onMetaData) of the played stream synchronously as it is
   * decoded, instead of the `media()` queue: an edge pull hands them straight to its hub stream.
   */
  onMedia?: (msg: MediaMessage) => void;
  /** Told of every onStatus of the played or published stream after its start (e.g. Play.UnpublishNotify). */
  onStatus?: (code: string, description: string) => void;
}

interface Waiter {
  match: (e: ClientSessionEvent) => boolean;
  resolve: (e: ClientSessionEvent) => void;
  reject: (err: Error) => void;
}

/** RtmpClient is one RTMP connection driven by promises. */
export class RtmpClient {
  readonly url: RtmpUrl;
  /** Handshake findings (e.g. a server without the digest handshake); the connection still works. */
  handshakeWarnings: string[] = [];
  #socket: Socket;
  #session: ClientSession;
  #timeoutMs: number;
  #waiters = new Set<Waiter>();
  #media: MediaMessage[] = [];
  #mediaWaiter: (() => void) | undefined;
  #streamId: number | undefined;
  #closed: Error | undefined;
  #done: Promise<void>;
  readonly #onMedia: ((msg: MediaMessage) => void) | undefined;
  readonly #onStatus: ((code: string, description: string) => void) | undefined;

  private constructor(socket: Socket, url: RtmpUrl, options: RtmpClientOptions) {
    this.url = url;
    this.#socket = socket;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#onMedia = options.onMedia;
    this.#onStatus = options.onStatus;
    this.#session = new ClientSession({ digest: options.digest ?? true });
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#onData(data));
    socket.on('error', (err) => this.#fail(err));
    this.#done = new Promise((resolve) =>
      socket.once('close', () => {
        this.#fail(new LiveError('STREAM_CLOSED', 'the RTMP connection closed'));
        resolve();
      }),
    );
  }

  /** Opens a TCP connection, handshakes and connects to the URL's app. */
  static async connect(url: string, options: RtmpClientOptions = {}): Promise<RtmpClient> {
    const parsed = parseRtmpUrl(url);
    // node:tls on first use, not imported: a server without TLS never loads it (issue 17, idle memory).
    const socket = parsed.secure
      ? process
          .getBuiltinModule('node:tls')
          .connect({ servername: parsed.host, ...options.tls, host: parsed.host, port: parsed.port })
      : netConnect({ host: parsed.host, port: parsed.port });
    const client = new RtmpClient(socket, parsed, options);
    try {
      await client.#connectApp(options);
    } catch (err) {
      client.#socket.destroy();
      throw err;
    }
    return client;
  }

  async #connectApp(options: RtmpClientOptions): Promise<void> {
    const session = this.#session;
    const tx = session.connect(this.url.tcUrl, this.url.app, options.connectExtra);
    this.#flush();
    const reply = await this.#wait(
      (e) => (e.type === 'result' || e.type === 'error') && e.transactionId === tx,
      'RTMP_HANDSHAKE_TIMEOUT',
      'connect',
    );
    if (reply.type === 'error')
      throw new RtmpRejectedError(
        field(reply.args[0], 'code') || 'NetConnection.Connect.Rejected',
        describe(reply.args[0], 'connect rejected'),
      );
    session.setChunkSize(options.chunkSize ?? defaultChunkSize);
    this.#flush();
  }

  /** Publishes as OBS does; resolves with the stream id on Publish.Start, rejects with the server's description. */
  async publish(name = this.url.stream): Promise<number> {
    this.#session.preparePublish(name);
    const streamId = await this.#createStream();
    this.#session.publish(streamId, name);
    this.#flush();
    await this.#status(streamId, 'NetStream.Publish.Start', 'publish');
    return streamId;
  }

  /** Plays a stream; resolves with the stream id on Play.Start. Media then arrive through `media()`. */
  async play(name = this.url.stream): Promise<number> {
    const streamId = await this.#createStream();
    this.#session.play(streamId, name);
    this.#flush();
    await this.#status(streamId, 'NetStream.Play.Start', 'play');
    return streamId;
  }

  /** Sends a media message on the published stream; false when the socket buffer is full. */
  sendMedia(msg: MediaMessage): boolean {
    this.#session.sendMedia(this.#requireStream(), msg);
    return this.#flush();
  }

  /** Sends `@setDataFrame onMetaData` on the published stream. */
  sendMetadata(metadata: Amf0Value): boolean {
    this.#session.sendMetadata(this.#requireStream(), metadata);
    return this.#flush();
  }

  /** Bytes handed to the socket and not yet sent (what a relay bounds its queue with). */
  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  /** Bytes read from the socket so far, handshake included. */
  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  /** Bytes written to the socket so far, handshake included. */
  get bytesWritten(): number {
    return this.#socket.bytesWritten;
  }

  /** Resolves with why the connection ended (STREAM_CLOSED for a clean close, else the socket's error). */
  get closed(): Promise<Error> {
    return this.#done.then(() => this.#closed ?? new LiveError('STREAM_CLOSED', 'the RTMP connection closed'));
  }

  /** The media messages (audio, video, onMetaData as Data) of a played stream, until the connection closes. */
  async *media(): AsyncGenerator<MediaMessage> {
    for (;;) {
      const next = this.#media.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#closed !== undefined) return;
      await new Promise<void>((resolve) => (this.#mediaWaiter = resolve));
    }
  }

  /** Deletes the stream (if any) and closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed === undefined && this.#streamId !== undefined) {
      this.#session.deleteStream(this.#streamId);
      this.#flush();
    }
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), this.#timeoutMs);
    await this.#done;
    clearTimeout(timer);
  }

  async #createStream(): Promise<number> {
    if (this.#streamId !== undefined) throw new LiveError('RTMP_STATE', 'this client already has a stream');
    const tx = this.#session.createStream();
    this.#flush();
    const reply = await this.#wait(
      (e) => (e.type === 'result' || e.type === 'error') && e.transactionId === tx,
      'RTMP_IDLE_TIMEOUT',
      'createStream',
    );
    const id = reply.type === 'result' ? reply.args[0] : undefined;
    if (typeof id !== 'number')
      throw new LiveError(
        'RTMP_REJECTED',
        describe(reply.type === 'error' ? reply.args[0] : null, 'createStream failed'),
      );
    this.#streamId = id;
    return id;
  }

  async #status(streamId: number, success: string, what: string): Promise<void> {
    const e = await this.#wait(
      (ev) => ev.type === 'status' && ev.streamId === streamId && (ev.code === success || ev.level === 'error'),
      'RTMP_IDLE_TIMEOUT',
      what,
    );
    if (e.type === 'status' && e.code !== success) {
      throw new RtmpRejectedError(e.code, e.description);
    }
  }

  #requireStream(): number {
    if (this.#streamId === undefined) throw new LiveError('RTMP_STATE', 'publish first');
    return this.#streamId;
  }

  #wait(
    match: Waiter['match'],
    code: 'RTMP_HANDSHAKE_TIMEOUT' | 'RTMP_IDLE_TIMEOUT',
    what: string,
  ): Promise<ClientSessionEvent> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new LiveError(code, `no answer to ${what} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (e) => (clearTimeout(timer), resolve(e)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.#waiters.add(waiter);
    });
  }

  #onData(data: Buffer): void {
    let events: ClientSessionEvent[];
    try {
      events = this.#session.receive(data);
    } catch (err) {
      this.#fail(err as Error);
      this.#socket.destroy();
      return;
    }
    this.#flush();
    for (const e of events) {
      if (e.type === 'handshake-done') this.handshakeWarnings = e.warnings;
      if ((e.type === 'media' || e.type === 'metadata') && e.streamId === this.#streamId) {
        if (this.#onMedia) this.#onMedia(e.message);
        else this.#pushMedia(e.message);
      }
      if (e.type === 'status' && e.streamId === this.#streamId) this.#onStatus?.(e.code, e.description);
      for (const w of this.#waiters) {
        if (!w.match(e)) continue;
        this.#waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  #pushMedia(msg: MediaMessage): void {
    this.#media.push(msg);
    this.#mediaWaiter?.();
    this.#mediaWaiter = undefined;
  }

  #fail(err: Error): void {
    this.#closed ??= err;
    for (const w of this.#waiters) w.reject(this.#closed);
    this.#waiters.clear();
    this.#mediaWaiter?.();
    this.#mediaWaiter = undefined;
  }

  #flush(): boolean {
    const out = this.#session.drain();
    if (out.length === 0 || this.#socket.destroyed) return !this.#socket.writableNeedDrain;
    return this.#socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}

function field(info: Amf0Value | undefined, key: string): string {
  const v = info instanceof Map ? info.get(key) : undefined;
  return typeof v === 'string' ? v : '';
}

function describe(info: Amf0Value, fallback: string): string {
  if (info instanceof Map) {
    const d = info.get('description');
    const c = info.get('code');
    if (typeof d === 'string' && d !== '') return d;
    if (typeof c === 'string') return c;
  }
  return fallback;
}
