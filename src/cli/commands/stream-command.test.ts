import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory-store.ts';
import { bootstrap } from '../../control/bootstrap.ts';
import { configSchema } from '../../config/config-schema.ts';
import type { ForbiddenStream } from '../../store/store.ts';
import { streamCommand } from './stream-command.ts';
import type { CliContext } from './cli-output.ts';

const nowMs = Date.UTC(2026, 10, 25, 10, 0, 0);
const day = 24 * 3600 * 1000;

async function context(): Promise<CliContext> {
  const store = new MemoryStore();
  await bootstrap({ store, now: () => nowMs });
  return { config: configSchema.parse({}), store, nowMs };
}

test('forbid --for writes a forbid the next publish meets, and says a live publisher is refused when it next publishes', async () => {
  const ctx = await context();
  const text = await streamCommand(ctx, ['forbid', 'live/cam1'], { for: '2d', reason: 'abuse report' });
  assert.equal(
    text,
    'Forbade live/cam1 on every domain until 2026-11-27T10:00:00Z (abuse report).\n' +
      'A publisher live now is not dropped by this command; it is refused (18/305) at its next publish.\n',
  );
  const found = await ctx.store.findForbidden('live', 'cam1', 'push.localhost', nowMs + day);
  assert.equal(found?.until, nowMs + 2 * day);
  assert.equal(found?.reason, 'abuse report');
});

test('forbid --until takes an ISO time; the default is 7 days; --domain limits it to one push domain', async () => {
  const ctx = await context();
  await streamCommand(ctx, ['forbid', 'live/a'], { until: '2026-12-01T00:00:00Z' });
  await streamCommand(ctx, ['forbid', 'live/b'], { domain: 'PUSH.localhost' });
  const data = JSON.parse(await streamCommand(ctx, ['forbidden'], { json: 'true' })) as {
    total: number;
    forbidden: ForbiddenStream[];
  };
  assert.deepEqual(
    data.forbidden.map((f) => [f.stream, f.domain, f.until]),
    [
      ['b', 'push.localhost', nowMs + 7 * day],
      ['a', '', Date.UTC(2026, 11, 1)],
    ],
  );
  const lines = (await streamCommand(ctx, ['forbidden'], {})).trimEnd().split('\n');
  assert.match(lines[0]!, /^STREAM +DOMAIN +UNTIL +SINCE +REASON$/);
  assert.match(lines[1]!, /^live\/b +push\.localhost +2026-12-02T10:00:00Z +2026-11-25T10:00:00Z$/);
  assert.match(lines[2]!, /^live\/a +\* +2026-12-01T00:00:00Z +2026-11-25T10:00:00Z$/);
});

test('resume lifts the forbid; a resume on the wrong domain names the domain that holds it', async () => {
  const ctx = await context();
  await streamCommand(ctx, ['forbid', 'live/cam1'], { domain: 'push.localhost' });
  const missed = await streamCommand(ctx, ['resume', 'live/cam1'], {});
  assert.match(
    missed,
    /^live\/cam1 was not forbidden on every domain\. It is forbidden on domain push\.localhost; pass --domain/,
  );
  assert.equal((await ctx.store.listForbidden({})).total, 1);
  assert.equal(
    await streamCommand(ctx, ['resume', 'live/cam1'], { domain: 'push.localhost' }),
    'Resumed live/cam1 on domain push.localhost; it may publish again.\n',
  );
  assert.equal(await streamCommand(ctx, ['forbidden'], {}), 'No stream is forbidden.\n');
  const again = JSON.parse(await streamCommand(ctx, ['resume', 'live/cam1'], { json: 'true' })) as { resumed: boolean };
  assert.equal(again.resumed, false);
});

test('errors: bad duration, bad time, both ends, too long, unknown domain, bad names', async () => {
  const ctx = await context();
  const forbid = (target: string, flags: Record<string, string>): Promise<string> =>
    streamCommand(ctx, ['forbid', target], flags);
  await assert.rejects(forbid('live/x', { for: 'a week' }), {
    code: 'CONFIG_INVALID',
    message: /--for: "a week" is not a duration/,
  });
  await assert.rejects(forbid('live/x', { until: 'tomorrow' }), {
    code: 'CONFIG_INVALID',
    message: /--until: "tomorrow" is not an ISO time/,
  });
  await assert.rejects(forbid('live/x', { until: '2026-12-01', for: '1d' }), /--until or --for, not both/);
  await assert.rejects(forbid('live/x', { for: '91d' }), { code: 'FORBID_INVALID', message: /at most 90 days/ });
  await assert.rejects(forbid('live/x', { until: '2026-01-01T00:00:00Z' }), {
    code: 'FORBID_INVALID',
    message: /in the future/,
  });
  await assert.rejects(forbid('live/x', { domain: 'nope.example.com' }), { code: 'DOMAIN_NOT_FOUND' });
  await assert.rejects(forbid('live/x', { domain: 'play.localhost' }), { code: 'DOMAIN_TYPE_MISMATCH' });
  await assert.rejects(forbid('cam1', {}), { code: 'CONFIG_INVALID', message: /"cam1" is not APP\/STREAM/ });
  await assert.rejects(forbid('live/bad name', {}), { code: 'STREAM_NAME_INVALID' });
  await assert.rejects(streamCommand(ctx, ['forbid'], {}), /missing APP\/STREAM/);
  await assert.rejects(streamCommand(ctx, ['drop', 'live/x'], {}), /unknown stream command "drop"/);
  assert.equal((await ctx.store.listForbidden({})).total, 0);
});
