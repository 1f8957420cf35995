/** The `srt.*` section: the SRT listener (docs/srt.md), its encryption and its limits (docs/security.md "SRT"). */
import { z } from 'zod';
import { bytes, flag, ms, port } from './values.ts';

/** libsrt takes a passphrase of 10 to 79 characters (SRTO_PASSPHRASE); '' means none. */
const srtPassphrase = z
  .string()
  .refine((s) => s === '' || (s.length >= 10 && s.length <= 79), 'an SRT passphrase has 10 to 79 characters');

/** The SRT listener: address, latency, passphrases and connection and buffer limits. */
export const srtSection = z
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
  .prefault({});
