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
import type { RTCPeerConnection } from 'werift';
import { LiveError } from '../../errors.ts';
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
export async function attachToMux(pc: RTCPeerConnection, mux: UdpMux, a: MuxAttach): Promise<MuxSession> {
  const connection = pc.iceTransports[0]?.connection as unknown as { protocols?: WeriftProtocol[] } | undefined;
  const protocols = (connection?.protocols ?? []).filter(
    (p) => p.type === 'stun' && typeof p.transport?.onData === 'function',
  );
  if (protocols.length === 0) {
    throw new LiveError('INTERNAL', 'werift ICE has no UDP protocol to put on the shared port (webrtc.singlePort)');
  }
  const [main, ...others] = protocols as [Required<WeriftProtocol>, ...Required<WeriftProtocol>[]];
  const deliver = main.transport.onData;
  const session = mux.register({
    serverUfrag: a.serverUfrag,
    clientUfrag: a.clientUfrag,
    serverPassword: a.serverPassword,
    deliver: (data, from) => deliver(data, from),
    onSilent: a.onSilent,
  });
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
