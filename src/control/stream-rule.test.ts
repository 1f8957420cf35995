import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleFor } from './stream-rule.ts';

const rule = (domain: string, app: string, stream: string, templateId: number) => ({ domain, app, stream, templateId });

test('the rule naming the stream wins over the AppName-wide one, which wins over the domain-wide one', () => {
  const rules = [rule('d', '', '', 1), rule('d', 'live', '', 2), rule('d', 'live', 'cam', 3), rule('e', '', '', 4)];
  assert.equal(ruleFor(rules, 'd', 'live', 'cam')?.templateId, 3);
  assert.equal(ruleFor(rules, 'd', 'live', 'other')?.templateId, 2);
  assert.equal(ruleFor(rules, 'd', 'vod', 'cam')?.templateId, 1);
  assert.equal(ruleFor(rules, 'e', 'live', 'cam')?.templateId, 4);
  assert.equal(ruleFor(rules, 'f', 'live', 'cam'), undefined);
  assert.equal(ruleFor([rule('d', 'other', '', 5)], 'd', 'live', 'cam'), undefined, 'another AppName does not match');
});
