/**
 * AMF0 decoder (AMF0 spec §2): bytes to Amf0Value, synchronously, throwing only ProtocolError. Objects
 * become Maps so key order survives and keys like `__proto__` are plain data.
 */
import { ProtocolError } from '../../errors.ts';
import { AMF0_MAX_DEPTH, Amf0Marker } from './amf0-marker.ts';
import { Amf0EcmaArray, type Amf0Object, type Amf0Value } from './amf0-value.ts';

/**
 * Bounds on one decode call, so hostile input costs bounded work and memory whatever the message size
 * (docs/security.md "RTMP"). Each is refused with its own code before the value it would exceed is built.
 */
export interface Amf0Limits {
  /** Most properties in one object or ECMA array (AMF0_PROPERTY_LIMIT). */
  readonly maxProperties: number;
  /** Most values in one call, nested ones and strict-array items included (AMF0_VALUE_LIMIT). */
  readonly maxValues: number;
  /** Longest long string or XML document in bytes (AMF0_STRING_LIMIT); short strings stop at 65535 anyway. */
  readonly maxStringLength: number;
}

/**
 * The defaults: a connect has ~15 values and ffmpeg's or OBS's onMetaData ~30 properties; RTMP's
 * 64 KiB command cap keeps strings shorter anyway, the string limit guards larger buffers (FLV files).
 */
export const amf0LimitDefaults: Amf0Limits = { maxProperties: 1024, maxValues: 8192, maxStringLength: 1024 * 1024 };

/** Decodes one AMF0 value at `offset`; returns it and the offset just past it. */
export function decodeAmf0(
  buf: Buffer,
  offset = 0,
  limits: Amf0Limits = amf0LimitDefaults,
): { value: Amf0Value; offset: number } {
  const reader = new Amf0Reader(buf, offset, limits);
  const value = reader.value();
  return { value, offset: reader.pos };
}

/** Decodes consecutive AMF0 values until the end of `buf` (an RTMP command or data message body). */
export function decodeAmf0All(buf: Buffer, limits: Amf0Limits = amf0LimitDefaults): Amf0Value[] {
  const reader = new Amf0Reader(buf, 0, limits);
  const values: Amf0Value[] = [];
  while (reader.pos < buf.length) values.push(reader.value());
  return values;
}

/** A cursor over one buffer; every read checks its length first, so a lying length is AMF0_TRUNCATED. */
class Amf0Reader {
  readonly buf: Buffer;
  pos: number;
  private depth = 0;
  private values = 0;
  private readonly limits: Amf0Limits;

  constructor(buf: Buffer, pos: number, limits: Amf0Limits) {
    if (!Number.isInteger(pos) || pos < 0 || pos > buf.length) {
      throw new ProtocolError('AMF0_TRUNCATED', `AMF0 offset ${pos} is outside the buffer`);
    }
    this.buf = buf;
    this.pos = pos;
    this.limits = limits;
  }

  value(): Amf0Value {
    if (++this.values > this.limits.maxValues) this.tooManyValues();
    this.need(1);
    const marker = this.buf[this.pos++]!;
    switch (marker) {
      case Amf0Marker.Number:
        this.need(8);
        this.pos += 8;
        return this.buf.readDoubleBE(this.pos - 8);
      case Amf0Marker.Boolean:
        this.need(1);
        return this.buf[this.pos++] !== 0;
      case Amf0Marker.String:
        return this.utf8(this.u16());
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.Object:
        return this.properties(new Map());
      case Amf0Marker.TypedObject:
        // The class name only matters to Flash's class registry (AMF0 §2.18); the body is an object.
        this.utf8(this.u16());
        return this.properties(new Map());
      case Amf0Marker.EcmaArray:
        // The count is advisory: FFmpeg and Flash have written wrong ones, so read to the end marker.
        this.need(4);
        this.pos += 4;
        return this.properties(new Amf0EcmaArray());
      case Amf0Marker.StrictArray:
        return this.strictArray();
      case Amf0Marker.Date: {
        // AMF0 §2.13: milliseconds since the epoch as a double, then a time zone that must be ignored.
        this.need(10);
        const ms = this.buf.readDoubleBE(this.pos);
        this.pos += 10;
        return new Date(ms);
      }
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument: {
        const len = this.u32();
        this.need(len); // a lying length is AMF0_TRUNCATED, as for every other length
        if (len > this.limits.maxStringLength) {
          throw new ProtocolError(
            'AMF0_STRING_LIMIT',
            `AMF0 long string of ${len} bytes is over the ${this.limits.maxStringLength}-byte limit`,
          );
        }
        return this.utf8(len);
      }
      case Amf0Marker.Reference:
        throw new ProtocolError('AMF0_MARKER', 'AMF0 references (0x07) are not supported');
      case Amf0Marker.AvmPlus:
        throw new ProtocolError('AMF0_MARKER', 'AMF3 values (AVM+ marker 0x11) are not supported');
      case Amf0Marker.ObjectEnd:
        throw new ProtocolError('AMF0_MARKER', 'AMF0 object-end marker outside an object');
      default:
        throw new ProtocolError('AMF0_MARKER', `unsupported AMF0 marker 0x${marker.toString(16)}`);
    }
  }

  /** Reads name/value pairs up to the empty name followed by the object-end marker (AMF0 §2.5). */
  private properties<T extends Amf0Object>(target: T): T {
    this.enter();
    for (let count = 0; ; count++) {
      const len = this.u16();
      if (len === 0) {
        this.need(1);
        if (this.buf[this.pos] === Amf0Marker.ObjectEnd) {
          this.pos++;
          break;
        }
      }
      if (count === this.limits.maxProperties) {
        throw new ProtocolError(
          'AMF0_PROPERTY_LIMIT',
          `AMF0 object with more than ${this.limits.maxProperties} properties`,
        );
      }
      const key = this.utf8(len);
      target.set(key, this.value());
    }
    this.depth--;
    return target;
  }

  private strictArray(): Amf0Value[] {
    const count = this.u32();
    // Every value takes at least one byte, so a count beyond the bytes left is a lie: fail before looping.
    if (count > this.buf.length - this.pos) this.truncated();
    if (count > this.limits.maxValues - this.values) this.tooManyValues();
    this.enter();
    const items: Amf0Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.value());
    this.depth--;
    return items;
  }

  private enter(): void {
    if (++this.depth > AMF0_MAX_DEPTH) {
      throw new ProtocolError('AMF0_DEPTH', `AMF0 value nested deeper than ${AMF0_MAX_DEPTH}`);
    }
  }

  private u16(): number {
    this.need(2);
    this.pos += 2;
    return this.buf.readUInt16BE(this.pos - 2);
  }

  private u32(): number {
    this.need(4);
    this.pos += 4;
    return this.buf.readUInt32BE(this.pos - 4);
  }

  /** Invalid UTF-8 becomes U+FFFD rather than an error: a bad byte in a title must not drop a stream. */
  private utf8(len: number): string {
    this.need(len);
    this.pos += len;
    return this.buf.toString('utf8', this.pos - len, this.pos);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.truncated();
  }

  private tooManyValues(): never {
    throw new ProtocolError('AMF0_VALUE_LIMIT', `AMF0 body with more than ${this.limits.maxValues} values`);
  }

  private truncated(): never {
    throw new ProtocolError('AMF0_TRUNCATED', `AMF0 value runs past the end of its ${this.buf.length}-byte buffer`);
  }
}
