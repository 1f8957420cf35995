/** `record.s3.*`: the S3-compatible bucket finished recordings go to when `record.storage` is `s3` (docs/recording.md "S3"). */
import { z } from 'zod';
import { flag } from './values.ts';

/** The bucket, its credentials and how uploads are cut, retried and bounded. */
export const recordS3Section = z
  .strictObject({
    /** The S3 API's base URL (MinIO, Ceph, R2, s3rver: `http://host:port`); '' = AWS for `region`. */
    endpoint: z.string().default(''),
    /** The bucket's region (signing); any value for most S3-compatible servers. */
    region: z.string().min(1).default('us-east-1'),
    /** The bucket; required when record.storage is s3. */
    bucket: z.string().default(''),
    /** Credentials; '' = the AWS SDK's default chain (environment, profile, instance role). */
    accessKeyId: z.string().default(''),
    secretAccessKey: z.string().default(''),
    /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, s3rver, most self-hosted). */
    forcePathStyle: flag.default(false),
    /** Put before every object key (`<prefix><domain>/<app>/<stream>/<file>`), e.g. `recordings/`. */
    prefix: z.string().default(''),
    /** Bytes of each multipart part (AWS: at least 5 MiB except the last; smaller only for servers that allow it). */
    partSizeBytes: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(5 * 1024 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    /** Files uploaded at once across the node. */
    uploadConcurrency: z.coerce.number().int().min(1).max(64).default(2),
    /** Attempts of one file's upload before it is given up (RECORD_UPLOAD_FAILED; the local file is kept). */
    maxAttempts: z.coerce.number().int().min(1).max(100).default(5),
    /** Wait before the second attempt; doubled for each further one. */
    retryDelayMs: z.coerce.number().int().min(0).default(2000),
    /** One S3 request (a part, a GET) that takes longer fails (and the upload is retried). */
    requestTimeoutMs: z.coerce.number().int().min(100).default(60_000),
  })
  .prefault({});
