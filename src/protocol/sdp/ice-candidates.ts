/**
 * The ICE lines of an SDP (RFC 8839) the single-port mux rewrites: the credentials it keys sessions by,
 * the offer's candidates it strips (an ICE-lite server never sends checks, and werift would otherwise
 * resolve mDNS `.local` names with a socket of its own), and the answer's candidates it replaces with the
 * one public address and port every session shares.
 */

/** `a=ice-ufrag` and `a=ice-pwd` of an SDP (the first of each: BUNDLE gives every section the same). */
export function iceCredentials(sdp: string): { ufrag: string; pwd: string } | undefined {
  const ufrag = /^a=ice-ufrag:(\S+)\s*$/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)\s*$/m.exec(sdp)?.[1];
  return ufrag && pwd ? { ufrag, pwd } : undefined;
}

/** The SDP without its `a=candidate` and `a=end-of-candidates` lines. */
export function withoutCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('a=candidate:') && !l.startsWith('a=end-of-candidates'))
    .join('\r\n');
}

/** One announced address: a UDP host candidate at `ip:port`. */
export interface HostAddress {
  readonly ip: string;
  readonly port: number;
}

/**
 * The candidate lines of the shared ports: one UDP host candidate per address (RFC 8445 §5.1.2.1 host
 * priority, descending local preference in list order), then, with `tcpPort`, one passive ICE-TCP host
 * candidate per address (RFC 6544 §4.5) with a lower type preference, so a client tries UDP first.
 */
export function hostCandidateLines(addresses: readonly HostAddress[], tcpPort?: number): string[] {
  const udp = addresses.map(
    (a, i) => `a=candidate:${i + 1} 1 udp ${(126 << 24) + ((65535 - i) << 8) + 255} ${a.ip} ${a.port} typ host`,
  );
  // RFC 6544 §4.2: local preference = 2^13 × direction preference (passive: 4) + other preference.
  const tcp =
    tcpPort === undefined
      ? []
      : addresses.map(
          (a, i) =>
            `a=candidate:${addresses.length + i + 1} 1 tcp ${(90 << 24) + (((4 << 13) + 8191 - i) << 8) + 255} ${a.ip} ${tcpPort} typ host tcptype passive`,
        );
  return [...udp, ...tcp];
}

/**
 * The answer with its candidates replaced by `hostCandidateLines`, each media section's `m=` port and
 * `c=` line (but a rejected one's 0) pointing at the first UDP one (RFC 8839 §4.2.1.1 default candidate),
 * and `a=end-of-candidates` (non-trickle).
 */
export function withHostCandidates(sdp: string, addresses: readonly HostAddress[], tcpPort?: number): string {
  const first = addresses[0];
  if (!first) return sdp;
  const family = first.ip.includes(':') ? 'IP6' : 'IP4';
  const candidates = hostCandidateLines(addresses, tcpPort);
  const out: string[] = [];
  let inMedia = false;
  const closeSection = () => {
    if (inMedia) out.push(...candidates, 'a=end-of-candidates');
  };
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) {
      closeSection();
      inMedia = true;
      // Port 0 is a rejected section (RFC 8843 §7.3.3): it keeps 0.
      out.push(line.replace(/^(m=\S+ )([1-9]\d*)/, `$1${first.port}`));
      continue;
    }
    if (line.startsWith('a=candidate:') || line.startsWith('a=end-of-candidates')) continue;
    if (inMedia && line.startsWith('c=IN ')) {
      out.push(`c=IN ${family} ${first.ip}`);
      continue;
    }
    out.push(line);
  }
  closeSection();
  return out.join('\r\n') + '\r\n';
}
