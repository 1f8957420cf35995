import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory-store.ts';
import { bootstrap } from '../../control/bootstrap.ts';
import { StubDns } from '../../../test/support/stub-dns.ts';
import { configSchema, type Config } from '../../config/config-schema.ts';
import type { Domain } from '../../store/store.ts';
import { domainCommand } from './domain-command.ts';
import type { CliContext } from './cli-output.ts';

const nowMs = Date.UTC(2026, 10, 25, 10, 0, 0);
const keys = [
  'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  'ffffeeeeddddccccbbbbaaaa99998888',
  '0123456789abcdef0123456789abcdef',
];

const dns = new StubDns();

async function context(config: Config = configSchema.parse({})): Promise<CliContext & { resolver: StubDns }> {
  const store = new MemoryStore();
  let next = 0;
  const generateKey = (): string => keys[next++ % keys.length]!;
  await bootstrap({ store, now: () => nowMs, generateKey });
  return { config, store, nowMs, generateKey, resolver: dns };
}

test('list prints the domains in aligned columns, marking the defaults', async () => {
  const ctx = await context();
  await domainCommand(ctx, ['add', 'Live.Example.com'], { type: 'push' });
  const lines = (await domainCommand(ctx, ['list'], {})).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^NAME +TYPE +ENABLED +AUTH +SECOND PUBLISHER +CNAME TARGET$/);
  assert.match(
    lines[1]!,
    /^live\.example\.com +push +on +md5 300s +refuse +live\.example\.com\.live\.openlive\.local$/,
  );
  assert.match(lines[3]!, /^push\.localhost \(default\) +push /);
  // Columns line up: every row has its TYPE where the header has it.
  const typeAt = lines[0]!.indexOf('TYPE');
  for (const line of lines.slice(1)) assert.match(line.slice(typeAt), /^(push|play) /);
});

test('add prints the new domain with its key masked; --json lists it for machines', async () => {
  const ctx = await context();
  const text = await domainCommand(ctx, ['add', 'cdn.example.com'], { type: 'play' });
  assert.match(text, /^Added play domain cdn\.example\.com\./);
  assert.match(text, /\nKey +0123\*{28}\n/);
  assert.doesNotMatch(text, /0123456789abcdef/);
  const listed = JSON.parse(await domainCommand(ctx, ['list'], { json: 'true' })) as {
    total: number;
    domains: Domain[];
  };
  assert.equal(listed.total, 3);
  const added = listed.domains.find((d) => d.name === 'cdn.example.com');
  assert.equal(added?.type, 'play');
  assert.equal(added?.auth.enabled, false);
  assert.equal(added?.auth.key, `0123${'*'.repeat(28)}`);
});

test('show masks keys unless --show-keys', async () => {
  const ctx = await context();
  const masked = await domainCommand(ctx, ['show', 'push.localhost'], {});
  assert.match(masked, /^Name +push\.localhost$/m);
  assert.match(masked, /^Key +a1b2\*+$/m);
  assert.match(masked, /^Second publisher +refused \(18\/601\)$/m);
  const shown = await domainCommand(ctx, ['show', 'push.localhost'], { showKeys: 'true' });
  assert.match(shown, /^Key +a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6$/m);
  const asJson = JSON.parse(
    await domainCommand(ctx, ['show', 'PUSH.localhost'], { json: 'true', showKeys: 'true' }),
  ) as Domain;
  assert.equal(asJson.auth.key, keys[0]);
});

test('errors: unknown domain, bad type, missing type, unknown option, missing name', async () => {
  const ctx = await context();
  await assert.rejects(domainCommand(ctx, ['show', 'nope.example.com'], {}), { code: 'DOMAIN_NOT_FOUND' });
  await assert.rejects(domainCommand(ctx, ['delete', 'nope.example.com'], {}), { code: 'DOMAIN_NOT_FOUND' });
  await assert.rejects(domainCommand(ctx, ['add', 'x.example.com'], { type: 'both' }), {
    code: 'DOMAIN_TYPE_MISMATCH',
  });
  await assert.rejects(domainCommand(ctx, ['add', 'x.example.com'], {}), {
    code: 'CONFIG_INVALID',
    message: /--type push\|play/,
  });
  await assert.rejects(
    domainCommand(ctx, ['add', 'x.example.com'], { type: 'push', typo: 'true' }),
    /does not take --typo/,
  );
  await assert.rejects(domainCommand(ctx, ['show'], {}), {
    code: 'CONFIG_INVALID',
    message: /missing the domain NAME/,
  });
  await assert.rejects(domainCommand(ctx, ['add', 'push.localhost'], { type: 'push' }), { code: 'DOMAIN_EXISTS' });
  await assert.rejects(domainCommand(ctx, ['frobnicate'], {}), /unknown domain command "frobnicate"/);
});

