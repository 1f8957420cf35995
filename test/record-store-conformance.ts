/**
 * The behaviour every Store adapter's `recordings` tables must have: record templates, rules, tasks and
 * recorded files (store/record-store.ts). storeConformance runs these for each adapter.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../src/store/store.ts';
import type { NewRecordFile, NewRecordTemplate, RecordFileEnd, RecordTask } from '../src/store/record-store.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

const template = (over: Partial<NewRecordTemplate> = {}): NewRecordTemplate => ({
  name: '录制_tpl-1',
  description: 'flv and hls',
  params: {
    formats: {
      flv: { enable: true, recordInterval: 1800, storageTime: 86400, vodFileName: '' },
      hls: { enable: true, recordInterval: 0, storageTime: 0, vodFileName: '{StreamID}' },
    },
    flowContinueSeconds: 30,
    isDelayLive: 0,
    removeWatermark: false,
  },
  createdAt: t0,
  ...over,
});

const task = (over: Partial<RecordTask> = {}): RecordTask => ({
  taskId: 'task-1',
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  startTime: t0,
  endTime: t0 + 3600_000,
  templateId: 1,
  extension: '',
  stopped: 0,
  createdAt: t0,
  ...over,
});

const file = (over: Partial<NewRecordFile> = {}): NewRecordFile => ({
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  format: 'flv',
  path: 'push.example.com/live/demo/demo_1.flv',
  startedAt: t0,
  templateId: 1,
  taskId: '',
  expiresAt: t0 + 1000,
  ...over,
});

const end = (over: Partial<RecordFileEnd> = {}): RecordFileEnd => ({
  endedAt: t0 + 60_000,
  durationMs: 59_960,
  size: 123_456_789_012,
  status: 'done',
  errorCode: '',
  reason: '',
  expiresAt: t0 + 120_000,
  ...over,
});

/** Runs the recording-table conformance tests against a fresh store per test. */
export function recordStoreConformance(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store conformance (recordings): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    test('a template round-trips; a patch replaces the formats it names and keeps the others', async () => {
      const r = store.recordings;
      const id = await r.addRecordTemplate(template());
      const id2 = await r.addRecordTemplate(template({ name: 'two' }));
      assert.notEqual(id, id2);
      assert.deepEqual(await r.getRecordTemplate(id), { ...template(), id, updatedAt: t0 });
      assert.equal(await r.getRecordTemplate(9999), undefined);
      const aac = { enable: true, recordInterval: 600, storageTime: 0, vodFileName: '' };
      const next = await r.updateRecordTemplate(id, {
        description: 'changed',
        params: { formats: { aac }, flowContinueSeconds: 0 },
        updatedAt: t0 + 5,
      });
      const expected = {
        ...template(),
        id,
        description: 'changed',
        updatedAt: t0 + 5,
        params: { ...template().params, formats: { ...template().params.formats, aac }, flowContinueSeconds: 0 },
      };
      assert.deepEqual(next, expected);
      assert.deepEqual(await r.getRecordTemplate(id), expected);
      assert.equal(await r.updateRecordTemplate(9999, { updatedAt: t0 }), undefined);
      assert.deepEqual(
        (await r.listRecordTemplates()).map((t) => t.id),
        [id, id2],
      );
      assert.equal(await r.deleteRecordTemplate(id), true);
      assert.equal(await r.deleteRecordTemplate(id), false);
    });

    test('rules are keyed by domain, app and stream; setting one again keeps its createdAt', async () => {
      const r = store.recordings;
      await r.setRecordRule({ domain: 'd', app: 'live', stream: '', templateId: 1, createdAt: t0, updatedAt: t0 });
      await r.setRecordRule({ domain: 'd', app: 'live', stream: 'x', templateId: 2, createdAt: t0, updatedAt: t0 });
      await r.setRecordRule({
        domain: 'd',
        app: 'live',
        stream: '',
        templateId: 3,
        createdAt: t0 + 9,
        updatedAt: t0 + 9,
      });
      assert.deepEqual(await r.listRecordRules(), [
        { domain: 'd', app: 'live', stream: '', templateId: 3, createdAt: t0, updatedAt: t0 + 9 },
        { domain: 'd', app: 'live', stream: 'x', templateId: 2, createdAt: t0, updatedAt: t0 },
      ]);
      assert.equal(await r.deleteRecordRule('d', 'live', 'x'), true);
      assert.equal(await r.deleteRecordRule('d', 'live', 'x'), false);
      assert.equal((await r.listRecordRules()).length, 1);
    });

    test('tasks: round-trip, filters, the active window, stop once, delete', async () => {
      const r = store.recordings;
      await r.addRecordTask(task());
      await r.addRecordTask(task({ taskId: 'task-2', stream: 'other', startTime: t0 + 10_000 }));
      await assert.rejects(r.addRecordTask(task()), { code: 'STORE_FAILED' });
      assert.deepEqual(await r.getRecordTask('task-1'), task());
      assert.equal(await r.getRecordTask('nope'), undefined);
      assert.deepEqual(
        (await r.listRecordTasks()).map((t) => t.taskId),
        ['task-1', 'task-2'],
      );
      assert.deepEqual(
        (await r.listRecordTasks({ stream: 'other' })).map((t) => t.taskId),
        ['task-2'],
      );
      assert.deepEqual(
        (await r.listRecordTasks({ since: t0 + 1, before: t0 + 20_000 })).map((t) => t.taskId),
        ['task-2'],
      );
      assert.deepEqual(
        (await r.listRecordTasks({ activeAt: t0 + 5000 })).map((t) => t.taskId),
        ['task-1'],
      );
      assert.deepEqual(
        (await r.listRecordTasks({ activeAt: t0 + 3600_000 })).map((t) => t.taskId),
        [],
      );
      assert.equal(await r.stopRecordTask('task-1', t0 + 7), true);
      assert.equal(await r.stopRecordTask('task-1', t0 + 8), false);
      assert.equal((await r.getRecordTask('task-1'))?.stopped, t0 + 7);
      assert.deepEqual(
        (await r.listRecordTasks({ activeAt: t0 + 5000 })).map((t) => t.taskId),
        [],
      );
      assert.equal(await r.deleteRecordTask('task-1'), true);
      assert.equal(await r.deleteRecordTask('task-1'), false);
    });

    test('files: open until ended once, listed by stream and time, expired ones found', async () => {
      const r = store.recordings;
      const a = await r.addRecordFile(file());
      const b = await r.addRecordFile(
        file({ stream: 'other', startedAt: t0 + 10, path: 'x/y/z.m3u8', format: 'hls', expiresAt: null }),
      );
      const open = await r.listOpenRecordFiles();
      assert.deepEqual(
        open.map((f) => f.id),
        [a, b],
      );
      assert.equal(open[0]!.status, 'recording');
      assert.equal(open[0]!.endedAt, null);
      assert.equal(await r.endRecordFile(a, end()), true);
      assert.equal(await r.endRecordFile(a, end({ status: 'failed' })), false);
      const got = await r.getRecordFile(a);
      assert.deepEqual({ ...got, nodeId: undefined }, { ...file(), ...end(), id: a, nodeId: undefined });
      assert.deepEqual(
        (await r.listOpenRecordFiles()).map((f) => f.id),
        [b],
      );
      assert.deepEqual(
        (await r.listOpenRecordFiles('another-node')).map((f) => f.id),
        [],
      );
      const page = await r.listRecordFiles({ stream: 'demo' });
      assert.equal(page.total, 1);
      assert.deepEqual(
        (await r.listRecordFiles({ since: t0 + 5 })).items.map((f) => f.id),
        [b],
      );
      assert.deepEqual(
        (await r.listRecordFiles({ limit: 1, offset: 1 })).items.map((f) => f.id),
        [b],
      );
      assert.deepEqual(
        (await r.listExpiredRecordFiles(t0 + 119_999, 10)).map((f) => f.id),
        [],
      );
      assert.deepEqual(
        (await r.listExpiredRecordFiles(t0 + 120_000, 10)).map((f) => f.id),
        [a],
      );
      await r.endRecordFile(
        b,
        end({ status: 'failed', errorCode: 'RECORD_DISK_FULL', reason: 'RECORD_DISK_FULL: full', expiresAt: null }),
      );
      assert.equal((await r.getRecordFile(b))?.errorCode, 'RECORD_DISK_FULL');
      assert.deepEqual(
        (await r.listExpiredRecordFiles(t0 + 999_999_999, 10)).map((f) => f.id),
        [a],
      );
      assert.equal(await r.deleteRecordFile(a), true);
      assert.equal(await r.getRecordFile(a), undefined);
    });
  });
}
