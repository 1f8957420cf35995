import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { LiveError } from '../errors.ts';
import { ServerCounters } from '../servers/counters.ts';
import { exitStatus, installFaultHandlers } from './process-faults.ts';
import { installShutdown } from './shutdown.ts';

const silent = pino({ level: 'silent' });

function faults(): { proc: EventEmitter; counters: ServerCounters; exits: number[] } {
  const proc = new EventEmitter();
  const counters = new ServerCounters();
  const exits: number[] = [];
  installFaultHandlers({ log: silent, counters, exit: (s) => exits.push(s), process: proc as never });
  return { proc, counters, exits };
}

test('a rejected LiveError with a known code is counted and the process goes on', () => {
  const { proc, counters, exits } = faults();
  proc.emit('unhandledRejection', new LiveError('RTMP_STATE', 'late'));
  proc.emit('unhandledRejection', new LiveError('RTMP_STATE', 'late again'));
  assert.deepEqual(exits, []);
  assert.deepEqual([...counters.faults.values()], [{ source: 'unhandledRejection', code: 'RTMP_STATE', count: 2 }]);
});

test('a plain rejection, an INTERNAL one or any uncaught exception exits with the fault status', () => {
  for (const [event, reason, code] of [
    ['unhandledRejection', new Error('boom'), 'UNKNOWN'],
    ['unhandledRejection', 'a string', 'UNKNOWN'],
    ['unhandledRejection', new LiveError('INTERNAL', 'wrapped'), 'INTERNAL'],
    ['uncaughtException', new LiveError('RTMP_STATE', 'thrown'), 'RTMP_STATE'],
    ['uncaughtException', new TypeError('x is undefined'), 'UNKNOWN'],
  ] as const) {
    const { proc, counters, exits } = faults();
    proc.emit(event, reason);
    assert.deepEqual(exits, [exitStatus.fault], `${event} ${String(reason)}`);
    assert.equal([...counters.faults.values()][0]?.code, code);
  }
});

function shutdown(drain: () => Promise<void>, timeoutMs: number): { proc: EventEmitter; exits: number[] } {
  const proc = new EventEmitter();
  const exits: number[] = [];
  installShutdown({ log: silent, drain, timeoutMs, exit: (s) => exits.push(s), process: proc as never });
  return { proc, exits };
}

test('SIGTERM drains once and exits 0; a second signal exits at once with 128+n', async () => {
  let release!: () => void;
  let drains = 0;
  const { proc, exits } = shutdown(() => {
    drains++;
    return new Promise<void>((resolve) => (release = resolve));
  }, 60_000);
  proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(drains, 1);
  proc.emit('SIGINT', 'SIGINT');
  assert.deepEqual(exits, [130]);
  release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(exits, [130, 0]);
});

test('a drain past the deadline exits 124; a failed drain exits 1', async () => {
  const stuck = shutdown(() => new Promise<void>(() => {}), 20);
  stuck.proc.emit('SIGTERM', 'SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(stuck.exits, [exitStatus.drainTimeout]);
  const failing = shutdown(() => Promise.reject(new Error('store')), 60_000);
  failing.proc.emit('SIGINT', 'SIGINT');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(failing.exits, [exitStatus.failed]);
});
