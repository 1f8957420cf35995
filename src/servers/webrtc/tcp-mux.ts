/**
 * ICE-TCP on one TCP port for every session (RFC 6544 passive host candidates, RFC 4571 framing): the
 * fallback for clients whose UDP is blocked. A connection is nobody's until its first frame is a STUN
 * Binding request whose USERNAME names a registered session and whose MESSAGE-INTEGRITY verifies with that
 * session's ice-pwd (as on the UDP mux); from then on every frame of the connection goes to that session,
 * and the session's sends to the connection's address go back framed on it. Everything hostile is closed
 * and counted: a first frame that is not such a request (WEBRTC_UNKNOWN_DATAGRAM), no binding within
 * `bindTimeoutMs` (slowloris, a lying length that never completes: WEBRTC_TCP_TIMEOUT), a length above the
 * frame limit (WEBRTC_TCP_FRAME_TOO_LARGE), one connection more than `maxConnections` (WEBRTC_TCP_LIMIT);
 * a client that does not read is dropped packets, not memory (WEBRTC_TCP_BEHIND).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { ErrorCode } from '../../errors.ts';
import { parseBindingRequest } from '../../protocol/stun/stun-binding.ts';
import { FrameDecoder, frame } from '../../protocol/stun/tcp-framing.ts';
import { CredentialTable, credentialOf, type Credential, type IceCredentials } from './mux-credentials.ts';

/** The largest first frame: a Binding request (USERNAME is at most 763 bytes, RFC 8489 §14.3). */
export const MAX_BINDING_FRAME_BYTES = 2048;
/** The largest frame of a bound connection (DTLS records and SRTP packets are about an MTU). */
export const MAX_TCP_FRAME_BYTES = 16384;
/** Bytes queued to a connection's socket past which its packets are dropped (the client does not read). */
export const MAX_TCP_SEND_QUEUE_BYTES = 512 * 1024;

/** The `webrtc.*` keys and hooks the TCP mux needs. */
export interface TcpMuxOptions {
  readonly host: string;
  /** 0 = a free port. */
  readonly port: number;
  /** `port` follows the UDP port: with 0, the UDP port's number is tried first (`start`). */
  readonly sameAsUdp?: boolean;
  /** TCP connections open at once, bound or not. */
  readonly maxConnections: number;
  /** A connection that has not presented a verified Binding request this long after connecting is closed. */
  readonly bindTimeoutMs: number;
  /** Connections one session may have bound (`webrtc.maxAddressesPerSession`). */
  readonly maxConnectionsPerSession: number;
  readonly countError: (code: ErrorCode) => void;
}

/** The `webrtc.*` keys that decide whether there is a TCP mux and how it is set. */
export interface TcpMuxConfig {
  readonly singlePort: boolean;
  readonly host?: string;
  readonly port: number;
  /** ICE-TCP on one TCP port beside the single UDP port; `tcpPort` absent = `port`'s number. */
  readonly tcp: boolean;
  readonly tcpPort?: number | undefined;
  readonly tcpMaxConnections: number;
  readonly tcpBindTimeoutMs: number;
  readonly maxAddressesPerSession: number;
}

/** The TCP mux of a config: only with the single UDP port and `webrtc.tcp`. */
export function tcpMuxOf(c: TcpMuxConfig, countError: (code: ErrorCode) => void): TcpMux | undefined {
  if (!c.singlePort || !c.tcp) return undefined;
  return new TcpMux({
    host: c.host ?? '0.0.0.0',
    port: c.tcpPort ?? c.port,
    sameAsUdp: c.tcpPort === undefined,
    maxConnections: c.tcpMaxConnections,
    bindTimeoutMs: c.tcpBindTimeoutMs,
    maxConnectionsPerSession: c.maxAddressesPerSession,
    countError,
  });
}

/** What a session gives the TCP mux: its credentials and where its frames go. */
export interface TcpSessionInit extends IceCredentials {
  /** Receives every frame of the session's connections, with the connection's remote address. */
  readonly deliver: (data: Buffer, from: [string, number]) => void;
}

/** A session's place on the TCP mux. */
export interface TcpMuxSession {
  /** Sends framed on the session's connection from `to`; false if it has none (the packet is for UDP). */
  send(data: Buffer, to: readonly [string, number]): boolean;
  /** Connections bound now. */
  readonly connections: number;
  /** ICE restart: found by the new credentials, the previous ones still accepted (udp-mux.ts `rekey`). */
  rekey(c: IceCredentials): void;
  /** Leaves the mux and closes its connections; idempotent. */
  close(): void;
}

interface Entry {
  readonly init: TcpSessionInit;
  readonly credentials: Credential[];
  readonly connections: Map<string, Connection>;
  closed: boolean;
}

interface Connection {
  readonly socket: Socket;
  readonly key: string;
  readonly from: [string, number];
  readonly decoder: FrameDecoder;
  entry: Entry | undefined;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/** The shared TCP listener and its sessions. */
export class TcpMux {
  readonly #o: TcpMuxOptions;
  readonly #table = new CredentialTable<Entry>();
  readonly #connections = new Set<Connection>();
  #server: Server | undefined;
  #port = 0;

