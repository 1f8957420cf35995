// What each player holds: heap snapshots of openlive at several player counts, diffed by constructor.
//   node bench/heap-diff.ts --capture [--protocols rtmp,flv] [--n 0,500,1000] [--merge-window-ms 50] [--keep]
//       starts openlive with bench/lib/heap-probe.ts preloaded, publishes the bench source, adds players
//       up to each N, and at each takes process.memoryUsage() and a heap snapshot (after a GC); prints the
//       growth per added player by constructor, and of RSS, heap, external and ArrayBuffer memory.
//   node bench/heap-diff.ts a.heapsnapshot b.heapsnapshot --players N
//       the same table for two snapshots taken by hand (N players added between them).
// Kernel socket buffers are not in RSS, nor in these figures. See docs/performance.md "What a player holds".
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadPool } from './lib/load-pool.ts';
import type { BenchProtocol } from './lib/report.ts';
import { goLive } from './lib/run-row.ts';
import { ensureMedia, ensureTools, sleep } from './lib/setup.ts';

/** Count and summed self size of the heap nodes of one group (type and constructor or function name). */
interface Group {
  count: number;
  bytes: number;
}

/** Types whose node names are contents (string text, numbers, code), not a constructor: grouped by type only. */
const anonymousTypes = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'regexp']);

/** Groups a .heapsnapshot's nodes by "type name", summing self sizes. */
export function groupSnapshot(path: string): Map<string, Group> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, Group>();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!] ?? '?';
    const key = anonymousTypes.has(type) ? `(${type})` : `${type} ${snap.strings[nodes[i + nameAt]!] ?? '?'}`;
    const g = out.get(key);
    const size = nodes[i + sizeAt]!;
    if (g === undefined) out.set(key, { count: 1, bytes: size });
    else {
      g.count++;
      g.bytes += size;
    }
  }
  return out;
}

/** The groups that grew most between two snapshots, per added player, as a markdown table. */
export function diffTable(a: Map<string, Group>, b: Map<string, Group>, players: number, top = 30): string {
  const rows: { key: string; count: number; bytes: number }[] = [];
  let total = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const ga = a.get(key) ?? { count: 0, bytes: 0 };
    const gb = b.get(key) ?? { count: 0, bytes: 0 };
    const bytes = gb.bytes - ga.bytes;
    total += bytes;
    rows.push({ key, count: (gb.count - ga.count) / players, bytes: bytes / players });
  }
  rows.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
  const lines = ['| heap node (type, constructor) | objects / player | bytes / player |', '|---|---:|---:|'];
  for (const r of rows.slice(0, top)) lines.push(`| ${r.key} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`);
  lines.push(`| **all heap nodes** | | **${(total / players).toFixed(0)}** |`);
  return lines.join('\n');
}

type Mem = Record<'rss' | 'vmRss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number>;

/** process.memoryUsage() growth per added player, in bytes. */
function memTable(a: Mem, b: Mem, players: number): string {
  const keys = ['vmRss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;
  const head = `| ${keys.join(' | ')} |`;
  const cells = keys.map((k) => ((b[k] - a[k]) / players).toFixed(0));
  return `${head}\n|${keys.map(() => '---:').join('|')}|\n| ${cells.join(' | ')} |`;
}

async function capture(protocols: BenchProtocol[], ns: number[], windowMs: number | undefined, keep: boolean) {
  ensureTools(['openlive']);
  const media = ensureMedia();
  const probe = fileURLToPath(new URL('./lib/heap-probe.ts', import.meta.url));
  for (const protocol of protocols) {
    const dir = mkdtempSync(`${tmpdir()}/heap-diff-${protocol}-`);
    process.env.HEAP_PROBE_DIR = dir;
    const spec = {
      kind: 'openlive' as const,
      label: 'openlive',
      mergeWindowMs: windowMs,
      nodeArgs: ['--expose-gc', '--import', probe],
    };
    const live = await goLive(spec, protocol, media);
    const pid = live.server.measuredPids()[0]!;
    const pools: LoadPool[] = [];
    const mems: Mem[] = [];
    const groups: Map<string, Group>[] = [];
    try {
      let have = 0;
      for (const [i, n] of ns.entries()) {
        if (n > have) {
          const pool = new LoadPool(live.playUrl, n - have, 250, 250, false, 'walker');
          pools.push(pool);
          const until = Date.now() + 60_000;
          for (;;) {
            const s = await pool.status();
            if ((s.opened === n - have && s.firstKey + s.failed >= n - have) || Date.now() > until) break;
            await sleep(250);
          }
          have = n;
        }
        await sleep(3000);
        process.kill(pid, 'SIGUSR2');
        while (!existsSync(`${dir}/${i}.done`)) await sleep(200);
        mems.push(JSON.parse(readFileSync(`${dir}/${i}.json`, 'utf8')) as Mem);
        groups.push(groupSnapshot(`${dir}/${i}.heapsnapshot`));
        if (!keep) rmSync(`${dir}/${i}.heapsnapshot`);
        console.error(`${protocol}: ${n} players, RSS ${(mems[i]!.vmRss / 2 ** 20).toFixed(1)} MB`);
      }
    } finally {
      for (const p of pools) await p.close();
      await live.close();
    }
    for (let i = 1; i < ns.length; i++) {
      const added = ns[i]! - ns[i - 1]!;
      console.log(`\n### ${protocol}: ${ns[i - 1]} → ${ns[i]} players (window ${windowMs ?? 'default'} ms)\n`);
      console.log(memTable(mems[i - 1]!, mems[i]!, added));
      console.log('');
      console.log(diffTable(groups[i - 1]!, groups[i]!, added));
    }
    if (keep) console.log(`\nsnapshots kept in ${dir}`);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    capture: { type: 'boolean', default: false },
    protocols: { type: 'string', default: 'rtmp,flv' },
    n: { type: 'string', default: '0,500,1000' },
    'merge-window-ms': { type: 'string', default: '' },
    players: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});

if (values.capture) {
  const window = values['merge-window-ms'] === '' ? undefined : Number(values['merge-window-ms']);
  await capture(values.protocols.split(',') as BenchProtocol[], values.n.split(',').map(Number), window, values.keep);
} else if (positionals.length === 2) {
  const [a, b] = positionals as [string, string];
  console.log(diffTable(groupSnapshot(a), groupSnapshot(b), Number(values.players), Number(values.top)));
} else {
  console.error('usage: node bench/heap-diff.ts --capture [...] | a.heapsnapshot b.heapsnapshot --players N');
  process.exitCode = 2;
}
