/**
 * The behaviour every Store adapter's `callbacks` tables must have: templates, rules, the persisted
 * delivery queue and the attempt records. storeConformance runs these for each adapter.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../src/store/store.ts';
import type {
  NewCallbackAttempt,
  NewCallbackDelivery,
  NewCallbackTemplate,
  OpenPush,
} from '../src/store/callback-store.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

const template = (over: Partial<NewCallbackTemplate> = {}): NewCallbackTemplate => ({
  name: '开播_tpl-1',
  description: 'begin and end',
  urls: { streamBegin: 'http://hooks.example.com/begin', streamEnd: 'https://hooks.example.com/end' },
  callbackKey: 'k3y',
  createdAt: t0,
  ...over,
});

const delivery = (over: Partial<NewCallbackDelivery> = {}): NewCallbackDelivery => ({
  eventType: 1,
  eventTime: t0,
  stream: 'demo',
  sequence: '123',
  url: 'http://hooks.example.com/begin',
  body: '{"event_type":1}',
  createdAt: t0,
  nextAt: t0,
  ...over,
});

const attempt = (deliveryId: number, over: Partial<NewCallbackAttempt> = {}): NewCallbackAttempt => ({
  deliveryId,
  eventType: 1,
  eventTime: t0,
  stream: 'demo',
  url: 'http://hooks.example.com/begin',
  request: '{"event_type":1}',
  response: 'Internal Server Error',
  status: 500,
  resultCode: 500,
  at: t0 + 10,
  durationMs: 10,
  ...over,
});

/** Registers the callback-table cases for one adapter; `makeStore` must return an empty store. */
export function callbackStoreConformance(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store conformance (callbacks): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    test('a template round-trips with its URLs, ids are distinct, patches change only their fields', async () => {
      const id = await store.callbacks.addCallbackTemplate(template());
      const id2 = await store.callbacks.addCallbackTemplate(template({ name: 'two', urls: {} }));
      assert.notEqual(id, id2);
      assert.deepEqual(await store.callbacks.getCallbackTemplate(id), { ...template(), id, updatedAt: t0 });
      assert.equal(await store.callbacks.getCallbackTemplate(9999), undefined);
      const next = await store.callbacks.updateCallbackTemplate(id, {
        description: 'changed',
        urls: { streamEnd: '', pushException: 'http://hooks.example.com/321' },
        updatedAt: t0 + 5,
      });
      const expected = {
        ...template(),
        id,
        description: 'changed',
        urls: { streamBegin: 'http://hooks.example.com/begin', pushException: 'http://hooks.example.com/321' },
        updatedAt: t0 + 5,
      };
      assert.deepEqual(next, expected);
      assert.deepEqual(await store.callbacks.getCallbackTemplate(id), expected);
      assert.equal(await store.callbacks.updateCallbackTemplate(9999, { updatedAt: t0 }), undefined);
      assert.deepEqual(
        (await store.callbacks.listCallbackTemplates()).map((t) => t.id),
        [id, id2],
      );
      assert.equal(await store.callbacks.deleteCallbackTemplate(id), true);
      assert.equal(await store.callbacks.deleteCallbackTemplate(id), false);
      assert.deepEqual(
        (await store.callbacks.listCallbackTemplates()).map((t) => t.name),
        ['two'],
      );
    });

    test('a rule binds one template per domain + app; binding again replaces it and keeps createdAt', async () => {
      await store.callbacks.setCallbackRule({
        domain: 'push.example.com',
        app: 'live',
        templateId: 1,
        createdAt: t0,
        updatedAt: t0,
      });
      await store.callbacks.setCallbackRule({
        domain: 'a.example.com',
        app: 'live',
        templateId: 2,
        createdAt: t0,
        updatedAt: t0,
      });
      await store.callbacks.setCallbackRule({
        domain: 'push.example.com',
        app: 'live',
        templateId: 3,
        createdAt: t0 + 9,
        updatedAt: t0 + 9,
      });
      assert.deepEqual(await store.callbacks.getCallbackRule('push.example.com', 'live'), {
        domain: 'push.example.com',
        app: 'live',
        templateId: 3,
        createdAt: t0,
        updatedAt: t0 + 9,
      });
      assert.equal(await store.callbacks.getCallbackRule('push.example.com', 'other'), undefined);
      assert.deepEqual(
        (await store.callbacks.listCallbackRules()).map((r) => [r.domain, r.templateId]),
        [
          ['a.example.com', 2],
          ['push.example.com', 3],
        ],
      );
      assert.equal(await store.callbacks.deleteCallbackRule('push.example.com', 'live'), true);
      assert.equal(await store.callbacks.deleteCallbackRule('push.example.com', 'live'), false);
      assert.equal((await store.callbacks.listCallbackRules()).length, 1);
    });

    test('the delivery queue keeps order; an attempt reschedules or removes its delivery with it', async () => {
      const a = await store.callbacks.addCallbackDelivery(delivery());
      const b = await store.callbacks.addCallbackDelivery(delivery({ eventType: 0, body: '{"event_type":0}' }));
      const c = await store.callbacks.addCallbackDelivery(delivery({ stream: 'other', sequence: '9' }));
      assert.ok(a < b && b < c, 'ids increase in queue order');
      assert.deepEqual(await store.callbacks.listCallbackDeliveries(10), [
        { ...delivery(), id: a, attempts: 0 },
        { ...delivery({ eventType: 0, body: '{"event_type":0}' }), id: b, attempts: 0 },
        { ...delivery({ stream: 'other', sequence: '9' }), id: c, attempts: 0 },
      ]);
      await store.callbacks.recordCallbackAttempt(attempt(a), { retryAt: t0 + 60_000, attempts: 1 });
      const [first] = await store.callbacks.listCallbackDeliveries(1);
      assert.deepEqual([first?.id, first?.nextAt, first?.attempts], [a, t0 + 60_000, 1]);
      await store.callbacks.recordCallbackAttempt(
        attempt(a, { status: 200, resultCode: 0, response: '{"code":0}', at: t0 + 60_010 }),
        'done',
      );
      assert.deepEqual(
        (await store.callbacks.listCallbackDeliveries(10)).map((d) => d.id),
        [b, c],
      );
    });

    test('attempts list newest first, filtered by stream, event type, result and time, with a total', async () => {
      await store.callbacks.recordCallbackAttempt(attempt(1), 'done');
      await store.callbacks.recordCallbackAttempt(attempt(1, { status: 200, resultCode: 0, at: t0 + 20 }), 'done');
      await store.callbacks.recordCallbackAttempt(
        attempt(2, { eventType: 0, stream: 'x', status: 0, resultCode: -1, at: t0 + 30 }),
        'done',
      );
      const all = await store.callbacks.listCallbackAttempts();
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.items.map((x) => x.at),
        [t0 + 30, t0 + 20, t0 + 10],
      );
      assert.deepEqual(all.items[2], { ...attempt(1), id: all.items[2]!.id });
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts({ stream: 'demo' })).items.map((x) => x.at),
        [t0 + 20, t0 + 10],
      );
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts({ eventType: 0 })).items.map((x) => x.stream),
        ['x'],
      );
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts({ delivered: true })).items.map((x) => x.at),
        [t0 + 20],
      );
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts({ delivered: false })).items.map((x) => x.at),
        [t0 + 30, t0 + 10],
      );
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts({ since: t0 + 20, before: t0 + 30 })).items.map((x) => x.at),
        [t0 + 20],
      );
      const page = await store.callbacks.listCallbackAttempts({ limit: 1, offset: 1 });
      assert.deepEqual([page.items.map((x) => x.at), page.total], [[t0 + 20], 3]);
      assert.equal(await store.callbacks.pruneCallbackAttempts(t0 + 20), 1);
      assert.equal((await store.callbacks.listCallbackAttempts()).total, 2);
    });

    test('pruning callback attempts keeps at most maxRows, newest, a batch per call', async () => {
      for (let i = 0; i < 5; i++)
        await store.callbacks.recordCallbackAttempt(attempt(1, { at: t0 + i, stream: `s${i}` }), 'done');
      assert.equal(await store.callbacks.pruneCallbackAttempts(t0 - 1, { maxRows: 2, batch: 2 }), 2);
      assert.equal(await store.callbacks.pruneCallbackAttempts(t0 - 1, { maxRows: 2, batch: 2 }), 1);
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts()).items.map((a) => a.stream),
        ['s4', 's3'],
      );
      assert.equal(await store.callbacks.pruneCallbackAttempts(t0 + 4), 1);
      assert.deepEqual(
        (await store.callbacks.listCallbackAttempts()).items.map((a) => a.stream),
        ['s4'],
      );
    });

    test('open pushes round-trip oldest first; queuing an interruption of the sequence removes its open push', async () => {
      const push = (sequence: string, startedAt: number): OpenPush => ({
        sequence,
        url: 'https://hooks.example.com/end',
        callbackKey: 'k3y',
        appId: 1250000000,
        domain: 'push.example.com',
        app: 'live',
        stream: 'demo',
        clientIp: '10.0.0.7',
        serverIp: '10.0.0.1',
        query: 'txSecret=ab&txTime=1',
        width: 1280,
        height: 720,
        startedAt,
      });
      await store.callbacks.addOpenPush(push('2', t0 + 5));
      await store.callbacks.addOpenPush(push('1', t0));
      await store.callbacks.addOpenPush({ ...push('3', t0 + 9), width: 0, height: 0 });
      assert.deepEqual(await store.callbacks.listOpenPushes(), [
        push('1', t0),
        push('2', t0 + 5),
        { ...push('3', t0 + 9), width: 0, height: 0 },
      ]);
      await store.callbacks.addCallbackDelivery(delivery({ sequence: '1', eventType: 1 }));
      await store.callbacks.addCallbackDelivery(delivery({ sequence: '2', eventType: 321 }));
      assert.equal((await store.callbacks.listOpenPushes()).length, 3, 'a push or push-error event leaves it open');
      await store.callbacks.addCallbackDelivery(delivery({ sequence: '2', eventType: 0 }));
      assert.deepEqual(
        (await store.callbacks.listOpenPushes()).map((p) => p.sequence),
        ['1', '3'],
      );
      assert.equal(await store.callbacks.deleteOpenPush('3'), true);
      assert.equal(await store.callbacks.deleteOpenPush('3'), false);
      assert.deepEqual(
        (await store.callbacks.listOpenPushes()).map((p) => p.sequence),
        ['1'],
      );
    });

    test('callback tables fail with STORE_FAILED once the store is closed', async () => {
      await store.close();
      await assert.rejects(store.callbacks.listCallbackTemplates(), { code: 'STORE_FAILED' });
      await assert.rejects(store.callbacks.addCallbackDelivery(delivery()), { code: 'STORE_FAILED' });
    });
  });
}
