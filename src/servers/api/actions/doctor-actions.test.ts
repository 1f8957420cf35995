import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { streamTestBed, t0, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import type { ApiActions } from '../api-action.ts';
import { doctorActions } from './doctor-actions.ts';

let bed: StreamTestBed;
let actions: ApiActions;
let closedPort: number;
beforeEach(async () => {
  bed = await streamTestBed();
  await bed.deps.domains.setDefault('push', 'push.example.com');
  actions = doctorActions(bed.deps);
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  closedPort = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
});
afterEach(() => bed.close());

interface Check {
  Name: string;
  Title: string;
  Status: string;
  Detail: string;
  Fix: string;
  BreakCode: string;
}

test('OpenLiveDiagnosePushUrl needs PushUrl', async () => {
  await assert.rejects(bed.call(actions, 'OpenLiveDiagnosePushUrl', {}), { code: 'MissingParameter' });
  await assert.rejects(bed.call(actions, 'OpenLiveDiagnosePushUrl', { PushUrl: 7 }), { code: 'InvalidParameterValue' });
});

test('a live stream and a closed port: the checks in PascalCase, who publishes from the live registry, Ok false', async () => {
  await bed.publish('live', 'demo', { clientIp: '198.51.100.4' });
  bed.clock.now = t0 + 90_000;
  await bed.store.addRejectedAttempt({
    at: t0 + 60_000,
    action: 'publish',
    clientIp: '198.51.100.5',
    host: '127.0.0.1',
    domain: 'push.example.com',
    app: 'live',
    stream: 'demo',
    breakCode: '18/601',
    code: 'STREAM_ALREADY_PUBLISHING',
    reason: '18/601: "live/demo" is already being published',
    query: '',
  });
  const answer = await bed.call(actions, 'OpenLiveDiagnosePushUrl', {
    PushUrl: `rtmp://127.0.0.1:${closedPort}/live/demo`,
  });
  const checks = answer.Checks as Check[];
  assert.deepEqual(
    checks.map((c) => `${c.Name} ${c.Status}`),
    [
      'url pass',
      'domain pass',
      'cname pass',
      'port fail',
      'txTime pass',
      'txSecret pass',
      'live fail',
      'forbidden pass',
      'admission fail',
    ],
  );
  assert.equal((answer.Verdict as { BreakCode: string }).BreakCode, '18/601', "the admission path's own answer");
  const live = checks.find((c) => c.Name === 'live')!;
  assert.equal(live.Title, 'Stream in use');
  assert.equal(live.BreakCode, '18/601');
  assert.match(
    live.Detail,
    /live\/demo is being published from 198\.51\.100\.4 since 2026-11-25T10:00:00Z \(1m30s\) on push\.example\.com \(the server's live publishers\)/,
  );
  assert.match(checks.find((c) => c.Name === 'port')!.Detail, /connection refused/);
  assert.deepEqual(answer.RejectedAttempts, [
    {
      Time: '2026-11-25T10:01:00Z',
      BreakCode: '18/601',
      Code: 'STREAM_ALREADY_PUBLISHING',
      Reason: '18/601: "live/demo" is already being published',
      ClientIp: '198.51.100.5',
      Host: '127.0.0.1',
      DomainName: 'push.example.com',
    },
  ]);
  assert.equal(answer.Ok, false);
  assert.equal(answer.DomainName, 'push.example.com');
});

test('a URL that is not RTMP answers one failed check rather than an error', async () => {
  const answer = await bed.call(actions, 'OpenLiveDiagnosePushUrl', {
    PushUrl: 'http://push.example.com/live/demo.flv',
  });
  assert.deepEqual(
    (answer.Checks as Check[]).map((c) => `${c.Name} ${c.Status}`),
    ['url fail'],
  );
  assert.equal(answer.Ok, false);
  assert.equal(answer.AppName, '');
});
