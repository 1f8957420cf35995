/**
 * One UDP socket (`webrtc.port`) for every WebRTC session. A datagram from an address already bound to a
 * session goes to that session; from an unknown address only a STUN Binding request is looked at: its
 * USERNAME `serverUfrag:clientUfrag` names the session (RFC 8445 §7.2.2) and its MESSAGE-INTEGRITY must
 * verify with that session's ice-pwd before the address is bound, so nobody can steal or pollute a session
 * by guessing a 4-character ufrag. Everything else is dropped and counted (WEBRTC_UNKNOWN_DATAGRAM). The
 * server is ICE-lite (RFC 8445 §2.5): it only answers checks, so it never sends to an address the client
 * did not send from first, and silence (no check, RTCP or RTP for `silenceTimeoutMs`) is how a vanished
 * client is noticed.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIPv4 } from 'node:net';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import type { ErrorCode } from '../../errors.ts';
import { parseBindingRequest } from '../../protocol/stun/stun-binding.ts';
import { CredentialTable, credentialOf, type Credential, type IceCredentials } from './mux-credentials.ts';

/** The `webrtc.*` keys and hooks the mux needs. */
export interface UdpMuxOptions {
  readonly host: string;
  /** 0 = a free port (tests). */
  readonly port: number;
  /** Remote addresses one session may be bound to (a browser checks from each of its candidates). */
  readonly maxAddressesPerSession: number;
  readonly silenceTimeoutMs: number;
  /** SO_RCVBUF/SO_SNDBUF asked for each socket (the kernel caps it at net.core.rmem_max/wmem_max). */
  readonly bufferBytes: number;
  readonly countError: (code: ErrorCode) => void;
  readonly now: () => number;
}

/** What a session gives the mux: its ICE credentials from the SDP, and where its datagrams go. */
export interface MuxSessionInit {
  /** The server's ice-ufrag (the answer's) and the client's (the offer's). */
  readonly serverUfrag: string;
  readonly clientUfrag: string;
  /** The server's ice-pwd: the key of the client's MESSAGE-INTEGRITY. */
  readonly serverPassword: string;
  /** Receives every datagram of this session with its source. */
  readonly deliver: (data: Buffer, from: [string, number]) => void;
  /** Called once when the client has been silent for `silenceTimeoutMs`. */
  readonly onSilent: () => void;
}

/** A session's place on the mux. */
export interface MuxSession {
  /** Sends to one of the session's bound addresses; anything else is dropped (returns false). */
  send(data: Buffer, to: readonly [string, number]): boolean;
  /** Remote addresses bound now. */
  readonly addresses: number;
  /** Marks the client heard (its packets came another way, over ICE-TCP), so the silence sweep spares it. */
  touch(): void;
  /**
   * ICE restart: the session is found by its new credentials from now on; the previous ones keep working
   * for checks until the next restart (the client's old pair carries media until it nominates a new one).
   */
  rekey(c: IceCredentials): void;
  /** Leaves the mux; idempotent. */
  close(): void;
}

interface Entry {
  readonly init: MuxSessionInit;
  /** The current credential first, then the previous generation's (ICE restart). */
  readonly credentials: Credential[];
  /** Bound remote `ip:port` -> the local socket its checks arrived on (replies must leave from it). */
  readonly addresses: Map<string, Socket>;
  /** Bumped when `addresses` changes, so a sender's cached route is re-checked. */
  version: number;
  heard: boolean;
  silentSince: number;
  closed: boolean;
}

/**
 * The shared port, the ufrag and address tables, and the silence sweep. With `host` 0.0.0.0 the port is
 * bound once per local IPv4 address (the same port number): a wildcard socket's replies leave with the
 * source address the kernel picks, and a client that checked 127.0.0.1 from 192.0.2.2 would drop
 * DTLS coming back from 192.0.2.2 (RFC 8445 §7.2.5.2.1 wants symmetric addresses); Node has no
 * IP_PKTINFO to choose the source on one socket.
 */
export class UdpMux {
  readonly #o: UdpMuxOptions;
  readonly #byAddress = new Map<string, Entry>();
  readonly #table = new CredentialTable<Entry>();
  #sockets: Socket[] = [];
  #sweep: NodeJS.Timeout | undefined;
  #port = 0;
  #closed = false;

  constructor(o: UdpMuxOptions) {
    this.#o = o;
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#port;
  }

  /** The local addresses the port is bound on (after start). */
  get localAddresses(): string[] {
    return this.#sockets.map((s) => s.address().address);
  }

  /** Sessions registered now. */
  get sessions(): number {
    return this.#table.size;
  }

