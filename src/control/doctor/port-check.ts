/**
 * Checklist step 2 (tencent-css.md §6: "RTMP uses port 1935; try another network if a firewall
 * blocks it"): can the doctor reach the URL's port and speak RTMP there, and where does openlive
 * itself listen.
 */
import { check, type DoctorCheck } from './doctor-check.ts';
import type { RtmpProbeResult } from './push-probe.ts';

/** Where the server listens, from its configuration (`rtmp.host`, `rtmp.port`; port 0 = picked at start). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const loopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host.startsWith('127.') || host.endsWith('.localhost');

/** Judges a probe of `host:port` against the listen address. */
export function portCheck(
  host: string,
  port: number,
  probe: RtmpProbeResult,
  listen: ListenAddress | undefined,
  secure = false,
): DoctorCheck {
  if (listen === undefined) return rtmpsOffCheck(`${host}:${port}`, probe);
  const keys = secure ? 'rtmps.host, rtmps.port' : 'rtmp.host, rtmp.port';
  const listens = `openlive listens${secure ? ' for RTMPS' : ''} on ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port === 0 ? '(a port picked at start)' : listen.port} (${keys})`;
  const otherPort = listen.port !== 0 && listen.port !== port;
  const where = `${host}:${port}`;
  if (probe.ok) {
    const took = `TCP connect ${probe.tcpMs} ms${probe.address && probe.address !== host ? ` to ${probe.address}` : ''}, RTMP handshake ${probe.handshakeMs} ms, connect ${probe.connectMs} ms`;
    if (otherPort) {
      return check(
        'port',
        'warn',
        `${where} answers RTMP (${took}), but ${listens}: something else answered (a proxy or another server)`,
        `check that port ${port} forwards to openlive's port ${listen.port}`,
      );
    }
    if ((listen.host === '127.0.0.1' || listen.host === '::1') && !loopback(host)) {
      return check(
        'port',
        'warn',
        `${where} answers RTMP (${took}), but ${listens}: encoders on other machines cannot connect`,
        'set rtmp.host to 0.0.0.0 to accept encoders from the network',
      );
    }
    return check('port', 'pass', `${where} answers RTMP (${took}); ${listens}`);
  }
  const hint = otherPort ? ` (${listens}; the URL says port ${port})` : `; ${listens}`;
  switch (probe.failedAt) {
    case 'tls':
      // The TLS check below says what went wrong with the handshake.
      return check(
        'port',
        'pass',
        `${where} accepts TCP (${probe.tcpMs} ms); the TLS handshake failed (see "TLS certificate")${hint}`,
      );
    case 'resolve':
      return check(
        'port',
        'fail',
        `${host} does not resolve from here (${probe.error})${hint}`,
        "add the DNS record of the push domain (see CNAME), or use the server's address",
      );
    case 'handshake':
      return check(
        'port',
        'fail',
        `${where} accepts TCP in ${probe.tcpMs} ms but does not speak RTMP: ${probe.error}${hint}`,
        `point the URL at openlive's RTMP port; something else listens on ${port}`,
      );
    case 'connect':
      return check(
        'port',
        'fail',
        `${where} speaks RTMP but refused connect: ${probe.error}${hint}`,
        "check the AppName and the server's log",
      );
    default: {
      const refused = probe.error === 'ECONNREFUSED';
      const fix = otherPort
        ? `use port ${listen.port} in the URL, or set rtmp.port ${port}`
        : refused
          ? 'start openlive (openlive start), or open the port on this host'
          : `open TCP port ${port} in the firewall between here and the server, or try another network (e.g. 4G)`;
      const why = refused
        ? 'nothing listens there (connection refused)'
        : probe.error?.startsWith('timeout')
          ? `no answer (${probe.error}): a firewall drops it`
          : `TCP failed (${probe.error})`;
      return check('port', 'fail', `cannot connect to ${where}: ${why}${hint}`, fix);
    }
  }
}

/** An rtmps:// URL while openlive's RTMPS listener is off: only a TLS proxy in front can answer it. */
function rtmpsOffCheck(where: string, probe: RtmpProbeResult): DoctorCheck {
  const fix = 'set rtmps.enabled true with tls.cert and tls.key (docs/tls.md), or push to rtmp:// on rtmp.port';
  if (probe.ok) {
    return check(
      'port',
      'warn',
      `${where} answers RTMPS, but openlive's own RTMPS listener is off (rtmps.enabled): a TLS proxy in front?`,
      `if there is no proxy, ${fix}`,
    );
  }
  return check(
    'port',
    'fail',
    `${where} does not answer RTMPS (${probe.failedAt ?? 'tcp'}: ${probe.error ?? 'unknown'}), and openlive's RTMPS listener is off (rtmps.enabled)`,
    fix,
  );
}
