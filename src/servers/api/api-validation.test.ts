/**
 * Every action's parameter validation against hostile JSON: wrong types, huge strings and arrays, deep
 * nesting, prototype keys. The answer is always HTTP 200 with a Tencent code (InvalidParameter*,
 * MissingParameter, a not-found, ...) or a result; never InternalError, which would mean an unchecked value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { apiKit } from './api-test-kit.ts';

const names = [
  'AppName',
  'AuthBackKey',
  'AuthDelta',
  'AuthKey',
  'BackupAuthKey',
  'CallbackKey',
  'ClientIp',
  'Description',
  'DomainName',
  'DomainPrefix',
  'DomainStatus',
  'DomainType',
  'Enable',
  'EndTime',
  'EventType',
  'IsAsc',
  'IsDelayLive',
  'IsFilter',
  'IsMiniProgramLive',
  'IsStrict',
  'MasterAuthKey',
  'PageNum',
  'PageSize',
  'PlayType',
  'PushDomain',
  'PushUrl',
  'Reason',
  'RecordExceptionLevels',
  'ResultCode',
  'ResumeTime',
  'StartTime',
  'StreamBeginNotifyUrl',
  'StreamEndNotifyUrl',
  'StreamName',
  'TemplateId',
  'TemplateName',
  'VerifyOwnerType',
  'PushExceptionNotifyUrl',
  '__proto__',
  'constructor',
];

const plausible = fc.constantFrom(
  'push.example.com',
  'play.example.com',
  'live',
  'demo',
  'Stream',
  'PushDomain',
  '2026-11-25T10:00:00Z',
  '2026-11-25 18:00:00',
  'http://hooks.example.com/cb',
  'rtmp://push.example.com/live/demo?txSecret=00&txTime=FFFFFFFF',
  'abc123',
  0,
  1,
  2,
  10,
  100,
  -1,
);

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  plausible,
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 1, max: 9000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 2000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
  fc.integer({ min: 1, max: 2000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown),
  fc.double({ noNaN: true }),
  fc.constantFrom(
    1e308,
    -1e308,
    2 ** 53 + 1,
    0.5,
    true,
    false,
    null,
    '',
    ' ',
    '1e3',
    '0x10',
    {},
    [],
    ['error'],
    [1, 'a'],
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

test('no action answers InternalError (or anything but HTTP 200 with an envelope) to hostile parameters', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  const actions = [
    'AddLiveDomain',
    'DeleteLiveDomain',
    'DescribeLiveDomain',
    'DescribeLiveDomains',
    'ForbidLiveDomain',
    'EnableLiveDomain',
    'DescribeLivePushAuthKey',
    'ModifyLivePushAuthKey',
    'DescribeLivePlayAuthKey',
    'ModifyLivePlayAuthKey',
    'OpenLiveDiagnosePushUrl',
    'DropLiveStream',
    'ForbidLiveStream',
    'ResumeLiveStream',
    'DescribeLiveStreamState',
    'DescribeLiveStreamOnlineList',
    'DescribeLiveStreamPublishedList',
    'DescribeLiveStreamPushInfoList',
    'DescribeLiveForbidStreamList',
    'DescribeLiveStreamEventList',
    'OpenLiveDescribeRejectedPushList',
    'OpenLiveDescribeRejectedPushSummary',
    'OpenLiveDescribeServerInfo',
    'OpenLiveDescribeForwardStatus',
    'CreateLiveCallbackTemplate',
    'ModifyLiveCallbackTemplate',
    'DeleteLiveCallbackTemplate',
    'DescribeLiveCallbackTemplate',
    'DescribeLiveCallbackTemplates',
    'CreateLiveCallbackRule',
    'DeleteLiveCallbackRule',
    'DescribeLiveCallbackRules',
    'DescribeCallbackRecordsList',
  ];
  await kit.call('AddLiveDomain', { DomainName: 'push.example.com', DomainType: 0, PlayType: 1 });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...actions),
      fc.dictionary(fc.constantFrom(...names), hostile, { maxKeys: 6 }),
      async (action, params) => {
        const res = await kit.call(action, params);
        assert.ok(typeof res.RequestId === 'string', JSON.stringify(res).slice(0, 300));
        assert.notEqual(
          res.Error?.Code,
          'InternalError',
          `${action} ${JSON.stringify(params).slice(0, 300)}: ${res.Error?.Message}`,
        );
        if (res.Error)
          assert.match(
            res.Error.Code,
            /^(InvalidParameter|InvalidParameterValue|MissingParameter|ResourceNotFound|FailedOperation|UnsupportedOperation|InternalError\.|ResourceInUse|LimitExceeded|InvalidAction|RequestSizeLimitExceeded)/,
            `${action}: ${res.Error.Code}`,
          );
      },
    ),
    { numRuns: Number(process.env.OPENLIVE_API_FUZZ_RUNS ?? 600) },
  );
});

test('the body itself: not JSON, not an object, or deeply nested, is InvalidParameter', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  for (const rawBody of [
    '[1]',
    '"x"',
    '{"a":',
    '{'.repeat(20_000),
    `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
    '\u0000',
    '{"DomainName":"x"}garbage',
  ]) {
    const res = await kit.call('DescribeLiveDomain', {}, { rawBody });
    assert.ok(
      ['InvalidParameter', 'InvalidParameterValue', 'MissingParameter'].includes(res.Error?.Code),
      `${rawBody.slice(0, 30)}: ${JSON.stringify(res.Error)}`,
    );
  }
});
