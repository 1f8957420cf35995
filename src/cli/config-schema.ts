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
  /** Limits shared by every listener (docs/security.md). */
  limits: z
    .strictObject({
      /** CIDR blocks or addresses (encoder farms, CDN edges) exempt from the per-address connection caps. */
      trustedNetworks: z.preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
        z.array(z.string().min(1)),
      ).default([]),
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
      // Session: connection caps, connect timeout, command queue, output to peers that never read (docs/security.md "RTMP").
      /** Connections one client address may hold (limits.trustedNetworks exempt); 0 = no cap (RTMP_CONNECTION_LIMIT_PER_IP). */
      maxConnectionsPerIp: z.coerce.number().int().min(0).default(100),
      /** Connections still in the handshake at once; more are refused (RTMP_HANDSHAKE_LIMIT). */
      maxHandshakes: z.coerce.number().int().min(1).default(1000),
      /** A connection that neither publishes nor plays this long after its handshake (or its last stop) is closed; 0 = never. */
      connectTimeoutMs: ms.default(10_000),
      /** Non-media bytes (ping answers, results, errors) that may wait for a peer that does not read (RTMP_OUTPUT_LIMIT). */
      maxOutputBytes: bytes.default(256 * 1024),
      /** Messages held while a connect/publish/play is decided (pipelining clients), and their bytes (RTMP_COMMAND_QUEUE_LIMIT). */
      maxQueuedMessages: z.coerce.number().int().min(1).default(64),
      maxQueuedBytes: bytes.default(1024 * 1024),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(8080),
      /** How long an HTTP-FLV player waits for a publisher that has not started yet before a 404. */
      playWaitMs: ms.default(5_000),
      /** HTTP-FLV with chunked transfer encoding (for proxies that insist) instead of a close-delimited body. */
      flvChunked: flag.default(false),
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
  /** Event callbacks (docs/api.md "Event callbacks"): delivery to the receivers of callback templates. */
  callbacks: z
    .strictObject({
      /** The `appid` every callback carries (Tencent's account id; receivers may check it). */
      appId: z.coerce.number().int().min(0).default(0),
      /** A callback not answered 200 is tried again after this long (Tencent: one minute). */
      retryIntervalMs: z.coerce.number().int().min(1).default(60_000),
      /** Retries after the first attempt before a callback is given up (Tencent: 12). */
      maxRetries: z.coerce.number().int().min(0).max(1000).default(12),
      /** No answer within this long counts as a failed attempt (Tencent: 20 s). */
      timeoutMs: z.coerce.number().int().min(1).default(20_000),
      /** Callbacks kept queued at most; past it the oldest is dropped (and recorded). */
      maxPending: z.coerce.number().int().min(1).default(10_000),
      /** Push errors (event 321) are reported at most once per this interval, only when some occurred. */
      reportIntervalMs: z.coerce.number().int().min(100).default(60_000),
    })
    .prefault({}),
  fanout: z
    .strictObject({
      /** Writes to each player are merged over this window; 0 writes every message at once (lowest latency). */
      mergeWindowMs: z.coerce.number().int().min(0).max(1000).default(50),
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
  /** HLS and LL-HLS playback (docs/hls.md). */
  hls: z
    .strictObject({
      /** Segments are cut on the first keyframe at or after this duration (never shorter than a GOP). */
      segmentTargetMs: z.coerce.number().int().min(200).max(60_000).default(2000),
      /** Segments listed in a playlist. */
      windowSegments: z.coerce.number().int().min(2).max(1000).default(6),
      /** Segments kept fetchable after they left the playlist (RFC 8216 §6.2.2). */
      retainSegments: z.coerce.number().int().min(0).max(1000).default(6),
      /** Cap of one stream's segment bytes in memory; the oldest go first. */
      maxStreamBytes: z.coerce.number().int().min(1024 * 1024).default(64 * 1024 * 1024),
      /** memory, or files under <dataDir>/hls (deleted as they expire and at start). */
      storage: z.enum(['memory', 'disk']).default('memory'),
      /** Segment every live stream even when nobody watches it. */
      alwaysOn: flag.default(false),
      /** A stream's segmenter stops once nobody requested its playlist or segments for this long. */
      idleTimeoutMs: z.coerce.number().int().min(1000).default(30_000),
      /** How long the first viewer of a cold stream waits for its first segment (then 503 HLS_NOT_READY). */
      startWaitMs: z.coerce.number().int().min(0).max(120_000).default(10_000),
      /** Whole segments a cold stream's first playlist waits for: a start buffer for hls.js. */
      startSegments: z.coerce.number().int().min(1).max(1000).default(2),
      /** LL-HLS partial segment target (PART-TARGET). */
      partTargetMs: z.coerce.number().int().min(100).max(30_000).default(333),
      /** Play domains served LL-HLS playlists; `*` = all; comma-separated in env and flags. */
      lowLatencyDomains: z.preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
        z.array(z.string().min(1)),
      ).default([]),
      /** End a stream's playlist with EXT-X-ENDLIST when its publisher leaves. */
      endList: flag.default(false),
    })
    .prefault({}),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
