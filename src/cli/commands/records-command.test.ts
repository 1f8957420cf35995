import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory-store.ts';
import { configSchema } from '../../config/config-schema.ts';
import type { PublishRecord, RejectedAttempt } from '../../store/store.ts';
import { recordsCommand } from './records-command.ts';
import type { CliContext } from './cli-output.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const config = configSchema.parse({});

async function seeded(): Promise<CliContext> {
  const store = new MemoryStore();
  const base = { domain: 'push.localhost', app: 'live', clientIp: '192.0.2.7' };
  const ended = await store.addPublishRecord({ ...base, stream: 'cam1', startedAt: t0 });
  await store.endPublishRecord(ended, {
    endedAt: t0 + 3_723_000,
    breakCode: '21/100',
    reason: '21/100: the operator dropped this stream; reconnecting is allowed',
    bytesIn: 45_600_000,
    width: 1280,
    height: 720,
    videoCodec: 'H.264 High 3.1',
    audioCodec: 'AAC LC 44100 Hz stereo',
  });
  await store.addPublishRecord({ ...base, stream: 'cam2', startedAt: t0 + 4_000_000 });
  await store.addRejectedAttempt({
    at: t0 + 10_000,
    action: 'publish',
    clientIp: '198.51.100.9',
    host: 'push.localhost',
    domain: 'push.localhost',
    app: 'live',
    stream: 'cam1',
    breakCode: '18/503',
    code: 'SIGNATURE_INVALID',
    reason: '18/503: txSecret does not match',
    query: 'txSecret=***&txTime=6A000000',
  });
  await store.addRejectedAttempt({
    at: t0 + 20_000,
    action: 'publish',
    clientIp: '198.51.100.9',
    host: 'unknown.example.com',
    domain: '',
    app: 'live',
    stream: 'x',
    breakCode: '18/301',
    code: 'DOMAIN_UNKNOWN',
    reason: '18/301: domain unknown.example.com is not added',
    query: '',
  });
  return { config, store, nowMs: t0 + 4_065_000 };
}

/** The seeded store plus an aggregate row: 997 refusals of one address counted in one row. */
async function withAggregate(): Promise<CliContext> {
  const ctx = await seeded();
  const id = await ctx.store.addRejectedAttempt({
    at: t0 + 30_000,
    action: 'publish',
    clientIp: '203.0.113.66',
    host: 'push.localhost',
    domain: 'push.localhost',
    app: 'live',
    stream: 'x'.repeat(20),
    breakCode: '18/309',
    code: 'STREAM_NAME_INVALID',
    reason: '18/309: StreamName is too long',
    query: '',
  });
  await ctx.store.countRejectedAttempt(id, 996, t0 + 90_000);
  return ctx;
}

test('lists publish sessions newest first with duration, stop code and reason, resolution, codecs and bytes', async () => {
  const ctx = await seeded();
  const lines = (await recordsCommand(ctx, [], {})).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^START +END +DURATION +STREAM +DOMAIN +IP +RESOLUTION +VIDEO +AUDIO +BYTES +CODE +REASON$/);
  // The open session (live, or left by a dead server) shows its time so far.
  assert.match(
    lines[1]!,
    /^2026-11-25T11:06:40Z +open +1m05s\+ +live\/cam2 +push\.localhost +192\.0\.2\.7 +- +- +- +0 B +-$/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-25T10:00:00Z +2026-11-25T11:02:03Z +1h02m03s +live\/cam1 .* 1280x720 +H\.264 High 3\.1 +AAC LC 44100 Hz stereo +45\.6 MB +21\/100 +the operator dropped this stream; reconnecting is allowed$/,
  );
  const codeAt = lines[0]!.indexOf('CODE');
  assert.equal(lines[2]!.slice(codeAt, codeAt + 6), '21/100');
});

test('--stream filters by name or APP/STREAM; --limit pages and says how many there are', async () => {
  const ctx = await seeded();
  const one = await recordsCommand(ctx, [], { stream: 'live/cam1' });
  assert.equal(one.trimEnd().split('\n').length, 2);
  assert.match(one, /live\/cam1/);
  assert.equal(await recordsCommand(ctx, [], { stream: 'other/cam1' }), 'No publish sessions.\n');
  const limited = await recordsCommand(ctx, [], { limit: '1' });
  assert.match(limited, /live\/cam2/);
  assert.match(limited, /\(1 of 2; --limit N shows more\)\n$/);
  const data = JSON.parse(await recordsCommand(ctx, [], { stream: 'cam1', json: 'true' })) as {
    total: number;
    records: PublishRecord[];
  };
  assert.equal(data.total, 1);
  assert.equal(data.records[0]?.breakCode, '21/100');
  assert.equal(data.records[0]?.durationMs, 3_723_000);
});

test('--rejected lists refused attempts with time, IP, domain (or the host addressed), stream, code and reason', async () => {
  const ctx = await seeded();
  const lines = (await recordsCommand(ctx, [], { rejected: 'true' })).trimEnd().split('\n');
  assert.match(lines[0]!, /^TIME +COUNT +ACTION +IP +DOMAIN +STREAM +CODE +REASON$/);
  assert.match(
    lines[1]!,
    /^2026-11-25T10:00:20Z +1 +publish +198\.51\.100\.9 +\(unknown\.example\.com\) +live\/x +18\/301 +domain unknown\.example\.com is not added$/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-25T10:00:10Z +1 +publish +198\.51\.100\.9 +push\.localhost +live\/cam1 +18\/503 +txSecret does not match$/,
  );
  const data = JSON.parse(await recordsCommand(ctx, [], { rejected: 'true', json: 'true' })) as {
    attempts: RejectedAttempt[];
  };
  assert.deepEqual(
    data.attempts.map((a) => a.code),
    ['DOMAIN_UNKNOWN', 'SIGNATURE_INVALID'],
  );
});

test('--rejected shows an aggregate row with its count and the time of its last refusal', async () => {
  const ctx = await withAggregate();
  const lines = (await recordsCommand(ctx, [], { rejected: 'true' })).trimEnd().split('\n');
  assert.match(
    lines[1]!,
    /^2026-11-25T10:00:30Z +997 until 2026-11-25T10:01:30Z +publish +203\.0\.113\.66 .* 18\/309 +StreamName is too long$/,
  );
  const data = JSON.parse(await recordsCommand(ctx, [], { rejected: 'true', json: 'true' })) as {
    attempts: RejectedAttempt[];
  };
  assert.deepEqual(
    data.attempts.map((a) => a.count),
    [997, 1, 1],
  );
});

test('bad options are refused with the flag named', async () => {
  const ctx = await seeded();
  await assert.rejects(recordsCommand(ctx, [], { limit: 'ten' }), {
    code: 'CONFIG_INVALID',
    message: /--limit is a whole number/,
  });
  await assert.rejects(recordsCommand(ctx, [], { limit: '0' }), /--limit/);
  await assert.rejects(recordsCommand(ctx, [], { since: 'x' }), /records does not take --since/);
  await assert.rejects(recordsCommand(ctx, ['cam1'], {}), /records takes no "cam1"/);
});
