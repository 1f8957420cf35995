/** Splits an ADTS file into its raw AAC frames, for tests that feed real ffmpeg AAC to the transcoder. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ErrorCode } from '../../src/errors.ts';
import type { Log } from '../../src/log.ts';
import { MediaType, mediaMessage } from '../../src/protocol/media.ts';
import { AacOpusTranscoder } from '../../src/servers/webrtc/aac-opus-transcoder.ts';

/** The raw AAC frames of an ADTS file (7-byte headers, no CRC, as ffmpeg's ADTS muxer writes). */
export function adtsFrames(adts: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p + 7 <= adts.length;) {
    const len = ((adts[p + 3]! & 3) << 11) | (adts[p + 4]! << 3) | (adts[p + 5]! >> 5);
    out.push(adts.subarray(p + 7, p + len));
    p += len;
  }
  return out;
}

/** A transcoder driving the machine's real ffmpeg with the server's defaults; failures fail the test. */
export function ffmpegTranscoder(key: string, countError: (code: ErrorCode) => void = () => {}): AacOpusTranscoder {
  return new AacOpusTranscoder(key, {
    ffmpegPath: 'ffmpeg',
    bitrateKbps: 64,
    maxQueueBytes: 1 << 20,
    maxStderrBytes: 4096,
    killTimeoutMs: 2000,
    restartMinMs: 1000,
    restartMaxMs: 30_000,
    spawn: (c, a) => spawn(c, a, { stdio: 'pipe', shell: false }),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    now: Date.now,
    countError,
    log: { warn: () => {}, error: () => {} } as unknown as Log,
    onUnavailable: (err) => assert.fail(err),
  });
}

/**
 * Feeds the AAC sequence header, then each frame as an FLV audio message at `timeOf(i)` ms, pausing 20 ms every
 * 10 frames so that ffmpeg reads as it would from a live publisher.
 */
export async function feedAdts(t: AacOpusTranscoder, frames: Buffer[], timeOf: (i: number) => number): Promise<void> {
  t.media(mediaMessage(MediaType.Audio, 0, Buffer.from([0xaf, 0, 0x12, 0x10])));
  for (let i = 0; i < frames.length; i++) {
    t.media(mediaMessage(MediaType.Audio, timeOf(i), Buffer.concat([Buffer.of(0xaf, 1), frames[i]!])));
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
  }
}
