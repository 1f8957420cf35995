import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGate, normalizeIp } from './connection-gate.ts';

test('the per-address cap refuses the next socket of that address only', () => {
  const gate = new ConnectionGate({ maxTotal: 10, maxPerIp: 2, trusted: [] });
  assert.equal(gate.admit('1.2.3.4'), undefined);
  assert.equal(gate.admit('1.2.3.4'), undefined);
  assert.equal(gate.admit('1.2.3.4'), 'per-ip');
  assert.equal(gate.admit('5.6.7.8'), undefined);
  gate.release('1.2.3.4');
  assert.equal(gate.admit('1.2.3.4'), undefined);
  assert.equal(gate.open, 3);
});

test('the total cap holds for trusted addresses too', () => {
  const gate = new ConnectionGate({ maxTotal: 3, maxPerIp: 1, trusted: ['10.0.0.0/8'] });
  assert.equal(gate.admit('10.1.2.3'), undefined);
  assert.equal(gate.admit('10.1.2.3'), undefined);
  assert.equal(gate.admit('10.1.2.3'), undefined);
  assert.equal(gate.admit('10.1.2.3'), 'total');
});

test('trusted networks: v4 CIDR, v4-mapped v6, v6 CIDR and single addresses', () => {
  const gate = new ConnectionGate({
    maxTotal: 100,
    maxPerIp: 1,
    trusted: ['192.168.0.0/16', '2001:db8::/32', '127.0.0.2'],
  });
  assert.equal(gate.isTrusted('192.168.4.5'), true);
  assert.equal(gate.isTrusted('::ffff:192.168.4.5'), true);
  assert.equal(gate.isTrusted('2001:db8::1'), true);
  assert.equal(gate.isTrusted('127.0.0.2'), true);
  assert.equal(gate.isTrusted('127.0.0.1'), false);
  assert.equal(gate.isTrusted(''), false);
});

test('release of an unknown address or twice never goes negative', () => {
  const gate = new ConnectionGate({ maxTotal: 1, maxPerIp: 1, trusted: [] });
  gate.release('9.9.9.9');
  assert.equal(gate.admit('9.9.9.9'), undefined);
  gate.release('::ffff:9.9.9.9');
  gate.release('9.9.9.9');
  assert.equal(gate.open, 0);
  assert.equal(gate.addresses, 0);
});

test('malformed trusted entries are refused at construction', () => {
  assert.throws(() => new ConnectionGate({ maxTotal: 1, maxPerIp: 1, trusted: ['10.0.0.0/33'] }));
  assert.throws(() => new ConnectionGate({ maxTotal: 1, maxPerIp: 1, trusted: ['example.com'] }));
  assert.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(normalizeIp('::1'), '::1');
});
