/**
 * `openlive doctor URL`: the publishing-failure troubleshooter from the command line. It runs in its
 * own process, so it reads the server's store (SQLite in WAL mode), probes the port over the network,
 * and learns whether the stream is live from the open publish records and a HEAD on the HTTP-FLV URL.
 */
import type { Store } from '../../store/store.ts';
import type { Config } from '../../config/config-schema.ts';
import { Domains } from '../../control/domains.ts';
import { signQuery } from '../../control/signing.ts';
import { diagnosePushUrl, type DoctorDeps, type DoctorReport } from '../../control/doctor/doctor.ts';
import type { ProbeRtmp, ProbeSrt } from '../../control/doctor/push-probe.ts';
import type { DnsResolver } from '../../control/dns-resolver.ts';
import { createRtmpProbe } from '../../servers/rtmp/rtmp-probe.ts';
import { createSrtProbe } from '../../servers/srt/srt-probe.ts';
import { nodeDnsResolver } from '../../servers/dns/node-dns-resolver.ts';
import { publisherFromOutside, type HttpLiveAnswer, type PublisherLookup } from '../../control/doctor/stream-checks.ts';
import { publicHost } from '../banner.ts';
import { boolFlag, checkFlags, intFlag, json, time, usageError, type CliContext, type CliFlags } from './cli-output.ts';

// Not `import { … } from 'node:http'`: its ES module facade reads every export, and the lazy WebSocket
// getters load undici (about 9 MB idle, issue 17); the CommonJS exports do not.
const { request } = process.getBuiltinModule('node:http');

/** The usage line of `openlive doctor`. */
export const doctorUsage =
  'openlive doctor "rtmp://domain/AppName/StreamName?txSecret=...&txTime=..." (or "srt://domain:9000?streamid=#!::h=domain,r=AppName/StreamName,txSecret=...,txTime=...") [--json] [--timeout-ms 5000]';

/** What the command prints and whether every check passed (the process exits 2 when not). */
export interface DoctorOutput {
  readonly text: string;
  readonly ok: boolean;
}

/** The network parts, replaceable in tests. */
export interface DoctorIo {
  readonly probeRtmp?: ProbeRtmp;
  readonly probeSrt?: ProbeSrt;
  readonly resolver?: DnsResolver;
  readonly headFlv?: (
    config: Config,
    store: Store,
    app: string,
    stream: string,
    timeoutMs: number,
  ) => Promise<HttpLiveAnswer>;
}

/** Runs the checks on the URL and formats the report. */
export async function doctorCommand(
  ctx: CliContext,
  args: readonly string[],
  flags: CliFlags,
  io: DoctorIo = {},
): Promise<DoctorOutput> {
  checkFlags(flags, ['json', 'timeoutMs'], 'doctor');
  // `doctor --json URL` parses as --json=URL; take it back as the URL.
  const jsonTakesUrl = args.length === 0 && flags.json?.includes('://') === true;
  const url = jsonTakesUrl ? flags.json : args[0];
  if (url === undefined || url === '') throw usageError(`missing the push URL; usage: ${doctorUsage}`);
  if (args.length > 1) throw usageError(`doctor takes one URL; quote it so the shell keeps its "&": ${doctorUsage}`);
  const asJson = jsonTakesUrl || (boolFlag(flags, 'json') ?? false);
  const timeoutMs = intFlag(flags, 'timeoutMs', 100, 60_000) ?? 5000;
  const report = await diagnosePushUrl(url, cliDeps(ctx, timeoutMs, io));
  return { text: asJson ? json(report) : formatReport(report, cutByShell(url)), ok: report.ok };
}

