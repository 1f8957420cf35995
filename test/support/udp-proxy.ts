/**
 * A UDP relay for tests that loses, duplicates and reorders datagrams with a seeded PRNG, between one
 * client (the first address that sends to it) and a target port on loopback.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { prng } from '../../src/protocol/srt/srt-test-kit.ts';

/** How the relay mistreats datagrams (each direction). */
export interface UdpProxyOptions {
  readonly targetPort: number;
  readonly seed: number;
  readonly loss: number;
  /** Share of datagrams held back by `delayMs` (so later ones overtake them). */
  readonly reorder?: number;
  readonly delayMs?: number;
}

/** A running relay. */
export interface UdpProxy {
  readonly port: number;
  readonly stats: { forwarded: number; dropped: number; reordered: number };
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port. */
export async function startUdpProxy(o: UdpProxyOptions): Promise<UdpProxy> {
  const rand = prng(o.seed);
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const stats = { forwarded: 0, dropped: 0, reordered: 0 };
  let client: RemoteInfo | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const pass = (send: () => void): void => {
    if (rand() < o.loss) {
      stats.dropped++;
      return;
    }
    stats.forwarded++;
    if (rand() < (o.reorder ?? 0)) {
      stats.reordered++;
      const t = setTimeout(() => (timers.delete(t), send()), o.delayMs ?? 5);
      timers.add(t);
    } else send();
  };
  front.on('message', (msg, rinfo) => {
    client ??= rinfo;
    pass(() => back.send(msg, o.targetPort, '127.0.0.1'));
  });
  back.on('message', (msg) => {
    const c = client;
    if (c) pass(() => front.send(msg, c.port, c.address));
  });
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  return {
    port: front.address().port,
    stats,
    async close() {
      for (const t of timers) clearTimeout(t);
      await Promise.all([
        new Promise<void>((r) => front.close(() => r())),
        new Promise<void>((r) => back.close(() => r())),
      ]);
    },
  };
}
