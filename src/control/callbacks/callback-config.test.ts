import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory-store.ts';
import { sampleDomain } from '../../../test/store-conformance.ts';
import { CallbackConfig, maxCallbackTemplates } from './callback-config.ts';

const t0 = Date.UTC(2026, 0, 1);

async function setup() {
  const store = new MemoryStore();
  let now = t0;
  const config = new CallbackConfig({ store, now: () => now });
  await store.addDomain(sampleDomain('push.example.com'));
  await store.addDomain(sampleDomain('play.example.com', { type: 'play' }));
  return { store, config, tick: (ms: number) => (now += ms) };
}

const begin = { streamBegin: 'http://hooks.example.com/begin' };

test('a template is created with its URLs and key, read back, and listed by id', async () => {
  const { config } = await setup();
  const a = await config.createTemplate({ name: '开播回调_1', description: 'begin', callbackKey: 'k', urls: begin });
  const b = await config.createTemplate({ name: 'second', urls: { streamEnd: 'https://h.example.com:8443/end?x=1' } });
  assert.deepEqual(await config.getTemplate(a.id), { ...a });
  assert.deepEqual(a, {
    id: a.id,
    name: '开播回调_1',
    description: 'begin',
    callbackKey: 'k',
    urls: begin,
    createdAt: t0,
    updatedAt: t0,
  });
  assert.deepEqual(
    (await config.listTemplates()).map((t) => t.name),
    ['开播回调_1', 'second'],
  );
  assert.equal(b.description, '');
  assert.equal(b.callbackKey, '');
});

test('templates Tencent refuses are refused with the field named', async () => {
  const { config } = await setup();
  const cases: Array<[Parameters<CallbackConfig['createTemplate']>[0], string, RegExp]> = [
    [{ name: '', urls: begin }, 'CALLBACK_TEMPLATE_INVALID', /TemplateName is empty/],
    [{ name: 'has space', urls: begin }, 'CALLBACK_TEMPLATE_INVALID', /TemplateName may hold only/],
    [{ name: 'x'.repeat(256), urls: begin }, 'CALLBACK_TEMPLATE_INVALID', /255 bytes/],
    [{ name: '名'.repeat(86), urls: begin }, 'CALLBACK_TEMPLATE_INVALID', /255 bytes/],
    [{ name: 'ok', description: 'd'.repeat(1025), urls: begin }, 'CALLBACK_TEMPLATE_INVALID', /Description/],
    [
      { name: 'ok', urls: { streamEnd: 'ftp://h.example.com/x' } },
      'CALLBACK_URL_INVALID',
      /streamEnd .*http:\/\/ or https:\/\//,
    ],
    [{ name: 'ok', urls: { pushException: '/relative' } }, 'CALLBACK_URL_INVALID', /not an absolute URL/],
    [
      { name: 'ok', urls: { streamBegin: `http://h.example.com/${'a'.repeat(1024)}` } },
      'CALLBACK_URL_INVALID',
      /1024 bytes/,
    ],
  ];
  for (const [input, code, message] of cases) {
    await assert.rejects(config.createTemplate(input), (err: Error & { code: string }) => {
      assert.equal(err.code, code, JSON.stringify(input).slice(0, 80));
      assert.match(err.message, message);
      return true;
    });
  }
  assert.equal((await config.listTemplates()).length, 0);
});

test('at most 50 templates', async () => {
  const { config } = await setup();
  for (let i = 0; i < maxCallbackTemplates; i++) await config.createTemplate({ name: `t${i}`, urls: begin });
  await assert.rejects(config.createTemplate({ name: 'one-too-many', urls: begin }), {
    code: 'CALLBACK_TEMPLATE_LIMIT',
  });
});

