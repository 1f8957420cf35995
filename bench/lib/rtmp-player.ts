// A minimal RTMP player for load generation: simple handshake (RTMP 1.0 §5.2), connect, createStream, play,
// then counts bytes; it answers what a server may wait for (acknowledgements, ping) and nothing else.
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { BenchPlayer, isVideoKeyframe, sharedReadBuffer, type PlayerOptions } from './bench-player.ts';
import { ChunkWalker, type WalkerSink } from './rtmp-chunk-walker.ts';
import { decodeLite, encodeLite } from './amf0-lite.ts';

const HANDSHAKE = 1536;
const S0S1S2 = 1 + 2 * HANDSHAKE;
const CMD_CSID = 3;
const TX_CONNECT = 1;
const TX_CREATE_STREAM = 2;

/** Plays one RTMP stream, keeping only the counters of BenchPlayer. */
export class RtmpPlayer extends BenchPlayer implements WalkerSink {
  private readonly socket: net.Socket;
  private readonly opts: PlayerOptions;
  private readonly walker = new ChunkWalker(this);
  private readonly target: { app: string; name: string; tcUrl: string };
  private handshakeGot = 0;
  private readonly s1 = Buffer.alloc(HANDSHAKE);
  private ackWindow = 0;
  private ackedAt = 0;
  private playing = false;

  constructor(opts: PlayerOptions) {
    super();
    this.opts = opts;
    const u = new URL(opts.url);
    const parts = u.pathname.split('/').filter((s) => s !== '');
    const name = (parts.pop() ?? '') + u.search;
    const app = parts.join('/');
    const secure = u.protocol === 'rtmps:';
    this.target = { app, name, tcUrl: `${secure ? 'rtmps' : 'rtmp'}://${u.host}/${app}` };
    if (secure) {
      // RTMPS (the bench's own self-signed certificate): TLSSocket has no onread, so 'data' with pause for stalls.
      this.socket = this.watch(
        tls.connect({ host: u.hostname, port: Number(u.port || 443), rejectUnauthorized: false }),
      );
      this.socket.setNoDelay(true);
      this.socket.on('data', (d: Buffer) => {
        if (!this.onRead(d.length, d)) this.socket.pause();
      });
      this.socket.on('secureConnect', () => this.sendC0C1());
    } else {
      this.socket = this.watch(
        net.connect({
          host: u.hostname,
          port: Number(u.port || 1935),
          noDelay: true,
          onread: { buffer: sharedReadBuffer, callback: (n) => this.onRead(n, sharedReadBuffer) },
        }),
      );
      this.socket.on('connect', () => this.sendC0C1());
    }
  }

  keepBody(type: number): boolean {
    // Control messages always; commands only until play has started (later ones are onStatus noise).
    return type <= 6 || (!this.playing && type === 20);
  }

  onMessageStart(type: number): void {
    if (type === 8 || type === 9 || type === 18) this.markFirstByte();
  }

  onMessage(type: number, body: Buffer | null, head: number, len: number): void {
    if (type === 9) {
      if (this.firstKeyAt < 0 && isVideoKeyframe(head)) this.markKeyframe();
      this.opts.onVideo?.(len);
      return;
    }
    if (body === null) return;
    if (type === 1 && body.length >= 4) this.walker.chunkSize = body.readUInt32BE(0) & 0x7fffffff;
    else if (type === 5 && body.length >= 4) this.ackWindow = body.readUInt32BE(0);
    else if (type === 4 && body.length >= 6 && body.readUInt16BE(0) === 6) this.pong(body.readUInt32BE(2));
    else if (type === 20) this.onCommand(body);
  }

  private onRead(n: number, buf: Buffer): boolean {
    this.bytes += n;
    let off = 0;
    if (this.handshakeGot < S0S1S2) off = this.handshake(buf, n);
    if (off < n) this.walker.push(buf, off, n);
    if (this.ackWindow > 0 && this.bytes - this.ackedAt >= this.ackWindow) this.ack();
    return !(this.opts.stall && this.firstKeyAt >= 0);
  }

  private sendC0C1(): void {
    const c0c1 = Buffer.alloc(1 + HANDSHAKE);
    c0c1[0] = 3;
    randomFillSync(c0c1, 9); // time and zero fields stay 0: the simple handshake, as librtmp may send
    this.socket.write(c0c1);
  }

  private handshake(buf: Buffer, n: number): number {
    const take = Math.min(n, S0S1S2 - this.handshakeGot);
    const s1From = Math.max(this.handshakeGot, 1);
    const s1To = Math.min(this.handshakeGot + take, 1 + HANDSHAKE);
    if (s1To > s1From) buf.copy(this.s1, s1From - 1, s1From - this.handshakeGot, s1To - this.handshakeGot);
    this.handshakeGot += take;
    if (this.handshakeGot === S0S1S2) {
      this.socket.write(this.s1); // C2 echoes S1 (RTMP 1.0 §5.2.4)
      this.command(0, 'connect', TX_CONNECT, {
        app: this.target.app,
        flashVer: 'LNX 9,0,124,2',
        tcUrl: this.target.tcUrl,
        fpad: false,
        capabilities: 15,
        audioCodecs: 4071,
        videoCodecs: 252,
        videoFunction: 1,
      });
    }
    return take;
  }

  private onCommand(body: Buffer): void {
    const [name, tx, , info] = decodeLite(body);
    if (name === '_result' && tx === TX_CONNECT) {
      this.command(0, 'createStream', TX_CREATE_STREAM, null);
    } else if (name === '_result' && tx === TX_CREATE_STREAM) {
      const streamId = typeof info === 'number' ? info : 1;
      // ffmpeg sends start = -2000 (live or recorded, in ms) and then a 3 s buffer length.
      this.command(streamId, 'play', 0, null, this.target.name, -2000);
      this.control(3, streamId, 3000);
      this.playing = true;
    } else if (name === '_error') {
      this.fail(`command rejected: ${JSON.stringify(info ?? null)}`);
      this.socket.destroy();
    }
  }

  private command(streamId: number, ...values: Parameters<typeof encodeLite>): void {
    this.socket.write(chunked(CMD_CSID, 20, streamId, encodeLite(...values)));
  }

  private control(event: number, a: number, b?: number): void {
    const body = Buffer.alloc(b === undefined ? 6 : 10);
    body.writeUInt16BE(event, 0);
    body.writeUInt32BE(a, 2);
    if (b !== undefined) body.writeUInt32BE(b, 6);
    this.socket.write(chunked(2, 4, 0, body));
  }

  private pong(timestamp: number): void {
    this.control(7, timestamp);
  }

  private ack(): void {
    this.ackedAt = this.bytes;
    const body = Buffer.alloc(4);
    body.writeUInt32BE(this.bytes % 0x1_0000_0000, 0);
    this.socket.write(chunked(2, 3, 0, body));
  }
}

/** Frames one message as type-0 chunks of the default 128-byte size (RTMP 1.0 §5.3.1). */
function chunked(csid: number, type: number, streamId: number, body: Buffer): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(12);
  h[0] = csid;
  h.writeUIntBE(body.length, 4, 3);
  h[7] = type;
  h.writeUInt32LE(streamId, 8);
  parts.push(h);
  for (let off = 0; off < body.length; off += 128) {
    if (off > 0) parts.push(Buffer.from([0xc0 | csid]));
    parts.push(body.subarray(off, Math.min(off + 128, body.length)));
  }
  return Buffer.concat(parts);
}
