import assert from 'node:assert/strict';
import { test } from 'node:test';
import { srsPeer, srsRatioTable, type RowResult } from './report.ts';

function row(
  kind: RowResult['kind'],
  w: number,
  protocol: RowResult['protocol'],
  n: number,
  cpuPct: number,
  rssDuringMB: number,
): RowResult {
  const server = kind === 'srs' ? `SRS (mw_latency ${w} ms)` : `openlive (window ${w} ms)`;
  return {
    server,
    kind,
    mergeWindowMs: w,
    protocol,
    n,
    ok: n,
    errors: {},
    cpuPct,
    idleCpuPct: 1,
    rssBeforeMB: 10,
    rssDuringMB,
    kbPerPlayer: ((rssDuringMB - 10) * 1024) / n,
    kbpsMin: 2500,
    kbpsMedian: 2500,
    starved: 0,
    firstByteP50: 1,
    firstByteP95: 2,
    firstKeyP50: 1,
    firstKeyP95: 2,
    noKey: 0,
    loadgenCpuPct: 10,
    machineBusyPct: 50,
  };
}

test('openlive pairs with the SRS row of the same window, protocol and N only', () => {
  const rows = [
    row('openlive', 50, 'rtmp', 1000, 20, 100),
    row('srs', 20, 'rtmp', 1000, 10, 50),
    row('srs', 50, 'rtmp', 1000, 16, 50),
    row('srs', 50, 'flv', 1000, 40, 50),
  ];
  assert.equal(srsPeer(rows, rows[0]!)?.cpuPct, 16);
  assert.equal(srsPeer(rows, row('openlive', 100, 'rtmp', 1000, 1, 1)), undefined);
});

test('the table prints CPU ÷ SRS against the per-protocol target and the growth ratio from the RSS slopes', () => {
  const rows = [
    row('openlive', 50, 'rtmp', 100, 4, 20),
    row('openlive', 50, 'rtmp', 1000, 20, 110),
    row('srs', 50, 'rtmp', 100, 2, 12),
    row('srs', 50, 'rtmp', 1000, 16, 72),
    row('openlive', 50, 'flv', 1000, 20, 110),
    row('srs', 50, 'flv', 1000, 40, 72),
  ];
  const lines = srsRatioTable(rows).split('\n');
  const rtmp = lines.find((l) => l.startsWith('| 50 | rtmp | 1000 |'));
  // CPU 20 / 16 = 1.25 > 1.0; slopes (110−20)·1024/900 = 102 and (72−12)·1024/900 = 68: 1.50 ≤ 1.5.
  assert.match(rtmp ?? '', /\| 1\.25 FAIL \(≤ 1\.0\) \|/);
  assert.match(rtmp ?? '', /\| 102 \/ 68 \| 1\.50 PASS \|/);
  const flv = lines.find((l) => l.startsWith('| 50 | flv | 1000 |'));
  assert.match(flv ?? '', /\| 0\.50 PASS \(≤ 0\.8\) \|/);
});
