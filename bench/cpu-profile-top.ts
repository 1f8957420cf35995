// Prints where a V8 CPU profile (node --cpu-prof, or fanout.ts --cpu-prof) spent its self time:
//   node bench/cpu-profile-top.ts FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
const file = positionals[0];
if (file === undefined) {
  console.error('usage: node bench/cpu-profile-top.ts FILE.cpuprofile [--top 25]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
});

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const f = byId.get(id)?.callFrame;
  if (f === undefined) continue;
  const where = f.url === '' ? '' : f.url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/');
  const fn = `${f.functionName || '(anonymous)'} ${where}${where === '' ? '' : `:${f.lineNumber + 1}`}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const fileKey = where === '' ? f.functionName : where.replace(/^node:.*/, (s) => s);
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
}

const top = Number(values.top);
const show = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
};
show('self time by function', byFunction);
show('self time by file', byFile);
