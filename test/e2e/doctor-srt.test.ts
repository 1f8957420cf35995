/**
 * The troubleshooter on srt:// push URLs against a real openlive process with SRT on: the Cloud API
 * action and the CLI (its own process over the server's data dir) do a real SRT handshake with the
 * stream id. A good URL passes every check, a wrong txSecret is named by the txSecret check (and the
 * probe itself leaves no rejection behind), a closed UDP port is "UDP unreachable".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { isIP } from 'node:net';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { publish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const main = new URL('../../src/main.ts', import.meta.url).pathname;

/** A UDP port nobody is bound to at 127.0.0.1 right now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Answer {
  Checks: Array<{ Name: string; Status: string; Detail: string; Fix: string; BreakCode: string }>;
  RejectedAttempts: unknown[];
  Ok: boolean;
}

let server: ServerProcess;
let client: LiveClient & { close(): void };
let srtPort: number;
/** The banner's signature, as an SRT stream id in Tencent's form. */
let streamId: (secret?: string) => string;

before(async () => {
  srtPort = await freeUdpPort();
  server = await startServerProcess([
    '--srt.enabled',
    'true',
    '--srt.host',
    '127.0.0.1',
    '--srt.port',
    String(srtPort),
  ]);
  const push = new URL(server.pushUrl);
  const h = isIP(push.hostname) === 0 ? `h=${push.hostname},` : '';
  streamId = (secret) =>
    `#!::${h}r=live/demo,txSecret=${secret ?? push.searchParams.get('txSecret')},txTime=${push.searchParams.get('txTime')}`;
  client = liveClient(`127.0.0.1:${server.apiPort}`, { secretId: server.secretId!, secretKey: server.secretKey! });
});
after(async () => {
  client.close();
  await server.stop();
});

const diagnose = (url: string): Promise<Answer> =>
  client.request('OpenLiveDiagnosePushUrl', { PushUrl: url }) as Promise<Answer>;
const check = (a: Answer, name: string) => a.Checks.find((c) => c.Name === name)!;

test(
  'Cloud API: a good srt:// URL passes every check, the SRT port by a real handshake',
  { timeout: 30_000 },
  async () => {
    const a = await diagnose(`srt://127.0.0.1:${srtPort}?streamid=${streamId()}&latency=200000`);
    assert.deepEqual(
      a.Checks.map((c) => `${c.Name} ${c.Status}`),
      ['url', 'domain', 'cname', 'udp', 'txTime', 'txSecret', 'live', 'forbidden', 'admission'].map((n) => `${n} pass`),
      JSON.stringify(a.Checks, null, 1),
    );
    assert.match(check(a, 'udp').Detail, new RegExp(`127\\.0\\.0\\.1:${srtPort} answers SRT \\(induction [\\d.]+ ms`));
    assert.equal(a.Ok, true);
  },
);

test(
  'Cloud API: a wrong txSecret is named by the txSecret check; the probe leaves no rejection',
  { timeout: 30_000 },
  async () => {
    const url = `srt://127.0.0.1:${srtPort}?streamid=${streamId('0'.repeat(32))}`;
    const a = await diagnose(url);
    assert.equal(check(a, 'udp').Status, 'pass', 'the probe is answered without admission');
    assert.equal(check(a, 'txSecret').Status, 'fail');
    assert.equal(check(a, 'txSecret').BreakCode, '18/503');
    assert.equal(check(a, 'admission').Status, 'fail');
    assert.equal(a.Ok, false);
    const again = await diagnose(url);
    assert.deepEqual(again.RejectedAttempts, [], 'no probe was recorded as a rejected publish');
  },
);

test(
  'a live stream: the SRT check says "in use"; the probe neither drops nor replaces the publisher',
  { timeout: 60_000 },
  async () => {
    const ff = publish(server.pushUrl);
    try {
      const online = async (): Promise<number> =>
        ((await client.DescribeLiveStreamOnlineList({ StreamName: 'demo' })).OnlineInfo ?? []).length;
      await waitFor('the RTMP publisher', async () => (await online()) === 1, 20_000);
      const a = await diagnose(`srt://127.0.0.1:${srtPort}?streamid=${streamId()}`);
      assert.equal(check(a, 'udp').Status, 'pass');
      assert.equal(check(a, 'live').Status, 'fail');
      assert.equal(check(a, 'live').BreakCode, '18/601');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(ff.child.exitCode, null, `ffmpeg still publishing: ${ff.stderr()}`);
      assert.equal(await online(), 1);
    } finally {
      await ff.stop();
    }
  },
);

test(
  'CLI: openlive doctor takes srt:// URLs; a closed UDP port is "UDP unreachable"',
  { timeout: 60_000 },
  async () => {
    const config = ['--data-dir', server.dataDir, '--http.host', '127.0.0.1', '--http.port', String(server.httpPort)];
    const srt = ['--srt.enabled', 'true', '--srt.host', '127.0.0.1', '--srt.port', String(srtPort)];
    const doctor = async (url: string) => {
      try {
        const { stdout } = await run(
          process.execPath,
          [main, 'doctor', url, '--timeout-ms', '1500', ...config, ...srt],
          { timeout: 30_000 },
        );
        return { stdout, code: 0 };
      } catch (err) {
        const e = err as { stdout: string; stderr: string; code: number };
        return { stdout: e.stdout + e.stderr, code: e.code };
      }
    };
    const good = await doctor(`srt://127.0.0.1:${srtPort}?streamid=${streamId()}`);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /PASS {2}SRT port \(UDP\) +127\.0\.0\.1:\d+ answers SRT/);
    const closedPort = await freeUdpPort();
    const closed = await doctor(`srt://127.0.0.1:${closedPort}?streamid=${streamId()}`);
    assert.equal(closed.code, 2, closed.stdout);
    assert.match(
      closed.stdout,
      new RegExp(
        `FAIL {2}SRT port \\(UDP\\) +cannot reach 127\\.0\\.0\\.1:${closedPort}: UDP unreachable: no SRT answer \\(timeout`,
      ),
    );
    assert.match(closed.stdout, new RegExp(`fix: use port ${srtPort} in the URL`));
  },
);
