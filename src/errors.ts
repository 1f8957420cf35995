/**
 * The one table of stable error codes. Every code has a line in docs/errors.md and is raised somewhere in
 * src/ (both checked by src/errors.test.ts); callers branch on `err.code`, never on message text.
 */

/** What an error code means for whoever receives it: the HTTP status is derived from it, once. */
export type ErrorKind =
  | 'protocol' // the peer sent bytes we cannot accept
  | 'state' // the call or message is not valid in the current state
  | 'input' // a bad argument, request field or configuration value
  | 'auth' // access refused
  | 'not-found'
  | 'conflict'
  | 'limit' // a configured limit was reached
  | 'timeout'
  | 'unsupported'
  | 'internal';

/** Every stable error code with its kind. */
export const errorCodes = {
  // RTMP handshake and chunk layer
  RTMP_HANDSHAKE_VERSION: 'protocol',
  RTMP_HANDSHAKE_TIMEOUT: 'timeout',
  RTMP_CHUNK_HEADER: 'protocol',
  RTMP_CHUNK_SIZE: 'protocol',
  RTMP_CHUNK_STREAM_LIMIT: 'limit',
  RTMP_MESSAGE_TOO_LARGE: 'limit',
  RTMP_MESSAGE_INVALID: 'protocol',
  RTMP_COMMAND_INVALID: 'protocol',
  RTMP_STATE: 'state',
  RTMP_REJECTED: 'auth',
  RTMP_IDLE_TIMEOUT: 'timeout',
  RTMP_CONNECTION_LIMIT: 'limit',
  // Limits: RTMP chunk layer, AMF0, names and queries (docs/security.md "RTMP")
  RTMP_CHUNK_SIZE_TOO_SMALL: 'limit',
  RTMP_PARTIAL_LIMIT: 'limit',
  RTMP_AGGREGATE_LIMIT: 'limit',
  RTMP_TCURL_TOO_LONG: 'limit',
  RTMP_NAME_TOO_LONG: 'limit',
  RTMP_QUERY_TOO_LONG: 'limit',
  RTMP_QUERY_TOO_MANY_PARAMS: 'limit',
  AMF0_PROPERTY_LIMIT: 'limit',
  AMF0_VALUE_LIMIT: 'limit',
  AMF0_STRING_LIMIT: 'limit',
  // RTMP session: command order, connection caps, timeouts, output to peers that never read (issue 9)
  RTMP_COMMAND_QUEUE_LIMIT: 'limit',
  RTMP_CONNECTION_LIMIT_PER_IP: 'limit',
  RTMP_HANDSHAKE_LIMIT: 'limit',
  RTMP_CONNECT_TIMEOUT: 'timeout',
  RTMP_OUTPUT_LIMIT: 'limit',
  // SRT: packets, handshake, listener limits and timeouts (protocol/srt, servers/srt, docs/srt.md)
  SRT_PACKET_INVALID: 'protocol',
  SRT_HANDSHAKE_INVALID: 'protocol',
  SRT_ENCRYPTION_UNSUPPORTED: 'unsupported',
  SRT_STREAM_ID_INVALID: 'input',
  SRT_REJECTED: 'auth',
  SRT_HANDSHAKE_TIMEOUT: 'timeout',
  SRT_PEER_IDLE_TIMEOUT: 'timeout',
  SRT_IDLE_TIMEOUT: 'timeout',
  SRT_CONNECTION_LIMIT: 'limit',
  SRT_CONNECTION_LIMIT_PER_IP: 'limit',
  SRT_HANDSHAKE_LIMIT: 'limit',
  SRT_RECEIVE_BUFFER_FULL: 'limit',
  SRT_PLAY_UNSUPPORTED: 'unsupported',
  // SRT encryption (docs/srt.md "Encryption")
  SRT_KEY_MATERIAL_INVALID: 'protocol',
  SRT_PASSPHRASE_WRONG: 'auth',
  SRT_PASSPHRASE_REQUIRED: 'auth',
  // WebRTC: RTP media (protocol/rtp) and WHIP/WHEP sessions (servers/webrtc)
  RTP_PACKET_INVALID: 'protocol',
  RTP_FRAME_TOO_LARGE: 'limit',
  WEBRTC_DISABLED: 'not-found',
  WEBRTC_SDP_INVALID: 'input',
  WEBRTC_CODEC_UNSUPPORTED: 'unsupported',
  WEBRTC_SESSION_LIMIT: 'limit',
  WEBRTC_SESSION_NOT_FOUND: 'not-found',
  WEBRTC_ICE_TIMEOUT: 'timeout',
  WEBRTC_PATCH_UNSUPPORTED: 'unsupported',
  WEBRTC_ETAG_MISMATCH: 'state',
  WEBRTC_ICE_MISMATCH: 'conflict',
  // WebRTC: the single UDP port (servers/webrtc/udp-mux.ts)
  WEBRTC_UNKNOWN_DATAGRAM: 'protocol',
  WEBRTC_MUX_ADDRESS_LIMIT: 'limit',
  // WebRTC: ICE-TCP on one TCP port (servers/webrtc/tcp-mux.ts)
  WEBRTC_TCP_LIMIT: 'limit',
  WEBRTC_TCP_TIMEOUT: 'timeout',
  WEBRTC_TCP_FRAME_TOO_LARGE: 'protocol',
  WEBRTC_TCP_BEHIND: 'limit',
  // WebRTC: AAC → Opus transcoding for WHEP (servers/webrtc/aac-opus-transcoder.ts)
  WEBRTC_TRANSCODE_FAILED: 'internal',
  WEBRTC_TRANSCODE_LIMIT: 'limit',
  WEBRTC_TRANSCODE_BEHIND: 'limit',
  // Value encodings
  AMF0_TRUNCATED: 'protocol',
  AMF0_MARKER: 'protocol',
  AMF0_DEPTH: 'protocol',
  AMF0_UNENCODABLE: 'input',
  FLV_INVALID: 'protocol',
  CODEC_CONFIG_INVALID: 'protocol',
  TS_MUX_INPUT: 'protocol',
  // Enhanced RTMP v2: ex-header ModEx and Multitrack (protocol/flv/ex-multitrack.ts, docs/enhanced-rtmp.md)
  FLV_MULTITRACK_INVALID: 'protocol',
  // MP4/fMP4 muxer (protocol/mp4, docs/mp4.md)
  MP4_MUX_INPUT: 'protocol',
  // MPEG-TS demuxer: counted, never thrown out of the demuxer (protocol/mpegts/ts-demuxer.ts, docs/mpegts.md)
  TS_SYNC_LOST: 'protocol',
  TS_PACKET_INVALID: 'protocol',
  TS_CONTINUITY: 'protocol',
  TS_SECTION_INVALID: 'protocol',
  TS_PES_INVALID: 'protocol',
  TS_PES_TOO_LARGE: 'limit',
  TS_ES_INVALID: 'protocol',
  // Hub
  STREAM_NOT_FOUND: 'not-found',
  STREAM_ALREADY_PUBLISHING: 'conflict',
  STREAM_CLOSED: 'state',
  SUBSCRIBER_STALLED: 'timeout',
  // Limits: process (memory budget, faults)
  MEMORY_BUDGET_EXCEEDED: 'limit',
  // HLS playback (RFC 8216, LL-HLS per RFC 8216bis)
  HLS_SEGMENT_NOT_FOUND: 'not-found',
  HLS_RELOAD_INVALID: 'input',
  HLS_NOT_READY: 'timeout',
  // Limits: HTTP listeners (playback and admin), HLS and HTTP-FLV waiters
  HTTP_CONNECTION_LIMIT: 'limit',
  HTTP_CONNECTION_LIMIT_PER_IP: 'limit',
  HTTP_REQUEST_TIMEOUT: 'timeout',
  HTTP_IDLE_TIMEOUT: 'timeout',
  HTTP_HEADERS_TOO_LARGE: 'limit',
  HTTP_BAD_REQUEST: 'protocol',
  HTTP_BODY_TOO_LARGE: 'limit',
  HTTP_QUERY_TOO_LARGE: 'limit',
  HTTP_UNSUPPORTED_MEDIA_TYPE: 'unsupported',
  HLS_WAITERS_FULL: 'limit',
  HLS_WAITERS_PER_IP: 'limit',
  FLV_WAITERS_FULL: 'limit',
  FLV_WAITERS_PER_IP: 'limit',
  // HTTP routing and the web console (servers/http/app.ts, servers/api/console-route.ts)
  NOT_FOUND: 'not-found',
  CONSOLE_NOT_BUILT: 'not-found',
  // Domains, signed URLs, stream control (Tencent break codes in docs/errors.md)
  HOST_BARE_IP: 'auth',
  DOMAIN_UNKNOWN: 'auth',
  DOMAIN_DISABLED: 'auth',
  STREAM_FORBIDDEN: 'auth',
  STREAM_NAME_INVALID: 'input',
  APP_NAME_INVALID: 'input',
  TXTIME_MISSING: 'auth',
  TXTIME_INVALID: 'auth',
  TXTIME_EXPIRED: 'auth',
  TXSECRET_MISSING: 'auth',
  SIGNATURE_INVALID: 'auth',
  DOMAIN_NAME_INVALID: 'input',
  DOMAIN_EXISTS: 'conflict',
  DOMAIN_NOT_FOUND: 'not-found',
  DOMAIN_TYPE_MISMATCH: 'input',
  AUTH_KEY_INVALID: 'input',
  FORBID_INVALID: 'input',
  STREAM_NOT_LIVE: 'not-found',
  CNAME_LOOKUP_FAILED: 'timeout',
  STORE_SCHEMA_NEWER: 'internal',
  CREDENTIAL_NOT_FOUND: 'not-found',
  CREDENTIAL_UNREADABLE: 'internal',
  STORE_FAILED: 'internal',
  // Store: records, locks, the data folder (docs/security.md "Records and the store")
  STORE_BUSY: 'limit',
  DATA_DIR_NOT_FOUND: 'not-found',
  // Store: PostgreSQL (docs/cluster.md "PostgreSQL")
  STORE_UNAVAILABLE: 'limit',
  // Event callbacks (control/callbacks)
  CALLBACK_TEMPLATE_INVALID: 'input',
  CALLBACK_URL_INVALID: 'input',
  CALLBACK_TEMPLATE_NOT_FOUND: 'not-found',
  CALLBACK_TEMPLATE_IN_USE: 'conflict',
  CALLBACK_TEMPLATE_LIMIT: 'limit',
  CALLBACK_RULE_NOT_FOUND: 'not-found',
  // WS-FLV playback (servers/http/ws-flv-*.ts)
  WS_FLV_BAD_HANDSHAKE: 'input',
  WS_FLV_BAD_FRAME: 'input',
  WS_FLV_FRAME_TOO_LARGE: 'limit',
  // Cloud API fidelity (issue 15): a second rule for one domain/AppName
  CALLBACK_RULE_EXISTS: 'conflict',
  CALLBACK_QUEUE_FULL: 'limit',
  // Cloud API domain actions (issue 15): referer lists, play domains, ownership (control/referer-check.ts, control/txt-check.ts)
  REFERER_DENIED: 'auth',
  REFERER_RULES_INVALID: 'input',
  TXT_LOOKUP_FAILED: 'timeout',
  // Admin API: TC3 replay, rate limits, body size (servers/api, docs/security.md)
  API_SIGNATURE_REPLAYED: 'auth',
  API_REPLAY_CACHE_FULL: 'limit',
  API_AUTH_FAILED: 'auth',
  API_RATE_LIMITED: 'limit',
  API_ADDRESS_RATE_LIMITED: 'limit',
  API_BODY_TOO_LARGE: 'limit',
  // Cluster: the Coordinator (src/cluster, docs/cluster.md "Coordinator")
  COORDINATOR_UNAVAILABLE: 'internal',
  COORDINATOR_LEASE_LOST: 'internal',
  // Cluster operations: shared counters, dead nodes (docs/cluster.md "Operations")
  COORDINATOR_COUNTERS_UNAVAILABLE: 'internal',
  // Push relays: forwarding to other RTMP(S) servers (servers/relay, docs/cluster.md "Push relays")
  FORWARD_REFUSED: 'auth',
  FORWARD_UNREACHABLE: 'timeout',
  FORWARD_DISCONNECTED: 'state',
  FORWARD_QUEUE_OVERFLOW: 'limit',
  // Origin/edge relays: pulls from the node holding a stream (servers/relay/edge-*, docs/cluster.md "Origin/edge relays")
  RELAY_TOKEN_INVALID: 'auth',
  RELAY_TOO_DEEP: 'limit',
  RELAY_NO_SECRET: 'input',
  EDGE_PULLS_FULL: 'limit',
  EDGE_PULL_UNREACHABLE: 'timeout',
  EDGE_PULL_REFUSED: 'auth',
  EDGE_PULL_ENDED: 'state',
  // Recording: the record tap, its queue and its files (servers/record, docs/recording.md)
  RECORD_QUEUE_FULL: 'limit',
  RECORD_DISK_FULL: 'limit',
  RECORD_WRITE_FAILED: 'internal',
  RECORD_CUT: 'internal',
  RECORD_FILE_NOT_FOUND: 'not-found',
  // Recording: S3-compatible storage (servers/record/storage, docs/recording.md "S3")
  RECORD_UPLOAD_FAILED: 'internal',
  // Snapshots: the ffmpeg decoder and the pictures (servers/snapshot, docs/recording.md "Snapshots")
  SNAPSHOT_BUSY: 'limit',
  SNAPSHOT_TIMEOUT: 'timeout',
  SNAPSHOT_DECODE_FAILED: 'internal',
  SNAPSHOT_TOO_LARGE: 'limit',
  SNAPSHOT_WRITE_FAILED: 'internal',
  SNAPSHOT_FILE_NOT_FOUND: 'not-found',
  // Configuration
  CONFIG_INVALID: 'input',
  // TLS listeners: RTMPS, HTTPS, admin TLS (docs/tls.md)
  TLS_HANDSHAKE_TIMEOUT: 'timeout',
  TLS_HANDSHAKE_FAILED: 'protocol',
  TLS_CERT_INVALID: 'input',
  TLS_CERT_RELOAD_FAILED: 'input',
  TLS_CERT_EXPIRES_SOON: 'input',
  // Graceful drain (servers/drain, docs/cluster.md "Drain")
  SERVER_DRAINING: 'state',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** The base error of openlive: a stable code, a human message and an optional cause. */
export class LiveError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  /** The kind that decides how an edge (HTTP, RTMP) reports this error. */
  get kind(): ErrorKind {
    return errorCodes[this.code];
  }
}

/** The peer sent invalid bytes; decoders throw only this (rtmp-rs's InvalidData). */
export class ProtocolError extends LiveError {}

/** HTTP status for each kind, mapped in this one place. */
export const httpStatusOfKind: Record<ErrorKind, number> = {
  protocol: 400,
  state: 409,
  input: 400,
  auth: 403,
  'not-found': 404,
  conflict: 409,
  limit: 429,
  timeout: 504,
  unsupported: 415,
  internal: 500,
};

/** The HTTP status for any thrown value; unknown errors are internal. */
export function httpStatusOf(err: unknown): number {
  return err instanceof LiveError ? httpStatusOfKind[err.kind] : 500;
}

/** Wraps any thrown value as a LiveError so edges can report a stable code. */
export function toLiveError(err: unknown): LiveError {
  if (err instanceof LiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LiveError('INTERNAL', message, { cause: err });
}
