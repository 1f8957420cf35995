import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleDomain } from '../../../../test/store-conformance.ts';
import { apiKit, kitStart } from '../api-test-kit.ts';
import { callbackActions } from './callback-actions.ts';
import { beijingTime } from './tencent-time.ts';

async function kit() {
  const k = await apiKit({ actions: callbackActions });
  await k.store.addDomain(sampleDomain('push.example.com'));
  await k.store.addDomain(sampleDomain('play.example.com', { type: 'play' }));
  return k;
}

const emptyInfo = {
  StreamBeginNotifyUrl: '',
  StreamEndNotifyUrl: '',
  RecordNotifyUrl: '',
  RecordStatusNotifyUrl: '',
  SnapshotNotifyUrl: '',
  PornCensorshipNotifyUrl: '',
  PushExceptionNotifyUrl: '',
  AudioAuditNotifyUrl: '',
  RecordExceptionNotifyUrl: '',
  StreamMixNotifyUrl: '',
};

test('CreateLiveCallbackTemplate returns a TemplateId; Describe returns Tencent CallBackTemplateInfo', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const created = await k.call('CreateLiveCallbackTemplate', {
    TemplateName: '回调_tpl-1',
    Description: 'begin and end',
    StreamBeginNotifyUrl: 'http://hooks.example.com/begin',
    StreamEndNotifyUrl: 'https://hooks.example.com/end',
    PushExceptionNotifyUrl: 'http://hooks.example.com/321',
    CallbackKey: 'k3y',
    RecordExceptionLevels: ['error'],
  });
  assert.equal(typeof created.TemplateId, 'number');
  const info = {
    TemplateId: created.TemplateId,
    TemplateName: '回调_tpl-1',
    Description: 'begin and end',
    ...emptyInfo,
    StreamBeginNotifyUrl: 'http://hooks.example.com/begin',
    StreamEndNotifyUrl: 'https://hooks.example.com/end',
    PushExceptionNotifyUrl: 'http://hooks.example.com/321',
    CallbackKey: 'k3y',
    RecordExceptionLevels: ['error'],
  };
  assert.deepEqual((await k.call('DescribeLiveCallbackTemplate', { TemplateId: created.TemplateId })).Template, info);
  assert.deepEqual((await k.call('DescribeLiveCallbackTemplates')).Templates, [info]);
});

test("template validation: each bad field gets Tencent's code and names itself", async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const url = { StreamBeginNotifyUrl: 'http://h.example.com/b' };
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [url, 'MissingParameter', /TemplateName/],
    [{ TemplateName: 'a b', ...url }, 'InvalidParameterValue', /TemplateName may hold only/],
    [{ TemplateName: 'x'.repeat(256), ...url }, 'InvalidParameterValue', /TemplateName/],
    [
      { TemplateName: 'ok', StreamEndNotifyUrl: 'ftp://h.example.com' },
      'InvalidParameter.InvalidCallbackUrl',
      /streamEnd/,
    ],
    [{ TemplateName: 'ok', StreamEndNotifyUrl: 7 }, 'InvalidParameterValue', /StreamEndNotifyUrl/],
    [{ TemplateName: 'ok', Description: 'd'.repeat(1025), ...url }, 'InvalidParameterValue', /Description/],
    [{ TemplateName: 'ok', RecordExceptionLevels: ['loud'], ...url }, 'InvalidParameterValue', /RecordExceptionLevels/],
  ];
  for (const [params, code, message] of cases) {
    const res = await k.call('CreateLiveCallbackTemplate', params);
    assert.equal(res.Error?.Code, code, JSON.stringify(params).slice(0, 80));
    assert.match(res.Error.Message, message);
  }
  for (let i = 0; i < 50; i++) await k.call('CreateLiveCallbackTemplate', { TemplateName: `t${i}`, ...url });
  assert.equal(
    (await k.call('CreateLiveCallbackTemplate', { TemplateName: 'late', ...url })).Error?.Code,
    'InternalError.ConfOutLimit',
  );
});

