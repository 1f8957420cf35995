/**
 * Optional heavy dependencies (werift, the AWS SDK, ioredis, pg) are loaded on first use, not at start:
 * a server with WebRTC, S3 recording, Redis and PostgreSQL off never loads them, which keeps the idle
 * process small (issue 17: under 80 MB; werift alone adds about 35 MB, the S3 client 33 MB).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that loads the package `id` synchronously on its first call and returns it ever after. */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
