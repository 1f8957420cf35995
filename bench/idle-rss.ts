/**
 * Idle memory of the server per start mode (issue 17): `node bench/idle-rss.ts [--seconds 15] [--build]
 * [--repeat 1] [--node-args '--max-semi-space-size=2']` starts each mode with a fresh data dir on free ports,
 * no stream, and prints RSS and heap after N seconds. Modes: src/main.ts (type stripping) and build/main.js
 * (the bundle of `npm run build`), alternating per repetition. `--build` runs the build first.
 * Figures: docs/performance.md "Idle memory (issue 17)".
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

const repo = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    build: { type: 'boolean' },
    repeat: { type: 'string', default: '1' },
    'node-args': { type: 'string', default: '' },
  },
});
const seconds = Number(values.seconds);
if (values.build) execFileSync(process.execPath, [`${repo}scripts/build.ts`], { cwd: repo });
const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');

// Reports process.memoryUsage() on stderr after the idle time, from inside the server process.
const probe = `data:text/javascript,setTimeout(()=>{process.stderr.write('IDLE '+JSON.stringify(process.memoryUsage())+'\\n')},${seconds * 1000}).unref()`;
const suffix = nodeArgs.length > 0 ? ` ${nodeArgs.join(' ')}` : '';
const modes = Array.from({ length: Number(values.repeat) }, () => [
  { name: `src/main.ts (type stripping)${suffix}`, args: [...nodeArgs, 'src/main.ts'] },
  { name: `build/main.js (bundle)${suffix}`, args: [...nodeArgs, 'build/main.js'] },
]).flat();

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
console.log(`idle ${seconds} s, no stream, default config (SQLite, console served); MB`);
console.log('mode | rss | heapUsed | heapTotal | external');
for (const mode of modes) {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-idle-'));
  const ports = ['--rtmp.port', '0', '--http.port', '0', '--api.port', '0', '--log.level', 'warn'];
  const child = spawn(process.execPath, ['--import', probe, ...mode.args, ...ports, '--data-dir', dataDir], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', () => {
      const found = /IDLE (.*)\n/.exec(stderr);
      if (found) resolve(found[1]!);
    });
    child.on('exit', () => reject(new Error(`${mode.name} exited: ${stderr}`)));
  });
  const usage = JSON.parse(line) as NodeJS.MemoryUsage;
  child.kill('SIGTERM');
  await once(child, 'exit');
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `${mode.name} | ${mb(usage.rss)} | ${mb(usage.heapUsed)} | ${mb(usage.heapTotal)} | ${mb(usage.external)}`,
  );
}
