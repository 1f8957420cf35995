/**
 * A UDP relay between one SRT caller and the server that drops a share of datagrams each way (a seeded
 * PRNG) and counts what SRT does about it: data packets flagged as retransmitted (the R bit of the data
 * header, draft-sharabayko-srt §3.1) and NAK control packets (type 3, §3.2.5), for bench/srt.ts.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';

/** What a relay saw. */
export interface RelayCounts {
  forwarded: number;
  dropped: number;
  /** Data packets from the caller with the retransmitted flag. */
  retransmitted: number;
  /** NAKs from the server (loss reports). */
  naks: number;
  /** Data payload bytes from the caller that reached the server. */
  dataBytes: number;
}

/** A running relay on a loopback port. */
export interface LossyRelay {
  readonly port: number;
  readonly counts: RelayCounts;
  close(): Promise<void>;
}

/** xorshift32: the same losses every run for one seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Starts a relay to `targetPort` on 127.0.0.1 losing `loss` (0..1) of the datagrams in each direction. */
export async function startLossyRelay(targetPort: number, loss: number, seed: number): Promise<LossyRelay> {
  const rand = prng(seed);
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const counts: RelayCounts = { forwarded: 0, dropped: 0, retransmitted: 0, naks: 0, dataBytes: 0 };
  let caller: RemoteInfo | undefined;
  const lost = (): boolean => {
    if (rand() < loss) {
      counts.dropped++;
      return true;
    }
    counts.forwarded++;
    return false;
  };
  front.on('message', (msg, rinfo) => {
    caller ??= rinfo;
    if (msg.length >= 16 && (msg[0]! & 0x80) === 0) {
      if ((msg.readUInt32BE(4) >>> 26) & 1) counts.retransmitted++;
      if (!lost()) {
        counts.dataBytes += msg.length - 16;
        back.send(msg, targetPort, '127.0.0.1');
      }
      return;
    }
    if (!lost()) back.send(msg, targetPort, '127.0.0.1');
  });
  back.on('message', (msg) => {
    const c = caller;
    if (!c) return;
    if (msg.length >= 4 && (msg[0]! & 0x80) !== 0 && (msg.readUInt16BE(0) & 0x7fff) === 3) counts.naks++;
    if (!lost()) front.send(msg, c.port, c.address);
  });
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  return {
    port: front.address().port,
    counts,
    async close() {
      await Promise.all([
        new Promise<void>((r) => front.close(() => r())),
        new Promise<void>((r) => back.close(() => r())),
      ]);
    },
  };
}