  constructor(o: TcpMuxOptions) {
    this.#o = o;
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#port;
  }

  /** TCP connections open now (bound or still to present their Binding request). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Sessions registered now. */
  get sessions(): number {
    return this.#table.size;
  }

  /**
   * Listens on `host:port`; resolves with the port. With `port` 0 and `sameAsUdp`, `udpPort` is tried
   * first (both share one number) and a free port taken if it is in use.
   */
  async start(udpPort?: number): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    const listen = async (port: number) => {
      const listening = once(server, 'listening');
      server.listen({ host: this.#o.host, port, exclusive: true });
      await listening;
    };
    if (this.#o.port === 0 && this.#o.sameAsUdp && udpPort) await listen(udpPort).catch(() => listen(0));
    else await listen(this.#o.port);
    server.on('error', () => {});
    this.#server = server;
    this.#port = (server.address() as { port: number }).port;
    return this.#port;
  }

  /** Registers a session; its connections are those whose first frame verifies with its credentials. */
  register(init: TcpSessionInit): TcpMuxSession {
    const entry: Entry = { init, credentials: [credentialOf(init)], connections: new Map(), closed: false };
    this.#table.add(entry);
    return {
      send: (data, to) => {
        const c = entry.connections.get(`${to[0]}:${to[1]}`);
        if (!c) return false;
        if (c.socket.writableLength > MAX_TCP_SEND_QUEUE_BYTES) this.#o.countError('WEBRTC_TCP_BEHIND');
        else c.socket.write(frame(data));
        return true;
      },
      get connections() {
        return entry.connections.size;
      },
      rekey: (c) => {
        if (!entry.closed) this.#table.rekey(entry, credentialOf(c));
      },
      close: () => this.#remove(entry),
    };
  }

  /** Closes the listener and every connection. Idempotent. */
  async close(): Promise<void> {
    for (const e of this.#table.entries()) this.#remove(e);
    for (const c of [...this.#connections]) this.#end(c);
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  #accept(socket: Socket): void {
    socket.on('error', () => {});
    if (this.#connections.size >= this.#o.maxConnections) {
      this.#o.countError('WEBRTC_TCP_LIMIT');
      socket.destroy();
      return;
    }
    const host = unmapped(socket.remoteAddress ?? '');
    const port = socket.remotePort ?? 0;
    const c: Connection = {
      socket,
      key: `${host}:${port}`,
      from: [host, port],
      decoder: new FrameDecoder(MAX_BINDING_FRAME_BYTES),
      entry: undefined,
      timer: undefined,
      done: false,
    };
    this.#connections.add(c);
    c.timer = setTimeout(() => this.#drop(c, 'WEBRTC_TCP_TIMEOUT'), this.#o.bindTimeoutMs);
    c.timer.unref();
    socket.on('data', (chunk: Buffer) => this.#data(c, chunk));
    socket.on('close', () => this.#end(c));
  }

  #data(c: Connection, chunk: Buffer): void {
    if (c.done) return;
    const r = c.decoder.push(chunk);
    for (const f of r.frames) if (!this.#frame(c, f)) return;
    if (r.error) this.#drop(c, 'WEBRTC_TCP_FRAME_TOO_LARGE');
  }

  /** Delivers one frame; false if the connection was closed for it. */
  #frame(c: Connection, f: Buffer): boolean {
    if (c.done) return false;
    if (!c.entry) {
      const req = parseBindingRequest(f);
      const entry = req && this.#table.verify(f, req);
      if (!entry) {
        this.#drop(c, 'WEBRTC_UNKNOWN_DATAGRAM');
        return false;
      }
      if (entry.connections.size >= this.#o.maxConnectionsPerSession) {
        this.#drop(c, 'WEBRTC_MUX_ADDRESS_LIMIT');
        return false;
      }
      clearTimeout(c.timer);
      c.timer = undefined;
      c.entry = entry;
      entry.connections.set(c.key, c);
      c.decoder.maxFrameBytes = MAX_TCP_FRAME_BYTES;
    }
    c.entry.init.deliver(f, c.from);
    return !c.done;
  }

  #drop(c: Connection, code: ErrorCode): void {
    if (c.done) return;
    this.#o.countError(code);
    this.#end(c);
  }

  #end(c: Connection): void {
    if (c.done) return;
    c.done = true;
    clearTimeout(c.timer);
    this.#connections.delete(c);
    if (c.entry?.connections.get(c.key) === c) c.entry.connections.delete(c.key);
    c.socket.destroy();
  }

  #remove(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    this.#table.remove(entry);
    for (const c of [...entry.connections.values()]) this.#end(c);
  }
}

/** `::ffff:192.0.2.1` as `192.0.2.1` (a dual-stack listener's IPv4 peers), so addresses match the SDP's. */
function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