  /** Binds the port on each local address; resolves with the port. */
  async start(): Promise<number> {
    const hosts = this.#o.host === '0.0.0.0' ? localIpv4() : [this.#o.host];
    // Port 0: the first address picks a free port; another address may hold it already, so try again.
    for (let attempt = 0; ; attempt++) {
      const sockets: Socket[] = [];
      try {
        let port = this.#o.port;
        for (const host of hosts) {
          const socket = await this.#bindOne(host, port);
          sockets.push(socket);
          port = socket.address().port;
        }
        this.#sockets = sockets;
        this.#port = port;
        break;
      } catch (err) {
        for (const s of sockets) s.close();
        if (this.#o.port !== 0 || attempt >= 4) throw err;
      }
    }
    const every = Math.max(250, Math.floor(this.#o.silenceTimeoutMs / 4));
    this.#sweep = setInterval(() => this.sweep(), every);
    this.#sweep.unref();
    return this.#port;
  }

  async #bindOne(host: string, port: number): Promise<Socket> {
    // Every destination is an address a datagram came from: answered at once, where dns.lookup would
    // defer each send of every packet to the next tick (Node's dgram looks up even an IP literal).
    const socket = createSocket({
      type: 'udp4',
      lookup: (host, options, callback) => {
        if (isIPv4(host)) callback(null, host, 4);
        else lookup(host, options, callback);
      },
    });
    socket.on('message', (data, rinfo) => this.#receive(socket, data, rinfo.address, rinfo.port));
    const listening = once(socket, 'listening');
    socket.bind({ address: host, port, exclusive: true });
    await listening;
    // After binding: a send to a vanished client (ICMP unreachable) surfaces here; keep serving.
    socket.on('error', () => {});
    // Every session shares this socket: a keyframe burst from a few WHIP publishers at once would overflow
    // the default ~208 KiB receive buffer and the kernel would drop datagrams before anyone reads them.
    try {
      socket.setRecvBufferSize(this.#o.bufferBytes);
      socket.setSendBufferSize(this.#o.bufferBytes);
    } catch {
      // Refused by the kernel: the default buffers stay.
    }
    return socket;
  }

  /** Registers a session by its credentials; datagrams reach it once a check from the client verifies. */
  register(init: MuxSessionInit): MuxSession {
    const entry: Entry = {
      init,
      credentials: [credentialOf(init)],
      addresses: new Map(),
      version: 0,
      heard: false,
      silentSince: this.#o.now(),
      closed: false,
    };
    this.#table.add(entry);
    let lastHost = '';
    let lastPort = -1;
    let lastVersion = -1;
    let lastSocket: Socket | undefined;
    return {
      send: (data, to) => {
        if (entry.closed || this.#closed) return false;
        // Cached: werift sends media to one nominated address, so the table lookup runs once per change.
        if (to[0] !== lastHost || to[1] !== lastPort || lastVersion !== entry.version) {
          lastSocket = entry.addresses.get(`${to[0]}:${to[1]}`);
          lastHost = to[0];
          lastPort = to[1];
          lastVersion = entry.version;
        }
        if (!lastSocket) return false;
        lastSocket.send(data, to[1], to[0]);
        return true;
      },
      get addresses() {
        return entry.addresses.size;
      },
      touch: () => {
        entry.heard = true;
      },
      rekey: (c) => {
        if (!entry.closed) this.#table.rekey(entry, credentialOf(c));
      },
      close: () => this.#remove(entry),
    };
  }

  /** Closes the sockets; every session is dropped from the tables. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const e of this.#table.entries()) this.#remove(e);
    const sockets = this.#sockets;
    this.#sockets = [];
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  #receive(socket: Socket, data: Buffer, host: string, port: number): void {
    const key = `${host}:${port}`;
    let bound = this.#byAddress.get(key);
    // A check from a bound address naming another session (the client's port now serves a new peer
    // connection): the new session takes the address if the check verifies.
    if (bound && data[0] === 0 && data[1] === 1) {
      const req = parseBindingRequest(data);
      if (req && !bound.credentials.some((c) => c.username === req.username)) bound = this.#bind(socket, data, key);
      else if (bound.addresses.get(key) !== socket) {
        // The client now checks another of our addresses: replies leave from the socket it reached.
        bound.addresses.set(key, socket);
        bound.version++;
      }
    } else if (!bound) {
      bound = this.#bind(socket, data, key);
    }
    if (bound) {
      bound.heard = true;
      bound.init.deliver(data, [host, port]);
    }
  }

  /** The session a datagram from an unknown address proves it belongs to, now bound; or undefined (counted). */
  #bind(socket: Socket, data: Buffer, key: string): Entry | undefined {
    const req = parseBindingRequest(data);
    const entry = req && this.#table.verify(data, req);
    if (!entry) {
      this.#o.countError('WEBRTC_UNKNOWN_DATAGRAM');
      return undefined;
    }
    if (!entry.addresses.has(key) && entry.addresses.size >= this.#o.maxAddressesPerSession) {
      this.#o.countError('WEBRTC_MUX_ADDRESS_LIMIT');
      return undefined;
    }
    const previous = this.#byAddress.get(key);
    if (previous && previous !== entry) {
      previous.addresses.delete(key);
      previous.version++;
    }
    entry.addresses.set(key, socket);
    entry.version++;
    this.#byAddress.set(key, entry);
    return entry;
  }

  #remove(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    for (const a of entry.addresses.keys()) if (this.#byAddress.get(a) === entry) this.#byAddress.delete(a);
    entry.addresses.clear();
    entry.version++;
    this.#table.remove(entry);
  }

  /** Ends the sessions silent for `silenceTimeoutMs` (the timer calls it; tests call it with their clock). */
  sweep(): void {
    const now = this.#o.now();
    for (const e of this.#table.entries()) {
      if (e.heard) {
        e.heard = false;
        e.silentSince = now;
      } else if (now - e.silentSince >= this.#o.silenceTimeoutMs) {
        this.#remove(e);
        e.init.onSilent();
      }
    }
  }
}

/** Every local IPv4 address (loopback too: a browser on the server's machine connects there). */
function localIpv4(): string[] {
  const all = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i?.family === 'IPv4')
    .map((i) => i!.address);
  return all.length > 0 ? [...new Set(all)] : ['0.0.0.0'];
}
