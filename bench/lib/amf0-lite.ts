// Just enough AMF0 (AMF0 spec §2) for a benchmark player's connect/createStream/play and their replies.
// Kept apart from src/ so the harness measures peers even while the project's own codec changes.
import { Buffer } from 'node:buffer';

/** A value the benchmark player sends or reads: plain objects stand for AMF0 objects. */
export type LiteValue = number | string | boolean | null | { [key: string]: LiteValue };

/** Encodes values back to back, as an RTMP command message body (RTMP 1.0 §7.1.1). */
export function encodeLite(...values: LiteValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) writeValue(parts, v);
  return Buffer.concat(parts);
}

function writeValue(parts: Buffer[], v: LiteValue): void {
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(v, 1);
    parts.push(b);
  } else if (typeof v === 'string') {
    parts.push(Buffer.from([0x02]), shortString(v));
  } else if (typeof v === 'boolean') {
    parts.push(Buffer.from([0x01, v ? 1 : 0]));
  } else if (v === null) {
    parts.push(Buffer.from([0x05]));
  } else {
    parts.push(Buffer.from([0x03]));
    for (const [k, val] of Object.entries(v)) {
      parts.push(shortString(k));
      writeValue(parts, val);
    }
    parts.push(Buffer.from([0x00, 0x00, 0x09]));
  }
}

function shortString(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** Decodes the leading values of a command body; stops quietly at the first marker it does not know. */
export function decodeLite(buf: Buffer): LiteValue[] {
  const out: LiteValue[] = [];
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const v = readValue(buf, pos);
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

function readValue(buf: Buffer, pos: { at: number }): LiteValue | undefined {
  if (pos.at >= buf.length) return undefined;
  const marker = buf[pos.at++];
  switch (marker) {
    case 0x00:
      if (pos.at + 8 > buf.length) return undefined;
      pos.at += 8;
      return buf.readDoubleBE(pos.at - 8);
    case 0x01:
      return buf[pos.at++] !== 0;
    case 0x02:
      return readShortString(buf, pos);
    case 0x05:
    case 0x06:
      return null;
    case 0x03:
    case 0x08: {
      if (marker === 0x08) pos.at += 4; // ECMA array count, unreliable in practice (AMF0 §2.10)
      const obj: { [key: string]: LiteValue } = {};
      while (pos.at + 3 <= buf.length) {
        const key = readShortString(buf, pos);
        if (key === '' && buf[pos.at] === 0x09) {
          pos.at++;
          return obj;
        }
        const v = readValue(buf, pos);
        if (v === undefined) return obj;
        obj[key] = v;
      }
      return obj;
    }
    default:
      return undefined;
  }
}

function readShortString(buf: Buffer, pos: { at: number }): string {
  const len = buf.readUInt16BE(pos.at);
  pos.at += 2;
  const s = buf.toString('utf8', pos.at, pos.at + len);
  pos.at += len;
  return s;
}
