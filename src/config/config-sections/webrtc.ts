/** The `webrtc` section: WHIP ingest and WHEP playback on the HTTP listener (docs/webrtc.md); off unless enabled. */
import { z } from 'zod';

const ms = z.coerce.number().int().min(0);
const flag = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);
const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

/** WHIP/WHEP: ICE ports, announced addresses, and the limits and timeouts of the sessions. */
export const webrtcSection = z
  .strictObject({
    /** Off by default: `/{app}/{stream}/whip` and `/whep` answer 404 WEBRTC_DISABLED until this is true. */
    enabled: flag.default(false),
    /**
     * One UDP port (`port`) for every session: the server is ICE-lite and demultiplexes by ICE ufrag
     * (docs/webrtc.md "Ports and NAT"). false = werift binds one port per session from `minPort..maxPort`.
     */
    singlePort: flag.default(true),
    /** The address the single UDP port binds. */
    host: z.string().min(1).default('0.0.0.0'),
    /** The single UDP port every session shares (the one firewall rule); 0 = a free port chosen at start. */
    port: z.coerce.number().int().min(0).max(65535).default(8189),
    /** ICE-TCP fallback with the single port: a passive TCP candidate on `tcpPort` beside the UDP one (docs/webrtc.md "TCP fallback"). */
    tcp: flag.default(true),
    /** The one TCP port every ICE-TCP connection uses; absent = the number of `port` (8189/tcp); 0 = a free port. */
    tcpPort: z.coerce.number().int().min(0).max(65535).optional(),
    /** ICE-TCP connections open at once, bound to a session or not; more are closed at once (WEBRTC_TCP_LIMIT). */
    tcpMaxConnections: z.coerce.number().int().min(1).default(1000),
    /** An ICE-TCP connection must present a verified STUN Binding request this soon after connecting (WEBRTC_TCP_TIMEOUT). */
    tcpBindTimeoutMs: z.coerce.number().int().min(100).default(5_000),
    /** Receive and send buffer of the single port's sockets (SO_RCVBUF/SO_SNDBUF; Linux caps it at net.core.rmem_max/wmem_max). */
    udpBufferBytes: z.coerce
      .number()
      .int()
      .min(65536)
      .default(4 * 1024 * 1024),
    /**
     * With `singlePort: false`, the UDP ports ICE binds, one per session: `minPort`..`maxPort`; both 0 =
     * any free port.
     */
    minPort: z.coerce.number().int().min(0).max(65535).default(0),
    maxPort: z.coerce.number().int().min(0).max(65535).default(0),
    /** Addresses announced as extra host candidates in every answer (the public address behind a 1:1 NAT). */
    publicIps: list.default([]),
    /** RTP payload bytes of a WHEP packet (H.264 is cut into FU-A fragments of this size; fits a 1280-byte IPv6 path). */
    mtu: z.coerce.number().int().min(200).max(1400).default(1200),
    /** A WHEP viewer whose queued video lags this far behind (the server cannot send to every viewer in time) skips to the next keyframe; 0 = only the hub's subscriber limits. */
    maxSendLagMs: ms.default(1_000),
    /** A WHIP publisher is asked for a keyframe (PLI) this often: browsers send one only when asked, and HLS cuts segments at keyframes; 0 = only on loss and new viewers. */
    keyframeIntervalMs: ms.default(2_000),
    // Limits: WebRTC sessions (docs/security.md "WebRTC")
    /** WHIP and WHEP sessions at once; more get 503 WEBRTC_SESSION_LIMIT. */
    maxSessions: z.coerce.number().int().min(1).default(500),
    /** Sessions one client address may hold, limits.trustedNetworks exempt; 0 = no cap (WEBRTC_SESSION_LIMIT). */
    maxSessionsPerIp: z.coerce.number().int().min(0).default(20),
    /** Largest SDP offer body (WEBRTC_SDP_INVALID, 413). */
    maxSdpBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(32 * 1024),
    /** Largest WHIP H.264 access unit; larger ones are dropped (RTP_FRAME_TOO_LARGE). */
    maxFrameBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
    /** A session not connected (ICE + DTLS) this long after its answer is ended (WEBRTC_ICE_TIMEOUT). */
    connectTimeoutMs: z.coerce.number().int().min(1000).default(15_000),
    /** ICE disconnected or failed this long ends the session (WEBRTC_ICE_TIMEOUT, break code 12/0). */
    disconnectTimeoutMs: ms.default(5_000),
    /** Remote addresses one session may be bound to on the single port (one per client candidate that checks); more are dropped (WEBRTC_MUX_ADDRESS_LIMIT). */
    maxAddressesPerSession: z.coerce.number().int().min(1).default(8),
    /** On the single port, a client that sends nothing (no STUN check, RTCP or RTP) this long is ended (WEBRTC_ICE_TIMEOUT, 12/0): an ICE-lite server sends no consent checks (RFC 7675) of its own. */
    silenceTimeoutMs: z.coerce.number().int().min(1000).default(15_000),
    /** A WHIP publisher that sends no RTP this long is ended (WEBRTC_ICE_TIMEOUT, 12/0); catches a tab closed without DELETE. */
    idleTimeoutMs: z.coerce.number().int().min(1000).default(10_000),
    // AAC → Opus for WHEP (docs/webrtc.md "Audio"): one ffmpeg child (snapshot.ffmpegPath) per stream with viewers
    /** Transcode RTMP/SRT AAC audio to Opus for WHEP viewers; false (or no ffmpeg) = WHEP plays AAC streams without audio. */
    transcodeAac: flag.default(true),
    /** Streams transcoded at once on this node; a WHEP viewer of one more gets video only (WEBRTC_TRANSCODE_LIMIT). */
    maxTranscodes: z.coerce.number().int().min(0).default(8),
    /** Opus bit rate of the transcoded audio, kb/s. */
    transcodeBitrateKbps: z.coerce.number().int().min(6).max(510).default(64),
    /** AAC bytes written to ffmpeg and not yet read past which frames are dropped (WEBRTC_TRANSCODE_BEHIND). */
    transcodeQueueBytes: z.coerce.number().int().min(4096).default(65_536),
    /** An ffmpeg asked to stop (SIGTERM) that is still running after this long is killed (SIGKILL). */
    transcodeKillTimeoutMs: z.coerce.number().int().min(100).default(2_000),
    /** First wait before restarting an ffmpeg that exited on its own (WEBRTC_TRANSCODE_FAILED); doubles up to transcodeRestartMaxMs. */
    transcodeRestartMs: z.coerce.number().int().min(100).default(1_000),
    /** Longest wait between restarts; a child that ran longer than this starts the backoff over. */
    transcodeRestartMaxMs: z.coerce.number().int().min(100).default(30_000),
  })
  .prefault({});
