// The benchmark's result records, and their rendering as markdown tables with ratios and target checks.
/** What the players speak: RTMP, RTMPS (openlive only) or HTTP-FLV. */
export type BenchProtocol = 'rtmp' | 'rtmps' | 'flv';

/** One server × protocol × N measurement. */
export interface RowResult {
  server: string;
  kind: 'openlive' | 'nms' | 'nginx' | 'srs';
  /** The merge window the row ran with (openlive `fanout.mergeWindowMs`, SRS `mw_latency`); undefined = default. */
  mergeWindowMs?: number;
  protocol: BenchProtocol;
  n: number;
  /** Players that received media through the whole window. */
  ok: number;
  /** Error texts and how many players ended with each. */
  errors: Record<string, number>;
  /** Server CPU in % of one core over the window; idleCpuPct with the publisher only. */
  cpuPct: number;
  idleCpuPct: number;
  rssBeforeMB: number;
  rssDuringMB: number;
  /** (RSS during − RSS before) / N. */
  kbPerPlayer: number;
  kbpsMin: number;
  kbpsMedian: number;
  /** Players below 90 % of the source bitrate over the window. */
  starved: number;
  firstByteP50: number;
  firstByteP95: number;
  firstKeyP50: number;
  firstKeyP95: number;
  /** Players that never got a keyframe. */
  noKey: number;
  loadgenCpuPct: number;
  machineBusyPct: number;
  /** Publisher→player latency of video messages at the probe players, ms (latency-probe.ts); NaN when none. */
  latencyP50?: number;
  latencyP95?: number;
  latencySamples?: number;
  /** The probes' own event-loop delay p95 while recording, ms: how much of the latency is the load side's. */
  probeLagP95?: number;
  /** openlive only: writes handed to each player per second (its /metrics); the fan-out cost is per write. */
  writesPerPlayerS?: number;
  /** Set when the row could not be measured at all. */
  error?: string;
}

/** The stalled-reader test of one server. */
export interface StallResult {
  server: string;
  protocol: BenchProtocol;
  players: number;
  rssBaselineMB: number;
  samples: { t: number; rssMB: number }[];
  /** RSS growth from the stalled players' join to the end, and over the last 20 s only (flat = bounded). */
  growthMB: number;
  lateGrowthMB: number;
  /** What the stream itself carries in 20 s: a server that keeps it all for the stalled players grows by that. */
  stream20sMB: number;
  error?: string;
}

/**
 * RSS per added player: the slope of RSS between the smallest and largest N of a server and protocol, which
 * cancels the one-off growth (V8 new-space, buffers, HTTP parser pools) that load of any size brings.
 */
export function rssSlopeKb(rows: RowResult[], r: RowResult): number {
  const same = rows.filter((x) => x.server === r.server && x.protocol === r.protocol && x.error === undefined);
  const lo = same.reduce<RowResult | undefined>((a, x) => (a === undefined || x.n < a.n ? x : a), undefined);
  const hi = same.reduce<RowResult | undefined>((a, x) => (a === undefined || x.n > a.n ? x : a), undefined);
  if (lo === undefined || hi === undefined || hi.n === lo.n) return Number.NaN;
  return ((hi.rssDuringMB - lo.rssDuringMB) * 1024) / (hi.n - lo.n);
}

/** The p-th percentile (0..100) of values, nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** The probes' own event-loop delay p95 after a row's latency, when measured (latency-probe.ts). */
const probeLag = (r: RowResult): string =>
  r.probeLagP95 === undefined || !Number.isFinite(r.probeLagP95) ? '' : ` (probe lag ${f0(r.probeLagP95)})`;

/** The main table: one line per row. */
export function rowsTable(rows: RowResult[]): string {
  const out = [
    '| server | protocol | N | players ok | server CPU % | CPU % publisher only | RSS before → during MB | RSS KB/player | kbit/s per player min / median | first byte p50 / p95 ms | first keyframe p50 / p95 ms | latency p50 / p95 ms | load-gen CPU % | machine busy % |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    if (r.error !== undefined) {
      out.push(`| ${r.server} | ${r.protocol} | ${r.n} | failed: ${r.error.split('\n')[0]} ||||||||||| |`);
      continue;
    }
    out.push(
      `| ${r.server} | ${r.protocol} | ${r.n} | ${r.ok} | ${f1(r.cpuPct)} | ${f1(r.idleCpuPct)} | ` +
        `${f0(r.rssBeforeMB)} → ${f0(r.rssDuringMB)} | ${f0(r.kbPerPlayer)} | ${f0(r.kbpsMin)} / ${f0(r.kbpsMedian)} | ` +
        `${f0(r.firstByteP50)} / ${f0(r.firstByteP95)} | ${f0(r.firstKeyP50)} / ${f0(r.firstKeyP95)} | ` +
        `${f0(r.latencyP50 ?? Number.NaN)} / ${f0(r.latencyP95 ?? Number.NaN)}${probeLag(r)} | ` +
        `${f0(r.loadgenCpuPct)} | ${f0(r.machineBusyPct)} |`,
    );
  }
  return out.join('\n');
}

