/**
 * A simulated link between our SRT caller and our listener side, in virtual time, for tests: datagrams are
 * dropped, duplicated and delayed with jitter (so reordered) by a seeded PRNG; the listener side is the
 * protocol's own listenerStep/acceptConclusion plus an SrtConnection, as servers/srt wires them.
 */
import { SrtCaller } from './srt-caller.ts';
import { SrtConnection } from './srt-connection.ts';
import { decodePacket, peekDestId } from './srt-packet.ts';
import { acceptConclusion, listenerStep, negotiateLatency } from './srt-listener-handshake.ts';

/** Mulberry32: a small seeded PRNG, so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How bad the link is, each way. */
export interface LinkOptions {
  readonly seed: number;
  readonly loss?: number;
  readonly duplicate?: number;
  /** One-way delay and its random extra (µs). */
  readonly delayUs?: number;
  readonly jitterUs?: number;
  /** While this returns true for a time, everything is lost (a blackout). */
  readonly blackout?: (nowUs: number) => boolean;
}

/** A caller, a listener-side connection and the link, stepped together. */
export class SimulatedLink {
  nowUs = 1_000_000;
  readonly caller: SrtCaller;
  listener: SrtConnection | undefined;
  /** What the listener side released, with the time it did. */
  readonly delivered: Array<{ payload: Buffer; atUs: number }> = [];
  readonly events: string[] = [];
  readonly #queue: Array<{ atUs: number; toListener: boolean; datagram: Buffer }> = [];
  readonly #rand: () => number;
  readonly #o: LinkOptions;
  readonly #secret = Buffer.alloc(32, 1);

  constructor(
    o: LinkOptions,
    caller: { initialSeq: number; latencyMs: number; listenerLatencyMs?: number; streamId?: string },
  ) {
    this.#o = o;
    this.#rand = prng(o.seed);
    this.caller = new SrtCaller(
      {
        localId: 0x1111,
        initialSeq: caller.initialSeq,
        latencyMs: caller.latencyMs,
        streamId: caller.streamId ?? 'live/cam',
        nowUs: this.nowUs,
      },
      {
        send: (d) => this.#transmit(d, true),
        deliver: () => {},
        closed: (code, reason) => this.events.push(`caller closed ${code ?? ''} ${reason}`),
        connected: () => this.events.push('connected'),
        rejected: (reason, code) => this.events.push(`rejected ${reason} ${code}`),
      },
    );
    const listenerLatency = caller.listenerLatencyMs ?? 120;
    this.#onListener = (d: Buffer) => {
      if (peekDestId(d) !== 0) return this.listener?.receive(d, this.nowUs);
      const p = decodePacket(d);
      if (p.kind !== 'control') return;
      const step = listenerStep(p, 'caller', this.#secret, this.nowUs, 0);
      if (step.kind === 'reply' || step.kind === 'reject') return this.#transmit(step.datagram, false);
      if (step.kind !== 'conclusion') return;
      const hs = step.handshake;
      const lat = negotiateLatency(hs.hsreq!, { recvLatencyMs: listenerLatency, sendLatencyMs: listenerLatency });
      this.listener ??= new SrtConnection(
        {
          localId: 0x2222,
          peerId: hs.socketId,
          initialSeq: hs.initialSeq,
          startUs: this.nowUs,
          peerStartUs: this.nowUs - step.timestamp,
          recvLatencyUs: lat.recvMs * 1000,
          sendLatencyUs: lat.sendMs * 1000,
          windowPackets: 8192,
          maxReceiveBytes: 16 << 20,
          maxSendPackets: 1024,
          peerIdleTimeoutUs: 5_000_000,
          nowUs: this.nowUs,
        },
        {
          send: (x) => this.#transmit(x, false),
          deliver: (payload) => this.delivered.push({ payload, atUs: this.nowUs }),
          closed: (code, reason) => this.events.push(`listener closed ${code ?? ''} ${reason}`),
        },
      );
      this.#transmit(
        acceptConclusion(
          hs,
          { localId: 0x2222, recvMs: lat.recvMs, sendMs: lat.sendMs, mtu: 1500, flowWindow: 8192 },
          0,
        ),
        false,
      );
    };
    this.caller.start(this.nowUs);
  }

  readonly #onListener: (d: Buffer) => void;

  #transmit(datagram: Buffer, toListener: boolean): void {
    const o = this.#o;
    if (o.blackout?.(this.nowUs) || this.#rand() < (o.loss ?? 0)) return;
    const copies = this.#rand() < (o.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const atUs = this.nowUs + (o.delayUs ?? 10_000) + this.#rand() * (o.jitterUs ?? 0);
      this.#queue.push({ atUs, toListener, datagram: Buffer.from(datagram) });
    }
  }

  /** Advances virtual time by `us` in 1 ms steps, delivering datagrams and running both sides' timers. */
  run(us: number, each?: (nowUs: number) => void): void {
    const end = this.nowUs + us;
    while (this.nowUs < end) {
      this.nowUs += 1000;
      each?.(this.nowUs);
      this.#queue.sort((a, b) => a.atUs - b.atUs);
      while (this.#queue.length > 0 && this.#queue[0]!.atUs <= this.nowUs) {
        const { toListener, datagram } = this.#queue.shift()!;
        if (toListener) this.#onListener(datagram);
        else this.caller.receive(datagram, this.nowUs);
      }
      this.caller.tick(this.nowUs);
      this.listener?.tick(this.nowUs);
    }
  }
}
