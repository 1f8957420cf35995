/**
 * `openlive records`: the publish sessions (Tencent "Stream Interruption Records": when each
 * publish started and ended and why) and, with `--rejected`, the refused publish and play attempts.
 */
import type { PublishRecord, RecordQuery, RejectedAttempt } from '../../store/store.ts';
import { maxPageSize } from '../../store/store.ts';
import {
  boolFlag,
  bytes,
  checkFlags,
  duration,
  intFlag,
  json,
  table,
  time,
  usageError,
  type CliContext,
  type CliFlags,
} from './cli-output.ts';

/** The usage line of `openlive records`. */
export const recordsUsage = 'openlive records [--rejected] [--stream [APP/]S] [--domain D] [--limit N] [--json]';

/** Lists publish sessions or rejected attempts, newest first, and returns what to print. */
export async function recordsCommand(ctx: CliContext, args: readonly string[], flags: CliFlags): Promise<string> {
  if (args.length > 0) throw usageError(`records takes no "${args[0]}"; usage: ${recordsUsage}`);
  checkFlags(flags, ['rejected', 'stream', 'domain', 'limit', 'json'], 'records');
  const query: RecordQuery = { ...streamFilter(flags.stream), limit: intFlag(flags, 'limit', 1, maxPageSize) ?? 20 };
  const filtered: RecordQuery = flags.domain === undefined ? query : { ...query, domain: flags.domain.toLowerCase() };
  const asJson = flags.json === 'true';
  if (boolFlag(flags, 'rejected') ?? false) {
    const page = await ctx.store.listRejectedAttempts(filtered);
    if (asJson) return json({ total: page.total, attempts: page.items });
    if (page.items.length === 0) return 'No rejected attempts.\n';
    return `${rejectedTable(page.items)}${more(page.items.length, page.total)}`;
  }
  const page = await ctx.store.listPublishRecords(filtered);
  if (asJson) return json({ total: page.total, records: page.items });
  if (page.items.length === 0) return 'No publish sessions.\n';
  return `${sessionTable(page.items, ctx.nowMs)}${more(page.items.length, page.total)}`;
}

/** `--stream cam1` filters by stream name; `--stream live/cam1` by app as well. */
function streamFilter(value: string | undefined): { app?: string; stream?: string } {
  if (value === undefined) return {};
  if (value === 'true' || value === '') throw usageError('--stream needs a stream name (or APP/STREAM)');
  const slash = value.indexOf('/');
  return slash < 0 ? { stream: value } : { app: value.slice(0, slash), stream: value.slice(slash + 1) };
}

function more(shown: number, total: number): string {
  return total > shown ? `(${shown} of ${total}; --limit N shows more)\n` : '';
}

/** The reason without the break code it starts with, which has its own column. */
function reasonText(code: string, reason: string): string {
  return reason.startsWith(`${code}: `) ? reason.slice(code.length + 2) : reason;
}

function sessionTable(records: readonly PublishRecord[], nowMs: number): string {
  const rows = records.map((r) => {
    // An open session is live now, or its server died and the next start will close it (5/0).
    const open = r.endedAt === null;
    return [
      time(r.startedAt),
      open ? 'open' : time(r.endedAt),
      open ? `${duration(nowMs - r.startedAt)}+` : duration(r.durationMs ?? r.endedAt - r.startedAt),
      `${r.app}/${r.stream}`,
      r.domain,
      r.clientIp,
      r.width !== null && r.height !== null ? `${r.width}x${r.height}` : '-',
      r.videoCodec ?? '-',
      r.audioCodec ?? '-',
      bytes(r.bytesIn),
      r.breakCode ?? '-',
      r.breakCode !== null && r.reason !== null ? reasonText(r.breakCode, r.reason) : '',
    ];
  });
  const header = [
    'START',
    'END',
    'DURATION',
    'STREAM',
    'DOMAIN',
    'IP',
    'RESOLUTION',
    'VIDEO',
    'AUDIO',
    'BYTES',
    'CODE',
    'REASON',
  ];
  return table(header, rows);
}

function rejectedTable(attempts: readonly RejectedAttempt[]): string {
  const rows = attempts.map((a) => [
    time(a.at),
    // An aggregate row counts the refusals of one address past store.rejectedPerAddress, up to its last time.
    a.count > 1 ? `${a.count} until ${time(a.lastAt)}` : '1',
    a.action,
    a.clientIp,
    // A refused host may match no domain (18/301); show what the client addressed instead.
    a.domain || `(${a.host || 'no host'})`,
    `${a.app}/${a.stream}`,
    a.breakCode,
    reasonText(a.breakCode, a.reason),
  ]);
  return table(['TIME', 'COUNT', 'ACTION', 'IP', 'DOMAIN', 'STREAM', 'CODE', 'REASON'], rows);
}