test('ModifyLiveCallbackTemplate changes what is given, clears a URL given as "", and reports unknown ids', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const { TemplateId } = await k.call('CreateLiveCallbackTemplate', {
    TemplateName: 'tpl',
    StreamBeginNotifyUrl: 'http://h.example.com/b',
    StreamEndNotifyUrl: 'http://h.example.com/e',
    CallbackKey: 'old',
  });
  assert.equal(
    (await k.call('ModifyLiveCallbackTemplate', { TemplateId, CallbackKey: 'new', StreamBeginNotifyUrl: '' })).Error,
    undefined,
  );
  const t1 = (await k.call('DescribeLiveCallbackTemplate', { TemplateId })).Template;
  assert.deepEqual(
    [t1.TemplateName, t1.CallbackKey, t1.StreamBeginNotifyUrl, t1.StreamEndNotifyUrl],
    ['tpl', 'new', '', 'http://h.example.com/e'],
  );
  assert.equal(
    (await k.call('ModifyLiveCallbackTemplate', { TemplateId, StreamEndNotifyUrl: '' })).Error,
    undefined,
    'a template may be left without URLs',
  );
  assert.equal(
    (await k.call('ModifyLiveCallbackTemplate', { TemplateId: 999, TemplateName: 'x' })).Error?.Code,
    'FailedOperation.NotFound',
  );
  assert.equal((await k.call('ModifyLiveCallbackTemplate', { TemplateName: 'x' })).Error?.Code, 'MissingParameter');
  assert.equal((await k.call('DescribeLiveCallbackTemplate', { TemplateId: 0 })).Error?.Code, 'InvalidParameterValue');
});

test('rules: create binds a template to push domain + AppName, describe lists them in Beijing time, delete removes them', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const { TemplateId } = await k.call('CreateLiveCallbackTemplate', {
    TemplateName: 'tpl',
    StreamBeginNotifyUrl: 'http://h.example.com/b',
  });
  assert.equal(
    (await k.call('CreateLiveCallbackRule', { DomainName: 'push.example.com', AppName: 'live', TemplateId })).Error,
    undefined,
  );
  assert.deepEqual((await k.call('DescribeLiveCallbackRules')).Rules, [
    {
      CreateTime: beijingTime(kitStart),
      UpdateTime: beijingTime(kitStart),
      TemplateId,
      DomainName: 'push.example.com',
      AppName: 'live',
    },
  ]);
  const errors: Array<[Record<string, unknown>, string]> = [
    [{ DomainName: 'push.example.com', AppName: 'live', TemplateId: 999 }, 'InvalidParameter.ConfNotFound'],
    [{ DomainName: 'nope.example.com', AppName: 'live', TemplateId }, 'ResourceNotFound.DomainNotExist'],
    [{ DomainName: 'bad_name', AppName: 'live', TemplateId }, 'InvalidParameter.DomainFormatError'],
    [{ DomainName: 'play.example.com', AppName: 'live', TemplateId }, 'InvalidParameterValue'],
    [{ DomainName: 'push.example.com', AppName: 'li ve', TemplateId }, 'InvalidParameterValue'],
    [{ DomainName: 'push.example.com', TemplateId }, 'MissingParameter'],
  ];
  for (const [params, code] of errors)
    assert.equal((await k.call('CreateLiveCallbackRule', params)).Error?.Code, code, JSON.stringify(params));
  assert.equal((await k.call('DeleteLiveCallbackTemplate', { TemplateId })).Error?.Code, 'FailedOperation.ConfInUsed');
  assert.equal(
    (await k.call('DeleteLiveCallbackRule', { DomainName: 'push.example.com', AppName: 'live' })).Error,
    undefined,
  );
  assert.equal(
    (await k.call('DeleteLiveCallbackRule', { DomainName: 'push.example.com', AppName: 'live' })).Error?.Code,
    'FailedOperation.NotFound',
  );
  assert.deepEqual((await k.call('DescribeLiveCallbackRules')).Rules, []);
  assert.equal((await k.call('DeleteLiveCallbackTemplate', { TemplateId })).Error, undefined);
  assert.equal((await k.call('DeleteLiveCallbackTemplate', { TemplateId })).Error?.Code, 'FailedOperation.NotFound');
});

