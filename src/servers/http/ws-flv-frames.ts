/**
 * The little of WebSocket (RFC 6455) a WS-FLV server needs: the handshake's accept key (§4.2.2), the
 * header of an unmasked server frame (§5.2), and a bounded reader of the client's frames. A player sends
 * nothing but control frames (ping, pong, close); data is read and discarded. Frames that break §5
 * (unmasked, RSV bits, unknown opcode, a fragmented or long control frame) or exceed the size limit end
 * the connection with 1002 / 1009.
 */
import { createHash } from 'node:crypto';

/** The GUID the accept key is hashed with (RFC 6455 §1.3). */
const acceptGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept of a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + acceptGuid)
    .digest('base64');
}

/** A valid Sec-WebSocket-Key: base64 of 16 bytes (§4.1). */
export function validKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

export const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The header of a FIN frame with `opcode` and a payload of `length` bytes, unmasked as servers send. */
export function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 0x10000) {
    const b = Buffer.allocUnsafe(4);
    b[0] = 0x80 | opcode;
    b[1] = 126;
    b.writeUInt16BE(length, 2);
    return b;
  }
  const b = Buffer.allocUnsafe(10);
  b[0] = 0x80 | opcode;
  b[1] = 127;
  b.writeBigUInt64BE(BigInt(length), 2);
  return b;
}

/** A whole close frame: the status code and a reason of at most 123 bytes (§5.5: control payloads ≤ 125). */
export function closeFrame(code: number, reason = ''): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > 123) text = text.subarray(0, 123);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return Buffer.concat([frameHeader(opcodes.close, payload.length), payload]);
}

/** What the client sent, frame by frame. */
export type ClientFrame =
  | { readonly kind: 'ping'; readonly payload: Buffer }
  | { readonly kind: 'pong' }
  | { readonly kind: 'close'; readonly code: number }
  | { readonly kind: 'data'; readonly bytes: number }
  /** The connection must end: 1002 (protocol error) or 1009 (too big). */
  | { readonly kind: 'error'; readonly status: 1002 | 1009; readonly why: string };

/** Reads client frames from socket chunks; holds at most one frame's header and `maxFrameBytes` of payload. */
export class ClientFrameReader {
  private readonly maxFrameBytes: number;
  private pending: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** The frames completed by `chunk`; after an error, nothing more. */
  push(chunk: Buffer): ClientFrame[] {
    if (this.failed) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: ClientFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
      if (frame.kind === 'error' || frame.kind === 'close') {
        this.failed = true;
        this.pending = Buffer.alloc(0);
        break;
      }
    }
    return frames;
  }

  private next(): ClientFrame | undefined {
    const b = this.pending;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    const error = (status: 1002 | 1009, why: string): ClientFrame => ({ kind: 'error', status, why });
    if ((b[0]! & 0x70) !== 0) return error(1002, 'RSV bits set without an extension');
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return error(1002, `unknown opcode ${opcode}`);
    if (!masked) return error(1002, 'a client frame must be masked');
    const control = opcode >= 8;
    if (control && (!fin || length > 125)) return error(1002, 'a control frame must be whole and at most 125 bytes');
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxFrameBytes))
        return error(1009, `a frame of ${big} bytes is over the limit of ${this.maxFrameBytes}`);
      length = Number(big);
      offset = 10;
    }
    if (length > this.maxFrameBytes)
      return error(1009, `a frame of ${length} bytes is over the limit of ${this.maxFrameBytes}`);
    if (b.length < offset + 4 + length) return undefined;
    const mask = b.subarray(offset, offset + 4);
    const payload = Buffer.from(b.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    this.pending = b.subarray(offset + 4 + length);
    if (opcode === opcodes.ping) return { kind: 'ping', payload };
    if (opcode === opcodes.pong) return { kind: 'pong' };
    if (opcode === opcodes.close) return { kind: 'close', code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005 };
    return { kind: 'data', bytes: length };
  }
}
