import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RtmpConnection } from '../rtmp/rtmp-connection.ts';
import { Drainer, type DrainerDeps } from './drainer.ts';
import type { Log } from '../../log.ts';

const log = { info: () => {}, warn: () => {}, child: () => log } as unknown as Log;

/** A publishing connection: `capable` announced Reconnect; `leaves` disconnects when asked to reconnect. */
function conn(key: string, capable: boolean, leaves: boolean) {
  const c = {
    publishes: true,
    publishingKey: key,
    asked: undefined as string | undefined,
    closedWith: undefined as string | undefined,
    requestReconnect(advertise: string | undefined) {
      if (!capable) return false;
      c.asked = advertise ?? '';
      if (leaves) setTimeout(() => (c.publishes = false), 20);
      return true;
    },
    closeForDrain(reason: string) {
      if (!c.publishes) return false;
      c.publishes = false;
      c.closedWith = reason;
      return true;
    },
  };
  return c;
}

function drainer(conns: ReturnType<typeof conn>[], over: Partial<DrainerDeps> = {}) {
  const released: string[] = [];
  let stopped = 0;
  const d = new Drainer({
    log,
    nodeId: 'box-w1',
    waitMs: 300,
    stopAccepting: () => void stopped++,
    nodes: async () => [
      { nodeId: 'box-w1', advertise: '127.0.0.1:1' },
      { nodeId: 'box-w2', advertise: '127.0.0.1:2' },
      { nodeId: 'other', advertise: '10.0.0.2:1935' },
    ],
    publishers: () => conns.filter((c) => c.publishes) as unknown as RtmpConnection[],
    releaseClaim: async (key) => void released.push(key),
    endPlayers: () => 3,
    endOthers: async () => {},
    countError: () => {},
    ...over,
  });
  return { d, released, stopped: () => stopped };
}

test('asks capable publishers to move to another machine, releases their claims, closes the rest with 10/0; idempotent', async () => {
  const moving = conn('live/a', true, true);
  const legacy = conn('live/b', false, false);
  const { d, released, stopped } = drainer([moving, legacy]);
  assert.equal(d.state, 'serving');
  const first = d.drain('test');
  assert.equal(d.refusing, true);
  const report = await first;
  assert.equal(moving.asked, '10.0.0.2:1935', 'not this node, not its sibling worker');
  assert.deepEqual(released, ['live/a']);
  assert.match(legacy.closedWith ?? '', /^10\/0: SERVER_DRAINING: /);
  assert.deepEqual(report, {
    state: 'drained',
    target: '10.0.0.2:1935',
    requested: 1,
    moved: 1,
    closed: 1,
    playersEnded: 3,
  });
  assert.equal(await d.drain('again'), report);
  assert.equal(stopped(), 1);
  assert.equal(d.refusal().code, 'SERVER_DRAINING');
});

test('a publisher that does not leave within waitMs is closed; without another node the request has no tcUrl', async () => {
  const stays = conn('live/a', true, false);
  const { d } = drainer([stays], {
    nodes: async () => {
      throw new Error('redis down');
    },
  });
  const report = await d.drain('test');
  assert.equal(stays.asked, '');
  assert.equal(report.moved, 0);
  assert.equal(report.closed, 1);
  assert.equal(report.target, '');
});
