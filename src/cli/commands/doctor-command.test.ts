import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { configSchema } from '../../config/config-schema.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { bootstrap } from '../../control/bootstrap.ts';
import { formatTxTime, txSecretOf, verifySignature } from '../../control/signing.ts';
import { Domains } from '../../control/domains.ts';
import type { RtmpProbeResult } from '../../control/doctor/push-probe.ts';
import { doctorCommand, headFlvOverHttp, type DoctorIo } from './doctor-command.ts';

const nowMs = Date.UTC(2026, 0, 10, 12, 0, 0);
const reachable: RtmpProbeResult = { ok: true, tcpMs: 1, handshakeMs: 2, connectMs: 1 };
const io: DoctorIo = { probeRtmp: () => Promise.resolve(reachable), headFlv: () => Promise.resolve({ live: false }) };

async function context() {
  const store = new MemoryStore();
  const config = configSchema.parse({ log: { level: 'silent' } });
  const b = await bootstrap({ store, now: () => nowMs, generateKey: () => 'TestPushKey1' });
  const txTime = formatTxTime(nowMs / 1000 + 86400);
  const good = `rtmp://127.0.0.1/live/cam1?txSecret=${txSecretOf(b.push!.auth.key, 'cam1', txTime)}&txTime=${txTime}`;
  return { ctx: { config, store, nowMs }, good };
}

test('a good URL prints one line per check and no failure; ok is true', async () => {
  const { ctx, good } = await context();
  const out = await doctorCommand(ctx, [good], {}, io);
  assert.equal(out.ok, true);
  const lines = out.text.split('\n');
  assert.equal(lines[0], 'Push URL rtmp://127.0.0.1/live/cam1?txSecret=***&txTime=' + good.split('txTime=')[1]);
  assert.deepEqual(
    lines.filter((l) => /^(PASS|WARN|FAIL) /.test(l)).map((l) => l.slice(0, 22).trimEnd()),
    [
      'PASS  Push URL',
      'PASS  Push domain',
      'PASS  CNAME',
      'PASS  RTMP port',
      'PASS  txTime',
      'PASS  txSecret',
      'PASS  Stream in use',
      'PASS  Stream forbidden',
      "PASS  Server's answer",
    ],
  );
  assert.match(out.text, /\nLast rejected publishes of live\/cam1:\n {2}none\n\nNo check failed\.\n$/);
});

test('--json before the URL still takes the URL, and prints the report as JSON', async () => {
  const { ctx, good } = await context();
  const out = await doctorCommand(ctx, [], { json: good }, io);
  const report = JSON.parse(out.text) as { ok: boolean; checks: unknown[] };
  assert.equal(report.ok, true);
  assert.equal(report.checks.length, 9);
});

test('a URL the shell cut at "&" gets a note; a failing check makes ok false with its fix printed', async () => {
  const { ctx, good } = await context();
  const cut = good.slice(0, good.indexOf('&'));
  const out = await doctorCommand(ctx, [cut], {}, io);
  assert.equal(out.ok, false);
  assert.match(
    out.text,
    /^Note: the URL ends after txSecret; if you did not quote it, the shell cut it at "&": put the URL in quotes\.$/m,
  );
  assert.match(out.text, /^FAIL {2}txTime +\[18\/500\] the URL has no txTime/m);
  assert.match(out.text, /^ +fix: sign a new URL 12 to 24 hours ahead: openlive url --stream cam1 --expires 24h$/m);
  assert.match(out.text, /^FAIL {2}Server's answer +\[18\/500\] a publish of this URL is refused now: 18\/500/m);
  assert.match(out.text, /^2 checks failed, 1 warning\.$/m);
});

test('usage errors: no URL, two URLs, unknown flag', async () => {
  const { ctx, good } = await context();
  await assert.rejects(doctorCommand(ctx, [], {}, io), { code: 'CONFIG_INVALID', message: /missing the push URL/ });
  await assert.rejects(doctorCommand(ctx, [good, 'x'], {}, io), { code: 'CONFIG_INVALID', message: /quote it/ });
  await assert.rejects(doctorCommand(ctx, [good], { verbose: 'true' }, io), {
    code: 'CONFIG_INVALID',
    message: /--verbose/,
  });
});

test('the HEAD on HTTP-FLV goes to the public HTTP port as the default play domain, signed when play auth is on', async () => {
  const { ctx } = await context();
  const seen: Array<{ method?: string; host?: string; url?: string }> = [];
  let status = 200;
  const server = createServer((req, res) => {
    seen.push({ method: req.method, host: req.headers.host, url: req.url });
    res.writeHead(status).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const config = configSchema.parse({ http: { host: '0.0.0.0', port } });
    assert.deepEqual(await headFlvOverHttp(config, ctx.store, 'live', 'cam1', 1000), { live: true });
    assert.deepEqual(seen[0], { method: 'HEAD', host: 'play.localhost', url: '/live/cam1.flv' });
    await new Domains({ store: ctx.store, now: () => nowMs }).setAuth('play.localhost', {
      enabled: true,
      key: 'PlayKey9',
    });
    status = 404;
    assert.deepEqual(await headFlvOverHttp(config, ctx.store, 'live', 'cam1', 1000), { live: false });
    const query = new URL(`http://x${seen[1]!.url}`).searchParams;
    const check = verifySignature({
      streamName: 'cam1',
      txTime: query.get('txTime') ?? undefined,
      txSecret: query.get('txSecret') ?? undefined,
      key: 'PlayKey9',
      backupKey: '',
      authDelta: 0,
      algorithm: 'md5',
      nowMs: Date.now(),
    });
    assert.equal(check.ok, true);
    status = 403;
    assert.deepEqual(await headFlvOverHttp(config, ctx.store, 'live', 'cam1', 1000), { error: 'HTTP 403' });
  } finally {
    server.close();
  }
  const closed = configSchema.parse({ http: { host: '127.0.0.1', port } });
  assert.deepEqual(await headFlvOverHttp(closed, ctx.store, 'live', 'cam1', 1000), { error: 'ECONNREFUSED' });
});
