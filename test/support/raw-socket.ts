/**
 * A raw TCP client for hostile-input tests: write exactly the bytes a test crafts, do the plain RTMP
 * handshake by hand, and learn whether and when the server closed the connection.
 */
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/** Size of C1/S1/C2/S2 (RTMP 1.0 §5.2.3). */
const HandshakeSize = 1536;

/** A raw connection and what the server did to it. */
export class RawSocket {
  readonly socket: Socket;
  /** Everything the server sent that the test did not take with `read()`. */
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private onReceive: (() => void) | undefined;
  /** Whether the connection closed by the server's doing (FIN or RST) rather than ours. */
  serverClosed = false;
  private selfClosed = false;
  /** Resolves when the socket is fully closed, whoever closed it. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (data: Buffer) => {
      this.received.push(data);
      this.receivedBytes += data.length;
      this.onReceive?.();
    });
    // ECONNRESET after the server's destroy() is expected here; it only means "closed by the server".
    socket.on('error', () => {});
    socket.on('end', () => this.markServerClosed());
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.markServerClosed();
        this.onReceive?.();
        resolve();
      }),
    );
  }

  /** Opens a TCP connection to 127.0.0.1:port. */
  static async open(port: number): Promise<RawSocket> {
    const socket = connect({ host: '127.0.0.1', port });
    const raw = new RawSocket(socket);
    await once(socket, 'connect');
    return raw;
  }

  private markServerClosed(): void {
    if (!this.selfClosed) this.serverClosed = true;
  }

  /** Writes bytes unless the socket is already gone (a server that closed early is what some tests expect). */
  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** Takes exactly `n` received bytes; rejects if the connection closes first or after `timeoutMs`. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.receivedBytes < n) {
      if (this.socket.destroyed) throw new Error(`connection closed after ${this.receivedBytes} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms with ${this.receivedBytes} of ${n} bytes`);
      await this.arrival(left);
    }
    const all = Buffer.concat(this.received);
    this.received = all.length > n ? [all.subarray(n)] : [];
    this.receivedBytes = all.length - n;
    return all.subarray(0, n);
  }

  /** Resolves once the bytes received and not yet read satisfy `match` (nothing is consumed). */
  async until(what: string, match: (received: Buffer) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!match(Buffer.concat(this.received))) {
      if (this.socket.destroyed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await this.arrival(left);
    }
  }

  /** Waits for the next bytes (or the close), at most `ms`. */
  private arrival(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onReceive = () => {
        clearTimeout(timer);
        this.onReceive = undefined;
        resolve();
      };
    });
  }

  /** Plain handshake (RTMP 1.0 §5.2): C0+C1, wait for S0+S1+S2, answer C2 = S1. */
  async handshake(timeoutMs = 5000): Promise<void> {
    const c0c1 = Buffer.alloc(1 + HandshakeSize);
    c0c1[0] = 3;
    this.write(c0c1);
    const s = await this.read(1 + 2 * HandshakeSize, timeoutMs);
    if (s[0] !== 3) throw new Error(`S0 is ${s[0]}, not 3`);
    this.write(s.subarray(1, 1 + HandshakeSize));
  }

  /** Resolves true when the connection closes within `timeoutMs`, false when it is still open then. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Closes from our side (marks it as not the server's doing). */
  destroy(): void {
    this.selfClosed = true;
    this.socket.destroy();
  }
}

/** An RTMP basic header (RTMP 1.0 §5.3.1.1): 1, 2 or 3 bytes by chunk stream id. */
export function basicHeader(fmt: number, csid: number): Buffer {
  if (csid >= 2 && csid < 64) return Buffer.of((fmt << 6) | csid);
  if (csid >= 64 && csid < 320) return Buffer.of(fmt << 6, csid - 64);
  if (csid >= 320 && csid <= 65599) return Buffer.of((fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8);
  throw new RangeError(`chunk stream id ${csid} is outside 2..65599`);
}

/** A fmt 0 chunk header whose length field says `length`, whatever payload follows (§5.3.1.2.1). */
export function type0Header(csid: number, typeId: number, length: number, streamId = 0, timestamp = 0): Buffer {
  const h = Buffer.alloc(11);
  h.writeUIntBE(timestamp, 0, 3);
  h.writeUIntBE(length, 3, 3);
  h[6] = typeId;
  h.writeUInt32LE(streamId, 7);
  return Buffer.concat([basicHeader(0, csid), h]);
}
