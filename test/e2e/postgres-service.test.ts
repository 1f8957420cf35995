/**
 * A whole openlive on PostgreSQL (store.url): ffmpeg publishes, a push with a wrong signature is refused,
 * and both the publish record and the refusal land in PostgreSQL (read there directly, not through the
 * store) and are listed by the Cloud API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { postgresBin, startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const skip = postgresBin() === undefined ? 'PostgreSQL is not installed (scripts/test.sh installs it)' : false;
let server: PostgresServer;
let url: string;
let svc: TestService;
let client: LiveClient & { close(): void };
const running: FfmpegProcess[] = [];
const startedAt = new Date(Date.now() - 60_000);

before(async () => {
  if (skip) return;
  server = await startPostgres();
  url = await server.createDatabase();
  svc = await startService({ store: { url, poolSize: 4 } });
  const key = svc.service.createdCredential;
  assert.ok(key, 'the first start creates an API key pair (in PostgreSQL)');
  client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15 });
});

after(async () => {
  await Promise.all(running.map((ff) => ff.stop()));
  client?.close();
  await svc?.close();
  await server?.stop();
});

async function sql(text: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

const utc = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

test('a publish and a refused push land in PostgreSQL and the Cloud API lists them', { skip }, async () => {
  const domain = svc.service.defaults.push!.name;
  const ff = publish(svc.urls('pgcam').push.rtmp);
  running.push(ff);
  await waitFor(
    'live/pgcam online',
    async () => (await client.DescribeLiveStreamOnlineList({ DomainName: domain, StreamName: 'pgcam' })).TotalNum === 1,
    30_000,
  );
  const open = await sql("SELECT node_id, stream, ended_at FROM publish_records WHERE stream = 'pgcam'");
  assert.deepEqual(
    open,
    [{ node_id: svc.service.nodeId, stream: 'pgcam', ended_at: null }],
    'the open session is a row of this node (cluster.nodeId, default the hostname)',
  );
  assert.equal(svc.service.nodeId, svc.service.coordinator.nodeId, 'one id for the store and the Coordinator');

  const bad = svc.urls('pgcam2').push.rtmp.replace(/txSecret=[0-9a-f]+/, 'txSecret=00000000000000000000000000000000');
  const refused = publish(bad, { seconds: 10 });
  running.push(refused);
  assert.notEqual(await refused.exited, 0);
  assert.match(refused.stderr(), /18\/503/);

  await ff.stop();
  await waitFor(
    'the session ended in PostgreSQL',
    async () =>
      (await sql("SELECT 1 FROM publish_records WHERE stream = 'pgcam' AND ended_at IS NOT NULL")).length === 1,
    20_000,
  );
  await waitFor(
    'the refusal in PostgreSQL',
    async () => (await sql("SELECT 1 FROM rejected_attempts WHERE stream = 'pgcam2'")).length === 1,
    20_000,
  );
  const [attempt] = await sql("SELECT break_code, code FROM rejected_attempts WHERE stream = 'pgcam2'");
  assert.deepEqual(attempt, { break_code: '18/503', code: 'SIGNATURE_INVALID' });

  const window = { StartTime: utc(startedAt), EndTime: utc(new Date(Date.now() + 2000)) };
  const published = await client.DescribeLiveStreamPublishedList({
    ...window,
    DomainName: domain,
    StreamName: 'pgcam',
  });
  assert.equal(published.TotalNum, 1);
  const rejected = await client.request('OpenLiveDescribeRejectedPushList', {
    ...window,
    StreamName: 'pgcam2',
    IsStrict: 1,
  });
  assert.equal(rejected.TotalNum, 1);
  assert.deepEqual(
    [rejected.RejectedList[0].BreakCode, rejected.RejectedList[0].ErrorCode],
    ['18/503', 'SIGNATURE_INVALID'],
  );
});

test(
  "the CLI works on the same PostgreSQL store: a domain added there is the running service's",
  { skip },
  async () => {
    const main = new URL('../../src/main.ts', import.meta.url).pathname;
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [main, ...args, '--data-dir', svc.dataDir, '--store.url', url], {
        timeout: 60_000,
      });
    const listed = await cli('domain', 'list');
    assert.match(listed.stdout, new RegExp(svc.service.defaults.push!.name.replace(/\./g, '\\.')));
    await cli('domain', 'add', 'cli.example.com', '--type', 'push');
    assert.equal((await svc.service.store.getDomain('cli.example.com'))?.type, 'push');
    assert.equal((await sql("SELECT name FROM domains WHERE name = 'cli.example.com'")).length, 1);
  },
);
