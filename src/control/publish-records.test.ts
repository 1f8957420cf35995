import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { breakCodes } from './break-codes.ts';
import { PublishRecords } from './publish-records.ts';
import { clientStoppedReason, noDataReason, replacedReason } from './reasons.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

test('a session is recorded at start and completed at end with code, reason, duration and quality', async () => {
  const clock = { now: t0 };
  const records = new PublishRecords({ store: new MemoryStore(), now: () => clock.now });
  const id = await records.recordStart({
    domain: 'push.example.com',
    app: 'live',
    stream: 'demo',
    clientIp: '10.0.0.1',
  });
  assert.equal((await records.get(id))?.endedAt, null);
  clock.now += 90_000;
  const end = {
    breakCode: breakCodes.clientStopped,
    reason: clientStoppedReason(),
    bytesIn: 12_345_678,
    width: 1920,
    height: 1080,
    videoCodec: 'H.264 High 4.1',
    audioCodec: 'AAC LC',
  };
  assert.equal(await records.recordEnd(id, end), true);
  assert.deepEqual(await records.get(id), {
    id,
    domain: 'push.example.com',
    app: 'live',
    stream: 'demo',
    clientIp: '10.0.0.1',
    startedAt: t0,
    endedAt: t0 + 90_000,
    durationMs: 90_000,
    ...end,
  });
  assert.equal(await records.recordEnd(id, { ...end, breakCode: breakCodes.dropped }), false, 'ends once');
  assert.equal((await records.get(id))?.reason, '1/0: the encoder stopped publishing');
});

test('each end code keeps its sentence: no data, replaced', async () => {
  const records = new PublishRecords({ store: new MemoryStore(), now: () => t0 });
  const a = await records.recordStart({ domain: 'd.example.com', app: 'live', stream: 'a', clientIp: '1.1.1.1' });
  const b = await records.recordStart({ domain: 'd.example.com', app: 'live', stream: 'b', clientIp: '1.1.1.1' });
  await records.recordEnd(a, { breakCode: breakCodes.noData, reason: noDataReason(15_000), bytesIn: 10 });
  await records.recordEnd(b, { breakCode: breakCodes.replaced, reason: replacedReason('10.0.0.2'), bytesIn: 10 });
  const list = await records.list();
  assert.deepEqual(
    list.items.map((r) => [r.stream, r.breakCode, r.reason]),
    [
      ['b', '21/102', '21/102: a new publisher from 10.0.0.2 replaced this one'],
      ['a', '20/0', '20/0: no media for 15 s; the publisher was dropped so it can reconnect'],
    ],
  );
});

test('sessions left open by a killed server are ended at the next start with code 5/0', async () => {
  const store = new MemoryStore();
  const before = new PublishRecords({ store, now: () => t0 });
  const open = await before.recordStart({ domain: 'd.example.com', app: 'live', stream: 'a', clientIp: '1.1.1.1' });
  const after = new PublishRecords({ store, now: () => t0 + 5000 });
  assert.equal(await after.recoverOpen(), 1);
  const r = await after.get(open);
  assert.deepEqual([r?.breakCode, r?.endedAt], ['5/0', t0 + 5000]);
  assert.match(r?.reason ?? '', /^5\/0: the server stopped/);
  assert.equal(await after.recoverOpen(), 0);
});
