/**
 * Replays what `npm run fuzz` kept under test/fixtures/fuzz/<target>/: every minimized failure
 * (`*.meta.json` beside its `.bin` or `.json` input) and the committed corpus (`corpus/*.bin`).
 * Each must be handled as the fuzzer demands: only the project's coded errors, within a time budget.
 * A failure whose meta still carries `todo` (not fixed yet) is reported as a todo, not a failure.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import type { FuzzTarget } from '../scripts/fuzz/target.ts';
import { loadTarget, targetNames } from '../scripts/fuzz/targets/index.ts';

const root = new URL('../test/fixtures/fuzz/', import.meta.url);
/** Generous: the fuzzer's budget is 50 ms, but the test machine may be busy. */
const budgetMs = 2000;

interface Meta {
  kind: 'crash' | 'hang';
  error: string;
  todo?: string;
}

async function runOnce(target: FuzzTarget, input: Buffer | unknown): Promise<number> {
  const t0 = performance.now();
  if (target.kind === 'bytes') await target.run(input as Buffer);
  else await target.run(target.fromJson(input));
  return performance.now() - t0;
}

const dirs = existsSync(root) ? readdirSync(root).filter((d) => targetNames.includes(d)) : [];

for (const name of dirs) {
  describe(`fuzz replay: ${name}`, async () => {
    const target = await loadTarget(name);
    if (target.kind === 'check') await target.setup?.();
    after(async () => {
      if (target.kind === 'check') await target.close?.();
    });
    const dir = new URL(`${name}/`, root);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.meta.json'))
      .sort()) {
      const id = file.slice(0, -'.meta.json'.length);
      const meta = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Meta;
      const bin = new URL(`${id}.bin`, dir);
      const input = existsSync(bin) ? readFileSync(bin) : JSON.parse(readFileSync(new URL(`${id}.json`, dir), 'utf8'));
      test(`${id}: ${meta.error.slice(0, 100)}`, meta.todo ? { todo: meta.todo } : {}, async () => {
        const ms = await runOnce(target, input);
        assert.ok(ms < budgetMs, `took ${ms.toFixed(0)} ms`);
      });
    }
    const corpus = new URL('corpus/', dir);
    if (existsSync(corpus)) {
      const files = readdirSync(corpus)
        .filter((f) => f.endsWith('.bin'))
        .sort();
      test(`the committed corpus (${files.length} inputs) gives only coded errors`, async () => {
        for (const f of files) {
          const ms = await runOnce(target, readFileSync(new URL(f, corpus)));
          assert.ok(ms < budgetMs, `${f} took ${ms.toFixed(0)} ms`);
        }
      });
    }
  });
}

test('every fuzz target loads and names itself as its folder', async () => {
  for (const name of targetNames) assert.equal((await loadTarget(name)).name, name);
});

test('a short fuzz run of every target (seed 1) finds nothing but the failures saved above', async () => {
  const { runTarget } = await import('../scripts/fuzz/engine.ts');
  for (const name of targetNames) {
    const dir = new URL(`${name}/`, root);
    const saved = new Set(
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.meta.json'))
            .map((f) => (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { signature: string }).signature)
        : [],
    );
    const stats = await runTarget(await loadTarget(name), { inputs: 300, seconds: 0, seed: 1, budgetMs: budgetMs });
    const unknown = stats.failures.filter((f) => !saved.has(f.signature)).map((f) => `${f.signature}: ${f.error}`);
    assert.deepEqual(unknown, [], `${name} found new failures`);
    assert.equal(stats.inputs, 300, name);
  }
});