function cliDeps(ctx: CliContext, timeoutMs: number, io: DoctorIo): DoctorDeps {
  const { config, store } = ctx;
  const servers = config.domains.dnsServers;
  const resolver = io.resolver ?? nodeDnsResolver({ servers, timeoutMs: Math.min(timeoutMs, 2000), tries: 1 });
  const headFlv = io.headFlv ?? headFlvOverHttp;
  const where = `the HTTP-FLV port ${publicHost(config.http.host)}:${config.http.port}`;
  const publisher: PublisherLookup = async (app, stream) => {
    const [open, http] = await Promise.all([
      store.listPublishRecords({ app, stream, open: true, limit: 1 }),
      headFlv(config, store, app, stream, Math.min(timeoutMs, 3000)),
    ]);
    return publisherFromOutside(open.items[0], http, where);
  };
  return {
    store,
    domains: new Domains({ store, now: () => ctx.nowMs, cnameSuffix: config.domains.cnameSuffix, resolver }),
    strict: config.domains.strict,
    listen: { host: config.rtmp.host, port: config.rtmp.port },
    ...(config.rtmps.enabled && { listenTls: { host: config.rtmps.host, port: config.rtmps.port } }),
    ...(config.srt.enabled && { listenSrt: { host: config.srt.host, port: config.srt.port } }),
    probeRtmp: io.probeRtmp ?? createRtmpProbe({ timeoutMs }),
    probeSrt: io.probeSrt ?? createSrtProbe({ timeoutMs }),
    publisher,
    resolver,
    now: () => ctx.nowMs,
  };
}

/**
 * HEAD /app/stream.flv on the server's public HTTP port, as the default play domain (signed with its
 * key when play authentication is on), so the server answers 200 only while the stream is live.
 */
export async function headFlvOverHttp(
  config: Config,
  store: Store,
  app: string,
  stream: string,
  timeoutMs: number,
): Promise<HttpLiveAnswer> {
  const play = await new Domains({ store, now: Date.now, cnameSuffix: config.domains.cnameSuffix }).getDefault('play');
  const signed = play?.auth.enabled
    ? `?${signQuery({ streamName: stream, key: play.auth.key, expiresAt: Math.floor(Date.now() / 1000) + 300, algorithm: play.auth.algorithm })}`
    : '';
  const path = `/${encodeURIComponent(app)}/${encodeURIComponent(stream)}.flv${signed}`;
  return new Promise((resolve) => {
    const host = publicHost(config.http.host);
    const headers = play ? { host: play.name } : {};
    const req = request({ host, port: config.http.port, method: 'HEAD', path, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status === 200 ? { live: true } : status === 404 ? { live: false } : { error: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

const mark = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

/** The report as a readable list: one line per check, its fix below, then the rejected attempts. */
export function formatReport(r: DoctorReport, shellNote = ''): string {
  const lines = [`Push URL ${r.url}`];
  if (r.app !== undefined)
    lines.push(
      `push domain ${r.domain ?? '(none)'}, AppName ${r.app}, StreamName ${r.stream}, checked at ${time(r.checkedAt)}`,
    );
  if (shellNote) lines.push(shellNote);
  lines.push('');
  const width = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    lines.push(`${mark[c.status]}  ${c.title.padEnd(width)}  ${c.breakCode ? `[${c.breakCode}] ` : ''}${c.detail}`);
    if (c.fix) lines.push(`      ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  if (r.app !== undefined) {
    lines.push('', `Last rejected publishes of ${r.app}/${r.stream}:`);
    if (r.rejectedAttempts.length === 0) lines.push('  none');
    for (const a of r.rejectedAttempts) {
      lines.push(`  ${time(a.at)}  ${a.breakCode}  ${a.code}  from ${a.clientIp} to ${a.host || '?'}: ${a.reason}`);
    }
  }
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  const warned = r.checks.filter((c) => c.status === 'warn').length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    '',
    failed === 0
      ? `No check failed${warned ? ` (${plural(warned, 'warning')})` : ''}.`
      : `${plural(failed, 'check')} failed, ${plural(warned, 'warning')}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** An unquoted URL is cut by the shell at its first "&", leaving txSecret last and txTime gone. */
function cutByShell(url: string): string {
  return /[?&]txSecret=[^&]*$/.test(url) && !url.includes('txTime=')
    ? 'Note: the URL ends after txSecret; if you did not quote it, the shell cut it at "&": put the URL in quotes.'
    : '';
}
