/** The `rtmp.*` section: the RTMP listener, its timeouts and its chunk, name and query limits (docs/security.md "RTMP"). */
import { z } from 'zod';
import { bytes, ms, port } from './values.ts';

/** The RTMP listener: address, chunk size, timeouts, connection caps and message limits. */
export const rtmpSection = z
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
  .prefault({});
