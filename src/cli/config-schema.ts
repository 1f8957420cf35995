/** The configuration schema: every key, its type, its bounds and its default, in one place (docs/config.md). */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().min(0);
const bytes = z.coerce.number().int().min(1);
// Booleans arrive as strings from env and flags; z.coerce.boolean would turn "false" into true.
const flag = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

/** The schema of openlive's configuration, with defaults for everything. */
export const configSchema = z.strictObject({
  /** Where the SQLite file, HLS segments on disk and other state live. */
  dataDir: z.string().min(1).default('./data'),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  rtmp: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(1935),
      /** Outgoing chunk size; larger means fewer chunk headers per message (RTMP 1.0 §5.4.1). */
      chunkSize: z.coerce.number().int().min(128).max(65536).default(4096),
      maxConnections: z.coerce.number().int().min(1).default(10000),
      /** Largest message a peer may send; bigger ones close the connection (RTMP_MESSAGE_TOO_LARGE). */
      maxMessageSize: bytes.default(16 * 1024 * 1024),
      handshakeTimeoutMs: ms.default(10_000),
      /** A publisher that sends no media for this long is dropped so the encoder can reconnect at once. */
      idleTimeoutMs: ms.default(15_000),
      /** How often players and publishers are pinged (User Control PingRequest). */
      pingIntervalMs: ms.default(30_000),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(8080),
      /** How long an HTTP-FLV player waits for a publisher that has not started yet before a 404. */
      playWaitMs: ms.default(5_000),
    })
    .prefault({}),
  api: z
    .strictObject({
      /** The admin listener (Cloud API and console); every API call is TC3-signed, so it may face the network. */
      host: z.string().default('0.0.0.0'),
      port: port.default(8081),
      /** Requests per second per SecretId (burst the same); more get RequestLimitExceeded; 0 = no limit. */
      rateLimitPerSecond: z.coerce.number().int().min(0).default(20),
      /** The built web console served under /console/; empty = the console/dist of this installation. */
      consoleDir: z.string().default(''),
    })
    .prefault({}),
  domains: z
    .strictObject({
      /** Strict: pushes to bare IPs (18/300) and unknown hosts (18/301) are refused instead of served by the default domains. */
      strict: flag.default(false),
      /** Each domain's CNAME target is `<domain>.<cnameSuffix>`. */
      cnameSuffix: z.string().min(1).default('live.openlive.local'),
      /** DNS servers for CNAME checks (`127.0.0.1:5353`); empty = the system's resolvers. */
      dnsServers: z.preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
        z.array(z.string().min(1)),
      ).default([]),
      /** The default domains the first start creates (they serve bare-IP and unknown hosts unless strict). */
      defaultPushDomain: z.string().min(1).default('push.localhost'),
      defaultPlayDomain: z.string().min(1).default('play.localhost'),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** SQLite `synchronous`: NORMAL survives a killed process (WAL); FULL also survives power loss. */
      synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    })
    .prefault({}),
  fanout: z
    .strictObject({
      /** Writes to each player are merged over this window; 0 writes every message at once (lowest latency). */
      mergeWindowMs: z.coerce.number().int().min(0).max(1000).default(40),
      gopCache: flag.default(true),
      gopCacheMaxBytes: bytes.default(16 * 1024 * 1024),
      gopCacheMaxMessages: z.coerce.number().int().min(1).default(4096),
      /** A player's queue (bytes it has not taken yet); past it, frames are skipped to the next keyframe. */
      maxQueueBytes: bytes.default(4 * 1024 * 1024),
      maxQueueMs: ms.default(10_000),
      /** A player that takes nothing for this long while data waits is closed. */
      stallTimeoutMs: ms.default(30_000),
    })
    .prefault({}),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
