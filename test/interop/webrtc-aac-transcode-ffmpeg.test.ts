/**
 * The AAC → Opus transcoder with Debian's real ffmpeg (no browser): AAC frames fed at their pace come back
 * as 20 ms Opus packets whose RTP times follow the source timeline, across a gap in the source, and the
 * child is gone after close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ErrorCode } from '../../src/errors.ts';
import { adtsFrames, feedAdts, ffmpegTranscoder } from '../support/adts.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);

test(
  'real ffmpeg: Opus packets on the source timeline across a 3 s gap; no child after close',
  {
    timeout: 60_000,
  },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openlive-aac-'));
    try {
      const file = join(dir, 'a.aac');
      await run('ffmpeg', [
        ...['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=2'],
        ...['-ac', '2', '-c:a', 'aac', '-f', 'adts', file],
      ]);
      const frames = adtsFrames(await readFile(file));
      assert.ok(frames.length > 80);
      const codes: ErrorCode[] = [];
      const got: number[] = [];
      const t = ffmpegTranscoder('live/x', (c) => codes.push(c));
      t.add((_p, ts) => got.push(ts));
      // Frames 0..39 from 10 s, then the rest 3 s later (the publisher paused): ffmpeg sees no gap at all.
      const timeOf = (i: number) => 10_000 + Math.round((i * 1024) / 44.1) + (i >= 40 ? 3000 : 0);
      await feedAdts(t, frames, (i) => timeOf(i));
      await waitFor('Opus packets for most of the 2 s', () => got.length >= 90, 20_000);
      assert.deepEqual(codes, []);
      // The first packet starts at the first frame's time (less the encoder's pre-skip, a few ms).
      assert.ok(Math.abs(got[0]! / 48 - 10_000) < 20, `first packet at ${got[0]! / 48} ms`);
      const steps = got.slice(1).map((ts, i) => (ts - got[i]!) >>> 0);
      // Sample-exact 20 ms steps, except one jump of ~3 s where the source paused.
      const jumps = steps.filter((s) => s !== 960);
      assert.equal(jumps.length, 1, `steps ${[...new Set(steps)].join(',')}`);
      assert.ok(Math.abs(jumps[0]! / 48 - 3020) < 45, `the gap is ${jumps[0]! / 48} ms`);
      const at = got[steps.indexOf(jumps[0]!) + 1]! / 48;
      assert.ok(Math.abs(at - timeOf(40)) < 45, `audio after the gap at ${at}, frame 40 at ${timeOf(40)}`);
      t.close();
      await waitFor('the ffmpeg child gone', () => t.children === 0, 10_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
