/**
 * Decodes one keyframe (an FLV: header, sequence header, keyframe) to a JPEG with an ffmpeg child process.
 * Bounded: at most `maxConcurrent` processes at once, and a decode asked past that is refused at once
 * (SNAPSHOT_BUSY) instead of queued, so a hanging ffmpeg cannot make work pile up; each process is killed
 * (SIGKILL) after `timeoutMs` (SNAPSHOT_TIMEOUT) or when its output passes `maxJpegBytes`; stderr is kept up
 * to `maxStderrBytes`. ffmpeg is spawned without a shell, its arguments are numbers and fixed words.
 */
import { spawn } from 'node:child_process';
import { LiveError } from '../../errors.ts';

/** The snapshot.* limits the decoder needs. */
export interface JpegDecoderOptions {
  readonly ffmpegPath: string;
  readonly maxConcurrent: number;
  readonly timeoutMs: number;
  readonly maxJpegBytes: number;
  readonly maxStderrBytes: number;
}

/** The size asked of the picture; 0 = the source's (Tencent Width/Height). */
export interface JpegSize {
  readonly width: number;
  readonly height: number;
}

/** Runs ffmpeg decodes; `close()` kills the running ones. */
export class JpegDecoder {
  readonly #o: JpegDecoderOptions;
  readonly #running = new Set<() => void>();
  #closed = false;

  constructor(options: JpegDecoderOptions) {
    this.#o = options;
  }

  /** ffmpeg processes running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Decodes the first picture of `flv` to a JPEG. */
  decode(flv: Buffer, size: JpegSize): Promise<Buffer> {
    const o = this.#o;
    if (this.#closed) return Promise.reject(new LiveError('SNAPSHOT_BUSY', 'the snapshot decoder is closed'));
    if (this.#running.size >= o.maxConcurrent) {
      return Promise.reject(
        new LiveError(
          'SNAPSHOT_BUSY',
          `${o.maxConcurrent} snapshot decoders are still running (snapshot.maxConcurrent)`,
        ),
      );
    }
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn(o.ffmpegPath, ffmpegArgs(size), {
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
      });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let settled = false;
      const kill = (): void => void child.kill('SIGKILL');
      const finish = (err: LiveError | undefined, jpeg?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) kill();
        // The slot is free once the process is gone (or at once if it never started).
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) this.#running.delete(kill);
        if (err) reject(err);
        else resolve(jpeg!);
      };
      this.#running.add(kill);
      child.once('close', () => this.#running.delete(kill));
      const timer = setTimeout(
        () =>
          finish(
            new LiveError('SNAPSHOT_TIMEOUT', `ffmpeg did not produce a snapshot within ${o.timeoutMs} ms; killed`),
          ),
        o.timeoutMs,
      );
      child.once('error', (err) => {
        this.#running.delete(kill);
        finish(new LiveError('SNAPSHOT_DECODE_FAILED', `cannot run ${o.ffmpegPath}: ${err.message}`, { cause: err }));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > o.maxJpegBytes)
          finish(
            new LiveError(
              'SNAPSHOT_TOO_LARGE',
              `ffmpeg wrote more than ${o.maxJpegBytes} bytes (snapshot.maxJpegBytes); killed`,
            ),
          );
        else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < o.maxStderrBytes)
          stderr += chunk.toString('utf8', 0, Math.min(chunk.length, o.maxStderrBytes - stderr.length));
      });
      child.once('close', (code) => {
        const jpeg = Buffer.concat(out);
        if (code === 0 && jpeg.length > 0) finish(undefined, jpeg);
        else
          finish(
            new LiveError(
              'SNAPSHOT_DECODE_FAILED',
              `ffmpeg exited with ${code ?? 'a signal'} without a snapshot: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
            ),
          );
      });
      // A process that exits before reading its input makes the write fail with EPIPE: its exit says why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(flv);
    });
  }

  /** Kills every running ffmpeg; later decodes are refused. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const kill of this.#running) kill();
  }
}

/** ffmpeg's arguments: FLV on stdin, one frame, MJPEG on stdout, scaled when a size is asked. */
export function ffmpegArgs(size: JpegSize): string[] {
  const w = Math.trunc(size.width);
  const h = Math.trunc(size.height);
  // Tencent: 0 keeps the source's size; one side 0 keeps the ratio (ffmpeg -2 keeps it even for the encoder).
  const scale = w > 0 || h > 0 ? ['-vf', `scale=${w > 0 ? w : -2}:${h > 0 ? h : -2}`] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-f',
    'flv',
    '-i',
    'pipe:0',
    '-frames:v',
    '1',
    ...scale,
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    'pipe:1',
  ];
}
