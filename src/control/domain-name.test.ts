import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateDomainName } from './domain-name.ts';

test('valid names come back lowercase, without the root dot', () => {
  assert.equal(validateDomainName('Push.Example.COM'), 'push.example.com');
  assert.equal(validateDomainName('push.example.com.'), 'push.example.com');
  assert.equal(validateDomainName('a-b.c0.xn--fiqs8s'), 'a-b.c0.xn--fiqs8s');
  assert.equal(validateDomainName(`${'a'.repeat(63)}.com`), `${'a'.repeat(63)}.com`);
  const longest = [...Array(4)].map(() => 'a'.repeat(61)).join('.') + '.com'; // 4*61 + 3 + 4 = 251
  assert.equal(validateDomainName(longest), longest);
});

test('each invalid name is refused with DOMAIN_NAME_INVALID and a message naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['', /is empty/],
    ['localhost', /at least one dot/],
    [`${'a'.repeat(64)}.com`, /label longer than 63/],
    [[...Array(5)].map(() => 'a'.repeat(50)).join('.') + '.com', /longer than 253/],
    ['a..com', /empty label/],
    ['.example.com', /empty label/],
    ['under_score.example.com', /characters other than a-z, 0-9 and -/],
    ['space .example.com', /characters other than/],
    ['直播.example.com', /punycode/],
    ['-push.example.com', /starts or ends with a hyphen/],
    ['push-.example.com', /starts or ends with a hyphen/],
    ['127.0.0.1', /is an IP address/],
    ['::1', /is an IP address/],
    ['push.example.123', /all-numeric/],
  ];
  for (const [name, message] of cases) {
    assert.throws(() => validateDomainName(name), { code: 'DOMAIN_NAME_INVALID', message }, name);
  }
});
