/** Enhanced RTMP v2 ModEx prefixes of FLV audio and video tag bodies, read by every muxer that takes FLV input. */
import { ProtocolError, type ErrorCode } from '../../errors.ts';

/**
 * Skips ModEx prefixes: each is a size (UI8 + 1, or UI16 + 1 after 255), its data and a byte of
 * modExType(4) | packet type(4), repeated while the packet type is still ModEx. A body too short for a
 * prefix is `code` (the caller's input error). Returns the real packet type and where its payload starts.
 */
export function skipModEx(p: Buffer, type: number, modEx: number, code: ErrorCode): { type: number; pos: number } {
  const need = (length: number, what: string): void => {
    if (p.length < length) throw new ProtocolError(code, `${what} needs ${length} bytes, the tag body has ${p.length}`);
  };
  let pos = 1;
  while (type === modEx) {
    need(pos + 1, 'ModEx size');
    let size = p[pos++]! + 1;
    if (size === 256) {
      need(pos + 2, 'ModEx size');
      size = p.readUInt16BE(pos) + 1;
      pos += 2;
    }
    pos += size;
    need(pos + 1, 'ModEx data');
    type = p[pos++]! & 0x0f;
  }
  return { type, pos };
}
