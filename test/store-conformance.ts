/**
 * The behaviour every Store adapter must have, written against the interface only. An adapter's
 * test calls `storeConformance('sqlite', () => new SqliteStore(...))`; the PostgreSQL adapter will
 * run the same suite.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Domain, PublishEnd, Store } from '../src/store/store.ts';
import { callbackStoreConformance } from './callback-store-conformance.ts';
import { recordStoreConformance } from './record-store-conformance.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

/** A push domain with every field set to a non-default value, so a round trip shows each one. */
export function sampleDomain(name: string, over: Partial<Domain> = {}): Domain {
  return {
    name,
    type: 'push',
    enabled: true,
    cnameTarget: `${name}.live.openlive.local`,
    createdAt: t0,
    auth: {
      enabled: true,
      key: 'e12c46f2612d5106e2034781ab261ca3',
      backupKey: 'b4ck',
      authDelta: 300,
      algorithm: 'sha256',
    },
    replacePublisher: true,
    ...over,
  };
}

const end = (over: Partial<PublishEnd> = {}): PublishEnd => ({
  endedAt: t0 + 60_000,
  breakCode: '1/0',
  reason: 'the encoder stopped publishing',
  bytesIn: 123_456_789_012,
  width: 1280,
  height: 720,
  videoCodec: 'H.264 High',
  audioCodec: 'AAC LC',
  ...over,
});

const attempt = (over: Partial<Parameters<Store['addRejectedAttempt']>[0]> = {}) => ({
  at: t0,
  action: 'publish' as const,
  clientIp: '10.0.0.1',
  host: 'push.example.com',
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  breakCode: '18/503',
  code: 'SIGNATURE_INVALID',
  reason: '18/503: wrong signature',
  query: 'txSecret=***&txTime=5C271099',
  ...over,
});

