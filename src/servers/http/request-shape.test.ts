import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { checkRequestShape } from './request-shape.ts';

const limits = { maxQueryBytes: 4096, maxQueryParams: 64 };
const req = (url: string, headers: Record<string, string> = {}) => ({ url, headers }) as unknown as IncomingMessage;

test('a signed playback URL passes; no query passes', () => {
  assert.equal(
    checkRequestShape(req('/live/cam.flv?txSecret=0123456789abcdef0123456789abcdef&txTime=5C271099'), limits),
    undefined,
  );
  assert.equal(checkRequestShape(req('/live/cam.m3u8'), limits), undefined);
  assert.equal(
    checkRequestShape(req(`/live/cam.m3u8?${'a=1&'.repeat(63)}a=1`), limits),
    undefined,
    '64 parameters is the limit',
  );
});

test('an oversized query or too many parameters is HTTP_QUERY_TOO_LARGE', () => {
  assert.equal(checkRequestShape(req(`/live/cam.flv?x=${'a'.repeat(4095)}`), limits)?.code, 'HTTP_QUERY_TOO_LARGE');
  assert.equal(checkRequestShape(req(`/live/cam.flv?${'&'.repeat(64)}`), limits)?.code, 'HTTP_QUERY_TOO_LARGE');
  assert.equal(checkRequestShape(req(`/live/cam.m3u8?${'a=1&'.repeat(64)}a=1`), limits)?.code, 'HTTP_QUERY_TOO_LARGE');
});

test('a playback request with a body is HTTP_BODY_TOO_LARGE; Content-Length: 0 is not a body', () => {
  assert.equal(checkRequestShape(req('/healthz', { 'content-length': '5' }), limits)?.code, 'HTTP_BODY_TOO_LARGE');
  assert.equal(
    checkRequestShape(req('/healthz', { 'transfer-encoding': 'chunked' }), limits)?.code,
    'HTTP_BODY_TOO_LARGE',
  );
  assert.equal(checkRequestShape(req('/healthz', { 'content-length': '0' }), limits), undefined);
});

test('a query bomb of a million parameters is refused in linear time', () => {
  const url = `/live/cam.flv?${'a&'.repeat(1_000_000)}`;
  const started = performance.now();
  assert.equal(
    checkRequestShape(req(url), { maxQueryBytes: 10_000_000, maxQueryParams: 64 })?.code,
    'HTTP_QUERY_TOO_LARGE',
  );
  assert.equal(checkRequestShape(req(url), { maxQueryBytes: 10_000_000, maxQueryParams: 2_000_000 }), undefined);
  assert.ok(performance.now() - started < 1000);
});

test('property: any URL either passes with a query URLSearchParams parses within the limits, or is refused with the code', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 300 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 64, max: 200 }),
      (tail, maxQueryParams, maxQueryBytes) => {
        const url = `/live/x.flv?${tail}`;
        const refusal = checkRequestShape(req(url), { maxQueryBytes, maxQueryParams });
        if (refusal) return assert.equal(refusal.code, 'HTTP_QUERY_TOO_LARGE');
        assert.ok(tail.length <= maxQueryBytes);
        assert.ok([...new URLSearchParams(tail)].length <= maxQueryParams);
      },
    ),
  );
});
