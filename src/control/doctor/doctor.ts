/**
 * The publishing-failure troubleshooter: takes a push URL and walks Tencent's checklist in its order
 * (tencent-css.md §6: domain and CNAME, network, txTime, txSecret, stream in use or forbidden), then
 * lists the stream's last rejected attempts. The checks explain; whether the push would be accepted
 * is not theirs to say: the last line is the admission path's own answer, asked as a dry run
 * (control/admission-dry-run.ts), so the doctor and a real publish cannot disagree. Everything it touches
 * is injected (the probes and the DNS resolver of push-probe.ts are built in servers/ by the CLI and the
 * Cloud API), so both share the checks and tests need no network. `srt://` URLs get the same checks, with
 * an SRT handshake instead of the RTMP one.
 */
import { AccessPolicy } from '../access-policy.ts';
import { dryRunPublish, type PublishVerdict } from '../admission-dry-run.ts';
import type { AdmissionRequest } from '../admission-request.ts';
import { maxPageSize, type RejectedAttempt, type Store } from '../../store/store.ts';
import { checkCname, checkDomain, type DomainLookup } from './domain-checks.ts';
import { check, type DoctorCheck } from './doctor-check.ts';
import { portCheck, type ListenAddress } from './port-check.ts';
import { parsePushUrl, type PushTarget } from './push-target.ts';
import { addressesOf, type DnsResolver, type ProbeRtmp, type ProbeSrt, type SrtProbeResult } from './push-probe.ts';
import { srtPortCheck } from './srt-port-check.ts';
import { forbiddenCheck, liveCheck, type PublisherLookup } from './stream-checks.ts';
import { txSecretCheck } from './txsecret-check.ts';
import { txTimeCheck } from './txtime-check.ts';
import { tlsCheck } from './tls-check.ts';

/** What the doctor reads and asks. */
export interface DoctorDeps {
  readonly store: Store;
  /** Usually control/domains.ts's Domains, configured with the DNS servers of `domains.dnsServers`. */
  readonly domains: DomainLookup;
  /** `domains.strict`: bare IPs and unknown hosts are refused instead of served by the default domain. */
  readonly strict: boolean;
  readonly listen: ListenAddress;
  /** Where RTMPS listens (`rtmps.host`, `rtmps.port`); absent when rtmps is off. */
  readonly listenTls?: ListenAddress;
  /** Where SRT listens (`srt.host`, `srt.port`); absent when srt is off. */
  readonly listenSrt?: ListenAddress;
  readonly probeRtmp: ProbeRtmp;
  /** The SRT handshake probe; without it an srt:// URL's network check fails as "not probed". */
  readonly probeSrt?: ProbeSrt;
  readonly publisher: PublisherLookup;
  /** A/AAAA addresses of a name without a CNAME (optional: without it, a missing CNAME is a failure). */
  readonly resolver?: DnsResolver;
  readonly now: () => number;
  /**
   * The admission path's dry run (Admission.dryRunPublish inside the server). Without it the doctor asks
   * the same dry run over the store's access policy and `publisher` as the claim view (the CLI).
   */
  readonly verdict?: (req: AdmissionRequest) => Promise<PublishVerdict>;
}

/** What a real publish of the URL would hear now: accepted, or the refusal with its codes and sentence. */
export type DoctorVerdict =
  | { readonly accepted: true; readonly domain: string; readonly replaces: boolean }
  | { readonly accepted: false; readonly code: string; readonly breakCode: string; readonly reason: string };

/** A rejected publish of the stream, as the report shows it (the query is left out: it was masked anyway). */
export interface DoctorAttempt {
  readonly at: number;
  readonly clientIp: string;
  readonly host: string;
  readonly domain: string;
  readonly breakCode: string;
  readonly code: string;
  readonly reason: string;
}

/** The troubleshooter's answer. */
export interface DoctorReport {
  /** The URL with txSecret masked. */
  readonly url: string;
  readonly host?: string;
  readonly port?: number;
  readonly app?: string;
  readonly stream?: string;
  /** The push domain that serves the URL, when one does. */
  readonly domain?: string;
  readonly checks: DoctorCheck[];
  /** The admission path's answer for this URL (absent when the URL could not be parsed). */
  readonly verdict?: DoctorVerdict;
  /** Newest first. */
  readonly rejectedAttempts: DoctorAttempt[];
  /** No check failed. */
  readonly ok: boolean;
  readonly checkedAt: number;
}

/** How many rejected attempts the report lists. */
export const reportedAttempts = 10;

