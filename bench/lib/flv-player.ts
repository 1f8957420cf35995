// A minimal HTTP-FLV player for load generation: one GET over a raw socket, then it reads just enough of the
// body (chunked transfer coding, RFC 9112 §7.1; FLV tag headers, FLV 10.1 §E.4.1) to time the first keyframe,
// and after that only counts bytes.
import type { Buffer } from 'node:buffer';
import net from 'node:net';
import { BenchPlayer, isVideoKeyframe, sharedReadBuffer, type PlayerOptions } from './bench-player.ts';

const FLV_HEADER = 9;
const TAG_HEADER = 11;

/** Plays one HTTP-FLV stream, keeping only the counters of BenchPlayer. */
export class FlvPlayer extends BenchPlayer {
  private readonly socket: net.Socket;
  private readonly opts: PlayerOptions;
  private head = '';
  private inBody = false;
  private chunked = false;
  /** Chunked coding: bytes left in the current chunk, or -1 while reading a size line. */
  private chunkLeft = -1;
  private sizeLine = '';
  private skipCrlf = 0;
  /** FLV: bytes still to skip (tag data, previous-tag-size, header padding) before the next tag header. */
  private flvSkip = FLV_HEADER + 4;
  private readonly tag = new Uint8Array(TAG_HEADER + 2);
  private tagGot = 0;
  /** The video tag whose end would be the first keyframe; -1 when none is pending. */
  private keyLeft = -1;
  /** Latency probe: parse every tag (not only up to the first keyframe) and report video tags. */
  private readonly probing: boolean;
  private videoLeft = -1;
  private videoSize = 0;

  constructor(opts: PlayerOptions) {
    super();
    this.opts = opts;
    this.probing = opts.onVideo !== undefined;
    const u = new URL(opts.url);
    this.socket = this.watch(
      net.connect({
        host: u.hostname,
        port: Number(u.port || 80),
        noDelay: true,
        onread: { buffer: sharedReadBuffer, callback: (n) => this.onRead(n, sharedReadBuffer) },
      }),
    );
    this.socket.on('connect', () => {
      this.socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: */*\r\n\r\n`);
    });
  }

  private onRead(n: number, buf: Buffer): boolean {
    this.bytes += n;
    let off = 0;
    if (!this.inBody) off = this.readHead(buf, n);
    if (off < n && (this.firstKeyAt < 0 || this.probing)) {
      this.markFirstByte();
      if (this.chunked) this.dechunk(buf, off, n);
      else this.flv(buf, off, n);
    }
    return !(this.opts.stall && this.firstKeyAt >= 0);
  }

  private readHead(buf: Buffer, n: number): number {
    const before = this.head.length;
    this.head += buf.toString('latin1', 0, Math.min(n, 8192));
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.head.length > 16384) this.abort('response head too long');
      return n;
    }
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(this.head);
    if (status?.[1] !== '200') {
      this.abort(`HTTP ${status?.[1] ?? 'garbage'}`);
      return n;
    }
    this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(this.head.slice(0, end));
    this.inBody = true;
    return end + 4 - before;
  }

  private dechunk(buf: Buffer, off: number, end: number): void {
    while (off < end && (this.firstKeyAt < 0 || this.probing)) {
      if (this.skipCrlf > 0) {
        const k = Math.min(this.skipCrlf, end - off);
        this.skipCrlf -= k;
        off += k;
      } else if (this.chunkLeft < 0) {
        const nl = buf.indexOf(10, off);
        const stop = nl < 0 || nl >= end ? end : nl;
        this.sizeLine += buf.toString('latin1', off, stop);
        off = stop;
        if (stop < end) {
          off += 1;
          this.chunkLeft = Number.parseInt(this.sizeLine, 16);
          this.sizeLine = '';
          if (!(this.chunkLeft > 0)) return this.abort('end of chunked body');
        }
      } else {
        const k = Math.min(this.chunkLeft, end - off);
        this.flv(buf, off, off + k);
        off += k;
        this.chunkLeft -= k;
        if (this.chunkLeft === 0) {
          this.chunkLeft = -1;
          this.skipCrlf = 2;
        }
      }
    }
  }

  private flv(buf: Buffer, off: number, end: number): void {
    while (off < end && (this.firstKeyAt < 0 || this.probing)) {
      if (this.flvSkip > 0) {
        const k = Math.min(this.flvSkip, end - off);
        this.flvSkip -= k;
        off += k;
        if (this.keyLeft >= 0) {
          this.keyLeft -= k;
          if (this.keyLeft <= 0) this.markKeyframe();
        }
        if (this.videoLeft >= 0) {
          this.videoLeft -= k;
          if (this.videoLeft <= 0) this.videoDone();
        }
        continue;
      }
      const k = Math.min(this.tag.length - this.tagGot, end - off);
      this.tag.set(buf.subarray(off, off + k), this.tagGot);
      this.tagGot += k;
      off += k;
      if (this.tagGot < this.tag.length) continue;
      this.tagGot = 0;
      const t = this.tag;
      const size = ((t[1] as number) << 16) | ((t[2] as number) << 8) | (t[3] as number);
      const head = ((t[11] as number) << 8) | (t[12] as number);
      const videoKey = ((t[0] as number) & 0x1f) === 9 && size >= 2 && isVideoKeyframe(head);
      this.flvSkip = size + 4 - 2; // rest of the data, then PreviousTagSize
      if (videoKey) this.keyLeft = size - 2;
      if (videoKey && this.keyLeft === 0) this.markKeyframe();
      if (this.probing && ((t[0] as number) & 0x1f) === 9) {
        this.videoSize = size;
        this.videoLeft = size - 2;
        if (this.videoLeft <= 0) this.videoDone();
      }
    }
  }

  /** Latency probe: the video tag whose data is being skipped has fully arrived. */
  private videoDone(): void {
    this.videoLeft = -1;
    this.opts.onVideo?.(this.videoSize);
  }

  private abort(why: string): void {
    this.fail(why);
    this.socket.destroy();
  }
}
