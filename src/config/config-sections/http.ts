/** The `http.*` section: the playback listener (HTTP-FLV, WS-FLV, HLS) and its limits (docs/security.md "HTTP playback and HLS"). */
import { z } from 'zod';
import { flag, ms, port } from './values.ts';

/** The playback listener: address, FLV options and limits against slow and greedy clients. */
export const httpSection = z
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
  .prefault({});