/** Runs every check on `url`; never throws for a bad URL (the URL check says what is wrong). */
export async function diagnosePushUrl(url: string, deps: DoctorDeps): Promise<DoctorReport> {
  const nowMs = deps.now();
  const parsed = parsePushUrl(url);
  if (!parsed.target)
    return {
      url: url.replace(/txSecret=[^&]*/g, 'txSecret=***'),
      checks: [parsed.check],
      rejectedAttempts: [],
      ok: false,
      checkedAt: nowMs,
    };
  const t = parsed.target;
  const found = await checkDomain(t.host, deps.domains, deps.strict);
  const resolver = deps.resolver;
  const domain = found.domain;
  // The slow parts (DNS, the probe, the publisher lookup) run at once; the report keeps the checklist order.
  const request: AdmissionRequest = {
    protocol: t.scheme === 'srt' ? 'srt' : 'rtmp',
    host: t.host,
    app: t.app,
    stream: t.stream,
    query: t.query,
    clientIp: '',
  };
  const [cname, probe, publisher, forbidden, attempts, others, verdict] = await Promise.all([
    checkCname(t.host, found, deps.domains, resolver && ((host) => addressesOf(resolver, host))),
    probeOf(t, deps),
    deps.publisher(t.app, t.stream),
    forbiddenCheck(deps.store, t.app, t.stream, domain, nowMs),
    deps.store.listRejectedAttempts({ app: t.app, stream: t.stream, action: 'publish', limit: reportedAttempts }),
    deps.store.listDomains({ limit: maxPageSize }),
    (deps.verdict ?? defaultVerdict(deps))(request),
  ]);
  // The URL generator's command line (Address Generator in the console); the default domain needs no --domain.
  const sign = `openlive url${found.named && domain ? ` --domain ${domain.name}` : ''}${t.app === 'live' ? '' : ` --app ${t.app}`} --stream ${t.stream} --expires 24h`;
  const checks: DoctorCheck[] = [
    parsed.check,
    found.check,
    cname,
    probe.kind === 'srt'
      ? srtPortCheck(t.connectHost, t.port, probe.result, deps.listenSrt, t.passphrase)
      : portCheck(t.host, t.port, probe.result, t.secure ? deps.listenTls : deps.listen, t.secure),
    ...(t.secure && probe.kind === 'rtmp' ? [tlsCheck(t.host, t.port, probe.result, nowMs)] : []),
    txTimeCheck(t.txTime, domain, nowMs, sign),
    txSecretCheck(t, domain, others.items, sign),
    liveCheck(t.app, t.stream, publisher, domain, nowMs),
    forbidden,
    admissionCheck(verdict),
  ];
  return {
    url: t.url,
    host: t.connectHost,
    port: t.port,
    app: t.app,
    stream: t.stream,
    ...(domain && { domain: domain.name }),
    checks,
    verdict: verdictOf(verdict),
    rejectedAttempts: attempts.items.map(attemptOf),
    ok: checks.every((c) => c.status !== 'fail'),
    checkedAt: nowMs,
  };
}

/** The network probe of the URL's scheme. */
async function probeOf(t: PushTarget, deps: DoctorDeps) {
  if (t.scheme !== 'srt') {
    const result = await deps.probeRtmp(t.host, t.port, t.app, t.secure ? { tls: true } : undefined);
    return { kind: 'rtmp' as const, result };
  }
  const result: SrtProbeResult = deps.probeSrt
    ? await deps.probeSrt(t.connectHost, t.port, t.streamId ?? '')
    : { ok: false, failedAt: 'induction', error: 'this doctor has no SRT probe' };
  return { kind: 'srt' as const, result };
}

function attemptOf(a: RejectedAttempt): DoctorAttempt {
  return {
    at: a.at,
    clientIp: a.clientIp,
    host: a.host,
    domain: a.domain,
    breakCode: a.breakCode,
    code: a.code,
    reason: a.reason,
  };
}

/** The dry run outside the server: the store's access policy (records nothing) and the publisher lookup as the claim. */
function defaultVerdict(deps: DoctorDeps): (req: AdmissionRequest) => Promise<PublishVerdict> {
  const access = new AccessPolicy({ store: deps.store, now: deps.now, strict: deps.strict });
  const claims = {
    isHeld: async (t: { app: string; stream: string }) => (await deps.publisher(t.app, t.stream)).state === 'live',
  };
  return (req) => dryRunPublish({ access, claims }, req);
}

function verdictOf(v: PublishVerdict): DoctorVerdict {
  return v.kind === 'admitted'
    ? { accepted: true, domain: v.domain, replaces: v.replaces }
    : { accepted: false, code: v.refusal.code, breakCode: v.refusal.breakCode, reason: v.refusal.reason };
}

/** The last line: what the server's admission answers a publish of this URL now. */
function admissionCheck(v: PublishVerdict): DoctorCheck {
  if (v.kind === 'refused') {
    return check(
      'admission',
      'fail',
      `a publish of this URL is refused now: ${v.refusal.reason}`,
      'fix the failed checks above',
      v.refusal.breakCode,
    );
  }
  const replaces = v.replaces ? '; it replaces the live publisher (21/102)' : '';
  return check('admission', 'pass', `a publish of this URL is accepted now on ${v.domain || 'this server'}${replaces}`);
}
