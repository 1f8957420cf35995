/** The values AMF0 carries (AMF0 spec §2), with objects as Maps so key order survives a round trip. */

/** An anonymous AMF0 object (marker 0x03); a Map keeps key order and cannot be prototype-polluted. */
export type Amf0Object = Map<string, Amf0Value>;

/** An AMF0 ECMA array (marker 0x08): associative, like an object, but a distinct marker on the wire. */
export class Amf0EcmaArray extends Map<string, Amf0Value> {}

/** Any AMF0 value; arrays are strict arrays (marker 0x0A), Dates are AMF0 dates (marker 0x0B). */
export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Object | Amf0EcmaArray | Amf0Value[];

/** Builds an ordered AMF0 object from a literal, keeping the literal's key order. */
export function amf0Object(entries: Record<string, Amf0Value>): Amf0Object {
  return new Map(Object.entries(entries));
}

/** Reads a string field of an AMF0 object, or undefined when absent or not a string. */
export function amf0String(obj: Amf0Value, key: string): string | undefined {
  if (!(obj instanceof Map)) return undefined;
  const v = obj.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** Reads a number field of an AMF0 object, or undefined when absent or not a number. */
export function amf0Number(obj: Amf0Value, key: string): number | undefined {
  if (!(obj instanceof Map)) return undefined;
  const v = obj.get(key);
  return typeof v === 'number' ? v : undefined;
}
