/**
 * `openlive stream ...`: forbid, resume and list forbidden streams (Tencent ForbidLiveStream,
 * ResumeLiveStream, DescribeLiveForbidStreamList). The CLI is its own process and cannot reach the
 * server's live publishers: the server checks forbids on every publish, so a forbidden publisher
 * that is live now is refused (18/305) when it next publishes. With `cluster.redis` set, the CLI also
 * broadcasts the forbid through the cluster's Redis, and the node holding the publisher drops it (21/101).
 */
import { hostname } from 'node:os';
import type { Coordinator } from '../../cluster/coordinator.ts';
import { createCoordinator } from '../../cluster/create-coordinator.ts';
import type { ForbiddenStream } from '../../store/store.ts';
import { maxPageSize } from '../../store/store.ts';
import { StreamPolicy, type LivePublishers } from '../../control/stream-policy.ts';
import { parseDuration } from '../duration.ts';
import { checkFlags, json, positional, table, time, usageError, type CliContext, type CliFlags } from './cli-output.ts';

/** The usage lines of `openlive stream`. */
export const streamUsage = `openlive stream forbid APP/STREAM [--until ISO-TIME | --for 7d] [--reason TEXT] [--domain D] [--json]
       openlive stream resume APP/STREAM [--domain D] [--json]
       openlive stream forbidden [--json]`;

/** This process sees no live publishers; the running server applies forbids at the next publish. */
const noLivePublishers: LivePublishers = { isLive: () => false, drop: () => false, list: () => [] };

/** What the operator learns about publishers live at the moment of a forbid. */
const liveNote = 'A publisher live now is not dropped by this command; it is refused (18/305) at its next publish.';

/** What the operator learns when the cluster's Redis carried the forbid to every node. */
const clusterNote = 'A publisher live now on any node of the cluster is dropped (21/101).';

/** Runs one `stream` subcommand and returns what to print. */
export async function streamCommand(ctx: CliContext, args: readonly string[], flags: CliFlags): Promise<string> {
  const sub = args[0];
  const cluster =
    sub === 'forbid' || sub === 'resume' ? await joinCluster(ctx) : { coordinator: undefined, note: liveNote };
  try {
    return await run(ctx, args, flags, cluster.coordinator, cluster.note);
  } finally {
    await cluster.coordinator?.close();
  }
}

/**
 * The cluster's Coordinator when `cluster.redis` is set (as a sender only: no node key, its own id so it
 * never touches a node's keys); when Redis cannot be reached the command goes on with the store alone.
 */
async function joinCluster(ctx: CliContext): Promise<{ coordinator: Coordinator | undefined; note: string }> {
  if (ctx.config.cluster.redis === '') return { coordinator: undefined, note: liveNote };
  const nodeId = `cli-${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const coordinator = createCoordinator(
    { ...ctx.config, cluster: { ...ctx.config.cluster, nodeId } },
    { announce: false },
  );
  try {
    await coordinator.start();
    return { coordinator, note: clusterNote };
  } catch (err) {
    await coordinator.close();
    return {
      coordinator: undefined,
      note: `${liveNote} (The cluster's Redis could not be reached: ${(err as Error).message})`,
    };
  }
}

async function run(
  ctx: CliContext,
  args: readonly string[],
  flags: CliFlags,
  coordinator: Coordinator | undefined,
  note: string,
): Promise<string> {
  const policy = new StreamPolicy({
    store: ctx.store,
    live: noLivePublishers,
    now: () => ctx.nowMs,
    ...(coordinator && { cluster: coordinator }),
  });
  const sub = args[0];
  const asJson = flags.json === 'true';
  const target = (): { app: string; stream: string } => splitStream(positional(args, 1, 'APP/STREAM', streamUsage));
  switch (sub) {
    case 'forbid': {
      checkFlags(flags, ['until', 'for', 'reason', 'domain', 'json'], 'stream forbid');
      const { app, stream } = target();
      const reason = flags.reason === 'true' ? '' : flags.reason;
      const entry = await policy.forbid({
        app,
        stream,
        domain: domainFlag(flags),
        until: untilOf(flags, ctx.nowMs),
        reason,
      });
      if (asJson) return json({ ...entry, note });
      const why = entry.reason ? ` (${entry.reason})` : '';
      return `Forbade ${app}/${stream} on ${onDomain(entry.domain)} until ${time(entry.until)}${why}.\n${note}\n`;
    }
    case 'resume': {
      checkFlags(flags, ['domain', 'json'], 'stream resume');
      const { app, stream } = target();
      const domain = domainFlag(flags);
      const resumed = await policy.resume(app, stream, domain);
      if (asJson) return json({ app, stream, domain, resumed });
      if (resumed) return `Resumed ${app}/${stream} on ${onDomain(domain)}; it may publish again.\n`;
      return `${app}/${stream} was not forbidden on ${onDomain(domain)}.${await otherDomains(policy, app, stream)}\n`;
    }
    case 'forbidden': {
      checkFlags(flags, ['json'], 'stream forbidden');
      const page = await policy.listForbidden({ limit: maxPageSize });
      if (asJson) return json({ total: page.total, forbidden: page.items });
      if (page.items.length === 0) return 'No stream is forbidden.\n';
      return forbiddenTable(page.items);
    }
    default:
      throw usageError(`unknown stream command "${sub ?? ''}"; usage: ${streamUsage}`);
  }
}

/** `live/cam1` → app and stream; the names themselves are checked by StreamPolicy. */
function splitStream(value: string): { app: string; stream: string } {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) throw usageError(`"${value}" is not APP/STREAM, such as live/cam1`);
  return { app: value.slice(0, slash), stream: value.slice(slash + 1) };
}

function domainFlag(flags: CliFlags): string {
  if (flags.domain === 'true') throw usageError('--domain needs a push domain name');
  return flags.domain ?? '';
}

/** The end of a forbid from `--until` or `--for`; StreamPolicy defaults it to 7 days and caps it at 90. */
function untilOf(flags: CliFlags, nowMs: number): number | undefined {
  if (flags.until !== undefined && flags.for !== undefined) throw usageError('pass --until or --for, not both');
  if (flags.for !== undefined) return nowMs + parseDuration(flags.for, 'for') * 1000;
  if (flags.until === undefined) return undefined;
  // Date.parse also reads looser forms; ask for the ISO date so a typo is not read as another day.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(flags.until) ? Date.parse(flags.until) : Number.NaN;
  if (Number.isNaN(ms)) throw usageError(`--until: "${flags.until}" is not an ISO time such as 2026-12-01T00:00:00Z`);
  return ms;
}

function onDomain(domain: string): string {
  return domain === '' ? 'every domain' : `domain ${domain}`;
}

/** When a resume missed, the forbids that do hold the stream, so the operator knows which --domain to pass. */
async function otherDomains(policy: StreamPolicy, app: string, stream: string): Promise<string> {
  const held = (await policy.listForbidden({ app, stream })).items;
  if (held.length === 0) return '';
  return ` It is forbidden on ${held.map((f) => onDomain(f.domain)).join(', ')}; pass --domain to resume it there.`;
}

function forbiddenTable(items: readonly ForbiddenStream[]): string {
  const rows = items.map((f) => [`${f.app}/${f.stream}`, f.domain || '*', time(f.until), time(f.createdAt), f.reason]);
  return table(['STREAM', 'DOMAIN', 'UNTIL', 'SINCE', 'REASON'], rows);
}
