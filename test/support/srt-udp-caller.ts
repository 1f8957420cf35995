/** Our sans-I/O SRT caller on a real UDP socket and clock, for tests against the listener. */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { SrtCaller } from '../../src/protocol/srt/srt-caller.ts';

/** A connected (or refused) caller. */
export interface UdpCaller {
  readonly caller: SrtCaller;
  /** Resolves with 'connected', or the rejection reason (undefined = timed out). */
  readonly outcome: Promise<'connected' | number | undefined>;
  readonly closed: Promise<string>;
  /** Sends one payload now. */
  send(payload: Buffer): void;
  /** Stops ticking and answering, without a shutdown (a caller that vanished). */
  vanish(): void;
  close(): Promise<void>;
}

const now = () => performance.now() * 1000;

/** Connects to 127.0.0.1:`port` with `streamId`. */
export async function connectCaller(port: number, streamId: string, latencyMs = 120): Promise<UdpCaller> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let settle!: (v: 'connected' | number | undefined) => void;
  let closedWith!: (why: string) => void;
  const outcome = new Promise<'connected' | number | undefined>((r) => (settle = r));
  const closed = new Promise<string>((r) => (closedWith = r));
  let live = true;
  const caller = new SrtCaller(
    {
      localId: 1 + Math.floor(Math.random() * 0x7ffffffe),
      initialSeq: Math.floor(Math.random() * 0x7fffffff),
      streamId,
      latencyMs,
      nowUs: now(),
    },
    {
      send: (d) => live && socket.send(d, port, '127.0.0.1'),
      deliver: () => {},
      closed: (code, reason) => closedWith(`${code ?? ''} ${reason}`),
      connected: () => settle('connected'),
      rejected: (reason) => settle(reason),
    },
  );
  socket.on('message', (m) => {
    if (!live) return;
    try {
      caller.receive(m, now());
    } catch {
      // a malformed answer would surface as a timeout
    }
  });
  const timer = setInterval(() => live && caller.tick(now()), 5);
  caller.start(now());
  const stop = async () => {
    live = false;
    clearInterval(timer);
    await new Promise<void>((r) => socket.close(() => r()));
  };
  return {
    caller,
    outcome,
    closed,
    send: (payload) => caller.connection?.send(payload, now()),
    vanish: () => {
      live = false;
      clearInterval(timer);
    },
    async close() {
      if (live && caller.connection && !caller.connection.closed) {
        caller.connection.close(now());
        // Let the shutdown datagram leave before the socket closes.
        await new Promise((r) => setTimeout(r, 50));
      }
      await stop().catch(() => {});
    },
  };
}
