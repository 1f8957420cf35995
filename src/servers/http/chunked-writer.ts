/**
 * HTTP/1.1 chunked framing written straight to the socket (RFC 9112 §7.1). Node's ServerResponse
 * issues a separate write for the size line, each buffer and the trailing CRLF when it uncorks, so a
 * merged batch of N tags costs N+3 syscalls there; here it is one chunk in one writev.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

/** A response written by hand on a hijacked socket: head, then chunks, then the last chunk. */
export class ChunkedWriter {
  private readonly socket: Socket;
  private headSent = false;
  private ended = false;

  constructor(socket: Socket) {
    this.socket = socket;
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

  /** Writes the status line and headers of a chunked body. */
  head(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.headSent || !this.writable) return;
    this.headSent = true;
    this.socket.write(formatHead(status, { ...headers, 'transfer-encoding': 'chunked' }), 'latin1');
  }

  /** Writes the buffers as one chunk; corked, so Node hands them to the kernel in one writev. */
  chunk(buffers: readonly Buffer[]): void {
    if (!this.writable) return;
    let length = 0;
    for (const b of buffers) length += b.length;
    if (length === 0) return;
    const socket = this.socket;
    socket.cork();
    socket.write(`${length.toString(16)}\r\n`, 'latin1');
    for (const b of buffers) socket.write(b);
    socket.write('\r\n', 'latin1');
    socket.uncork();
  }

  /** Ends the body with the last chunk; the connection closes, since a live body cannot be resumed. */
  end(): void {
    if (!this.writable) return;
    this.ended = true;
    if (this.headSent) this.socket.end('0\r\n\r\n', 'latin1');
    else this.socket.end();
  }

  /** A complete non-chunked response (an error before the body started), then close. */
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

function formatHead(status: number, headers: Readonly<Record<string, string>>): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
