/**
 * A scripted RTMP client over a real socket and the sans-I/O ClientSession: every command is sent
 * by hand and every event the server caused is kept, so tests can drive edge-case sequences (the
 * OBS preamble, deleteStream, a second publish, abrupt closes) and wait for exact answers.
 */
import type { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Amf0Value } from '../../src/protocol/amf0/amf0-value.ts';
import { ClientSession, type ClientSessionEvent } from '../../src/protocol/rtmp/client-session.ts';
import { ChunkStreamId, encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { encodeCommand } from '../../src/protocol/rtmp/commands.ts';
import { MessageType } from '../../src/protocol/rtmp/control-messages.ts';
import type { MediaMessage } from '../../src/protocol/media.ts';
import { parseRtmpUrl, type RtmpUrl } from '../../src/servers/rtmp/rtmp-client.ts';

type Ev<T extends ClientSessionEvent['type']> = Extract<ClientSessionEvent, { type: T }>;

/** Where to start looking in `events` (default 0: events already received count) and how long to wait (default 5 s). */
export interface WaitOptions {
  from?: number;
  timeoutMs?: number;
}

/** One scripted connection; `events` holds everything received, in order. */
export class ScriptedRtmp {
  readonly url: RtmpUrl;
  readonly socket: Socket;
  readonly session = new ClientSession({ digest: false });
  readonly events: ClientSessionEvent[] = [];
  /** Set when the session threw on the server's bytes (a server bug, from the client's side). */
  failure: Error | undefined;
  /** Resolves when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  private readonly wakers = new Set<() => void>();

  private constructor(url: string) {
    this.url = parseRtmpUrl(url);
    this.socket = connect({ host: this.url.host, port: this.url.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', () => {}); // a reset after the server's destroy() shows up as `closed`
    this.closed = new Promise((resolve) => this.socket.once('close', () => (this.wakeAll(), resolve())));
  }

  /**
   * TCP connect, handshake, and RTMP connect to the URL's app; rejects unless the server answers `_result`.
   * `connectExtra` adds connect command properties (E-RTMP v2 `capsEx`, `fourCcList`).
   */
  static async open(
    url: string,
    timeoutMs = 5000,
    connectExtra: Record<string, Amf0Value> = {},
  ): Promise<ScriptedRtmp> {
    const c = new ScriptedRtmp(url);
    await once(c.socket, 'connect');
    const tx = c.session.connect(c.url.tcUrl, c.url.app, connectExtra);
    c.flush();
    const reply = await c.reply(tx, 'connect', timeoutMs);
    if (reply.type !== 'result') throw new Error(`connect refused: ${JSON.stringify(reply.args)}`);
    c.session.setChunkSize(4096);
    c.flush();
    return c;
  }

  /** Whether the socket is gone. */
  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Sends a command on message stream 0; returns its transaction id. */
  call(name: string, commandObject: Amf0Value = null, ...args: Amf0Value[]): number {
    const tx = this.session.call(name, commandObject, ...args);
    this.flush();
    return tx;
  }

  /** Sends a command with transaction id 0, which asks for no answer (RTMP 1.0 §7.2.1). */
  notify(name: string, ...args: Amf0Value[]): void {
    this.flush();
    const payload = encodeCommand(name, 0, null, ...args);
    const chunks = encodeChunks(
      { csid: ChunkStreamId.Command, typeId: MessageType.CommandAmf0, streamId: 0, timestamp: 0, payload },
      this.session.outChunkSize,
    );
    if (!this.socket.destroyed) this.socket.write(chunks);
  }

  /** createStream; resolves with the new message stream id. */
  async createStream(timeoutMs = 5000): Promise<number> {
    const reply = await this.reply(this.call('createStream'), 'createStream', timeoutMs);
    const id = reply.args[0];
    if (reply.type !== 'result' || typeof id !== 'number')
      throw new Error(`createStream failed: ${JSON.stringify(reply.args)}`);
    return id;
  }

  /** Sends publish on a stream (the answer is an onStatus; see `status()`). */
  publish(streamId: number, name: string): void {
    this.session.publish(streamId, name);
    this.flush();
  }

  /** Sends play on a stream (the answer is an onStatus; see `status()`). */
  play(streamId: number, name: string): void {
    this.session.play(streamId, name);
    this.flush();
  }

  /** Sends deleteStream for a stream (transaction 0: no answer expected, RTMP 1.0 §7.2.2.3). */
  deleteStream(streamId: number): void {
    this.session.deleteStream(streamId);
    this.flush();
  }

  /** Sends one media message on a stream; false when the socket buffer is full. */
  sendMedia(streamId: number, msg: MediaMessage): boolean {
    this.session.sendMedia(streamId, msg);
    return this.flush();
  }

  /** Sends `@setDataFrame onMetaData`. */
  sendMetadata(streamId: number, metadata: Amf0Value): void {
    this.session.sendMetadata(streamId, metadata);
    this.flush();
  }

  /** The `_result`/`_error` of a transaction. */
  reply(tx: number, what: string, timeoutMs = 5000): Promise<Ev<'result'> | Ev<'error'>> {
    return this.next(
      `reply to ${what}`,
      (e): e is Ev<'result'> | Ev<'error'> => (e.type === 'result' || e.type === 'error') && e.transactionId === tx,
      { timeoutMs },
    );
  }

  /** The first onStatus on `streamId` with this code (or any error-level one when `orError`), from event index `from`. */
  status(streamId: number, code: string, options: WaitOptions & { orError?: boolean } = {}): Promise<Ev<'status'>> {
    const match = (e: ClientSessionEvent): e is Ev<'status'> =>
      e.type === 'status' &&
      e.streamId === streamId &&
      (e.code === code || (options.orError === true && e.level === 'error'));
    return this.next(`onStatus ${code} on stream ${streamId}`, match, options);
  }

  /** The first command (other than `_result`/`_error`/onStatus) with this name. */
  command(name: string, options: WaitOptions = {}): Promise<Ev<'command'>> {
    return this.next(
      `command ${name}`,
      (e): e is Ev<'command'> => e.type === 'command' && e.command.name === name,
      options,
    );
  }

  /** The first event from index `from` (default 0) that matches; rejects on timeout or when the connection closes first. */
  next<T extends ClientSessionEvent>(
    what: string,
    match: (e: ClientSessionEvent) => e is T,
    options?: WaitOptions,
  ): Promise<T>;
  next(what: string, match: (e: ClientSessionEvent) => boolean, options?: WaitOptions): Promise<ClientSessionEvent>;
  async next(
    what: string,
    match: (e: ClientSessionEvent) => boolean,
    options: WaitOptions = {},
  ): Promise<ClientSessionEvent> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = Date.now() + timeoutMs;
    for (let i = options.from ?? 0; ;) {
      for (; i < this.events.length; i++) {
        const e = this.events[i]!;
        if (match(e)) return e;
      }
      if (this.failure) throw this.failure;
      if (this.destroyed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.wakers.add(wake);
      });
    }
  }

  /** Media (audio/video/metadata) received on a stream so far. */
  media(streamId: number): MediaMessage[] {
    const out: MediaMessage[] = [];
    for (const e of this.events)
      if ((e.type === 'media' || e.type === 'metadata') && e.streamId === streamId) out.push(e.message);
    return out;
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Ends the connection politely (FIN) and waits for it to close. */
  async end(): Promise<void> {
    this.socket.end();
    if (!(await this.closedWithin(5000))) this.socket.destroy();
  }

  private onData(data: Buffer): void {
    try {
      this.events.push(...this.session.receive(data));
    } catch (err) {
      this.failure = err as Error;
      this.socket.destroy();
    }
    this.flush(); // acknowledgements and ping responses
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private flush(): boolean {
    const out = this.session.drain();
    if (this.socket.destroyed) return false;
    let ok = true;
    for (const b of out) ok = this.socket.write(b);
    return ok;
  }
}
