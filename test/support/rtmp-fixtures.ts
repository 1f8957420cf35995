/** Loads the captured RTMP byte streams under test/fixtures/rtmp (hex, any whitespace). */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';

const dir = new URL('../fixtures/rtmp/', import.meta.url);

/** Parses hex text, ignoring whitespace and `#` comment lines. */
export function fromHex(text: string): Buffer {
  const hex = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

/** Reads one fixture, e.g. `ffmpeg-publish.chunks.hex`. */
export function rtmpFixture(name: string): Buffer {
  return fromHex(readFileSync(new URL(name, dir), 'utf8'));
}

/** The bytes ffmpeg 5.1 sent when publishing testsrc2 for 1 s to rtmp://127.0.0.1:PORT/live/x?k=v. */
export function ffmpegPublishCapture(): { c0c1: Buffer; c2: Buffer; chunks: Buffer } {
  return {
    c0c1: rtmpFixture('ffmpeg-publish.c0c1.hex'),
    c2: rtmpFixture('ffmpeg-publish.c2.hex'),
    chunks: rtmpFixture('ffmpeg-publish.chunks.hex'),
  };
}
