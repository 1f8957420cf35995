import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveError } from '../errors.ts';
import { parseRefererRules, refererHost, refererMatches, refererRefusal } from './referer-check.ts';

test('rules: ;-separated hosts, wildcards, URLs read as their host, duplicates and blanks dropped', () => {
  assert.deepEqual(parseRefererRules(' Example.com ; *.cdn.example.com;;https://web.example.org/page;example.com'), [
    'example.com',
    '*.cdn.example.com',
    'web.example.org',
  ]);
  assert.deepEqual(parseRefererRules(''), []);
  for (const bad of ['exa mple.com', 'a*.example.com', '<script>', 'example.com:999999']) {
    assert.throws(
      () => parseRefererRules(bad),
      (e: unknown) => e instanceof LiveError && e.code === 'REFERER_RULES_INVALID',
      bad,
    );
  }
  assert.throws(
    () => parseRefererRules(Array.from({ length: 201 }, (_, i) => `h${i}.example.com`).join(';')),
    /at most 200/,
  );
});

test('matching: exact host, *. for subdomains only, ports optional in rules', () => {
  assert.equal(refererHost('https://WWW.Example.com:8443/p?q=1'), 'www.example.com:8443');
  assert.equal(refererHost('example.com/page'), 'example.com');
  assert.equal(refererHost('  '), '');
  assert.ok(refererMatches('www.example.com:8443', '*.example.com'));
  assert.ok(!refererMatches('example.com', '*.example.com'));
  assert.ok(!refererMatches('badexample.com', '*.example.com'));
  assert.ok(refererMatches('example.com:80', 'example.com'));
  assert.ok(!refererMatches('example.com:80', 'example.com:8080'));
});

test('allow list, deny list and AllowEmpty decide with REFERER_DENIED; no header at all (RTMP) is never checked', () => {
  const allow = { enabled: true, type: 'allow' as const, allowEmpty: false, rules: ['*.example.com'] };
  assert.equal(refererRefusal(allow, 'https://www.example.com/'), undefined);
  assert.equal(refererRefusal(allow, 'https://evil.test/')?.code, 'REFERER_DENIED');
  assert.match(refererRefusal(allow, 'https://evil.test/')!.reason, /^18\/320/);
  assert.equal(refererRefusal(allow, '')?.code, 'REFERER_DENIED');
  assert.equal(refererRefusal({ ...allow, allowEmpty: true }, ''), undefined);
  assert.equal(refererRefusal(allow, undefined), undefined);
  assert.equal(refererRefusal({ ...allow, enabled: false }, 'https://evil.test/'), undefined);
  const deny = { enabled: true, type: 'deny' as const, allowEmpty: true, rules: ['evil.test'] };
  assert.equal(refererRefusal(deny, 'http://evil.test/x')?.code, 'REFERER_DENIED');
  assert.equal(refererRefusal(deny, 'http://fine.test/x'), undefined);
});

test('any Referer text never throws, and an allow list never admits what its deny twin admits', () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.array(fc.constantFrom('example.com', '*.example.com', 'evil.test')),
      (header, rules) => {
        const base = { enabled: true, allowEmpty: true, rules };
        const allowed = refererRefusal({ ...base, type: 'allow' }, header) === undefined;
        const denied = refererRefusal({ ...base, type: 'deny' }, header) !== undefined;
        if (refererHost(header) !== '') assert.equal(allowed, denied);
      },
    ),
  );
});