test('modify changes only the given fields, clears a URL with an empty string, and may clear the last URL', async () => {
  const { config, tick } = await setup();
  const t = await config.createTemplate({
    name: 'tpl',
    callbackKey: 'old',
    urls: { ...begin, streamEnd: 'http://h.example.com/end' },
  });
  tick(5000);
  const next = await config.modifyTemplate(t.id, { callbackKey: 'new', urls: { streamBegin: '' } });
  assert.deepEqual(next, {
    ...t,
    callbackKey: 'new',
    urls: { streamEnd: 'http://h.example.com/end' },
    updatedAt: t0 + 5000,
  });
  // Tencent keeps a template whose last URL was cleared (and creates one without any).
  assert.deepEqual((await config.modifyTemplate(t.id, { urls: { streamEnd: '' } })).urls, {});
  await assert.rejects(config.modifyTemplate(t.id, { urls: { streamEnd: 'nope' } }), { code: 'CALLBACK_URL_INVALID' });
  await assert.rejects(config.modifyTemplate(999, { name: 'x' }), { code: 'CALLBACK_TEMPLATE_NOT_FOUND' });
  assert.deepEqual(await config.getTemplate(t.id), { ...next, urls: {} });
});

test('rules bind a template to an added push domain + AppName; binding again is CALLBACK_RULE_EXISTS; resolve follows them', async () => {
  const { config, tick } = await setup();
  const a = await config.createTemplate({ name: 'a', urls: begin });
  const b = await config.createTemplate({ name: 'b', urls: begin });
  const rule = await config.bindRule('Push.Example.com.', 'live', a.id);
  assert.deepEqual(rule, { domain: 'push.example.com', app: 'live', templateId: a.id, createdAt: t0, updatedAt: t0 });
  assert.equal((await config.resolve('push.example.com', 'live'))?.name, 'a');
  assert.equal(await config.resolve('push.example.com', 'other'), undefined);
  tick(1000);
  await assert.rejects(config.bindRule('push.example.com', 'live', b.id), { code: 'CALLBACK_RULE_EXISTS' });
  assert.equal((await config.resolve('push.example.com', 'live'))?.name, 'a', 'the first rule stays');
  await config.unbindRule('push.example.com', 'live');
  assert.deepEqual(await config.bindRule('push.example.com', 'live', b.id), {
    ...rule,
    templateId: b.id,
    createdAt: t0 + 1000,
    updatedAt: t0 + 1000,
  });
  assert.equal((await config.resolve('push.example.com', 'live'))?.name, 'b');
  await assert.rejects(config.bindRule('nope.example.com', 'live', a.id), { code: 'DOMAIN_NOT_FOUND' });
  await assert.rejects(config.bindRule('play.example.com', 'live', a.id), { code: 'DOMAIN_TYPE_MISMATCH' });
  await assert.rejects(config.bindRule('bad_domain', 'live', a.id), { code: 'DOMAIN_NAME_INVALID' });
  await assert.rejects(config.bindRule('push.example.com', 'li ve', a.id), { code: 'APP_NAME_INVALID' });
  await assert.rejects(config.bindRule('push.example.com', 'live', 999), { code: 'CALLBACK_TEMPLATE_NOT_FOUND' });
  assert.deepEqual(
    (await config.listRules()).map((r) => [r.domain, r.app, r.templateId]),
    [['push.example.com', 'live', b.id]],
  );
});

test('a bound template cannot be deleted until its rule is; unknown ids and rules are reported', async () => {
  const { config } = await setup();
  const t = await config.createTemplate({ name: 'a', urls: begin });
  await config.bindRule('push.example.com', 'live', t.id);
  await assert.rejects(config.deleteTemplate(t.id), {
    code: 'CALLBACK_TEMPLATE_IN_USE',
    message: /push\.example\.com\/live/,
  });
  await config.unbindRule('push.example.com', 'live');
  await assert.rejects(config.unbindRule('push.example.com', 'live'), { code: 'CALLBACK_RULE_NOT_FOUND' });
  await config.deleteTemplate(t.id);
  await assert.rejects(config.deleteTemplate(t.id), { code: 'CALLBACK_TEMPLATE_NOT_FOUND' });
  await assert.rejects(config.getTemplate(t.id), { code: 'CALLBACK_TEMPLATE_NOT_FOUND' });
});
