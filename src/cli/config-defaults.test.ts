import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../config/config-schema.ts';
import { resolveHubOptions } from '../hub/hub-options.ts';
import { nameLimitDefaults } from '../protocol/rtmp/bounded-query.ts';
import { defaultChunkSize } from '../protocol/rtmp/session-core.ts';

// protocol/ may import nothing above it and config/ nothing of src/: where a default lives on both sides
// of that line, this test keeps the two equal.
const defaults = configSchema.parse({});

test('a Hub without options has the limits of an empty config (fanout.*, rtmp.chunkSize)', () => {
  const hub = resolveHubOptions();
  const f = defaults.fanout;
  assert.equal(hub.mergeWindowMs, f.mergeWindowMs);
  assert.equal(hub.rtmpChunkSize, defaults.rtmp.chunkSize);
  assert.deepEqual(
    { enabled: hub.gopCache.enabled, maxBytes: hub.gopCache.maxBytes, maxMessages: hub.gopCache.maxMessages },
    { enabled: f.gopCache, maxBytes: f.gopCacheMaxBytes, maxMessages: f.gopCacheMaxMessages },
  );
  assert.deepEqual(hub.subscriber, {
    maxQueueBytes: f.maxQueueBytes,
    maxQueueMs: f.maxQueueMs,
    stallTimeoutMs: f.stallTimeoutMs,
  });
});

test("the RTMP sessions' defaults are the config's (chunk size, name and query limits)", () => {
  assert.equal(defaults.rtmp.chunkSize, defaultChunkSize);
  const r = defaults.rtmp;
  assert.deepEqual(
    {
      maxTcUrlLength: r.maxTcUrlLength,
      maxNameLength: r.maxNameLength,
      maxQueryLength: r.maxQueryLength,
      maxQueryParams: r.maxQueryParams,
    },
    nameLimitDefaults,
  );
});
