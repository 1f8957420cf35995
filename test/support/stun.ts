/** STUN Binding requests as browsers send them, for the single-port mux tests. */
import { createHmac, randomBytes } from 'node:crypto';

/** A STUN attribute, value padded to 4 bytes. */
export function attr(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** A Binding request as a browser sends it: USERNAME, PRIORITY, MESSAGE-INTEGRITY keyed with `password`, FINGERPRINT. */
export function bindingRequest(username: string, password: string, type = 0x0001, useCandidate = false): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(header, 8);
  const before = Buffer.concat([
    attr(0x0006, Buffer.from(username)),
    attr(0x0024, Buffer.from([0x6e, 0, 0x1e, 0xff])),
    ...(useCandidate ? [attr(0x0025, Buffer.alloc(0))] : []),
  ]);
  const covered = Buffer.concat([header, before]);
  covered.writeUInt16BE(before.length + 24, 2);
  const mac = createHmac('sha1', password).update(covered).digest();
  const withMac = Buffer.concat([covered, attr(0x0008, mac)]);
  const fingerprint = attr(0x8028, Buffer.alloc(4)); // value unchecked by the mux (werift checks what it needs)
  const all = Buffer.concat([withMac, fingerprint]);
  all.writeUInt16BE(all.length - 20, 2);
  return all;
}
