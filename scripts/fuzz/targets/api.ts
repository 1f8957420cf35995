/**
 * The Cloud API: signed requests (TC3, as Tencent's SDK signs them) for every action with random
 * JSON parameters, plus unsigned and malformed ones, through fastify inject. The rule: every answer
 * is HTTP 200 with a Tencent error code, never InternalError (an unexpected throw inside an action).
 */
import fc from 'fast-check';
import { signTc3 } from '../../../src/control/tc3.ts';
import { allActions } from '../../../src/servers/api/actions/index.ts';
import { apiKit, type ApiKit } from '../../../src/servers/api/api-test-kit.ts';
import { OracleFailure, type CheckTarget } from '../target.ts';

/** One API call: action, parameters (or a raw body) and how its headers are bent. */
interface Call {
  action: string;
  params: Record<string, unknown>;
  raw: string | undefined;
  bend: 'none' | 'unsigned' | 'old' | 'version' | 'auth';
  authorization: string;
}

const paramNames = [
  'DomainName',
  'DomainType',
  'PlayType',
  'AppName',
  'StreamName',
  'PageNum',
  'PageSize',
  'StartTime',
  'EndTime',
  'ResumeTime',
  'Reason',
  'Enable',
  'AuthKey',
  'BackupAuthKey',
  'AuthDelta',
  'AuthBackKey',
  'MasterAuthKey',
  'TemplateId',
  'TemplateName',
  'Description',
  'CallbackKey',
  'StreamBeginNotifyUrl',
  'StreamEndNotifyUrl',
  'PushUrl',
  'PushDomain',
  'EventType',
  'ClientIp',
  'DomainStatus',
  'DomainPrefix',
  'IsDelayLive',
  'IsMiniProgramLive',
  'VerifyOwnerType',
  'ResultCode',
  'RecordExceptionLevels',
];
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    'live',
    'cam',
    'push.example.com',
    'play.example.com',
    '',
    '2026-11-25T10:00:00Z',
    '2026-11-25 10:00:00',
    '1',
    '-1',
    'x'.repeat(2000),
  ),
  fc.constantFrom(0, 1, 2, -1, 1e21, 1.5, Number.MAX_SAFE_INTEGER, 100_001),
  fc.constantFrom(null, true, false),
  fc.string({ maxLength: 24 }),
  fc.array(fc.constantFrom('a', 1, null), { maxLength: 3 }),
  fc.constant({ nested: { deep: [1] } }),
);

let kit: ApiKit | undefined;
let actionNames: string[] = [];

const callArb: fc.Arbitrary<Call> = fc.record({
  action: fc.nat().map((n) => actionNames[n % actionNames.length] ?? 'DescribeLiveDomains'),
  // The parameters most actions require, each present half the time, and any others now and then.
  params: fc
    .tuple(
      fc.record(
        {
          DomainName: fc.oneof(fc.constantFrom('push.example.com', 'play.example.com'), value),
          DomainType: fc.oneof(fc.constantFrom(0, 1), value),
          AppName: fc.oneof(fc.constant('live'), value),
          StreamName: fc.oneof(fc.constant('cam'), value),
          StartTime: fc.oneof(fc.constant('2026-11-25T09:00:00Z'), value),
          EndTime: fc.oneof(fc.constant('2026-11-25T10:00:00Z'), value),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.constantFrom(...paramNames), value, { maxKeys: 4 }),
    )
    .map(([core, more]) => ({ ...more, ...core }) as Record<string, unknown>),
  raw: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        '[]',
        '"x"',
        '{',
        '{"DomainName":',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{}}}',
        '1e999',
      ),
    },
  ),
  bend: fc.oneof(
    { weight: 12, arbitrary: fc.constant('none' as const) },
    { weight: 1, arbitrary: fc.constantFrom('unsigned' as const, 'old' as const, 'version' as const, 'auth' as const) },
  ),
  authorization: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 40 }),
    fc.constant(
      'TC3-HMAC-SHA256 Credential=x/2026-11-25/live/tc3_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
    ),
  ),
});

async function call(c: Call): Promise<string> {
  const k = kit!;
  const payload = c.raw ?? JSON.stringify(c.params);
  const ts = Math.floor(k.clock / 1000) - (c.bend === 'old' ? 301 : 0);
  const headers: Record<string, string> = {
    host: 'localhost:8081',
    'content-type': 'application/json',
    'x-tc-action': c.action,
    'x-tc-timestamp': String(ts),
    'x-tc-version': c.bend === 'version' ? '2017-01-01' : '2018-08-01',
  };
  if (c.bend === 'auth') headers.authorization = c.authorization;
  else if (c.bend !== 'unsigned') {
    headers.authorization = signTc3({
      secretId: k.key.secretId,
      secretKey: k.key.secretKey,
      service: 'live',
      host: 'localhost',
      timestampSeconds: ts,
      payload,
    });
  }
  const res = await k.app.inject({ method: 'POST', url: '/', headers, payload });
  if (res.statusCode !== 200)
    throw new OracleFailure(`${c.action} answered HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`);
  const code = (res.json() as { Response: { Error?: { Code: string; Message: string } } }).Response.Error?.Code;
  if (code === 'InternalError')
    throw new OracleFailure(`${c.action} failed with InternalError: ${res.body.slice(0, 300)}`);
  return code ?? 'ok';
}

/** The API target. */
export const apiTarget: CheckTarget<Call> = {
  kind: 'check',
  name: 'api',
  inputs: 60_000,
  async: true,
  arbitrary: callArb,
  run: call,
  toJson: (c) => c,
  fromJson: (j) => j as Call,
  async setup() {
    kit ??= await apiKit(); // its default resolver answers nothing, at once
    actionNames = Object.keys(allActions(kit.deps)).sort();
    // Two domains, so that actions get past "no such domain" to their own checks.
    await kit.call('AddLiveDomain', { DomainName: 'push.example.com', DomainType: 0 });
    await kit.call('AddLiveDomain', { DomainName: 'play.example.com', DomainType: 1 });
  },
  async close() {
    await kit?.close();
    kit = undefined;
  },
};
