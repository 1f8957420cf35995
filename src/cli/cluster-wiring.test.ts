import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Coordinator, LostReason, StreamCommand } from '../cluster/coordinator.ts';
import type { LivePublisherInfo, LivePublishers } from '../control/stream-policy.ts';
import { StreamPolicy } from '../control/stream-policy.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { wireCluster } from './cluster-wiring.ts';

/** A Coordinator that only lets the test fire its listeners. */
function fakeCoordinator() {
  const commands: ((c: StreamCommand) => void)[] = [];
  const lost: ((s: string, r: LostReason) => void)[] = [];
  const reconnect: (() => void)[] = [];
  const coordinator = {
    onCommand: (l: (c: StreamCommand) => void) => (commands.push(l), () => commands.splice(commands.indexOf(l), 1)),
    onLost: (l: (s: string, r: LostReason) => void) => (lost.push(l), () => lost.splice(lost.indexOf(l), 1)),
    onReconnect: (l: () => void) => (reconnect.push(l), () => reconnect.splice(reconnect.indexOf(l), 1)),
  } as unknown as Coordinator;
  return {
    coordinator,
    reconnect: () => reconnect.forEach((l) => l()),
    command: (c: StreamCommand) => commands.forEach((l) => l(c)),
    lose: (s: string) => lost.forEach((l) => l(s, 'unreachable')),
    counts: () => commands.length + lost.length + reconnect.length,
  };
}

function live(names: string[]) {
  const drops: string[] = [];
  const publishers: LivePublishers = {
    isLive: (app, stream) => names.includes(`${app}/${stream}`),
    drop: (app, stream, breakCode) => {
      const i = names.indexOf(`${app}/${stream}`);
      if (i < 0) return false;
      names.splice(i, 1);
      drops.push(`${app}/${stream} ${breakCode}`);
      return true;
    },
    list: () =>
      names.map(
        (n) =>
          ({
            app: n.split('/')[0]!,
            stream: n.split('/')[1]!,
            domain: 'd',
            clientIp: '',
            startedAt: 0,
            bytesIn: 0,
          }) as LivePublisherInfo,
      ),
  };
  return { publishers, drops };
}

test('a lost claim drops the local publisher of that stream with 5/0 and counts COORDINATOR_LEASE_LOST; others stay', () => {
  const f = fakeCoordinator();
  const l = live(['live/a', 'live/b']);
  const errors: string[] = [];
  const streams = new StreamPolicy({ store: new MemoryStore(), live: l.publishers, now: Date.now });
  const off = wireCluster({
    coordinator: f.coordinator,
    streams,
    publishers: l.publishers,
    counters: { countError: (c) => errors.push(c) },
    log: pino({ level: 'silent' }),
  });
  f.lose('live/a');
  f.lose('live/none');
  assert.deepEqual(l.drops, ['live/a 5/0']);
  assert.deepEqual(errors, ['COORDINATOR_LEASE_LOST', 'COORDINATOR_LEASE_LOST']);
  f.command({ kind: 'drop', app: 'live', stream: 'b', domain: '', from: 'x' });
  assert.deepEqual(l.drops, ['live/a 5/0', 'live/b 21/100']);
  off();
  assert.equal(f.counts(), 0, 'unsubscribed');
});

test('on reconnect, local publishers that a stored forbid covers are dropped (21/101)', async () => {
  const f = fakeCoordinator();
  const l = live(['live/a', 'live/b']);
  const store = new MemoryStore();
  await store.forbidStream({
    app: 'live',
    stream: 'b',
    domain: '',
    until: Date.now() + 60_000,
    reason: '',
    createdAt: Date.now(),
  });
  const streams = new StreamPolicy({ store, live: l.publishers, now: Date.now });
  wireCluster({
    coordinator: f.coordinator,
    streams,
    publishers: l.publishers,
    counters: { countError: () => undefined },
    log: pino({ level: 'silent' }),
  });
  f.reconnect();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(l.drops, ['live/b 21/101']);
});
