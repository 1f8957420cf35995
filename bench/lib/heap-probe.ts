// Preloaded into the openlive under test by bench/heap-diff.ts (node --expose-gc --import): on SIGUSR2 it
// collects garbage, writes process.memoryUsage() and the RSS to $HEAP_PROBE_DIR/<n>.json and a heap snapshot
// to $HEAP_PROBE_DIR/<n>.heapsnapshot, then writes <n>.done (n counts the signals from 0).
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const dir = process.env.HEAP_PROBE_DIR ?? '.';
let n = 0;
process.on('SIGUSR2', () => {
  const i = n++;
  (globalThis as { gc?: () => void }).gc?.();
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  writeFileSync(`${dir}/${i}.json`, JSON.stringify({ ...process.memoryUsage(), vmRss: rssKb * 1024 }));
  v8.writeHeapSnapshot(`${dir}/${i}.heapsnapshot`);
  writeFileSync(`${dir}/${i}.done`, '');
});