function peer(rows: RowResult[], kind: RowResult['kind'], r: RowResult): RowResult | undefined {
  return rows.find((x) => x.kind === kind && x.protocol === r.protocol && x.n === r.n && x.error === undefined);
}

/** What TLS costs openlive: each RTMPS row against the RTMP row of the same server and N in the same run. */
export function tlsRatioTable(rows: RowResult[]): string {
  const out = [
    '| openlive | N | server CPU % RTMP → RTMPS | CPU ÷ RTMP | KB/player RTMP → RTMPS | first keyframe p50 ms RTMP → RTMPS |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => x.protocol === 'rtmps' && x.error === undefined)) {
    const plain = rows.find(
      (x) => x.server === r.server && x.protocol === 'rtmp' && x.n === r.n && x.error === undefined,
    );
    if (plain === undefined) continue;
    out.push(
      `| ${r.server} | ${r.n} | ${f1(plain.cpuPct)} → ${f1(r.cpuPct)} | ${f2(r.cpuPct / plain.cpuPct)} | ` +
        `${f0(plain.kbPerPlayer)} → ${f0(r.kbPerPlayer)} | ${f0(plain.firstKeyP50)} → ${f0(r.firstKeyP50)} |`,
    );
  }
  return out.join('\n');
}

/** openlive's CPU and memory per player as ratios to nginx-rtmp's and node-media-server's in the same run. */
export function ratioTable(rows: RowResult[]): string {
  const out = [
    '| openlive | protocol | N | CPU ÷ nginx-rtmp | CPU ÷ node-media-server | KB/player ÷ nginx-rtmp | KB/player ÷ node-media-server | RSS slope KB/player: openlive / nginx-rtmp / node-media-server |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => x.kind === 'openlive' && x.error === undefined)) {
    const ng = peer(rows, 'nginx', r);
    const nms = peer(rows, 'nms', r);
    const ratio = (a: number, b: RowResult | undefined, key: 'cpuPct' | 'kbPerPlayer'): string =>
      b === undefined ? '–' : f2(a / b[key]);
    out.push(
      `| ${r.server} | ${r.protocol} | ${r.n} | ${ratio(r.cpuPct, ng, 'cpuPct')} | ${ratio(r.cpuPct, nms, 'cpuPct')} | ` +
        `${ratio(r.kbPerPlayer, ng, 'kbPerPlayer')} | ${ratio(r.kbPerPlayer, nms, 'kbPerPlayer')} | ` +
        `${f0(rssSlopeKb(rows, r))} / ${ng === undefined ? '–' : f0(rssSlopeKb(rows, ng))} / ${nms === undefined ? '–' : f0(rssSlopeKb(rows, nms))} |`,
    );
  }
  return out.join('\n');
}

/**
 * openlive against SRS at the same merge window (openlive `fanout.mergeWindowMs` = SRS `mw_latency`), protocol
 * and N in the same run: CPU and RSS per player as ratios, with the issue-17 targets (RTMP CPU ≤ 1.0×, HTTP-FLV
 * CPU ≤ 0.8×, KB/player ≤ 1.5× SRS's).
 */
export function srsRatioTable(rows: RowResult[]): string {
  const out = [
    '| window ms | protocol | N | SRS | CPU % openlive / SRS | CPU ÷ SRS (target) | latency p95 ms openlive / SRS (target ≤ window + 15) | KB/player openlive / SRS | RSS slope KB/player openlive / SRS | growth ÷ SRS (target ≤ 1.5) | RSS during MB openlive / SRS |',
    '|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => x.kind === 'openlive' && x.error === undefined)) {
    for (const s of srsPeers(rows, r)) {
      const target = r.protocol === 'flv' ? 0.8 : 1.0;
      const cpu = r.cpuPct / s.cpuPct;
      // Growth per player: the RSS slope between the smallest and largest N when the run has two, else (during − before) / N.
      const ro = rssSlopeKb(rows, r);
      const so = rssSlopeKb(rows, s);
      const slopes = Number.isFinite(ro) && Number.isFinite(so);
      const kb = slopes ? ro / so : r.kbPerPlayer / s.kbPerPlayer;
      const lat = r.latencyP95 ?? Number.NaN;
      const latTarget = (r.mergeWindowMs ?? 50) + 15;
      const latMark = Number.isFinite(lat) ? (lat <= latTarget ? ' PASS' : ' FAIL') : '';
      out.push(
        `| ${r.mergeWindowMs ?? 'default'} | ${r.protocol} | ${r.n} | ${s.server} | ${f1(r.cpuPct)} / ${f1(s.cpuPct)} | ` +
          `${f2(cpu)} ${cpu <= target ? 'PASS' : 'FAIL'} (≤ ${target.toFixed(1)}) | ` +
          `${f0(lat)}${latMark} / ${f0(s.latencyP95 ?? Number.NaN)} | ${f0(r.kbPerPlayer)} / ${f0(s.kbPerPlayer)} | ` +
          `${f0(ro)} / ${f0(so)} | ${f2(kb)} ${kb <= 1.5 ? 'PASS' : 'FAIL'} | ${f0(r.rssDuringMB)} / ${f0(s.rssDuringMB)} |`,
      );
    }
  }
  return out.join('\n');
}

