/**
 * Recordings in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, s3rver) through `@aws-sdk/client-s3`:
 * a finished file goes up by multipart upload read from disk one part at a time (memory: one part per
 * upload in flight), and is read back by ranged GETs for playback. Every request has a deadline
 * (record.s3.requestTimeoutMs) so a hung endpoint fails an attempt instead of holding it.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { lazyModule } from '../../../lazy-module.ts';

/** The AWS SDK, loaded when an S3 storage is built (lazy-module.ts): local recording never loads it. */
const s3 = lazyModule<typeof S3>('@aws-sdk/client-s3');

/** The record.s3 keys this needs. */
export interface S3StorageOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
  readonly partSizeBytes: number;
  readonly requestTimeoutMs: number;
}

/** Where recordings live once uploaded; an interface so tests inject a failing one. */
export interface RemoteRecordStorage {
  /** Uploads a local file to `key` (multipart); rejects on any failure (or `signal` aborted between parts), leaving no partial object. */
  upload(key: string, localPath: string, contentType: string, signal?: AbortSignal): Promise<void>;
  /** The object's size, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** The bytes `start`..`end` (inclusive) of an object. */
  read(key: string, start: number, end: number): Promise<Readable>;
  /** Keys that start with `prefix` (at most 10,000). */
  list(prefix: string): Promise<string[]>;
  /** Deletes objects; missing ones are not an error. */
  remove(keys: readonly string[]): Promise<void>;
  close(): void;
}

/** RemoteRecordStorage over one bucket. */
export class S3RecordStorage implements RemoteRecordStorage {
  readonly #o: S3StorageOptions;
  readonly #client: S3Client;

  constructor(options: S3StorageOptions) {
    this.#o = options;
    this.#client = new (s3().S3Client)({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      // Attempts are counted by the uploader (record.s3.maxAttempts), not multiplied by the SDK's own retries.
      maxAttempts: 1,
    });
  }

  #signal(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.#o.requestTimeoutMs) };
  }

  async upload(key: string, localPath: string, contentType: string, signal?: AbortSignal): Promise<void> {
    const Bucket = this.#o.bucket;
    const fh = await open(localPath, 'r');
    let uploadId: string | undefined;
    try {
      const size = (await fh.stat()).size;
      const created = await this.#client.send(
        new (s3().CreateMultipartUploadCommand)({ Bucket, Key: key, ContentType: contentType }),
        this.#signal(),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload answered no UploadId');
      const parts: { ETag: string; PartNumber: number }[] = [];
      const partSize = this.#o.partSizeBytes;
      const buf = Buffer.allocUnsafe(Math.min(partSize, Math.max(size, 1)));
      for (let at = 0, n = 1; at < size || n === 1; n++) {
        signal?.throwIfAborted();
        const want = Math.min(partSize, size - at);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await fh.read(buf, got, want - got, at + got);
          if (bytesRead === 0) throw new Error(`${localPath} shrank while it was uploaded`);
          got += bytesRead;
        }
        const r = await this.#client.send(
          new (s3().UploadPartCommand)({
            Bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: buf.subarray(0, want),
            ContentLength: want,
          }),
          this.#signal(),
        );
        parts.push({ ETag: r.ETag ?? '', PartNumber: n });
        at += want;
        if (size === 0) break;
      }
      await this.#client.send(
        new (s3().CompleteMultipartUploadCommand)({
          Bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
        this.#signal(),
      );
      uploadId = undefined;
    } finally {
      await fh.close();
      if (uploadId) {
        // Parts of a failed upload would be billed for ever: abort it (best effort; lifecycle rules catch the rest).
        await this.#client
          .send(new (s3().AbortMultipartUploadCommand)({ Bucket, Key: key, UploadId: uploadId }), this.#signal())
          .catch(() => undefined);
      }
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const r = await this.#client.send(
        new (s3().HeadObjectCommand)({ Bucket: this.#o.bucket, Key: key }),
        this.#signal(),
      );
      return r.ContentLength;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
  }

  async read(key: string, start: number, end: number): Promise<Readable> {
    const r = await this.#client.send(
      new (s3().GetObjectCommand)({ Bucket: this.#o.bucket, Key: key, Range: `bytes=${start}-${end}` }),
      this.#signal(),
    );
    return r.Body as Readable;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.#client.send(
        new (s3().ListObjectsV2Command)({ Bucket: this.#o.bucket, Prefix: prefix, ContinuationToken: token }),
        this.#signal(),
      );
      for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token && keys.length < 10_000);
    return keys;
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      await this.#client.send(
        new (s3().DeleteObjectsCommand)({ Bucket: this.#o.bucket, Delete: { Objects, Quiet: true } }),
        this.#signal(),
      );
    }
  }

  close(): void {
    this.#client.destroy();
  }
}
