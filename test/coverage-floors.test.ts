/** The coverage floors skip files without runtime code and still count every file that has some. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTypeOnly, layerFigures } from '../scripts/coverage-floors.ts';

test('a file of types and comments is type-only; one statement makes it code', () => {
  assert.equal(isTypeOnly("import type { A } from './a.ts';\n/** doc */\nexport interface B { a: A }\n"), true);
  assert.equal(isTypeOnly("export type { A } from './a.ts';\n// note\nexport type C = number;\n"), true);
  assert.equal(isTypeOnly('export interface B { a: number }\nexport const b = 1;\n'), false);
  assert.equal(isTypeOnly("import { x } from './x.ts';\nexport interface B { a: number }\n"), false);
});

test('an uncovered type-only file does not count against its layer; an uncovered code file does', () => {
  const summary = {
    '/r/src/hub/types.ts': { lines: { total: 38, covered: 0 } },
    '/r/src/hub/code.ts': { lines: { total: 10, covered: 0 } },
    '/r/src/hub/used.ts': { lines: { total: 10, covered: 10 } },
  };
  const typeOnly = (p: string) => p.endsWith('types.ts');
  const hub = layerFigures(summary, '/r', undefined, typeOnly).figures.find((f) => f.layer.name === 'hub/');
  assert.deepEqual([hub?.files, hub?.total, hub?.covered], [2, 20, 10]);
});
