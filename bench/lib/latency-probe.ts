// Publisher→player latency, measured the same way for every server: ffmpeg publishes through a TCP relay in the
// bench process that walks the RTMP chunks it forwards and notes when the last byte of each video message went
// to the server; a few probe players (in the bench process too, joined after the load) note when the last byte
// of each video message reached them. Messages are matched by body length, which every server keeps (SRS
// rewrites timestamps per player, so they cannot be the key), taking the latest send at or before the arrival.
import net from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ChunkWalker, type WalkerSink } from './rtmp-chunk-walker.ts';
import { FlvPlayer } from './flv-player.ts';
import { RtmpPlayer } from './rtmp-player.ts';
import type { BenchPlayer } from './bench-player.ts';
import { freePort } from './setup.ts';

/** C0 + C1 + C2: what an RTMP client sends before its first chunk (RTMP 1.0 §5.2). */
const CLIENT_HANDSHAKE = 1 + 1536 + 1536;
/** Sends older than this are forgotten: no server under test holds a frame that long. */
const KEEP_MS = 5000;

/** Walks the publisher's chunks and records when each video message was forwarded in full. */
class SendLog implements WalkerSink {
  /** Video body length → forward times (performance.now()), oldest first. */
  readonly sent = new Map<number, number[]>();
  readonly walker = new ChunkWalker(this);
  now = 0;

  keepBody(type: number): boolean {
    return type === 1;
  }

  onMessageStart(): void {}

  onMessage(type: number, body: Buffer | null, _head: number, len: number): void {
    if (type === 1 && body !== null && body.length >= 4) this.walker.chunkSize = body.readUInt32BE(0) & 0x7fffffff;
    if (type !== 9) return;
    let times = this.sent.get(len);
    if (times === undefined) this.sent.set(len, (times = []));
    times.push(this.now);
    while (times.length > 0 && times[0]! < this.now - KEEP_MS) times.shift();
  }

  /** The latest send of a `len`-byte video message at or before `at`; NaN when none. */
  sendOf(len: number, at: number): number {
    const times = this.sent.get(len);
    if (times === undefined) return Number.NaN;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! <= at) return times[i]!;
    return Number.NaN;
  }
}

/** A TCP relay for the publisher that notes when each video message passed (see the file comment). */
export class PublishRelay {
  readonly log = new SendLog();
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();

  /** Listens on a free loopback port in front of `target` (host:port); returns the port. */
  async start(targetPort: number): Promise<number> {
    const port = await freePort();
    this.#server = net.createServer({ noDelay: true }, (client) => this.#relay(client, targetPort));
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return port;
  }

  #relay(client: net.Socket, targetPort: number): void {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    this.#sockets.add(client).add(upstream);
    let handshake = CLIENT_HANDSHAKE;
    client.on('data', (buf: Buffer) => {
      let off = 0;
      if (handshake > 0) {
        off = Math.min(handshake, buf.length);
        handshake -= off;
      }
      upstream.write(buf);
      this.log.now = performance.now();
      if (off < buf.length) this.log.walker.push(buf, off, buf.length);
    });
    upstream.on('data', (buf: Buffer) => client.write(buf));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  /** Closes the relay and its connections. */
  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server?.close();
  }
}

/** Probe players that record when each video message arrived. */
export class LatencyProbes {
  readonly #players: BenchPlayer[] = [];
  #arrivals: { len: number; at: number }[] = [];
  #recording = false;
  /** How late this (the probes') process ran its callbacks while recording: arrivals are noted that much late. */
  #loop: ReturnType<typeof monitorEventLoopDelay> | undefined;

  /** Starts `n` probe players on `url` (RTMP or HTTP-FLV). */
  constructor(url: string, n: number) {
    const onVideo = (len: number): void => {
      if (this.#recording) this.#arrivals.push({ len, at: performance.now() });
    };
    for (let i = 0; i < n; i++) {
      const opts = { url, stall: false, onVideo };
      this.#players.push(url.startsWith('rtmp') ? new RtmpPlayer(opts) : new FlvPlayer(opts));
    }
  }

  /** Starts or stops recording arrivals (the row's measurement window). */
  record(on: boolean): void {
    this.#recording = on;
    if (on) {
      this.#loop = monitorEventLoopDelay({ resolution: 1 });
      this.#loop.enable();
    } else this.#loop?.disable();
  }

  /**
   * The probes' own read lag while recording: percentiles in ms of this process's event-loop delay (a
   * timer's lateness at 1 ms resolution). An arrival is stamped when its 'data' callback runs, so this much
   * of a latency figure is the load side's, not the server's; NaN before recording.
   */
  loopLag(): { p50: number; p95: number; max: number } {
    const h = this.#loop;
    // The histogram counts in ns and includes its own 1 ms resolution: subtract it.
    const ms = (ns: number): number => (h === undefined ? Number.NaN : Math.max(0, ns / 1e6 - 1));
    return { p50: ms(h?.percentile(50) ?? 0), p95: ms(h?.percentile(95) ?? 0), max: ms(h?.max ?? 0) };
  }

  /** Latencies in ms of the recorded arrivals, matched against the relay's sends; unmatched ones left out. */
  latencies(log: SendLog): number[] {
    const out: number[] = [];
    for (const a of this.#arrivals) {
      const sent = log.sendOf(a.len, a.at);
      if (Number.isFinite(sent)) out.push(a.at - sent);
    }
    return out;
  }

  /** Probe players that failed. */
  get failed(): number {
    return this.#players.filter((p) => p.error !== '').length;
  }

  /** Closes the probe players. */
  close(): void {
    for (const p of this.#players) p.close();
  }
}
