/**
 * Records survive `kill -9` of the server: a real openlive process is killed while a stream is live
 * and after a refusal; its SQLite file still holds both, and the next start closes the open session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SqliteStore, sqliteFileIn } from '../../src/store/sqlite-store.ts';
import { publish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;

/** Starts `node src/main.ts` on free ports and resolves with its banner's push URL and HTTP port. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; pushUrl: string; httpPort: number }> {
  const child = spawn(
    process.execPath,
    [
      main,
      '--data-dir',
      dataDir,
      '--rtmp.port',
      '0',
      '--http.port',
      '0',
      '--rtmp.host',
      '127.0.0.1',
      '--http.host',
      '127.0.0.1',
      '--api.port',
      '0',
      '--api.host',
      '127.0.0.1',
      '--log.level',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the banner', () => /HTTP-FLV +http:\/\/[^\s]+/.test(out) || child.exitCode !== null, 20_000);
  const pushUrl = /(rtmp:\/\/\S+\/live\/demo\?txSecret=\S+)/.exec(out)?.[1];
  const httpPort = Number(/HTTP :(\d+)/.exec(out)?.[1]);
  assert.ok(pushUrl, `no push URL in the banner: ${out}`);
  return { child, pushUrl, httpPort };
}

test('kill -9 while live: the publish record and a rejected attempt survive; the next start ends the session', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-crash-'));
  try {
    const server = await startServer(dataDir);
    const bad = publish(server.pushUrl.replace(/txSecret=[0-9a-f]+/, 'txSecret=0123'), { seconds: 5 });
    await bad.exited;
    const ff = publish(server.pushUrl);
    try {
      await waitFor('the stream to be live', async () => {
        const res = await fetch(`http://127.0.0.1:${server.httpPort}/live/demo.flv`, { method: 'HEAD' });
        return res.status === 200;
      });
      server.child.kill('SIGKILL');
      await once(server.child, 'exit');
    } finally {
      await ff.stop();
    }
    const store = new SqliteStore({ file: sqliteFileIn(dataDir) });
    const records = await store.listPublishRecords({ limit: 10 });
    const rejected = await store.listRejectedAttempts({ limit: 10 });
    await store.close();
    assert.equal(records.items.length, 1);
    assert.equal(records.items[0]!.stream, 'demo');
    assert.equal(records.items[0]!.endedAt, null, 'the session was live when the server died');
    assert.equal(rejected.items[0]?.breakCode, '18/503');

    const again = await startServer(dataDir);
    again.child.kill('SIGTERM');
    await once(again.child, 'exit');
    const reopened = new SqliteStore({ file: sqliteFileIn(dataDir) });
    const after = await reopened.listPublishRecords({ limit: 10 });
    await reopened.close();
    assert.equal(after.items[0]!.breakCode, '5/0');
    assert.ok(after.items[0]!.endedAt !== null);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
