/**
 * A live HTTP response written by hand on the hijacked socket. Node's ServerResponse issues a separate
 * write for a chunk's size line, each buffer and the trailing CRLF when it uncorks, so a merged batch
 * of N tags costs N+3 syscalls there; here a batch is one writev. By default the body is
 * close-delimited (RFC 9112 §6.3, item 8): a live FLV body has no end but the connection's, and
 * chunked framing costs about a sixth more CPU at 1000 players (docs/performance.md). Proxies that
 * want chunked bodies get them with `http.flvChunked`, as nginx-http-flv's chunked_transfer_encoding.
 */
import type { Socket } from 'node:net';

// Not `import { … } from 'node:http'`: its ES module facade reads every export, and the lazy WebSocket
// getters load undici (about 9 MB idle, issue 17); the CommonJS exports do not.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

const crlf = Buffer.from('\r\n', 'latin1');

/** Head, then merged batches of body, then the end; every batch goes out in one writev. */
export class LiveResponse {
  private readonly socket: Socket;
  private readonly chunked: boolean;
  private headSent = false;
  private ended = false;

  constructor(socket: Socket, chunked: boolean) {
    this.socket = socket;
    this.chunked = chunked;
  }

  /** Whether the status line has gone out. */
  get headersSent(): boolean {
    return this.headSent;
  }

  /** Bytes the socket holds that the kernel has not taken yet. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Whether the socket can still be written. */
  get writable(): boolean {
    return !this.ended && !this.socket.destroyed;
  }

  /** Writes the status line and headers of the live body. */
  head(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.headSent || !this.writable) return;
    this.headSent = true;
    const framing: Record<string, string> = this.chunked ? { 'transfer-encoding': 'chunked' } : { connection: 'close' };
    this.socket.write(formatHead(status, { ...headers, ...framing }), 'latin1');
  }

  /** Writes a batch of body buffers; corked only when there is more than one (fanout-measurements.md). */
  write(buffers: readonly Buffer[]): void {
    if (!this.writable || buffers.length === 0) return;
    const socket = this.socket;
    if (!this.chunked && buffers.length === 1) {
      socket.write(buffers[0]!);
      return;
    }
    let length = 0;
    for (const b of buffers) length += b.length;
    // An empty chunk would be the last chunk (RFC 9112 §7.1): it would end the body.
    if (length === 0) return;
    socket.cork();
    // Framing as Buffers: a string in a writev is converted on every call.
    if (this.chunked) socket.write(Buffer.from(`${length.toString(16)}\r\n`, 'latin1'));
    for (const b of buffers) socket.write(b);
    if (this.chunked) socket.write(crlf);
    socket.uncork();
  }

  /**
   * Ends the body (the last chunk when chunked) and the connection: a live body cannot be resumed. A
   * peer that stopped reading would keep the socket and its unsent bytes for ever (the hub no longer
   * counts them), so the socket is destroyed after a grace whatever the peer does.
   */
  end(): void {
    if (!this.writable) return;
    this.ended = true;
    if (this.headSent && this.chunked) this.socket.end('0\r\n\r\n', 'latin1');
    else this.socket.end();
    setTimeout(() => this.socket.destroy(), endGraceMs).unref();
  }

  /** A complete response with a length (an error before the body started), then close. */
  respond(status: number, headers: Readonly<Record<string, string>>, body: string): void {
    if (this.headSent || !this.writable) return;
    this.headSent = true;
    this.ended = true;
    const bytes = Buffer.from(body);
    const head = formatHead(status, { ...headers, 'content-length': String(bytes.length), connection: 'close' });
    this.socket.end(Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
  }

  /** Drops the connection at once (a stalled reader). */
  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }
}

/** How long an ended live body may take to reach its player before the socket is destroyed. */
const endGraceMs = 5000;

function formatHead(status: number, headers: Readonly<Record<string, string>>): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
