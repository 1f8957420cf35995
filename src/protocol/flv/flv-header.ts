/** The FLV file header (FLV 10.1 §E.2), which HTTP-FLV players expect before the first tag. */

/** Bytes in the FLV header proper, which is also its DataOffset for FLV version 1. */
export const FLV_HEADER_SIZE = 9;

/** TypeFlags bits: audio tags present (bit 2) and video tags present (bit 0), FLV 10.1 §E.2. */
export const FlvHeaderFlags = { Audio: 0x04, Video: 0x01 } as const;

/** Encodes the 9-byte FLV header followed by PreviousTagSize0 (always 0): 13 bytes to start a stream. */
export function encodeFlvHeader(opts: { audio: boolean; video: boolean }): Buffer {
  const buf = Buffer.alloc(FLV_HEADER_SIZE + 4); // zero-filled: reserved bits and PreviousTagSize0
  buf.write('FLV', 0, 'latin1');
  buf[3] = 1; // version
  buf[4] = (opts.audio ? FlvHeaderFlags.Audio : 0) | (opts.video ? FlvHeaderFlags.Video : 0);
  buf.writeUInt32BE(FLV_HEADER_SIZE, 5);
  return buf;
}
