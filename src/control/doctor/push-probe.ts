/**
 * The doctor's windows on the network, as interfaces: control/ does no I/O (design.md "Layers"), so the
 * probes that open sockets (servers/rtmp/rtmp-probe.ts, servers/srt/srt-probe.ts) and the DNS resolver
 * (servers/dns/node-dns-resolver.ts) are built by whoever builds the doctor (the CLI's `doctor`, the Cloud
 * API action) and passed in; tests pass stubs.
 */
import type { DnsResolver as FullDnsResolver } from '../dns-resolver.ts';

/** Where a probe stopped: the name did not resolve, TCP failed, TLS failed, the peer is not RTMP, or connect was refused. */
export type ProbeStage = 'resolve' | 'tcp' | 'tls' | 'handshake' | 'connect';

/** What the TLS handshake of an `rtmps://` probe showed. */
export interface TlsPeer {
  /** `TLSv1.3`, `TLSv1.2`. */
  readonly protocol: string;
  /** The chain verifies against the system's CAs (and NODE_EXTRA_CA_CERTS). */
  readonly trusted: boolean;
  /** OpenSSL's reason when not trusted (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`). */
  readonly trustError?: string;
  readonly subject: string;
  readonly issuer: string;
  /** subjectAltName DNS/IP entries, else the CN. */
  readonly names: readonly string[];
  /** The certificate covers the URL's host (RFC 6125 name matching, IP entries for addresses). */
  readonly nameMatches: boolean;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The outcome of one probe; times are milliseconds since the previous stage ended. */
export interface RtmpProbeResult {
  readonly ok: boolean;
  readonly failedAt?: ProbeStage;
  /** The socket error code (`ECONNREFUSED`), `timeout`, or the server's connect description. */
  readonly error?: string;
  /** The address TCP connected to. */
  readonly address?: string;
  readonly tcpMs?: number;
  /** `rtmps://` only: the TLS handshake's time and what it showed. */
  readonly tlsMs?: number;
  readonly tls?: TlsPeer;
  readonly handshakeMs?: number;
  readonly connectMs?: number;
}

/** Probes `host:port` with a connect to `app`; `tls` for an `rtmps://` URL. */
export type ProbeRtmp = (
  host: string,
  port: number,
  app: string,
  options?: { readonly tls?: boolean },
) => Promise<RtmpProbeResult>;

/** Where an SRT probe stopped: the name did not resolve, no induction answer (UDP), or the conclusion failed. */
export type SrtProbeStage = 'resolve' | 'induction' | 'conclusion';

/** The outcome of one SRT probe (induction, then a conclusion with the stream id); times in ms per stage. */
export interface SrtProbeResult {
  /** The listener answered both handshake stages and did not refuse the stream id. */
  readonly ok: boolean;
  readonly failedAt?: SrtProbeStage;
  /** The socket error code (`ENOTFOUND`), `timeout: ...`, or what went wrong. */
  readonly error?: string;
  /** The address the datagrams went to. */
  readonly address?: string;
  readonly inductionMs?: number;
  readonly conclusionMs?: number;
  /**
   * The reason the listener answered the conclusion with (SRT_REJ_*, SRT_REJX_*); openlive answers a probe
   * it would let through with srtProbeReason (control/srt-stream-id.ts), so nothing is published.
   */
  readonly rejectReason?: number;
  /** A listener that is not openlive took the conclusion as a real connection; the probe shut it at once. */
  readonly connected?: boolean;
}

/** Probes an SRT listener at `host:port` with `streamId` (marked as a probe). */
export type ProbeSrt = (host: string, port: number, streamId: string) => Promise<SrtProbeResult>;

/** The DNS questions the doctor asks: a part of the domain checks' resolver (control/dns-resolver.ts), so one object serves both. */
export type DnsResolver = Pick<FullDnsResolver, 'resolveCname' | 'resolve4' | 'resolve6'>;

/** A and AAAA addresses of `host` through `resolver`, none on any error. */
export async function addressesOf(resolver: DnsResolver, host: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([
    resolver.resolve4?.(host).catch(() => []) ?? [],
    resolver.resolve6?.(host).catch(() => []) ?? [],
  ]);
  return [...v4, ...v6];
}
