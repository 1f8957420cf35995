/**
 * Checklist step 2 for `srt://` URLs (tencent-css.md §6, "the network"): does an SRT listener answer
 * on the URL's UDP port, by a real handshake (induction, then the conclusion with the stream id), and
 * where does openlive listen for SRT. A refusal is named with libsrt's reason and what it means.
 */
import { RejectReason } from '../../protocol/srt/srt-reject.ts';
import { srtProbeReason } from '../srt-stream-id.ts';
import { check, type DoctorCheck } from './doctor-check.ts';
import type { ListenAddress } from './port-check.ts';
import type { SrtProbeResult } from './push-probe.ts';

/** libsrt's names (srt.h SRT_REJ_*, access-control SRT_REJX_*) and what each tells the one pushing. */
const meanings: Readonly<Record<number, readonly [string, string]>> = {
  [RejectReason.unknown]: ['SRT_REJ_UNKNOWN', 'no reason given'],
  [RejectReason.system]: ['SRT_REJ_SYSTEM', 'the server failed to set up the connection'],
  [RejectReason.peer]: ['SRT_REJ_PEER', 'the server refused without saying why'],
  [RejectReason.resource]: ['SRT_REJ_RESOURCE', 'the server ran out of resources'],
  [RejectReason.rogue]: ['SRT_REJ_ROGUE', 'the handshake was malformed'],
  [RejectReason.backlog]: ['SRT_REJ_BACKLOG', "the server's listen backlog is full"],
  [RejectReason.ipe]: ['SRT_REJ_IPE', 'internal error in the server'],
  [RejectReason.close]: ['SRT_REJ_CLOSE', 'the server is closing'],
  [RejectReason.version]: ['SRT_REJ_VERSION', 'the SRT versions do not match (HSv5 is needed)'],
  [RejectReason.rdvCookie]: ['SRT_REJ_RDVCOOKIE', 'the handshake cookie was wrong'],
  [RejectReason.badSecret]: ['SRT_REJ_BADSECRET', 'the passphrase is wrong'],
  [RejectReason.unsecure]: ['SRT_REJ_UNSECURE', 'one side encrypts and the other does not'],
  [RejectReason.messageApi]: ['SRT_REJ_MESSAGEAPI', 'stream (file) mode; live mode is needed'],
  [RejectReason.congestion]: ['SRT_REJ_CONGESTION', 'a congestion control other than live'],
  [RejectReason.filter]: ['SRT_REJ_FILTER', 'a packet filter the server does not support'],
  [RejectReason.group]: ['SRT_REJ_GROUP', 'socket groups are not supported'],
  [RejectReason.timeout]: ['SRT_REJ_TIMEOUT', 'the server timed out'],
  [RejectReason.crypto]: ['SRT_REJ_CRYPTO', 'the encryption settings do not match'],
  [RejectReason.badRequest]: ['SRT_REJX_BAD_REQUEST', 'the stream id is not understood'],
  [RejectReason.unauthorized]: [
    'SRT_REJX_UNAUTHORIZED',
    'the signature (txSecret/txTime) is missing, wrong or expired',
  ],
  [RejectReason.overload]: ['SRT_REJX_OVERLOAD', 'the server is at a connection limit'],
  [RejectReason.forbidden]: ['SRT_REJX_FORBIDDEN', 'the stream is forbidden'],
  [RejectReason.notFound]: ['SRT_REJX_NOTFOUND', 'the push domain (h=) is unknown or disabled'],
  [RejectReason.badMode]: ['SRT_REJX_BAD_MODE', 'the mode (m=) is not supported'],
  [RejectReason.unacceptable]: ['SRT_REJX_UNACCEPTABLE', 'the stream id is not acceptable'],
  [RejectReason.conflict]: ['SRT_REJX_CONFLICT', 'the stream is already being published'],
  [RejectReason.internal]: ['SRT_REJX_ISE', 'internal error in the server'],
  [RejectReason.unimplemented]: ['SRT_REJX_UNIMPLEMENTED', 'the server does not do this'],
  [RejectReason.down]: ['SRT_REJX_DOWN', 'the server is unavailable'],
};

/** `SRT_REJX_UNAUTHORIZED (1401): the signature ... is wrong`, for any reason a listener sends. */
export function srtRejection(reason: number): string {
  const known = meanings[reason];
  if (known) return `${known[0]} (${reason}): ${known[1]}`;
  return reason >= 2000 ? `an application reason (${reason})` : `reason ${reason}`;
}