test("DescribeCallbackRecordsList: attempts of one stream in a window, filtered by type and result, times in the request's format", async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const base = { deliveryId: 1, eventTime: kitStart - 60_000, url: 'http://h/', status: 200, durationMs: 5 };
  const add = (over: Record<string, unknown>) =>
    k.store.callbacks.recordCallbackAttempt(
      {
        ...base,
        eventType: 1,
        stream: 'demo',
        request: '{"event_type":1}',
        response: '{"code":0}',
        resultCode: 0,
        at: kitStart - 30_000,
        ...over,
      },
      'done',
    );
  await add({});
  await add({
    eventType: 0,
    request: '{"event_type":0}',
    response: 'oops',
    status: 500,
    resultCode: 500,
    at: kitStart - 20_000,
  });
  await add({ stream: 'other' });
  await add({ at: kitStart - 2 * 24 * 3600_000 });
  const utc = {
    StreamName: 'demo',
    StartTime: '2026-11-25T00:00:00Z',
    EndTime: '2026-11-25T23:00:00Z',
    PageNum: 1,
    PageSize: 10,
  };
  const res = await k.call('DescribeCallbackRecordsList', utc);
  assert.deepEqual(res.DataInfoList, [
    {
      EventTime: '2026-11-25T09:59:00Z',
      EventType: 0,
      Request: '{"event_type":0}',
      Response: 'oops',
      ResponseTime: '2026-11-25T09:59:40Z',
      ResultCode: 500,
      StreamId: 'demo',
    },
    {
      EventTime: '2026-11-25T09:59:00Z',
      EventType: 1,
      Request: '{"event_type":1}',
      Response: '{"code":0}',
      ResponseTime: '2026-11-25T09:59:30Z',
      ResultCode: 0,
      StreamId: 'demo',
    },
  ]);
  assert.deepEqual([res.TotalNum, res.TotalPage, res.PageNum, res.PageSize], [2, 1, 1, 10]);
  const beijing = await k.call('DescribeCallbackRecordsList', {
    ...utc,
    StartTime: '2026-11-25 08:00:00',
    EndTime: '2026-11-26 07:00:00',
  });
  assert.equal(beijing.DataInfoList[0].ResponseTime, '2026-11-25 17:59:40');
  assert.equal(beijing.TotalNum, 2);
  assert.deepEqual(
    (await k.call('DescribeCallbackRecordsList', { ...utc, EventType: 1 })).DataInfoList.map((r: any) => r.EventType),
    [1],
  );
  assert.deepEqual(
    (await k.call('DescribeCallbackRecordsList', { ...utc, ResultCode: 1 })).DataInfoList.map((r: any) => r.ResultCode),
    [500],
  );
  assert.deepEqual(
    (await k.call('DescribeCallbackRecordsList', { ...utc, ResultCode: 0 })).DataInfoList.map((r: any) => r.ResultCode),
    [0],
  );
  assert.equal(
    (await k.call('DescribeCallbackRecordsList', { ...utc, PageSize: 1, PageNum: 2 })).DataInfoList[0].EventType,
    1,
  );
});

test('DescribeCallbackRecordsList validation: required fields, one-day window, 14 days of history, known event types', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const ok = {
    StreamName: 'demo',
    StartTime: '2026-11-25T00:00:00Z',
    EndTime: '2026-11-25T10:00:00Z',
    PageNum: 1,
    PageSize: 10,
  };
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ ...ok, StreamName: undefined }, 'MissingParameter', /StreamName/],
    [{ ...ok, PageNum: undefined }, 'MissingParameter', /PageNum/],
    [{ ...ok, PageSize: 101 }, 'InvalidParameterValue', /PageSize/],
    [{ ...ok, StartTime: '2026-11-24T09:59:59Z' }, 'InvalidParameterValue', /1 day/],
    [{ ...ok, EndTime: '2026-11-24T00:00:00Z' }, 'InvalidParameterValue', /later than StartTime/],
    [{ ...ok, StartTime: '2026-11-10T00:00:00Z', EndTime: '2026-11-10T10:00:00Z' }, 'InvalidParameterValue', /14 days/],
    [{ ...ok, StartTime: '2026-02-30 00:00:00' }, 'InvalidParameterValue', /StartTime must be a UTC time/],
    [{ ...ok, EndTime: 'yesterday' }, 'InvalidParameterValue', /EndTime/],
    [{ ...ok, EventType: 2 }, 'InvalidParameterValue', /EventType/],
  ];
  for (const [params, code, message] of cases) {
    const res = await k.call('DescribeCallbackRecordsList', params);
    assert.equal(res.Error?.Code, code, JSON.stringify(params));
    assert.match(res.Error.Message, message);
  }
  assert.equal((await k.call('DescribeCallbackRecordsList', { ...ok, EventType: 321 })).Error, undefined);
});
