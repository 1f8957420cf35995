/**
 * Referer allow/deny lists (issue 15), through the real tencentcloud-sdk-nodejs: ModifyLiveDomainReferer on the
 * play domain, then HTTP-FLV, WS-FLV and HLS plays refused with 403 REFERER_DENIED (recorded and counted like
 * other refusals) while a listed Referer plays; DescribeLiveDomainReferer answers the SDK's RefererAuthConfig.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, sdkError, type LiveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';

let svc: TestService;
let client: LiveClient & { close(): void };
let playDomain: string;
let ff: FfmpegProcess;

before(async () => {
  svc = await startService();
  client = liveClient(svc.apiEndpoint, svc.service.createdCredential!, { reqTimeout: 15 });
  playDomain = svc.service.defaults.play!.name;
  ff = publish(svc.urls('ref').push.rtmp);
  await waitFor('live/ref live', () => svc.service.hub.get('live/ref')?.live === true, 20_000);
});

after(async () => {
  await ff.stop();
  client.close();
  await svc.close();
});

/** GETs `url` with `referer` (none when undefined); resolves with the status and the first bytes of the body. */
function get(url: string, referer?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: referer === undefined ? {} : { referer } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => {
        body += d;
        if (body.length >= 13) {
          resolve({ status: res.statusCode ?? 0, body });
          res.destroy();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WS-FLV upgrade with `referer`; resolves with the status line and what followed it. */
async function wsFlv(url: string, referer: string): Promise<string> {
  const u = new URL(url.replace(/^http/, 'ws'));
  const socket = connect(Number(u.port), u.hostname);
  await once(socket, 'connect');
  socket.write(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nReferer: ${referer}\r\n\r\n`,
  );
  let text = '';
  socket.setEncoding('latin1');
  await new Promise<void>((resolve) => {
    socket.on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n\r\n') && (text.startsWith('HTTP/1.1 101') || text.includes('}'))) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.destroy();
  return text;
}

test('ModifyLiveDomainReferer stores the SDK fields; DescribeLiveDomainReferer answers them; bad rules are InvalidParameterValue', async () => {
  const before = await client.DescribeLiveDomainReferer({ DomainName: playDomain });
  assert.deepEqual(before.RefererAuthConfig, { DomainName: playDomain, Enable: 0, Type: 0, AllowEmpty: 1, Rules: '' });
  await client.ModifyLiveDomainReferer({
    DomainName: playDomain,
    Enable: 1,
    Type: 1,
    AllowEmpty: 0,
    Rules: '*.example.com;player.test',
  });
  const after = await client.DescribeLiveDomainReferer({ DomainName: playDomain });
  assert.deepEqual(after.RefererAuthConfig, {
    DomainName: playDomain,
    Enable: 1,
    Type: 1,
    AllowEmpty: 0,
    Rules: '*.example.com;player.test',
  });
  const bad = await sdkError(
    client.ModifyLiveDomainReferer({ DomainName: playDomain, Enable: 1, Type: 1, AllowEmpty: 0, Rules: 'not a host' }),
  );
  assert.equal(bad.code, 'InvalidParameterValue');
  assert.match(bad.message, /REFERER_RULES_INVALID/);
  const push = await sdkError(client.DescribeLiveDomainReferer({ DomainName: svc.service.defaults.push!.name }));
  assert.equal(push.code, 'InvalidParameterValue', 'a push domain has no referer list');
});

test('an allow list refuses HTTP-FLV, WS-FLV and HLS plays from other referers with 403 REFERER_DENIED and plays listed ones', async () => {
  await client.ModifyLiveDomainReferer({
    DomainName: playDomain,
    Enable: 1,
    Type: 1,
    AllowEmpty: 0,
    Rules: '*.example.com',
  });
  const play = svc.urls('ref').play!;
  const rejectedBefore = svc.service.counters.rejectedPlays;

  const refusedFlv = await get(play.flv, 'https://evil.test/page');
  assert.equal(refusedFlv.status, 403);
  assert.match(refusedFlv.body, /REFERER_DENIED/);
  const emptyFlv = await get(play.flv);
  assert.equal(emptyFlv.status, 403, 'AllowEmpty 0 refuses a play without a Referer');
  assert.match(emptyFlv.body, /REFERER_DENIED/);
  const refusedHls = await get(play.hls, 'https://evil.test/page');
  assert.equal(refusedHls.status, 403);
  assert.match(refusedHls.body, /REFERER_DENIED/);
  const refusedWs = await wsFlv(play.flv, 'https://evil.test/page');
  assert.match(refusedWs, /^HTTP\/1\.1 403/);
  assert.match(refusedWs, /REFERER_DENIED/);

  const allowedFlv = await get(play.flv, 'https://www.example.com/watch');
  assert.equal(allowedFlv.status, 200);
  assert.equal(allowedFlv.body.slice(0, 3), 'FLV');
  assert.match(await wsFlv(play.flv, 'https://www.example.com/watch'), /^HTTP\/1\.1 101/);
  await waitFor(
    'HLS playlist ready',
    async () => (await get(play.hls, 'https://www.example.com/watch')).status === 200,
    30_000,
  );
  assert.match((await get(play.hls, 'https://www.example.com/watch')).body, /^#EXTM3U/);

  assert.equal(svc.service.counters.rejectedPlays - rejectedBefore, 4, 'each refusal is counted');
  await waitFor('refusals recorded', async () => {
    const page = await svc.service.store.listRejectedAttempts({ action: 'play' });
    return page.items.filter((a) => a.code === 'REFERER_DENIED').length >= 4;
  });
  const rows = (await svc.service.store.listRejectedAttempts({ action: 'play' })).items.filter(
    (a) => a.code === 'REFERER_DENIED',
  );
  assert.ok(rows.every((a) => a.breakCode === '18/320' && a.stream === 'ref'));

  // A deny list lets others through; disabling the list lets everyone play.
  await client.ModifyLiveDomainReferer({
    DomainName: playDomain,
    Enable: 1,
    Type: 0,
    AllowEmpty: 1,
    Rules: 'evil.test',
  });
  assert.equal((await get(play.flv, 'https://evil.test/')).status, 403);
  assert.equal((await get(play.flv, 'https://other.test/')).status, 200);
  await client.ModifyLiveDomainReferer({
    DomainName: playDomain,
    Enable: 0,
    Type: 0,
    AllowEmpty: 1,
    Rules: 'evil.test',
  });
  assert.equal((await get(play.flv, 'https://evil.test/')).status, 200);
});
