/**
 * The transcoder's delay does not shift audio against the stream's timeline, checked on the sound itself
 * with Debian's real ffmpeg: AAC whose 1 kHz tone starts at a known media time goes through the AAC → Opus
 * transcoder, and the first Opus packet that carries the tone (silence codes to a few bytes, the tone to
 * many) has the RTP time of that media time × 48, to within the packet (20 ms), whatever ffmpeg's delay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { adtsFrames, feedAdts, ffmpegTranscoder } from '../support/adts.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);

test(
  'real ffmpeg: a tone starting at media time T comes out in the Opus packet at RTP time T × 48',
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openlive-onset-'));
    try {
      const file = join(dir, 'a.aac');
      // 1.5 s of silence, then the tone, from 44.1 kHz samples (as an RTMP publisher's AAC).
      await run('ffmpeg', [
        ...[
          '-hide_banner',
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          "sine=f=1000:r=44100:d=3,volume=volume=0:enable='lt(t,1.5)'",
        ],
        ...['-ac', '2', '-c:a', 'aac', '-b:a', '128k', '-f', 'adts', file],
      ]);
      // ffmpeg's AAC encoder puts 1024 priming samples first (its packets' times start at −1024 samples,
      // which FLV muxing shifts to 0 for every track alike): frame i holds source samples from (i − 1) × 1024.
      const frames = adtsFrames(await readFile(file));
      const t0 = 20_000;
      const timeOf = (i: number) => t0 + ((i - 1) * 1024) / 44.1;
      const got: { ts: number; size: number }[] = [];
      const t = ffmpegTranscoder('live/onset');
      t.add((p, ts) => got.push({ ts, size: p.length }));
      await feedAdts(t, frames, (i) => Math.round(timeOf(i)));
      await waitFor('Opus packets past the tone onset', () => got.length >= 120, 20_000);
      t.close();
      const quiet = Math.max(...got.slice(5, 60).map((g) => g.size));
      const first = got.find((g) => g.size > quiet * 4 && g.size > 40);
      assert.ok(first, `no packet carries the tone: sizes ${got.map((g) => g.size).join(',')}`);
      const at = first.ts / 48;
      const onset = t0 + 1500;
      // The packet holding the onset starts at most 20 ms before it, a few ms more as AAC's long window smears
      // the attack forwards (measured: 22 ms before); an uncorrected ffmpeg delay would put it 20-100 ms after.
      assert.ok(at > onset - 30 && at <= onset + 5, `the tone at media ${onset} ms is in the packet at ${at} ms`);
      await waitFor('the ffmpeg child gone', () => t.children === 0, 10_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