/** The SRS rows that pair with an openlive row: same protocol, N and merge window (one per SRS variant). */
export function srsPeers(rows: RowResult[], r: RowResult): RowResult[] {
  return rows.filter(
    (x) =>
      x.kind === 'srs' &&
      x.protocol === r.protocol &&
      x.n === r.n &&
      x.mergeWindowMs === r.mergeWindowMs &&
      x.error === undefined,
  );
}

/** The first SRS row that pairs with an openlive row. */
export function srsPeer(rows: RowResult[], r: RowResult): RowResult | undefined {
  return srsPeers(rows, r)[0];
}

/** The stalled-reader table: server RSS while 20 players have stopped reading. */
export function stallTable(stalls: StallResult[]): string {
  const ts = [0, 15, 30, 45, 60];
  const out = [
    `| server | protocol | stalled players | RSS before they joined MB | ${ts.map((t) => `RSS at ${t} s MB`).join(' | ')} | growth MB | growth in the last 20 s MB |`,
    `|---|---|---:|---:|${ts.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const s of stalls) {
    if (s.error !== undefined) {
      out.push(`| ${s.server} | ${s.protocol} | failed: ${s.error.split('\n')[0]} |||||||||`);
      continue;
    }
    const at = (t: number): string => f1(s.samples.find((x) => Math.abs(x.t - t) < 2.5)?.rssMB ?? Number.NaN);
    out.push(
      `| ${s.server} | ${s.protocol} | ${s.players} | ${f1(s.rssBaselineMB)} | ${ts.map(at).join(' | ')} | ` +
        `${f1(s.growthMB)} | ${f1(s.lateGrowthMB)} |`,
    );
  }
  return out.join('\n');
}

/** The issue's targets, checked against this run's rows (only those the run measured). */
export function targetLines(rows: RowResult[], stalls: StallResult[]): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  for (const r of rows.filter((x) => x.kind === 'openlive' && x.error === undefined)) {
    const ng = peer(rows, 'nginx', r);
    const nms = peer(rows, 'nms', r);
    const at = `${r.server} ${r.protocol} N=${r.n}`;
    if (r.n === 1000 && r.protocol === 'rtmp' && ng !== undefined)
      lines.push(
        `${mark(r.cpuPct <= 0.6 * ng.cpuPct)} ${at}: CPU ${f2(r.cpuPct / ng.cpuPct)}× nginx-rtmp (target ≤ 0.6)`,
      );
    if (r.n === 1000 && r.protocol === 'rtmp' && nms !== undefined)
      lines.push(
        `${mark(r.cpuPct <= 0.5 * nms.cpuPct)} ${at}: CPU ${f2(r.cpuPct / nms.cpuPct)}× node-media-server (target ≤ 0.5)`,
      );
    if (r.n === 1000 && r.protocol === 'flv' && nms !== undefined)
      lines.push(
        `${mark(r.cpuPct <= 0.4 * nms.cpuPct)} ${at}: CPU ${f2(r.cpuPct / nms.cpuPct)}× node-media-server (target ≤ 0.4)`,
      );
    lines.push(`${mark(r.firstKeyP50 < 100)} ${at}: first keyframe p50 ${f0(r.firstKeyP50)} ms (target < 100)`);
    const slope = rssSlopeKb(rows, r);
    if (r.n === Math.max(...rows.filter((x) => x.server === r.server).map((x) => x.n))) {
      const kb = Number.isFinite(slope) ? slope : r.kbPerPlayer;
      const how = Number.isFinite(slope) ? 'slope between the smallest and largest N' : '(RSS during − before) / N';
      lines.push(`${mark(kb < 100)} ${r.server} ${r.protocol}: RSS growth ${f0(kb)} KB/player, ${how} (target < 100)`);
    }
    if (r.ok < r.n || r.starved > 0)
      lines.push(`FAIL ${at}: ${r.n - r.ok} players lost, ${r.starved} below 90 % of the bitrate`);
  }
  for (const s of stalls.filter((x) => x.server.startsWith('openlive') && x.error === undefined)) {
    lines.push(
      `${mark(s.lateGrowthMB < s.stream20sMB / 2)} ${s.server} ${s.protocol}: ${s.players} stalled players, ` +
        `RSS +${f1(s.growthMB)} MB, +${f1(s.lateGrowthMB)} MB in the last 20 s ` +
        `(target: flat once the queues are full, < half of the ${f1(s.stream20sMB)} MB the stream carries in 20 s)`,
    );
  }
  return lines;
}
