/**
 * RFC 6381 codec strings for the HLS CODECS attribute (RFC 8216 §4.3.4.2), derived from the decoder
 * configuration records the publisher sent.
 */

/** `avc1.PPCCLL`: profile_idc, the constraint flags byte and level_idc of the SPS (ISO/IEC 14496-15 Annex E). */
export function avcCodecString(sps: Buffer): string {
  return `avc1.${hex2(sps[1] ?? 0)}${hex2(sps[2] ?? 0)}${hex2(sps[3] ?? 0)}`;
}

/**
 * `hvc1.<space><profile>.<compatibility>.<tier><level>.<constraints>` from the profile fields of an
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 Annex E.3): the compatibility flags in reverse bit
 * order, the six constraint bytes with trailing zero bytes left out; e.g. `hvc1.1.6.L93.B0`.
 */
export function hevcCodecString(record: Buffer): string {
  const b1 = record[1] ?? 0;
  const space = ['', 'A', 'B', 'C'][b1 >> 6];
  const tier = b1 & 0x20 ? 'H' : 'L';
  const profile = b1 & 0x1f;
  let flags = record.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++, flags >>>= 1) reversed = (reversed << 1) | (flags & 1);
  const constraints: string[] = [];
  for (let i = 6; i < 12; i++) constraints.push((record[i] ?? 0).toString(16).toUpperCase());
  while (constraints.length > 0 && constraints.at(-1) === '0') constraints.pop();
  const level = record[12] ?? 0;
  const head = `hvc1.${space}${profile}.${(reversed >>> 0).toString(16).toUpperCase()}.${tier}${level}`;
  return constraints.length > 0 ? `${head}.${constraints.join('.')}` : head;
}

/** `mp4a.40.N`: MPEG-4 audio (ObjectTypeIndication 0x40) with the Audio Object Type, e.g. 2 for AAC-LC. */
export function aacCodecString(objectType: number): string {
  return `mp4a.40.${objectType}`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
