/** The TLS sections `tls.*`, `rtmps.*` and `https.*`: certificates and the TLS listeners (docs/tls.md). */
import { z } from 'zod';
import { flag, jsonArray, ms, port } from './values.ts';

/** Certificates of every TLS listener, SNI entries, handshake timeout, reload and minimum version. */
export const tlsSection = z
  .strictObject({
    /** The default certificate chain (PEM), served to clients without SNI (an IP address) and names no entry matches. */
    cert: z.string().default(''),
    /** Its private key (PEM, unencrypted). */
    key: z.string().default(''),
    /** More certificates picked by SNI: `[{ domains: ['live.example.com', '*.example.com'], cert, key }]`; a JSON array in env and flags. */
    certificates: jsonArray(
      z.strictObject({
        domains: z.array(z.string().min(1)).min(1),
        cert: z.string().min(1),
        key: z.string().min(1),
      }),
    ).default([]),
    /** A TLS handshake not finished within this closes the socket (TLS_HANDSHAKE_TIMEOUT). */
    handshakeTimeoutMs: z.coerce.number().int().min(100).default(10_000),
    /** How often the PEM files' size and mtime are compared to reload changed ones; 0 = only on SIGHUP. */
    reloadIntervalMs: ms.default(5_000),
    /** Oldest TLS version accepted. */
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  })
  .prefault({});

/** The RTMPS listener: RTMP behind TLS. */
export const rtmpsSection = z
  .strictObject({
    enabled: flag.default(false),
    host: z.string().default('0.0.0.0'),
    port: port.default(1936),
  })
  .prefault({});

/** The HTTPS playback listener: the same app as `http.*` behind TLS. */
export const httpsSection = z
  .strictObject({
    enabled: flag.default(false),
    host: z.string().default('0.0.0.0'),
    port: port.default(8443),
  })
  .prefault({});
