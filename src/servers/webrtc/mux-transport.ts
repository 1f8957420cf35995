/**
 * Puts one werift peer connection on the shared UDP socket. werift 0.24 has no socket factory, but its
 * ICE `StunProtocol` reads and writes through a public `transport` field (`{ send, onData, closed,
 * address, close }`, werift's `Transport` interface): after gathering (one host candidate on an ephemeral
 * loopback port nobody is told about) that loopback socket is closed and the field is replaced by a
 * virtual transport whose sends go out of the mux socket and whose `onData` the mux calls. No relay, no
 * copy: werift sees the client's real address (a peer-reflexive candidate, RFC 8445 §7.3.1.3).
 * The shape is checked at attach time: a werift that changed it fails the session with INTERNAL
 * (set `webrtc.singlePort: false` to fall back to werift's own sockets).
 */
import { randomInt } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';
import { LiveError } from '../../errors.ts';
import { parseBindingRequest } from '../../protocol/stun/stun-binding.ts';
import type { TcpMux, TcpMuxSession } from './tcp-mux.ts';
import type { MuxSession, UdpMux } from './udp-mux.ts';

/** What werift's StunProtocol needs of its transport (werift `common/src/transport.ts` `Transport`). */
interface WeriftTransport {
  type: string;
  closed: boolean;
  onData: (data: Buffer, addr: [string, number]) => void;
  send: (data: Buffer, addr?: [string, number]) => Promise<void>;
  close: () => Promise<void>;
}

interface WeriftProtocol {
  type?: string;
  transport?: WeriftTransport;
}

/** What mux-transport touches of werift's ICE `Connection` (werift `ice/src/ice.ts`). */
interface WeriftConnection {
  protocols?: WeriftProtocol[];
  localUsername: string;
  localPassword: string;
  remoteUsername: string;
  remotePassword: string;
  /** Passwords by local ufrag: werift signs its responses with the one the check's USERNAME names. */
  userHistory: Record<string, string>;
  nominated?: unknown;
  resetNominatedPair(): void;
}

/** A session on the shared ports: the UDP mux, and the TCP mux when ICE-TCP is on. */
export interface IceSession extends MuxSession {
  /**
   * ICE restart (RFC 8445 §9, RFC 9725 §4.3.2): new local credentials for the client's new ones, the
   * session found by them on both muxes. The nominated pair keeps carrying media until the client
   * nominates a pair of the new generation (its first USE-CANDIDATE check), so no packet waits.
   */
  restart(client: { ufrag: string; pwd: string }): { ufrag: string; pwd: string };
}

/** The credentials of the session on the mux (from the answer and the offer) and its silence hook. */
export interface MuxAttach {
  readonly serverUfrag: string;
  readonly serverPassword: string;
  readonly clientUfrag: string;
  readonly onSilent: () => void;
}

/**
 * Moves the pc's ICE onto `mux`: from now on its STUN, DTLS, SRTP and RTCP go through the shared socket.
 * Closing the pc (werift closes its protocols and so the transport) leaves the mux.
 */
export async function attachToMux(pc: RTCPeerConnection, mux: UdpMux, a: MuxAttach, tcp?: TcpMux): Promise<IceSession> {
  const connection = pc.iceTransports[0]?.connection as unknown as WeriftConnection | undefined;
  const protocols = (connection?.protocols ?? []).filter(
    (p) => p.type === 'stun' && typeof p.transport?.onData === 'function',
  );
  if (!connection || protocols.length === 0 || typeof connection.resetNominatedPair !== 'function') {
    throw new LiveError('INTERNAL', 'werift ICE has no UDP protocol to put on the shared port (webrtc.singlePort)');
  }
  const [main, ...others] = protocols as [Required<WeriftProtocol>, ...Required<WeriftProtocol>[]];
  const deliver = main.transport.onData;
  /** The USERNAME of a restarted generation whose first nominating check has not come yet. */
  let pendingUsername: string | undefined;
  const receive = (data: Buffer, from: [string, number]) => {
    if (pendingUsername !== undefined && data[0] === 0 && data[1] === 1) {
      const req = parseBindingRequest(data);
      if (req?.useCandidate && req.username === pendingUsername) {
        pendingUsername = undefined;
        // werift keeps its first nominated pair for good (RFC 8445 §8.1.1): let this check nominate anew.
        connection.resetNominatedPair();
      }
    }
    deliver(data, from);
  };
  const udp = mux.register({
    serverUfrag: a.serverUfrag,
    clientUfrag: a.clientUfrag,
    serverPassword: a.serverPassword,
    deliver: receive,
    onSilent: a.onSilent,
  });
  const overTcp: TcpMuxSession | undefined = tcp?.register({
    serverUfrag: a.serverUfrag,
    clientUfrag: a.clientUfrag,
    serverPassword: a.serverPassword,
    deliver: (data, from) => {
      // The UDP mux's silence sweep ends sessions it does not hear: TCP traffic counts as heard.
      udp.touch();
      receive(data, from);
    },
  });
  const session: IceSession = {
    send: (data, to) => overTcp?.send(data, to) || udp.send(data, to),
    get addresses() {
      return udp.addresses + (overTcp?.connections ?? 0);
    },
    touch: () => udp.touch(),
    rekey: (c) => {
      udp.rekey(c);
      overTcp?.rekey(c);
    },
    close: () => {
      udp.close();
      overTcp?.close();
    },
    restart: (client) => {
      const local = { ufrag: iceChars(8), pwd: iceChars(24) };
      connection.userHistory[local.ufrag] = local.pwd;
      connection.localUsername = local.ufrag;
      connection.localPassword = local.pwd;
      connection.remoteUsername = client.ufrag;
      connection.remotePassword = client.pwd;
      session.rekey({ serverUfrag: local.ufrag, clientUfrag: client.ufrag, serverPassword: local.pwd });
      pendingUsername = `${local.ufrag}:${client.ufrag}`;
      return local;
    },
  };
  const virtual: WeriftTransport & { socketType: string; address: { address: string; family: string; port: number } } =
    {
      type: 'udp',
      socketType: 'udp4',
      closed: false,
      onData: deliver,
      address: { address: '0.0.0.0', family: 'IPv4', port: mux.port },
      send: async (data, addr) => {
        if (addr) session.send(data, addr);
      },
      close: async () => {
        virtual.closed = true;
        session.close();
      },
    };
  const loopback = [main.transport, ...others.map((p) => p.transport)];
  main.transport = virtual;
  // Any further UDP protocol (none with the loopback-only gathering of createPeer) is muted, never used.
  for (const p of others) p.transport = { ...virtual, closed: true, close: async () => {} };
  await Promise.all(loopback.map((t) => t.close().catch(() => {})));
  return session;
}

/** RFC 8839 §5.4 ice-chars (ALPHA / DIGIT / "+" / "/"), alphanumeric here: ufrag ≥ 4, pwd ≥ 22, 6 bits each. */
function iceChars(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
