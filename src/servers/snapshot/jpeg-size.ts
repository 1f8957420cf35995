/**
 * The width and height of a JPEG from its first SOF marker (ITU-T T.81 §B.2.2: SOF0-SOF15 except DHT C4,
 * JPG C8 and DAC CC carry P, Y, X). Pure; undefined for bytes that are not a JPEG.
 */

/** Reads the frame size of a JPEG. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) return undefined;
    const marker = jpeg[at + 1]!;
    // Fill bytes (0xFF) may precede a marker; standalone markers (RSTn, TEM) have no length.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    if (length < 2) return undefined;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (at + 9 > jpeg.length) return undefined;
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    if (marker === 0xda) return undefined; // start of scan before any frame header
    at += 2 + length;
  }
  return undefined;
}
