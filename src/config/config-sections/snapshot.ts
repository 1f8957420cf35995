/** The `snapshot.*` section (docs/recording.md "Snapshots"): where pictures go and how ffmpeg decodes them. */
import { z } from 'zod';

/** Snapshot settings: the folder, the ffmpeg child processes' limits, retention and the task check. */
export const snapshotSection = z
  .strictObject({
    /** Where pictures are written; '' = `<dataDir>/snapshot`. */
    dir: z.string().default(''),
    /** Base of the picture URLs in callbacks and OpenLiveDescribeSnapshotFiles; '' = record.publicUrl, else `http://127.0.0.1:<http port>`. */
    publicUrl: z.string().default(''),
    /** The ffmpeg that decodes keyframes to JPEG (run without a shell). */
    ffmpegPath: z.string().min(1).default('ffmpeg'),
    /** ffmpeg processes decoding at once on this node; a snapshot due past it is skipped (SNAPSHOT_BUSY). */
    maxConcurrent: z.coerce.number().int().min(1).max(64).default(2),
    /** An ffmpeg that has not answered within this long is killed (SNAPSHOT_TIMEOUT). */
    timeoutMs: z.coerce.number().int().min(100).default(10_000),
    /** A keyframe (with its sequence headers) larger than this is not decoded (SNAPSHOT_TOO_LARGE). */
    maxKeyframeBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024),
    /** An ffmpeg writing more JPEG than this is killed (SNAPSHOT_TOO_LARGE). */
    maxJpegBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024),
    /** Bytes of ffmpeg's stderr kept for the log (the rest is dropped). */
    maxStderrBytes: z.coerce.number().int().min(0).default(4096),
    /** The shortest SnapshotInterval honoured, in seconds (Tencent accepts 2 and up). */
    minIntervalSeconds: z.coerce.number().int().min(1).default(2),
    /** Seconds a picture is kept (Tencent keeps them in the customer's COS; 0 = for ever). */
    storageSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600),
    /** How often pictures past their storage time are deleted. */
    sweepIntervalMs: z.coerce.number().int().min(100).default(60_000),
    /** How often screenshot tasks are checked for windows that opened or closed. */
    taskCheckIntervalMs: z.coerce.number().int().min(100).default(5000),
  })
  .prefault({});
