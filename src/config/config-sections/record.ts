/** The `record.*` section: where recordings go and the limits of each recording's queue (docs/recording.md). */
import { z } from 'zod';
import { bytes } from './values.ts';
import { recordS3Section } from './record-s3.ts';

/** Recording folder, public URL, queue limits, segment length, sweeps and storage. */
export const recordSection = z
  .strictObject({
    /** Where recordings are written; '' = `<dataDir>/record`. */
    dir: z.string().default(''),
    /** Base of the file URLs in record callbacks and OpenLiveDescribeRecordFiles; '' = `http://127.0.0.1:<http port>`. */
    publicUrl: z.string().default(''),
    /** Bytes one recording may have waiting for the disk; past it the recording stops (RECORD_QUEUE_FULL). */
    maxQueueBytes: bytes.default(16 * 1024 * 1024),
    /** Writes one recording may have waiting for the disk; past it the recording stops (RECORD_QUEUE_FULL). */
    maxQueueWrites: z.coerce.number().int().min(1).default(4096),
    /** Target length of an HLS recording's TS segments. */
    hlsSegmentMs: z.coerce.number().int().min(1000).default(10_000),
    /** The shortest RecordInterval honoured, in seconds (Tencent accepts 60 and up). */
    minIntervalSeconds: z.coerce.number().int().min(1).default(60),
    /** How often files past their StorageTime are deleted. */
    sweepIntervalMs: z.coerce.number().int().min(100).default(60_000),
    /** How often record tasks are checked for windows that opened or closed. */
    taskCheckIntervalMs: z.coerce.number().int().min(100).default(5000),
    /** Where finished files are kept: `local` (record.dir) or `s3` (record.s3, uploaded then removed locally). */
    storage: z.enum(['local', 's3']).default('local'),
    s3: recordS3Section,
  })
  .prefault({});
