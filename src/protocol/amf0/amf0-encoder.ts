/**
 * AMF0 encoder (AMF0 spec §2): measures the values first, then writes them into one buffer, so a
 * command costs one allocation however many values and properties it has.
 */
import { LiveError } from '../../errors.ts';
import { AMF0_MAX_DEPTH, Amf0Marker } from './amf0-marker.ts';
import { Amf0EcmaArray, type Amf0Value } from './amf0-value.ts';

/** Encodes values back to back (an RTMP command is `name, transactionId, object, ...`) into one Buffer. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  // UTF-8 byte lengths of every string and key, in write order, so each is measured once.
  const lengths: number[] = [];
  let size = 0;
  for (const value of values) size += measure(value, lengths, 0);
  const writer: Writer = { buf: Buffer.allocUnsafe(size), pos: 0, lengths, next: 0 };
  for (const value of values) write(writer, value);
  return writer.buf;
}

interface Writer {
  buf: Buffer;
  pos: number;
  lengths: number[];
  next: number;
}

/** The longest string a short string marker can carry; longer ones become long strings (AMF0 §2.14). */
const MAX_SHORT = 0xffff;

function unencodable(what: string): never {
  throw new LiveError('AMF0_UNENCODABLE', `cannot encode ${what} as AMF0`);
}

function measureString(s: string, lengths: number[]): number {
  const len = Buffer.byteLength(s, 'utf8');
  lengths.push(len);
  return (len > MAX_SHORT ? 5 : 3) + len;
}

function measureProperties(map: Map<unknown, Amf0Value>, lengths: number[], depth: number): number {
  let size = 3; // the empty name and the object-end marker
  for (const [key, value] of map) {
    if (typeof key !== 'string') unencodable(`an object key of type ${typeof key}`);
    const len = Buffer.byteLength(key, 'utf8');
    if (len > MAX_SHORT) unencodable('an object key over 65535 bytes');
    lengths.push(len);
    size += 2 + len + measure(value, lengths, depth + 1);
  }
  return size;
}

/** Returns the encoded size of `value`, checking on the way that it can be encoded at all. */
function measure(value: Amf0Value, lengths: number[], depth: number): number {
  if (depth > AMF0_MAX_DEPTH) unencodable(`a value nested deeper than ${AMF0_MAX_DEPTH} (or cyclic)`);
  switch (typeof value) {
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    case 'string':
      return measureString(value, lengths);
    case 'undefined':
      return 1;
    case 'object':
      if (value === null) return 1;
      if (value instanceof Date) return 11;
      if (Array.isArray(value)) {
        if (value.length > 0xffffffff) unencodable('an array longer than 2^32 - 1');
        let size = 5;
        for (let i = 0; i < value.length; i++) size += measure(value[i], lengths, depth + 1);
        return size;
      }
      if (value instanceof Amf0EcmaArray) return 5 + measureProperties(value, lengths, depth);
      if (value instanceof Map) return 1 + measureProperties(value, lengths, depth);
      return unencodable(`an object of class ${(value as object).constructor?.name ?? 'null-prototype'}`);
    default:
      return unencodable(`a ${typeof value}`);
  }
}

function writeUtf8(w: Writer, s: string): void {
  const len = w.lengths[w.next++]!;
  w.buf.write(s, w.pos, len, 'utf8');
  w.pos += len;
}

function writeProperties(w: Writer, map: Map<string, Amf0Value>): void {
  for (const [key, value] of map) {
    w.buf.writeUInt16BE(w.lengths[w.next]!, w.pos);
    w.pos += 2;
    writeUtf8(w, key);
    write(w, value);
  }
  w.buf.writeUInt16BE(0, w.pos);
  w.buf[w.pos + 2] = Amf0Marker.ObjectEnd;
  w.pos += 3;
}

/** Writes `value`, already checked by measure(), at the writer's position. */
function write(w: Writer, value: Amf0Value): void {
  const { buf } = w;
  if (typeof value === 'number') {
    buf[w.pos] = Amf0Marker.Number;
    buf.writeDoubleBE(value, w.pos + 1); // always a double, -0 and NaN included (AMF0 §2.2)
    w.pos += 9;
  } else if (typeof value === 'boolean') {
    buf[w.pos] = Amf0Marker.Boolean;
    buf[w.pos + 1] = value ? 1 : 0;
    w.pos += 2;
  } else if (typeof value === 'string') {
    const len = w.lengths[w.next]!;
    if (len > MAX_SHORT) {
      buf[w.pos] = Amf0Marker.LongString;
      buf.writeUInt32BE(len, w.pos + 1);
      w.pos += 5;
    } else {
      buf[w.pos] = Amf0Marker.String;
      buf.writeUInt16BE(len, w.pos + 1);
      w.pos += 3;
    }
    writeUtf8(w, value);
  } else if (value === undefined) {
    buf[w.pos++] = Amf0Marker.Undefined;
  } else if (value === null) {
    buf[w.pos++] = Amf0Marker.Null;
  } else if (value instanceof Date) {
    buf[w.pos] = Amf0Marker.Date;
    buf.writeDoubleBE(value.getTime(), w.pos + 1);
    buf.writeInt16BE(0, w.pos + 9); // time zone: "should be set to 0x0000" (AMF0 §2.13)
    w.pos += 11;
  } else if (Array.isArray(value)) {
    buf[w.pos] = Amf0Marker.StrictArray;
    buf.writeUInt32BE(value.length, w.pos + 1);
    w.pos += 5;
    // Index, not for-of: holes in a sparse array are written as undefined, as measure() counted them.
    for (let i = 0; i < value.length; i++) write(w, value[i]);
  } else if (value instanceof Amf0EcmaArray) {
    buf[w.pos] = Amf0Marker.EcmaArray;
    buf.writeUInt32BE(value.size, w.pos + 1);
    w.pos += 5;
    writeProperties(w, value);
  } else {
    buf[w.pos++] = Amf0Marker.Object;
    writeProperties(w, value);
  }
}
