/** The configuration schema: every key, its type, its bounds and its default, in one place (docs/config.md). */
import { z } from 'zod';
import { hlsDefaults } from './hls-defaults.ts';
import { hubDefaults } from './hub-defaults.ts';
import { storeDefaults } from './store-defaults.ts';
import { recordS3Section } from './config-sections/record-s3.ts';
import { statsSection } from './config-sections/stats.ts';
import { snapshotSection } from './config-sections/snapshot.ts';
import { webrtcSection } from './config-sections/webrtc.ts';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().min(0);
const bytes = z.coerce.number().int().min(1);
/** libsrt takes a passphrase of 10 to 79 characters (SRTO_PASSPHRASE); '' means none. */
const srtPassphrase = z
  .string()
  .refine((s) => s === '' || (s.length >= 10 && s.length <= 79), 'an SRT passphrase has 10 to 79 characters');
// Booleans arrive as strings from env and flags; z.coerce.boolean would turn "false" into true.
const flag = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

/** The schema of openlive's configuration, with defaults for everything. */
export const configSchema = z.strictObject({
  /** Where the SQLite file, HLS segments on disk and other state live. */
  dataDir: z.string().min(1).default('./data'),
  // Worker processes (docs/cluster.md "Worker processes")
  /** Processes sharing the listening ports (node:cluster): a number, or `auto` = one per core; 1 = one process. */
  workers: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  /** Limits shared by every listener (docs/security.md). */
  limits: z
    .strictObject({
      /** CIDR blocks or addresses (encoder farms, CDN edges) exempt from the per-address connection caps. */
      trustedNetworks: z
        .preprocess(
          (v) =>
            typeof v === 'string'
              ? v
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean)
              : v,
          z.array(z.string().min(1)),
        )
        .default([]),
      // Process: memory budget and shutdown (docs/security.md "Memory budget, process faults and shutdown").
      /** Bytes held for players and publishers past which new ones are refused (MEMORY_BUDGET_EXCEEDED); 0 = a quarter of the V8 heap limit. */
      memoryBudgetBytes: z.coerce.number().int().min(0).default(0),
      /** SIGTERM/SIGINT drain at most this long, then the process exits anyway (status 124); 0 = no deadline. */
      shutdownTimeoutMs: z.coerce.number().int().min(0).default(10_000),
      /** The drain (SIGTERM, OpenLiveDrainNode) waits at most this long for publishers asked to reconnect elsewhere, then closes them (10/0). */
      drainWaitMs: z.coerce.number().int().min(0).default(5000),
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
      // Limits: RTMP chunk layer, names and queries (docs/security.md "RTMP")
      /** Smallest Set Chunk Size a peer may send (RTMP_CHUNK_SIZE_TOO_SMALL); encoders never go below 128. */
      minChunkSize: z.coerce.number().int().min(1).max(65536).default(128),
      /** Largest command, data or shared-object message, and of unknown types (RTMP_MESSAGE_TOO_LARGE). */
      maxCommandSize: bytes.default(64 * 1024),
      /** Largest protocol control or User Control message (RTMP_MESSAGE_TOO_LARGE); they are 4 to 10 bytes. */
      maxControlSize: bytes.default(1024),
      /** Bytes all partial messages of one connection may announce together (RTMP_PARTIAL_LIMIT); at least maxMessageSize. */
      maxPartialBytes: bytes.default(17 * 1024 * 1024),
      /** Distinct chunk stream ids one connection may use (RTMP_CHUNK_STREAM_LIMIT). */
      maxChunkStreams: z.coerce.number().int().min(2).max(65598).default(64),
      /** Longest tcUrl of a connect, query included (RTMP_TCURL_TOO_LONG). */
      maxTcUrlLength: z.coerce.number().int().min(1).default(4096),
      /** Longest app or stream name without its query (RTMP_NAME_TOO_LONG); names past 256 are refused later with 18/308 or 18/309. */
      maxNameLength: z.coerce.number().int().min(1).default(1024),
      /** Longest query of a tcUrl, app or stream name (RTMP_QUERY_TOO_LONG). */
      maxQueryLength: z.coerce.number().int().min(1).default(4096),
      /** Most parameters in one query (RTMP_QUERY_TOO_MANY_PARAMS). */
      maxQueryParams: z.coerce.number().int().min(1).default(64),
    })
    .refine((r) => r.maxPartialBytes >= r.maxMessageSize, {
      message: 'rtmp.maxPartialBytes must be at least rtmp.maxMessageSize (one largest message must fit)',
      path: ['maxPartialBytes'],
    })
    .prefault({}),
  /** The SRT listener (docs/srt.md): MPEG-TS over SRT from OBS, vMix, Larix, ffmpeg and hardware encoders. */
  srt: z
    .strictObject({
      /** Off by default: the UDP port opens only when this is true. */
      enabled: flag.default(false),
      host: z.string().default('0.0.0.0'),
      /** UDP port (0 picks a free one). */
      port: port.default(9000),
      /** Our TSBPD latency; the larger of ours and the encoder's is used (libsrt SRTO_LATENCY). */
      latencyMs: z.coerce.number().int().min(20).max(10_000).default(120),
      /** AES-CTR passphrase of every push domain without its own (libsrt: 10 to 79 characters); '' = clear. */
      passphrase: srtPassphrase.default(''),
      /** Per push domain (the stream id's h=): its passphrase, '' for clear; overrides srt.passphrase. */
      domainPassphrases: z.record(z.string(), srtPassphrase).default({}),
      /** Key length in bytes advertised to callers that set none (16, 24 or 32; libsrt SRTO_PBKEYLEN). */
      pbKeyLen: z.coerce
        .number()
        .int()
        .refine((n) => n === 16 || n === 24 || n === 32, 'pbKeyLen is 16, 24 or 32')
        .default(16),
      // Limits: SRT listener (docs/security.md "SRT")
      /** Connections at once; more are refused in the handshake with SRT_REJX_OVERLOAD (SRT_CONNECTION_LIMIT). */
      maxConnections: z.coerce.number().int().min(1).default(1000),
      /** Connections one client address may hold (limits.trustedNetworks exempt); 0 = no cap (SRT_CONNECTION_LIMIT_PER_IP). */
      maxConnectionsPerIp: z.coerce.number().int().min(0).default(100),
      /** Handshake packets taken per second, all callers together; more are dropped unanswered (SRT_HANDSHAKE_LIMIT). */
      maxHandshakesPerSecond: z.coerce.number().int().min(1).default(1000),
      /** Conclusions waiting for an admission decision at once; more are refused (SRT_HANDSHAKE_LIMIT). */
      maxPendingHandshakes: z.coerce.number().int().min(1).default(256),
      /** Payload bytes one connection's receive buffer may hold (SRT_RECEIVE_BUFFER_FULL); also sets the flow window. */
      maxReceiveBufferBytes: bytes.default(8 * 1024 * 1024),
      /** No packet at all (not even a keepalive) for this long ends the connection (SRT_PEER_IDLE_TIMEOUT; libsrt's 5 s). */
      peerIdleTimeoutMs: z.coerce.number().int().min(1000).default(5000),
      /** Connected but no data for this long: the publisher is dropped (SRT_IDLE_TIMEOUT, 20/0); 0 = never. */
      idleTimeoutMs: ms.default(15_000),
    })
    .prefault({}),
  /** WHIP ingest and WHEP playback (docs/webrtc.md). */
  webrtc: webrtcSection,
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(8080),
      /** How long an HTTP-FLV player waits for a publisher that has not started yet before a 404. */
      playWaitMs: ms.default(5_000),
      /** HTTP-FLV with chunked transfer encoding (for proxies that insist) instead of a close-delimited body. */
      flvChunked: flag.default(false),
      // Limits of the playback listener against slow and greedy clients (docs/security.md "HTTP playback and HLS").
      /** The request head must arrive within this; a dripped header (slowloris) gets 408 HTTP_REQUEST_TIMEOUT. 0 = none. */
      headersTimeoutMs: ms.default(10_000),
      /** The whole request (head and body) must arrive within this; responses (a live FLV body) are never cut by it. 0 = none. */
      requestTimeoutMs: ms.default(30_000),
      /** An idle keep-alive connection between two requests is closed after this. */
      keepAliveTimeoutMs: ms.default(10_000),
      /** A connection that moves no byte either way for this long while a response is due is closed (HTTP_IDLE_TIMEOUT). 0 = none. */
      connectionTimeoutMs: ms.default(60_000),
      /** Largest request head (request line and headers); bigger gets 431 HTTP_HEADERS_TOO_LARGE. */
      maxHeaderBytes: z.coerce
        .number()
        .int()
        .min(1024)
        .max(1024 * 1024)
        .default(16 * 1024),
      /** Open playback sockets in total; past it a new socket is closed at once (HTTP_CONNECTION_LIMIT). */
      maxConnections: z.coerce.number().int().min(1).default(10_000),
      /** Open playback sockets per client address, limits.trustedNetworks exempt (HTTP_CONNECTION_LIMIT_PER_IP); 0 = no cap. */
      maxConnectionsPerIp: z.coerce.number().int().min(0).default(100),
      /** Longest playback query string (after `?`); longer gets 414 HTTP_QUERY_TOO_LARGE before it is parsed. */
      maxQueryBytes: z.coerce.number().int().min(64).default(4096),
      /** Most parameters in a playback query; more gets 414 HTTP_QUERY_TOO_LARGE before it is parsed. */
      maxQueryParams: z.coerce.number().int().min(1).default(64),
      /** HTTP-FLV players waiting (playWaitMs) for a publisher, in total; more get 503 FLV_WAITERS_FULL. */
      maxWaitingPlayers: z.coerce.number().int().min(1).default(1000),
      /** HTTP-FLV players waiting for a publisher per client address, trusted networks exempt (429 FLV_WAITERS_PER_IP); 0 = no cap. */
      maxWaitingPlayersPerIp: z.coerce.number().int().min(0).default(10),
      /** Largest frame a WS-FLV player may send (it sends only pings and a close); bigger ends it with 1009 WS_FLV_FRAME_TOO_LARGE. */
      wsMaxFrameBytes: z.coerce
        .number()
        .int()
        .min(125)
        .max(1024 * 1024)
        .default(4096),
    })
    .prefault({}),
  api: z
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
    .prefault({}),
  // TLS listeners: RTMPS, HTTPS, admin TLS (docs/tls.md)
  /** Certificates of every TLS listener (rtmps, https, api.tls), PEM files reloaded when they change or on SIGHUP. */
  tls: z
    .strictObject({
      /** The default certificate chain (PEM), served to clients without SNI (an IP address) and names no entry matches. */
      cert: z.string().default(''),
      /** Its private key (PEM, unencrypted). */
      key: z.string().default(''),
      /** More certificates picked by SNI: `[{ domains: ['live.example.com', '*.example.com'], cert, key }]`; a JSON array in env and flags. */
      certificates: z
        .preprocess(
          (v) => {
            if (typeof v !== 'string') return v;
            try {
              return JSON.parse(v);
            } catch {
              return v;
            }
          },
          z.array(
            z.strictObject({
              domains: z.array(z.string().min(1)).min(1),
              cert: z.string().min(1),
              key: z.string().min(1),
            }),
          ),
        )
        .default([]),
      /** A TLS handshake not finished within this closes the socket (TLS_HANDSHAKE_TIMEOUT). */
      handshakeTimeoutMs: z.coerce.number().int().min(100).default(10_000),
      /** How often the PEM files' size and mtime are compared to reload changed ones; 0 = only on SIGHUP. */
      reloadIntervalMs: ms.default(5_000),
      /** Oldest TLS version accepted. */
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    })
    .prefault({}),
  /** RTMP over TLS for ingest and playback, the same RTMP server behind a TLS listener. */
  rtmps: z
    .strictObject({
      enabled: flag.default(false),
      host: z.string().default('0.0.0.0'),
      port: port.default(1936),
    })
    .prefault({}),
  /** HTTPS for playback (HTTP-FLV, HLS, /healthz, /metrics): the same app as `http.*`, with its limits. */
  https: z
    .strictObject({
      enabled: flag.default(false),
      host: z.string().default('0.0.0.0'),
      port: port.default(8443),
    })
    .prefault({}),
  domains: z
    .strictObject({
      /** Strict: pushes to bare IPs (18/300) and unknown hosts (18/301) are refused instead of served by the default domains. */
      strict: flag.default(false),
      /** Each domain's CNAME target is `<domain>.<cnameSuffix>`. */
      cnameSuffix: z.string().min(1).default('live.openlive.local'),
      /** DNS servers for CNAME checks (`127.0.0.1:5353`); empty = the system's resolvers. */
      dnsServers: z
        .preprocess(
          (v) =>
            typeof v === 'string'
              ? v
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean)
              : v,
          z.array(z.string().min(1)),
        )
        .default([]),
      /** The default domains the first start creates (they serve bare-IP and unknown hosts unless strict). */
      defaultPushDomain: z.string().min(1).default('push.localhost'),
      defaultPlayDomain: z.string().min(1).default('play.localhost'),
    })
    .prefault({}),
  store: z
    .strictObject({
      // Store: PostgreSQL (docs/cluster.md "PostgreSQL")
      /** `postgres://user:pass@host:port/db` stores everything in PostgreSQL (clusters); empty = SQLite in dataDir. */
      url: z
        .string()
        .default('')
        .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'store.url must be empty or a postgres:// URL'),
      /** PostgreSQL connections this node opens at most. */
      poolSize: z.coerce.number().int().min(1).max(100).default(storeDefaults.poolSize),
      /** SQLite `synchronous`: NORMAL survives a killed process (WAL); FULL also survives power loss. */
      synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
      // Store: locks, retention, rejected-attempt aggregation (docs/security.md "Records and the store")
      /** How long one SQLite call may block the event loop waiting for another process's lock; then it waits in a queue. */
      busyTimeoutMs: z.coerce.number().int().min(0).max(1000).default(5),
      /** Writes held while another process holds the lock; past it a write fails with STORE_BUSY. */
      maxQueuedWrites: z.coerce.number().int().min(1).default(storeDefaults.maxQueuedWrites),
      /** Publish records, rejected attempts and callback attempts older than this are deleted. */
      retentionDays: z.coerce.number().int().min(1).max(3650).default(60),
      /** Rows kept per record table at most (publish records, rejected attempts, callback attempts), oldest deleted first. */
      maxRows: z.coerce.number().int().min(100).default(100_000),
      /** How often the pruner runs (also once at start). */
      pruneIntervalMs: z.coerce.number().int().min(1000).default(600_000),
      /** Refused attempts of one client address stored one row each per window; past it they are counted in one row per code. */
      rejectedPerAddress: z.coerce.number().int().min(0).default(20),
      /** The window of rejectedPerAddress. */
      rejectedWindowMs: z.coerce.number().int().min(1000).default(60_000),
    })
    .prefault({}),
  relay: z
    .strictObject({
      // Push relays (docs/cluster.md "Push relays"): forward published streams to other RTMP(S) servers.
      /** Targets: `[{ domain: '*', app: 'live', url: 'rtmp://host/app/{stream}?key=…', name }]`; a JSON array in env and flags. */
      forward: z
        .preprocess(
          (v) => {
            if (typeof v !== 'string') return v;
            try {
              return JSON.parse(v);
            } catch {
              return v;
            }
          },
          z.array(
            z.strictObject({
              domain: z.string().min(1).default('*'),
              app: z.string().min(1),
              url: z.string().regex(/^rtmps?:\/\/[^/]+\/./, 'an rtmp:// or rtmps:// URL with an app'),
              name: z.string().min(1).optional(),
            }),
          ),
        )
        .default([]),
      /** Bound on TCP/TLS connect, handshake, connect and publish of one forward attempt. */
      forwardConnectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
      /** First reconnect delay of a forward; doubles per failure (with jitter) up to forwardBackoffMaxMs. */
      forwardBackoffInitialMs: z.coerce.number().int().min(10).default(1000),
      forwardBackoffMaxMs: z.coerce.number().int().min(10).default(30_000),
      /** Delay before asking again a target that refused the publish (FORWARD_REFUSED: wrong key, forbidden). */
      forwardRefusedRetryMs: z.coerce.number().int().min(10).default(60_000),
      /** Bytes one forward may leave unsent in its socket; past it frames are skipped to the next keyframe (FORWARD_QUEUE_OVERFLOW). */
      forwardMaxQueueBytes: bytes.default(8 * 1024 * 1024),
      // Origin/edge relays (docs/cluster.md "Origin/edge relays"): pull streams held by other nodes.
      /** The cluster secret: signs the relay plays edges make to origins; the same on every node. Empty = no pulls, relay plays refused. */
      secret: z.string().default(''),
      /** Pulls this node runs (connecting or pulling) at once; more wait (EDGE_PULLS_FULL). */
      maxPulls: z.coerce.number().int().min(1).max(100_000).default(100),
      /** Relay plays at more hops (edge of an edge of ...) are refused (RELAY_TOO_DEEP). */
      maxHops: z.coerce.number().int().min(1).max(16).default(3),
      /** Bound on each step of a pull's connect: TCP, handshake, connect, play (then EDGE_PULL_UNREACHABLE). */
      pullConnectTimeoutMs: z.coerce.number().int().min(100).default(5000),
      /** First retry delay of a failed pull; doubles per failure (with jitter) up to pullBackoffMaxMs. */
      pullBackoffInitialMs: z.coerce.number().int().min(10).default(500),
      pullBackoffMaxMs: z.coerce.number().int().min(10).default(10_000),
      /** How long a pull outlives its last local player (a reloading player keeps it). */
      pullLingerMs: z.coerce.number().int().min(0).max(600_000).default(2000),
      /** How often a wanted stream nobody holds is looked up again in the registry. */
      pullPollMs: z.coerce.number().int().min(50).max(60_000).default(1000),
      /** A pull that read nothing from its origin for this long is ended and retried (a hung origin). */
      pullIdleTimeoutMs: z.coerce.number().int().min(1000).default(30_000),
    })
    .prefault({}),
  /** Recording (docs/recording.md): record templates, rules and tasks write files here; limits of each recording's queue. */
  record: z
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
    .prefault({}),
  /** Statistics history (docs/statistics.md). */
  stats: statsSection,
  /** Snapshots (docs/recording.md "Snapshots"): JPEGs of live streams decoded by ffmpeg. */
  snapshot: snapshotSection,
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
      mergeWindowMs: z.coerce.number().int().min(0).max(1000).default(hubDefaults.mergeWindowMs),
      gopCache: flag.default(hubDefaults.gopCache.enabled),
      gopCacheMaxBytes: bytes.default(hubDefaults.gopCache.maxBytes),
      gopCacheMaxMessages: z.coerce.number().int().min(1).default(hubDefaults.gopCache.maxMessages),
      /** A player's queue (bytes it has not taken yet); past it, frames are skipped to the next keyframe. */
      maxQueueBytes: bytes.default(hubDefaults.subscriber.maxQueueBytes),
      maxQueueMs: ms.default(hubDefaults.subscriber.maxQueueMs),
      /** A player that takes nothing for this long while data waits is closed. */
      stallTimeoutMs: ms.default(hubDefaults.subscriber.stallTimeoutMs),
      /** Players of a stream whose publisher left wait this long for it to publish again (0 = end them at once). */
      reconnectGraceMs: z.coerce.number().int().min(0).max(3_600_000).default(5000),
    })
    .prefault({}),
  /** HLS and LL-HLS playback (docs/hls.md). */
  hls: z
    .strictObject({
      /** Segments are cut on the first keyframe at or after this duration (never shorter than a GOP). */
      segmentTargetMs: z.coerce.number().int().min(200).max(60_000).default(hlsDefaults.segmentTargetMs),
      /** Segments listed in a playlist. */
      windowSegments: z.coerce.number().int().min(2).max(1000).default(hlsDefaults.windowSegments),
      /** Segments kept fetchable after they left the playlist (RFC 8216 §6.2.2). */
      retainSegments: z.coerce.number().int().min(0).max(1000).default(hlsDefaults.retainSegments),
      /** Cap of one stream's segment bytes in memory; the oldest go first. */
      maxStreamBytes: z.coerce
        .number()
        .int()
        .min(1024 * 1024)
        .default(hlsDefaults.maxStreamBytes),
      /** memory, or files under <dataDir>/hls (deleted as they expire and at start). */
      storage: z.enum(['memory', 'disk']).default('memory'),
      /** Segment container: ts (MPEG-TS) or fmp4 (CMAF fragmented MP4 with EXT-X-MAP; carries HEVC, AV1 and Opus too). */
      segmentFormat: z.enum(['ts', 'fmp4']).default('ts'),
      /** Segment every live stream even when nobody watches it. */
      alwaysOn: flag.default(false),
      /** A stream's segmenter stops once nobody requested its playlist or segments for this long. */
      idleTimeoutMs: z.coerce.number().int().min(1000).default(hlsDefaults.idleTimeoutMs),
      /** How long the first viewer of a cold stream waits for its first segment (then 503 HLS_NOT_READY). */
      startWaitMs: z.coerce.number().int().min(0).max(120_000).default(hlsDefaults.startWaitMs),
      /** Whole segments a cold stream's first playlist waits for: a start buffer for hls.js. */
      startSegments: z.coerce.number().int().min(1).max(1000).default(hlsDefaults.startSegments),
      /** LL-HLS partial segment target (PART-TARGET). */
      partTargetMs: z.coerce.number().int().min(100).max(30_000).default(hlsDefaults.partTargetMs),
      /** Play domains served LL-HLS playlists; `*` = all; comma-separated in env and flags. */
      lowLatencyDomains: z
        .preprocess(
          (v) =>
            typeof v === 'string'
              ? v
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean)
              : v,
          z.array(z.string().min(1)),
        )
        .default([]),
      /** End a stream's playlist with EXT-X-ENDLIST when its publisher leaves. */
      endList: flag.default(false),
      /** Parked HLS requests (blocking reloads, hinted parts, cold starts) in total; more get 503 HLS_WAITERS_FULL. */
      maxBlockingWaiters: z.coerce.number().int().min(1).default(hlsDefaults.maxBlockingWaiters),
      /** Parked HLS requests per client address, limits.trustedNetworks exempt (429 HLS_WAITERS_PER_IP); 0 = no cap. */
      maxBlockingWaitersPerIp: z.coerce.number().int().min(0).default(hlsDefaults.maxBlockingWaitersPerIp),
    })
    .prefault({}),
  // Cluster: the Coordinator (docs/cluster.md "Coordinator")
  /** How nodes share publisher claims, the stream registry, stream commands and counters. */
  cluster: z
    .strictObject({
      /** `redis://[user:password@]host:port[/db]` (or `rediss://`) of the cluster's Redis or Valkey; empty = in-process (one node). */
      redis: z
        .string()
        .refine((v) => v === '' || /^rediss?:\/\/./.test(v), {
          message: 'must be empty or a redis:// or rediss:// URL',
        })
        .default(''),
      /** This node's id in claims, records, logs and /metrics; empty = the hostname (stable across restarts). Letters, digits, `.`, `_`, `-`. */
      nodeId: z
        .string()
        .regex(/^[A-Za-z0-9._-]{0,64}$/, 'at most 64 letters, digits, ".", "_" or "-"')
        .default(''),
      /** `host:port` other nodes use to reach this node's RTMP (edge pulls); empty = rtmp.host (or the hostname) and the bound RTMP port. */
      advertise: z.string().default(''),
      /** Lease of a publisher claim and of the node key, renewed four times per lease: a dead node's streams are free after it. */
      leaseMs: z.coerce.number().int().min(100).max(600_000).default(5000),
    })
    .prefault({}),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
