import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveError } from '../../errors.ts';
import { JpegDecoder, ffmpegArgs } from './jpeg-decoder.ts';
import { jpegSize } from './jpeg-size.ts';

/** A fake ffmpeg that ignores its input and sleeps (a hung decoder). */
function sleepingFfmpeg(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-ffmpeg-'));
  const path = join(dir, 'ffmpeg');
  writeFileSync(path, '#!/bin/sh\nexec sleep 30\n');
  chmodSync(path, 0o755);
  return path;
}

const options = { maxConcurrent: 2, timeoutMs: 300, maxJpegBytes: 1 << 20, maxStderrBytes: 256 };

test('a hanging ffmpeg is killed at the timeout; decodes past maxConcurrent are refused, never queued', async () => {
  const decoder = new JpegDecoder({ ...options, ffmpegPath: sleepingFfmpeg() });
  const codes: string[] = [];
  const runs = Array.from({ length: 6 }, () =>
    decoder.decode(Buffer.from('FLV'), { width: 0, height: 0 }).catch((e: LiveError) => void codes.push(e.code)),
  );
  assert.ok(decoder.running <= 2);
  await Promise.all(runs);
  assert.deepEqual(codes.sort(), [
    'SNAPSHOT_BUSY',
    'SNAPSHOT_BUSY',
    'SNAPSHOT_BUSY',
    'SNAPSHOT_BUSY',
    'SNAPSHOT_TIMEOUT',
    'SNAPSHOT_TIMEOUT',
  ]);
  // The killed processes free their slots: nothing piles up, the next decodes run again.
  for (let i = 0; i < 50 && decoder.running > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(decoder.running, 0);
  const again = await decoder.decode(Buffer.from('FLV'), { width: 0, height: 0 }).catch((e: LiveError) => e.code);
  assert.equal(again, 'SNAPSHOT_TIMEOUT');
  decoder.close();
});

test('a missing ffmpeg is SNAPSHOT_DECODE_FAILED', async () => {
  const decoder = new JpegDecoder({ ...options, ffmpegPath: '/nonexistent/ffmpeg' });
  await assert.rejects(
    decoder.decode(Buffer.from('FLV'), { width: 0, height: 0 }),
    (e: LiveError) => e.code === 'SNAPSHOT_DECODE_FAILED',
  );
  assert.equal(decoder.running, 0);
});

test('ffmpeg arguments are fixed words and numbers; a size scales keeping the ratio', () => {
  assert.ok(!ffmpegArgs({ width: 0, height: 0 }).includes('-vf'));
  assert.ok(ffmpegArgs({ width: 320, height: 0 }).includes('scale=320:-2'));
});

test('jpegSize reads the SOF0 frame header and refuses what is not a JPEG', () => {
  const sof = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x68, 0x02, 0x80, 0x03,
  ]);
  assert.deepEqual(jpegSize(sof), { width: 640, height: 360 });
  assert.equal(jpegSize(Buffer.from('not a jpeg')), undefined);
  assert.equal(jpegSize(Buffer.from([0xff, 0xd8, 0xff])), undefined);
  for (let n = 0; n < sof.length; n++) jpegSize(sof.subarray(0, n));
});