/** Judges an SRT probe of `host:port` against openlive's SRT listen address (undefined: srt.enabled is false). */
export function srtPortCheck(
  host: string,
  port: number,
  probe: SrtProbeResult,
  listen: ListenAddress | undefined,
  passphrase = false,
): DoctorCheck {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const enable = 'set srt.enabled true (and srt.port) in the configuration and restart (docs/srt.md)';
  const listens = listen
    ? `openlive listens for SRT on UDP ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port === 0 ? '(a port picked at start)' : listen.port} (srt.host, srt.port)`
    : "openlive's SRT listener is off (srt.enabled)";
  const otherPort = listen !== undefined && listen.port !== 0 && listen.port !== port;
  const hint = otherPort ? ` (${listens}; the URL says port ${port})` : `; ${listens}`;
  const took = `induction ${probe.inductionMs} ms, conclusion ${probe.conclusionMs} ms`;
  if (probe.ok) {
    const answered = probe.connected
      ? `${where} answers SRT and accepted the stream id as a connection (${took}; the probe hung up at once): a listener other than openlive`
      : `${where} answers SRT (${took}) and took the stream id`;
    if (!listen)
      return check(
        'udp',
        'warn',
        `${answered}, but ${listens}: another server answered`,
        `if that is not intended, ${enable}`,
      );
    if (otherPort || probe.connected) {
      return check(
        'udp',
        'warn',
        `${answered}, but ${listens}: something else answered (a proxy or another server)`,
        `check that UDP port ${port} forwards to openlive's port ${listen.port}`,
      );
    }
    return check('udp', 'pass', `${answered}; ${listens}`);
  }
  if (probe.failedAt === 'resolve') {
    return check(
      'udp',
      'fail',
      `${host} does not resolve from here (${probe.error})${hint}`,
      "add the DNS record of the push domain (see CNAME), or use the server's address",
    );
  }
  if (probe.rejectReason !== undefined) {
    const reason = probe.rejectReason;
    const said = `${where} answers SRT but refused the handshake: ${srtRejection(reason)}${hint}`;
    if (reason === RejectReason.unsecure && passphrase)
      return check(
        'udp',
        'warn',
        `${said}; the URL sets a passphrase, which the doctor does not use, so it cannot check it`,
        'make sure the encoder and srt.passphrase (or srt.domainPassphrases) hold the same passphrase',
      );
    return check('udp', 'fail', said, fixFor(reason));
  }
  if (probe.failedAt === 'induction') {
    const silent = probe.error?.startsWith('timeout') === true;
    const fix = otherPort
      ? `use port ${listen.port} in the URL, or set srt.port ${port}`
      : !listen
        ? enable
        : `open UDP port ${port} in the firewall between here and the server (SRT is UDP, not TCP), or try another network`;
    const why = silent ? `UDP unreachable: no SRT answer (${probe.error})` : `UDP failed (${probe.error})`;
    return check('udp', 'fail', `cannot reach ${where}: ${why}${hint}`, fix);
  }
  return check(
    'udp',
    'fail',
    `${where} answered the SRT induction in ${probe.inductionMs} ms but not the conclusion (${probe.error})${hint}`,
    "a firewall passing only small datagrams, or an overloaded server: check the server's log and the path MTU",
  );
}

function fixFor(reason: number): string {
  switch (reason) {
    case RejectReason.badRequest:
    case RejectReason.unacceptable:
      return 'write the stream id as #!::h=domain,r=AppName/StreamName,txSecret=...,txTime=...';
    case RejectReason.unauthorized:
      return 'see the txTime and txSecret checks below';
    case RejectReason.overload:
      return 'the server is at srt.maxConnections or srt.maxConnectionsPerIp (or its handshake limits): retry later or raise them';
    case RejectReason.notFound:
      return 'see the push domain check above';
    case RejectReason.conflict:
      return 'see the stream in use check below';
    case RejectReason.forbidden:
      return 'see the stream forbidden check below';
    case RejectReason.badSecret:
    case RejectReason.unsecure:
    case RejectReason.crypto:
      return 'set the same passphrase on the encoder (ffmpeg ...&passphrase=...) as srt.passphrase or srt.domainPassphrases of the domain';
    case srtProbeReason:
      return '';
    default:
      return "check the server's log for the refusal";
  }
}
