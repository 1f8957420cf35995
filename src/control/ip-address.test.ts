import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { ipVersion } from './ip-address.ts';

test('ipVersion answers as net.isIP on examples and on random addresses and near-addresses', () => {
  const examples = [
    '127.0.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3',
    '::',
    '::1',
    'fe80::1%eth0',
    '2001:db8::8a2e:370:7334',
    '::ffff:192.0.2.1',
    '1:2:3:4:5:6:7:8:9',
    'push.example.com',
    '',
    '[::1]',
  ];
  for (const e of examples) assert.equal(ipVersion(e), isIP(e), e);
  const piece = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%') }),
  );
  fc.assert(
    fc.property(piece, (s) => ipVersion(s) === isIP(s)),
    { numRuns: 5000 },
  );
});