test('disable, enable and delete change the store', async () => {
  const ctx = await context();
  assert.match(
    await domainCommand(ctx, ['disable', 'push.localhost'], {}),
    /disabled: it refuses new publishes \(18\/303\)/,
  );
  assert.equal((await ctx.store.getDomain('push.localhost'))?.enabled, false);
  assert.match(await domainCommand(ctx, ['enable', 'push.localhost'], {}), /enabled: it serves again/);
  assert.equal((await ctx.store.getDomain('push.localhost'))?.enabled, true);
  assert.equal(await domainCommand(ctx, ['delete', 'play.localhost'], {}), 'Deleted play domain play.localhost.\n');
  assert.equal(await ctx.store.getDomain('play.localhost'), undefined);
});

test('auth sets fields, validates them, and --rotate keeps the old key as backup', async () => {
  const ctx = await context();
  await domainCommand(ctx, ['auth', 'push.localhost'], { authDelta: '600', algorithm: 'sha256', backupKey: 'abc123' });
  let auth = (await ctx.store.getDomain('push.localhost'))!.auth;
  assert.deepEqual(auth, { enabled: true, key: keys[0], backupKey: 'abc123', authDelta: 600, algorithm: 'sha256' });
  const text = await domainCommand(ctx, ['auth', 'push.localhost'], { rotate: 'true' });
  assert.match(text, /^Rotated the key of push\.localhost/);
  auth = (await ctx.store.getDomain('push.localhost'))!.auth;
  assert.equal(auth.key, keys[2]);
  assert.equal(auth.backupKey, keys[0]);
  await domainCommand(ctx, ['auth', 'push.localhost'], { enabled: 'false' });
  assert.equal((await ctx.store.getDomain('push.localhost'))!.auth.enabled, false);
  await assert.rejects(
    domainCommand(ctx, ['auth', 'push.localhost'], { algorithm: 'sha1' }),
    /--algorithm is md5 or sha256/,
  );
  await assert.rejects(
    domainCommand(ctx, ['auth', 'push.localhost'], { authDelta: '-5' }),
    /--auth-delta is a whole number/,
  );
  await assert.rejects(domainCommand(ctx, ['auth', 'push.localhost'], { key: 'has space' }), {
    code: 'AUTH_KEY_INVALID',
  });
  await assert.rejects(
    domainCommand(ctx, ['auth', 'push.localhost'], { rotate: 'true', key: 'k1' }),
    /--rotate makes the keys/,
  );
  await assert.rejects(
    domainCommand(ctx, ['auth', 'push.localhost'], { enabled: 'yes' }),
    /--enabled is true or false/,
  );
});

test('replace-publisher toggles the policy of push domains only', async () => {
  const ctx = await context();
  assert.match(
    await domainCommand(ctx, ['replace-publisher', 'push.localhost', 'true'], {}),
    /replaces the live one \(21\/102\)/,
  );
  assert.equal((await ctx.store.getDomain('push.localhost'))?.replacePublisher, true);
  await assert.rejects(domainCommand(ctx, ['replace-publisher', 'play.localhost', 'true'], {}), {
    code: 'DOMAIN_TYPE_MISMATCH',
  });
  await assert.rejects(
    domainCommand(ctx, ['replace-publisher', 'push.localhost', 'maybe'], {}),
    /true or false, not "maybe"/,
  );
});

test('cname reports configured, pointing elsewhere and missing as DNS answers', async () => {
  const config = configSchema.parse({ domains: { cnameSuffix: 'live.example.net' } });
  const ctx = await context(config);
  for (const name of ['ok.example.com', 'other.example.com', 'none.example.com']) {
    await domainCommand(ctx, ['add', name], { type: 'push' });
  }
  dns.set('ok.example.com', { cname: 'ok.example.com.live.example.net' });
  dns.set('other.example.com', { cname: 'cdn.elsewhere.net' });
  const ok = await domainCommand(ctx, ['cname', 'ok.example.com'], {});
  assert.match(ok, /^Status +configured/m);
  assert.doesNotMatch(ok, /Set this DNS record/);
  const other = await domainCommand(ctx, ['cname', 'other.example.com'], {});
  assert.match(other, /^Status +pointing elsewhere/m);
  assert.match(other, /^Current +cdn\.elsewhere\.net$/m);
  assert.match(other, /Set this DNS record: other\.example\.com\. CNAME other\.example\.com\.live\.example\.net\./);
  const none = JSON.parse(await domainCommand(ctx, ['cname', 'none.example.com'], { json: 'true' })) as Record<
    string,
    string
  >;
  assert.deepEqual(none, {
    domain: 'none.example.com',
    status: 'missing',
    target: 'none.example.com.live.example.net',
  });
});
