/** The `api.*` section: the admin listener (Cloud API and console), its rate limits and its socket limits (docs/security.md). */
import { z } from 'zod';
import { flag, ms, port } from './values.ts';

/** The admin listener: address, rate limits, body and socket limits, console folder and TLS. */
export const apiSection = z
  .strictObject({
    /** The admin listener (Cloud API and console): loopback unless opened; plain HTTP unless `api.tls` (docs/security.md). */
    host: z.string().default('127.0.0.1'),
    port: port.default(8081),
    /** Requests per second per SecretId (burst the same); more get RequestLimitExceeded; 0 = no limit. */
    rateLimitPerSecond: z.coerce.number().int().min(0).default(20),
    /** Requests per second per client address (IPv6: per /64), signed or not, checked before the signature; 0 = no limit. */
    rateLimitPerIpPerSecond: z.coerce.number().int().min(0).default(50),
    /** Client addresses whose rate is tracked at once; the least recently seen are forgotten first. */
    rateLimitMaxAddresses: z.coerce.number().int().min(1).default(10_000),
    /** Used TC3 signatures remembered (each for its 5-minute window); past it signed calls get RequestLimitExceeded. */
    replayCacheMaxEntries: z.coerce.number().int().min(1).default(100_000),
    /** Largest Cloud API request body (the largest action, a callback template, needs under 10 KiB). */
    maxBodyBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    /** Failed authentications held for their random delay at once; past it they are answered at once. */
    maxDelayedFailures: z.coerce.number().int().min(0).default(100),
    /** The same per client address: a parallel flood from one address is not slowed further, only rate-limited. */
    maxDelayedFailuresPerIp: z.coerce.number().int().min(0).default(4),
    /** The built web console served under /console/; empty = the console/dist of this installation. */
    consoleDir: z.string().default(''),
    // Limits of the admin listener against slow and greedy clients (same meaning as the http.* keys).
    /** The request head must arrive within this (408 HTTP_REQUEST_TIMEOUT). 0 = none. */
    headersTimeoutMs: ms.default(10_000),
    /** The whole request, body included, must arrive within this: a dripped body is cut (408 HTTP_REQUEST_TIMEOUT). 0 = none. */
    requestTimeoutMs: ms.default(30_000),
    /** An idle keep-alive connection between two requests is closed after this. */
    keepAliveTimeoutMs: ms.default(10_000),
    /** A connection that moves no byte either way for this long while a response is due is closed. 0 = none. */
    connectionTimeoutMs: ms.default(60_000),
    /** Largest request head; bigger gets 431 HTTP_HEADERS_TOO_LARGE. */
    maxHeaderBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16 * 1024),
    /** Open admin sockets in total (HTTP_CONNECTION_LIMIT). */
    maxConnections: z.coerce.number().int().min(1).default(1000),
    /** Open admin sockets per client address, limits.trustedNetworks exempt (HTTP_CONNECTION_LIMIT_PER_IP); 0 = no cap. */
    maxConnectionsPerIp: z.coerce.number().int().min(0).default(64),
    /** Serve the admin listener (Cloud API and console) over HTTPS only, with the `tls.*` certificates (docs/tls.md). */
    tls: flag.default(false),
  })
  .prefault({});
