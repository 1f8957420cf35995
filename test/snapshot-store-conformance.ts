/** The conformance of SnapshotStore adapters (memory, SQLite, PostgreSQL): templates, rules, tasks and pictures. */
import assert from 'node:assert/strict';
import type { SnapshotStore } from '../src/store/snapshot-store.ts';

const params = {
  interval: 10,
  width: 0,
  height: 0,
  pornFlag: 0,
  cosAppId: 0,
  cosBucket: '',
  cosRegion: '',
  cosPrefix: '',
  cosFileName: '',
};
const picture = (takenAt: number, stream = 'cam') => ({
  domain: 'd',
  app: 'live',
  stream,
  path: `d/live/${stream}/${takenAt}.jpg`,
  takenAt,
  width: 640,
  height: 360,
  size: 10,
  templateId: 1,
  taskId: '',
  expiresAt: takenAt + 1000,
});

/** What every adapter's snapshot tables do. */
export async function snapshotConformance(s: SnapshotStore): Promise<void> {
  const id = await s.addSnapshotTemplate({ name: 't', description: '', params, createdAt: 1 });
  const next = await s.updateSnapshotTemplate(id, { params: { width: 320 }, updatedAt: 2 });
  assert.deepEqual([next?.params.width, next?.params.interval, next?.updatedAt], [320, 10, 2]);
  assert.equal((await s.getSnapshotTemplate(id))?.params.width, 320);
  await s.setSnapshotRule({ domain: 'd', app: 'live', stream: '', templateId: id, createdAt: 5, updatedAt: 5 });
  await s.setSnapshotRule({ domain: 'd', app: 'live', stream: '', templateId: id, createdAt: 9, updatedAt: 9 });
  assert.deepEqual(
    (await s.listSnapshotRules()).map((r) => [r.createdAt, r.updatedAt]),
    [[5, 9]],
  );
  await s.addSnapshotTask({
    taskId: 'a',
    domain: 'd',
    app: 'live',
    stream: 'cam',
    startTime: 0,
    endTime: 100,
    templateId: id,
    extension: '',
    stopped: 0,
    createdAt: 0,
  });
  assert.equal((await s.listSnapshotTasks({ activeAt: 50 })).length, 1);
  assert.equal(await s.stopSnapshotTask('a', 60), true);
  assert.equal((await s.listSnapshotTasks({ activeAt: 70 })).length, 0);
  for (const t of [100, 300, 200]) await s.addSnapshotFile(picture(t));
  await s.addSnapshotFile(picture(250, 'other'));
  const asc = await s.listSnapshotFiles({ stream: 'cam' });
  assert.deepEqual([asc.total, asc.items.map((f) => f.takenAt)], [3, [100, 200, 300]]);
  const latest = await s.listSnapshotFiles({ stream: 'cam', descending: true, limit: 1 });
  assert.deepEqual(
    latest.items.map((f) => [f.takenAt, f.width, f.height]),
    [[300, 640, 360]],
  );
  assert.equal((await s.listSnapshotFiles({ since: 200, before: 300 })).total, 2);
  const expired = await s.listExpiredSnapshotFiles(1200, 10);
  assert.deepEqual(
    expired.map((f) => f.takenAt),
    [100, 200],
  );
  assert.equal(await s.deleteSnapshotFile(expired[0]!.id), true);
  assert.equal(await s.getSnapshotFile(expired[0]!.id), undefined);
  assert.equal(await s.deleteSnapshotRule('d', 'live', ''), true);
  assert.equal(await s.deleteSnapshotTemplate(id), true);
}
