/**
 * The interruption callback survives `kill -9`: a real openlive process is SIGKILLed while ffmpeg
 * publishes, and the next start on the same data directory sends the push's interruption (5/0, the
 * push's sequence and fields) to a real receiver on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SqliteStore, sqliteFileIn } from '../../src/store/sqlite-store.ts';
import { publish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
type Body = Record<string, any>;

/** Starts `node src/main.ts` on free ports and resolves with its banner's push URL. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; pushUrl: string }> {
  const args = [
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
  ];
  args.push('--api.port', '0', '--api.host', '127.0.0.1', '--log.level', 'warn');
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the banner', () => /HTTP-FLV +http:\/\/[^\s]+/.test(out) || child.exitCode !== null, 20_000);
  const pushUrl = /(rtmp:\/\/\S+\/live\/demo\?txSecret=\S+)/.exec(out)?.[1];
  assert.ok(pushUrl, `no push URL in the banner: ${out}`);
  return { child, pushUrl };
}

test("kill -9 while live: the next start delivers the interruption with the push's sequence", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-cb-crash-'));
  const received: Array<{ path: string; body: Body }> = [];
  const rx = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) as Body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  rx.listen(0, '127.0.0.1');
  await once(rx, 'listening');
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rx.closeAllConnections();
    rx.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;

  // The template and its rule go straight into the store before the first start (the default push domain's `live`).
  const store = new SqliteStore({ file: sqliteFileIn(dataDir) });
  const templateId = await store.callbacks.addCallbackTemplate({
    name: 'crash',
    description: '',
    callbackKey: 'crash-key',
    createdAt: Date.now(),
    urls: { streamBegin: `${base}/begin`, streamEnd: `${base}/end` },
  });
  await store.callbacks.setCallbackRule({
    domain: 'push.localhost',
    app: 'live',
    templateId,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  await store.close();

  const first = await startServer(dataDir);
  children.push(first.child);
  const ff = publish(first.pushUrl, { seconds: 60 });
  let killedAt: number;
  try {
    await waitFor('the push callback', () => received.some((r) => r.path === '/begin'), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    killedAt = Date.now();
  } finally {
    await ff.stop();
  }
  assert.deepEqual(
    received.map((r) => r.path),
    ['/begin'],
    'a killed server sent no interruption',
  );

  const second = await startServer(dataDir);
  children.push(second.child);
  await waitFor('the interruption callback', () => received.some((r) => r.path === '/end'), 20_000);
  second.child.kill('SIGTERM');
  await once(second.child, 'exit');

  const push = received[0]!.body;
  const end = received.find((r) => r.path === '/end')!.body;
  assert.equal(end.event_type, 0);
  assert.equal(end.sequence, push.sequence, "the interruption carries the push's sequence");
  assert.equal(end.errcode, 5);
  assert.match(end.errmsg, /^5\/0: the server stopped while this stream was live/);
  assert.deepEqual(
    [
      end.app,
      end.appname,
      end.stream_id,
      end.channel_id,
      end.stream_param,
      end.user_ip,
      end.node,
      end.width,
      end.height,
    ],
    [
      push.app,
      push.appname,
      push.stream_id,
      push.channel_id,
      push.stream_param,
      push.user_ip,
      push.node,
      push.width,
      push.height,
    ],
  );
  assert.equal(end.stream_id, 'demo');
  // The push lasted at least until the kill; its end is the recovery, after the kill.
  const duration = Number(end.push_duration);
  assert.ok(
    duration >= 1000 && end.event_time * 1000 + 999 >= killedAt,
    `push_duration ${end.push_duration}, event_time ${end.event_time}`,
  );
  assert.ok(
    Math.abs(end.event_time - (push.event_time + duration / 1000)) <= 1,
    'push_duration runs from the push to the recovery',
  );
  assert.equal(end.t, end.event_time + 600);
  assert.equal(end.sign, md5(`crash-key${end.t}`));
  assert.equal(received.filter((r) => r.path === '/end').length, 1);
});
