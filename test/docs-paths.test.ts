// Every source path the docs name exists, so docs/architecture.md and the rest follow the tree when files move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, globSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;

/** docs/*.md, README.md and CHANGELOG.md. */
function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .map((n) => `docs/${n}`);
  return [...docs, 'README.md', 'CHANGELOG.md'].filter((f) => existsSync(join(root, f)));
}

// `src/…`, `test/…`, `bench/…`, `scripts/…`, `console/src/…`, and the layer-relative `servers/http/x.ts`
// form architecture.md uses (a path inside src/). A path must follow a space, backtick or bracket.
const pathPattern =
  /(?<![\w./-])((?:src|test|bench|scripts|console\/src)\/[\w./*-]*[\w*]|(?:protocol|hub|control|store|cluster|servers|cli|config)\/[\w./*-]*\.ts)/g;

/** Output folders that exist only after a build or a run. */
const generated = ['bench/results', 'bench/.cache', 'test-results'];

/** A markdown text without its "## Not yet" sections, which may name files still to be written. */
function withoutNotYet(text: string): string {
  return text.replace(/^## Not yet\n[\s\S]*?(?=^## |(?![\s\S]))/gm, '');
}

/** The paths named in a markdown text, as paths from the repository root. */
function namedPaths(text: string): string[] {
  return [...withoutNotYet(text).matchAll(pathPattern)].map((m) => {
    const p = m[1]!.replace(/\.$/, '');
    return /^(src|test|bench|scripts|console)\//.test(p) ? p : `src/${p}`;
  });
}

test('namedPaths finds src/ paths, layer-relative .ts paths and globs', () => {
  assert.deepEqual(
    namedPaths('see `src/hub/hub.ts`, servers/http/app.ts and (src/protocol/mp4/*.test.ts). Not a/src/x.'),
    ['src/hub/hub.ts', 'src/servers/http/app.ts', 'src/protocol/mp4/*.test.ts'],
  );
});

test('a "Not yet" section may name a file that does not exist yet', () => {
  assert.deepEqual(namedPaths('# x\n`src/a.ts`\n## Not yet\n- `bench/srt.ts`\n## More\n`src/b.ts`\n'), [
    'src/a.ts',
    'src/b.ts',
  ]);
  assert.deepEqual(namedPaths('## Not yet\n- `src/c.ts`\n'), []);
});

test('every src/ (and test/, bench/, scripts/) path named in the docs exists', () => {
  const missing: string[] = [];
  let checked = 0;
  for (const doc of docFiles()) {
    for (const p of namedPaths(readFileSync(join(root, doc), 'utf8'))) {
      if (generated.some((g) => p.startsWith(g))) continue;
      checked++;
      const found = p.includes('*') ? globSync(p, { cwd: root }).length > 0 : existsSync(join(root, p));
      if (!found) missing.push(`${doc}: ${p}`);
    }
  }
  assert.ok(checked > 100, `only ${checked} paths found: the pattern is broken`);
  assert.deepEqual(missing, [], 'docs name files that do not exist (moved or removed?)');
});
