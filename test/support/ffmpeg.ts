/** Real ffmpeg and ffprobe, driven the way a user would, for interop tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** What to generate and publish. */
export interface PublishOptions {
  readonly video?: boolean;
  readonly audio?: boolean;
  readonly size?: string;
  readonly rate?: number;
  /** Seconds of media; omitted = until killed. */
  readonly seconds?: number;
  /** Keyframe interval in frames. */
  readonly gop?: number;
  readonly extraArgs?: readonly string[];
}

/** A running ffmpeg with everything it printed to stderr. */
export interface FfmpegProcess {
  readonly child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code (or signal) when ffmpeg ends. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Starts ffmpeg publishing testsrc2 + sine (H.264/AAC) in real time to an RTMP URL. */
export function publish(url: string, options: PublishOptions = {}): FfmpegProcess {
  const { video = true, audio = true, size = '320x240', rate = 25, gop = 25 } = options;
  const args = ['-hide_banner', '-loglevel', 'error', '-re'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`);
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100');
  if (options.seconds !== undefined) args.push('-t', String(options.seconds));
  if (video)
    args.push(
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      String(gop),
      '-pix_fmt',
      'yuv420p',
    );
  if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push(...(options.extraArgs ?? []), '-f', 'flv', url);
  return run('ffmpeg', args);
}

/** Runs a command, collecting stderr. */
export function run(command: string, args: readonly string[]): FfmpegProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.resume();
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** ffprobe's view of a stream: its streams and the number of frames it decoded in the first seconds. */
export interface ProbeResult {
  streams: Array<{
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    sample_rate?: string;
    channels?: number;
    nb_read_frames?: string;
  }>;
}

/** Runs ffprobe on a URL, decoding `seconds` of it and counting frames; rejects with its stderr on failure. */
export async function probe(url: string, seconds = 2): Promise<ProbeResult> {
  const args = [
    '-v',
    'error',
    '-of',
    'json',
    '-show_streams',
    '-count_frames',
    '-read_intervals',
    `%+${seconds}`,
    '-rw_timeout',
    '15000000',
    url,
  ];
  const child = spawn('ffprobe', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`ffprobe ${url} exited ${code}: ${err}`);
  return JSON.parse(out) as ProbeResult;
}