/** Registers the conformance tests for one Store adapter; `makeStore` must return an empty store. */
export function storeConformance(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    test('a domain round-trips with every field, names are unique, unknown names are undefined', async () => {
      const d = sampleDomain('push.example.com');
      await store.addDomain(d);
      assert.deepEqual(await store.getDomain('push.example.com'), d);
      assert.equal(await store.getDomain('other.example.com'), undefined);
      await assert.rejects(store.addDomain(sampleDomain('push.example.com', { type: 'play' })), {
        code: 'DOMAIN_EXISTS',
      });
      assert.equal((await store.getDomain('push.example.com'))?.type, 'push');
    });

    test('listDomains sorts by name, filters by type, enabled and prefix, and pages with a total', async () => {
      for (const n of ['c.example.com', 'a.example.com', 'b.example.com', 'a.other.com']) {
        await store.addDomain(
          sampleDomain(n, { type: n.startsWith('b') ? 'play' : 'push', enabled: n !== 'c.example.com' }),
        );
      }
      const all = await store.listDomains();
      assert.deepEqual(
        all.items.map((d) => d.name),
        ['a.example.com', 'a.other.com', 'b.example.com', 'c.example.com'],
      );
      assert.equal(all.total, 4);
      assert.deepEqual(
        (await store.listDomains({ type: 'play' })).items.map((d) => d.name),
        ['b.example.com'],
      );
      assert.deepEqual(
        (await store.listDomains({ enabled: false })).items.map((d) => d.name),
        ['c.example.com'],
      );
      assert.deepEqual(
        (await store.listDomains({ prefix: 'a.' })).items.map((d) => d.name),
        ['a.example.com', 'a.other.com'],
      );
      const page = await store.listDomains({ limit: 2, offset: 1 });
      assert.deepEqual(
        page.items.map((d) => d.name),
        ['a.other.com', 'b.example.com'],
      );
      assert.equal(page.total, 4);
    });

    test('updateDomain applies only the given fields and reports unknown domains', async () => {
      await store.addDomain(sampleDomain('push.example.com'));
      const next = await store.updateDomain('push.example.com', {
        enabled: false,
        auth: { key: 'newkey', backupKey: undefined },
      });
      const expected = sampleDomain('push.example.com', { enabled: false });
      assert.deepEqual(next, { ...expected, auth: { ...expected.auth, key: 'newkey' } });
      assert.deepEqual(await store.getDomain('push.example.com'), next);
      await assert.rejects(store.updateDomain('nope.example.com', { enabled: true }), { code: 'DOMAIN_NOT_FOUND' });
    });

    test('deleteDomain removes a domain once', async () => {
      await store.addDomain(sampleDomain('push.example.com'));
      assert.equal(await store.deleteDomain('push.example.com'), true);
      assert.equal(await store.deleteDomain('push.example.com'), false);
      assert.equal(await store.getDomain('push.example.com'), undefined);
    });

    test('a forbid applies to its domain or to all domains until its time, and can be replaced and resumed', async () => {
      const f = {
        app: 'live',
        stream: 'demo',
        domain: 'push.example.com',
        until: t0 + 1000,
        reason: '违规 content',
        createdAt: t0,
      };
      await store.forbidStream(f);
      assert.deepEqual(await store.findForbidden('live', 'demo', 'push.example.com', t0), f);
      assert.equal(await store.findForbidden('live', 'demo', 'push.other.com', t0), undefined);
      assert.equal(await store.findForbidden('live', 'demo2', 'push.example.com', t0), undefined);
      assert.equal(
        await store.findForbidden('live', 'demo', 'push.example.com', t0 + 1000),
        undefined,
        'ends at until',
      );
      const everywhere = { ...f, domain: '', until: t0 + 5000 };
      await store.forbidStream(everywhere);
      assert.deepEqual(await store.findForbidden('live', 'demo', 'push.other.com', t0), everywhere);
      assert.deepEqual(
        await store.findForbidden('live', 'demo', 'push.example.com', t0),
        everywhere,
        'latest until wins',
      );
      await store.forbidStream({ ...f, until: t0 + 9000, reason: 'longer' });
      assert.equal((await store.findForbidden('live', 'demo', 'push.example.com', t0))?.reason, 'longer');
      assert.equal(await store.resumeStream('live', 'demo', ''), true);
      assert.equal(await store.resumeStream('live', 'demo', ''), false);
      assert.equal(await store.findForbidden('live', 'demo', 'push.other.com', t0), undefined);
      assert.equal(await store.resumeStream('live', 'demo', 'push.example.com'), true);
      assert.equal(await store.findForbidden('live', 'demo', 'push.example.com', t0), undefined);
    });

    test('listForbidden sorts by until, latest first, and filters active entries', async () => {
      const base = { app: 'live', domain: '', reason: 'r', createdAt: t0 };
      await store.forbidStream({ ...base, stream: 'old', until: t0 - 1 });
      await store.forbidStream({ ...base, stream: 'late', until: t0 + 2000 });
      await store.forbidStream({ ...base, stream: 'soon', until: t0 + 1000 });
      assert.deepEqual(
        (await store.listForbidden()).items.map((f) => f.stream),
        ['late', 'soon', 'old'],
      );
      const active = await store.listForbidden({ activeAt: t0 });
      assert.deepEqual(
        active.items.map((f) => f.stream),
        ['late', 'soon'],
      );
      assert.equal(active.total, 2);
      assert.deepEqual(
        (await store.listForbidden({ stream: 'soon' })).items.map((f) => f.until),
        [t0 + 1000],
      );
    });

    test('a publish record is open until ended once; the end carries code, reason, quality and duration', async () => {
      const start = { domain: 'push.example.com', app: 'live', stream: 'demo', clientIp: '::1', startedAt: t0 };
      const id = await store.addPublishRecord(start);
      const id2 = await store.addPublishRecord({ ...start, stream: 'other' });
      assert.notEqual(id, id2);
      const open = await store.getPublishRecord(id);
      assert.deepEqual(open, {
        ...start,
        id,
        endedAt: null,
        durationMs: null,
        breakCode: null,
        reason: null,
        bytesIn: 0,
        width: null,
        height: null,
        videoCodec: null,
        audioCodec: null,
      });
      assert.equal(await store.endPublishRecord(id, end()), true);
      assert.deepEqual(await store.getPublishRecord(id), { ...start, id, durationMs: 60_000, ...end() });
      assert.equal(await store.endPublishRecord(id, end({ breakCode: '21/100' })), false, 'ended once');
      assert.equal((await store.getPublishRecord(id))?.breakCode, '1/0');
      assert.equal(await store.endPublishRecord(9999, end()), false);
      assert.equal(await store.getPublishRecord(9999), undefined);
    });

    test('an end without quality fields stores nulls', async () => {
      const id = await store.addPublishRecord({
        domain: 'd.example.com',
        app: 'a',
        stream: 's',
        clientIp: '1.2.3.4',
        startedAt: t0,
      });
      await store.endPublishRecord(id, { endedAt: t0 + 5, breakCode: '20/0', reason: 'no data', bytesIn: 0 });
      const r = await store.getPublishRecord(id);
      assert.deepEqual([r?.width, r?.height, r?.videoCodec, r?.audioCodec, r?.durationMs], [null, null, null, null, 5]);
    });

    test('endOpenPublishRecords closes only the records left open', async () => {
      const start = { domain: 'd.example.com', app: 'live', clientIp: '1.2.3.4', startedAt: t0 };
      const done = await store.addPublishRecord({ ...start, stream: 'done' });
      await store.endPublishRecord(done, end());
      const left = await store.addPublishRecord({ ...start, stream: 'left' });
      assert.equal(await store.endOpenPublishRecords(end({ breakCode: '5/0', reason: 'server stopped' })), 1);
      assert.equal((await store.getPublishRecord(left))?.breakCode, '5/0');
      assert.equal((await store.getPublishRecord(done))?.breakCode, '1/0');
    });

    test('listOpenPublishNodes names the node that owns an open session, none once all are ended', async () => {
      assert.deepEqual(await store.listOpenPublishNodes(), []);
      const start = { domain: 'd.example.com', app: 'live', clientIp: '1.2.3.4', startedAt: t0 };
      const a = await store.addPublishRecord({ ...start, stream: 'a' });
      await store.addPublishRecord({ ...start, stream: 'b' });
      const nodes = await store.listOpenPublishNodes();
      assert.equal(nodes.length, 1, 'two sessions of one node: one id');
      await store.endPublishRecord(a, end());
      assert.deepEqual(await store.listOpenPublishNodes(), nodes);
      assert.equal(await store.endOpenPublishRecords(end(), nodes[0]), 1, 'ended by that node id');
      assert.deepEqual(await store.listOpenPublishNodes(), []);
    });

    test('listPublishRecords is newest first with filters, open/ended and paging', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          await store.addPublishRecord({
            domain: i % 2 ? 'b.example.com' : 'a.example.com',
            app: 'live',
            stream: `s${i}`,
            clientIp: `10.0.0.${i}`,
            startedAt: t0 + i * 1000,
          }),
        );
      }
      await store.endPublishRecord(ids[0]!, end());
      const all = await store.listPublishRecords();
      assert.deepEqual(
        all.items.map((r) => r.stream),
        ['s4', 's3', 's2', 's1', 's0'],
      );
      assert.equal(all.total, 5);
      assert.deepEqual(
        (await store.listPublishRecords({ domain: 'b.example.com' })).items.map((r) => r.stream),
        ['s3', 's1'],
      );
      assert.deepEqual(
        (await store.listPublishRecords({ open: false })).items.map((r) => r.stream),
        ['s0'],
      );
      assert.equal((await store.listPublishRecords({ open: true })).total, 4);
      assert.deepEqual(
        (await store.listPublishRecords({ since: t0 + 1000, before: t0 + 3000 })).items.map((r) => r.stream),
        ['s2', 's1'],
      );
      assert.deepEqual(
        (await store.listPublishRecords({ clientIp: '10.0.0.2' })).items.map((r) => r.stream),
        ['s2'],
      );
      const page = await store.listPublishRecords({ limit: 2, offset: 2 });
      assert.deepEqual([page.items.map((r) => r.stream), page.total], [['s2', 's1'], 5]);
      assert.equal((await store.listPublishRecords({ limit: 0 })).items.length, 1, 'limit is at least 1');
    });

    test('rejected attempts round-trip and list newest first with filters', async () => {
      const a = attempt();
      const id = await store.addRejectedAttempt(a);
      await store.addRejectedAttempt(
        attempt({ at: t0 + 1, action: 'play', stream: 'x', clientIp: '10.0.0.2', breakCode: '18/301' }),
      );
      const all = await store.listRejectedAttempts();
      assert.equal(all.total, 2);
      assert.deepEqual(all.items[1], { ...a, id, count: 1, lastAt: a.at });
      assert.deepEqual(
        all.items.map((r) => r.stream),
        ['x', 'demo'],
      );
      assert.equal(all.items[0]?.action, 'play');
      assert.deepEqual(
        (await store.listRejectedAttempts({ clientIp: '10.0.0.2' })).items.map((r) => r.stream),
        ['x'],
      );
      assert.deepEqual(
        (await store.listRejectedAttempts({ before: t0 + 1 })).items.map((r) => r.stream),
        ['demo'],
      );
    });

    test('record lists match stream names by substring, list oldest first on request, and keep sessions live in a window', async () => {
      const base = { domain: 'd.example.com', app: 'live', clientIp: '1.2.3.4' };
      const ids: number[] = [];
      for (const [i, stream] of ['cam-1', 'CAM-2', 'desk', 'cam-3'].entries()) {
        ids.push(await store.addPublishRecord({ ...base, stream, startedAt: t0 + i * 1000 }));
      }
      await store.endPublishRecord(ids[0]!, end({ endedAt: t0 + 500 }));
      await store.endPublishRecord(ids[1]!, end({ endedAt: t0 + 5000 }));
      const names = async (q: Parameters<Store['listPublishRecords']>[0]) =>
        (await store.listPublishRecords(q)).items.map((r) => r.stream);
      assert.deepEqual(await names({ streamContains: 'cam' }), ['cam-3', 'cam-1'], 'case-sensitive substring');
      assert.deepEqual(await names({ streamContains: '%' }), [], 'no LIKE wildcards');
      assert.deepEqual(await names({ ascending: true }), ['cam-1', 'CAM-2', 'desk', 'cam-3']);
      assert.deepEqual(await names({ ascending: true, limit: 2, offset: 1 }), ['CAM-2', 'desk']);
      // Live at or after t0 + 1000: cam-1 ended before, CAM-2 ended after, the others are open.
      assert.deepEqual(await names({ endedSince: t0 + 1000 }), ['cam-3', 'desk', 'CAM-2']);
      assert.equal((await store.listPublishRecords({ endedSince: t0 + 1000, before: t0 + 2000 })).total, 1);
    });

    test('rejected attempts filter by action and substring, list oldest first, and summarize by code', async () => {
      await store.addRejectedAttempt(attempt({ at: t0, stream: 'cam-1', reason: '18/503: first' }));
      await store.addRejectedAttempt(attempt({ at: t0 + 2, stream: 'cam-2', reason: '18/503: second' }));
      await store.addRejectedAttempt(attempt({ at: t0 + 2, stream: 'cam-2', reason: '18/503: third' }));
      await store.addRejectedAttempt(
        attempt({ at: t0 + 1, stream: 'desk', breakCode: '18/501', code: 'TXTIME_EXPIRED', reason: '18/501: late' }),
      );
      await store.addRejectedAttempt(
        attempt({ at: t0 + 3, action: 'play', stream: 'cam-1', breakCode: '18/301', code: 'DOMAIN_UNKNOWN' }),
      );
      const publishes = await store.listRejectedAttempts({ action: 'publish', ascending: true });
      assert.deepEqual(
        publishes.items.map((a) => a.at - t0),
        [0, 1, 2, 2],
      );
      assert.equal(publishes.total, 4);
      assert.deepEqual(
        (await store.listRejectedAttempts({ streamContains: 'cam' })).items.map((a) => a.action),
        ['play', 'publish', 'publish', 'publish'],
      );
      assert.deepEqual(await store.summarizeRejectedAttempts({ action: 'publish' }), [
        {
          breakCode: '18/503',
          code: 'SIGNATURE_INVALID',
          count: 3,
          firstAt: t0,
          lastAt: t0 + 2,
          lastReason: '18/503: third',
        },
        {
          breakCode: '18/501',
          code: 'TXTIME_EXPIRED',
          count: 1,
          firstAt: t0 + 1,
          lastAt: t0 + 1,
          lastReason: '18/501: late',
        },
      ]);
      assert.deepEqual(
        (await store.summarizeRejectedAttempts({ streamContains: 'desk' })).map((g) => g.count),
        [1],
      );
      assert.deepEqual(await store.summarizeRejectedAttempts({ since: t0 + 10 }), []);
    });

    test('pruneRecords removes old ended records and attempts, never open ones', async () => {
      const base = { domain: 'd.example.com', app: 'live', clientIp: '1.2.3.4' };
      const old = await store.addPublishRecord({ ...base, stream: 'old', startedAt: t0 - 10_000 });
      await store.endPublishRecord(old, end());
      const openOld = await store.addPublishRecord({ ...base, stream: 'open', startedAt: t0 - 10_000 });
      const recent = await store.addPublishRecord({ ...base, stream: 'recent', startedAt: t0 });
      await store.endPublishRecord(recent, end());
      await store.addRejectedAttempt(attempt({ at: t0 - 1 }));
      await store.addRejectedAttempt(attempt({ at: t0 }));
      assert.equal(await store.pruneRecords(t0), 2);
      assert.equal(await store.getPublishRecord(old), undefined);
      assert.ok(await store.getPublishRecord(openOld));
      assert.ok(await store.getPublishRecord(recent));
      assert.deepEqual(
        (await store.listRejectedAttempts()).items.map((a) => a.at),
        [t0],
      );
    });

    test('an aggregate attempt counts many refusals: its count and last time grow, summaries add the counts', async () => {
      const single = await store.addRejectedAttempt(attempt({ at: t0 }));
      const aggregate = await store.addRejectedAttempt(attempt({ at: t0 + 1, count: 5, reason: '18/503: many' }));
      assert.equal(await store.countRejectedAttempt(aggregate, 10, t0 + 50), true);
      assert.equal(
        await store.countRejectedAttempt(aggregate, 1, t0 + 20),
        true,
        'an older time does not move lastAt back',
      );
      assert.equal(await store.countRejectedAttempt(9999, 1, t0), false);
      const [newest, oldest] = (await store.listRejectedAttempts()).items;
      assert.deepEqual([newest?.id, newest?.count, newest?.at, newest?.lastAt], [aggregate, 16, t0 + 1, t0 + 50]);
      assert.deepEqual([oldest?.id, oldest?.count, oldest?.lastAt], [single, 1, t0]);
      assert.deepEqual(await store.summarizeRejectedAttempts(), [
        {
          breakCode: '18/503',
          code: 'SIGNATURE_INVALID',
          count: 17,
          firstAt: t0,
          lastAt: t0 + 50,
          lastReason: '18/503: many',
        },
      ]);
    });

    test('pruneRecords keeps at most maxRows per table (never an open session) and deletes in batches', async () => {
      const base = { domain: 'd.example.com', app: 'live', clientIp: '1.2.3.4' };
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(await store.addPublishRecord({ ...base, stream: `s${i}`, startedAt: t0 + i }));
        if (i !== 1) await store.endPublishRecord(ids[i]!, end());
        await store.addRejectedAttempt(attempt({ at: t0 + i, stream: `a${i}` }));
      }
      // An aggregate last seen recently survives the age cut although its first refusal is old.
      const agg = await store.addRejectedAttempt(attempt({ at: t0 - 5000, stream: 'agg', count: 3 }));
      await store.countRejectedAttempt(agg, 1, t0 + 100);
      assert.equal(await store.pruneRecords(t0 - 10_000, { maxRows: 3, batch: 2 }), 4, 'two per table and call');
      assert.equal(await store.pruneRecords(t0 - 10_000, { maxRows: 3, batch: 2 }), 2);
      assert.equal(await store.pruneRecords(t0 - 10_000, { maxRows: 3, batch: 2 }), 0);
      assert.deepEqual(
        (await store.listPublishRecords()).items.map((r) => r.stream),
        ['s5', 's4', 's3', 's1'],
        'the open s1 stays',
      );
      assert.deepEqual(
        (await store.listRejectedAttempts()).items.map((a) => a.stream),
        ['a5', 'a4', 'agg'],
      );
      assert.equal(
        await store.pruneRecords(t0 + 5),
        3,
        'ended s3, s4 and the attempts a4 (t0+4) and older; agg was seen at t0+100',
      );
      assert.deepEqual(
        (await store.listRejectedAttempts()).items.map((a) => a.stream),
        ['a5', 'agg'],
      );
    });

    test('settings are strings by key, overwritten by set', async () => {
      assert.equal(await store.getSetting('bootstrap'), undefined);
      await store.setSetting('bootstrap', 'done');
      await store.setSetting('bootstrap', 'done twice');
      assert.equal(await store.getSetting('bootstrap'), 'done twice');
    });

    test('credentials round-trip, list oldest first, record their last use and delete once', async () => {
      const a = {
        secretId: 'AKIDa',
        sealedKey: 'v1.sealed-a',
        description: 'first start',
        createdAt: t0 + 1,
        lastUsedAt: null,
      };
      const b = { secretId: 'AKIDb', sealedKey: 'v1.sealed-b', description: '', createdAt: t0, lastUsedAt: null };
      await store.addCredential(a);
      await store.addCredential(b);
      await assert.rejects(store.addCredential({ ...a, sealedKey: 'other' }), { code: 'STORE_FAILED' });
      assert.deepEqual(await store.getCredential('AKIDa'), a);
      assert.equal(await store.getCredential('AKIDc'), undefined);
      assert.deepEqual(
        (await store.listCredentials()).map((c) => c.secretId),
        ['AKIDb', 'AKIDa'],
      );
      await store.touchCredential('AKIDa', t0 + 5);
      await store.touchCredential('AKIDc', t0 + 5);
      assert.equal((await store.getCredential('AKIDa'))?.lastUsedAt, t0 + 5);
      assert.equal(await store.deleteCredential('AKIDa'), true);
      assert.equal(await store.deleteCredential('AKIDa'), false);
      assert.deepEqual(await store.listCredentials(), [b]);
    });

    test('close is idempotent and later calls fail with STORE_FAILED', async () => {
      await store.close();
      await store.close();
      await assert.rejects(store.getSetting('x'), { code: 'STORE_FAILED' });
      await assert.rejects(store.listDomains(), { code: 'STORE_FAILED' });
    });
  });
  callbackStoreConformance(name, makeStore);
  recordStoreConformance(name, makeStore);
}
