/**
 * The TLS step for `rtmps://` URLs: did the handshake finish, and would an encoder that verifies
 * (OBS, the Tencent SDKs, ffmpeg with `-tls_verify 1`) accept the certificate: its validity dates
 * (expired fails, under 14 days warns), whether it names the URL's host, and whether a CA vouches
 * for it. Each finding names its fix; certificates reload without a restart (docs/tls.md).
 */
import { check, span, type DoctorCheck } from './doctor-check.ts';
import type { RtmpProbeResult } from './push-probe.ts';

/** A certificate expiring within this is a warning (the renewal should have run by now). */
export const tlsExpiryWarnMs = 14 * 24 * 3600_000;

const replace =
  'replace the files of tls.cert/tls.key (or the tls.certificates entry); openlive reloads them within tls.reloadIntervalMs or on SIGHUP, no restart';

/** Judges the TLS part of an RTMPS probe at `nowMs`. */
export function tlsCheck(host: string, port: number, probe: RtmpProbeResult, nowMs: number): DoctorCheck {
  const where = `${host}:${port}`;
  if (probe.failedAt === 'tls') {
    return check(
      'tls',
      'fail',
      `TLS handshake with ${where} failed: ${probe.error}`,
      `the port does not speak TLS: use rtmp:// for the plain RTMP port, or enable rtmps.enabled and use rtmps:// with rtmps.port`,
    );
  }
  const peer = probe.tls;
  if (!peer)
    return check(
      'tls',
      'fail',
      `no TLS session with ${where} (${probe.failedAt ?? 'tcp'}: ${probe.error ?? 'unknown'})`,
      'fix the port check first',
    );
  const cert = `certificate "${peer.subject}" for ${peer.names.join(', ') || '(no names)'}, issued by "${peer.issuer}"`;
  const until = new Date(peer.notAfter).toISOString();
  if (peer.notAfter <= nowMs) {
    return check(
      'tls',
      'fail',
      `${peer.protocol}; the ${cert} expired ${span(nowMs - peer.notAfter)} ago (${until}): encoders refuse it`,
      `renew the certificate and ${replace}`,
    );
  }
  if (peer.notBefore > nowMs) {
    return check(
      'tls',
      'fail',
      `${peer.protocol}; the ${cert} is not valid before ${new Date(peer.notBefore).toISOString()}`,
      "check this machine's and the server's clock, or reissue the certificate",
    );
  }
  if (!peer.nameMatches) {
    return check(
      'tls',
      'fail',
      `${peer.protocol}; the ${cert} does not cover ${host}: encoders that verify refuse it`,
      `get a certificate whose subjectAltName includes ${host} and add it to tls.certificates with domains [${host}] (SNI picks it), or push to a name the certificate covers`,
    );
  }
  if (peer.notAfter - nowMs < tlsExpiryWarnMs) {
    return check(
      'tls',
      'warn',
      `${peer.protocol}; the ${cert} expires in ${span(peer.notAfter - nowMs)} (${until})`,
      `renew it now and ${replace}`,
    );
  }
  if (!peer.trusted) {
    return check(
      'tls',
      'warn',
      `${peer.protocol}; the ${cert} is not signed by a CA this machine trusts (${peer.trustError ?? 'unknown'}); valid until ${until}`,
      "use a certificate from a public CA (Let's Encrypt), or install your CA on the encoders (ffmpeg: -tls_verify 0 skips the check)",
    );
  }
  return check(
    'tls',
    'pass',
    `${peer.protocol} in ${probe.tlsMs} ms; the ${cert} is trusted, covers ${host} and is valid until ${until}`,
  );
}
