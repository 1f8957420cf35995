import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleDomain } from '../../../../test/store-conformance.ts';
import { mergeActions } from './index.ts';
import { apiKit, kitStart } from '../api-test-kit.ts';
import type { ApiDeps } from '../api-deps.ts';
import { recordTemplateActions } from './record-template-actions.ts';
import { recordTaskActions } from './record-task-actions.ts';
import { liveRecordActions } from './live-record-actions.ts';
import { liveRecordSpecOf } from '../../../store/record-store.ts';
import { beijingTime } from './tencent-time.ts';

const stopped: string[] = [];
async function kit() {
  const k = await apiKit({
    actions: (deps: ApiDeps) => {
      const withRecording: ApiDeps = {
        ...deps,
        recording: {
          checkTasks: async () => undefined,
          stopTask: (id) => void stopped.push(id),
          deleteFile: (id) => deps.store.recordings.deleteRecordFile(id),
          fileUrl: (f) => `http://play.example.com/record/files/${f.id}/x.flv`,
        },
      };
      return mergeActions([
        recordTemplateActions(withRecording),
        recordTaskActions(withRecording),
        liveRecordActions(withRecording),
      ]);
    },
  });
  await k.store.addDomain(sampleDomain('push.example.com'));
  await k.store.addDomain(sampleDomain('play.example.com', { type: 'play' }));
  return k;
}

const off = {
  RecordInterval: 1800,
  StorageTime: 0,
  Enable: 0,
  VodSubAppId: 0,
  VodFileName: '',
  Procedure: '',
  StorageMode: 'normal',
  ClassId: 0,
  CosBucketName: '',
  CosBucketRegion: '',
  CosBucketPath: '',
};

test('record templates: create, describe as RecordTemplateInfo, modify one format, delete once unbound', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const { TemplateId } = await k.call('CreateLiveRecordTemplate', {
    TemplateName: '录制_1',
    Description: 'd',
    FlvParam: { Enable: 1, RecordInterval: 600, StorageTime: 86400 },
    HlsSpecialParam: { FlowContinueDuration: 30 },
  });
  assert.equal(typeof TemplateId, 'number');
  const info = {
    TemplateId,
    TemplateName: '录制_1',
    Description: 'd',
    FlvParam: { ...off, Enable: 1, RecordInterval: 600, StorageTime: 86400 },
    HlsParam: off,
    Mp4Param: off,
    AacParam: off,
    Mp3Param: off,
    IsDelayLive: 0,
    HlsSpecialParam: { FlowContinueDuration: 30 },
    RemoveWatermark: false,
    CosStore: 0,
    FlvSpecialParam: { UploadInRecording: false },
  };
  assert.deepEqual((await k.call('DescribeLiveRecordTemplate', { TemplateId })).Template, info);
  assert.deepEqual((await k.call('DescribeLiveRecordTemplates')).Templates, [info]);
  assert.equal((await k.call('ModifyLiveRecordTemplate', { TemplateId, AacParam: { Enable: 1 } })).Error, undefined);
  const modified = (await k.call('DescribeLiveRecordTemplate', { TemplateId })).Template;
  assert.equal(modified.AacParam.Enable, 1);
  assert.equal(modified.FlvParam.RecordInterval, 600, 'formats not named keep theirs');
  await k.call('CreateLiveRecordRule', { DomainName: 'push.example.com', AppName: 'live', TemplateId });
  assert.equal((await k.call('DeleteLiveRecordTemplate', { TemplateId })).Error?.Code, 'FailedOperation.ConfInUsed');
  assert.equal(
    (await k.call('DeleteLiveRecordRule', { DomainName: 'push.example.com', AppName: 'live' })).Error,
    undefined,
  );
  assert.equal((await k.call('DeleteLiveRecordTemplate', { TemplateId })).Error, undefined);
  assert.equal((await k.call('DescribeLiveRecordTemplate', { TemplateId })).Error?.Code, 'FailedOperation.NotFound');
});

test('record template validation: name characters, interval bounds per format, storage bound', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const bad = async (params: Record<string, unknown>, code: string) =>
    assert.equal((await k.call('CreateLiveRecordTemplate', params)).Error?.Code, code, JSON.stringify(params));
  await bad({}, 'MissingParameter');
  await bad({ TemplateName: 'a b' }, 'InvalidParameterValue');
  await bad({ TemplateName: 'a', AacParam: { Enable: 1, RecordInterval: 7201 } }, 'InvalidParameterValue');
  await bad({ TemplateName: 'a', FlvParam: { Enable: 1, RecordInterval: 43_201 } }, 'InvalidParameterValue');
  await bad({ TemplateName: 'a', FlvParam: { Enable: 1, StorageTime: 1500 * 86400 + 1 } }, 'InvalidParameterValue');
  await bad({ TemplateName: 'a', FlvParam: 'yes' }, 'InvalidParameterValue');
  await bad({ TemplateName: 'a', HlsSpecialParam: { FlowContinueDuration: 1801 } }, 'InvalidParameterValue');
});

test('record rules: a push domain and an existing template; listed with Beijing times; deleted by exact match', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const { TemplateId } = await k.call('CreateLiveRecordTemplate', { TemplateName: 't', HlsParam: { Enable: 1 } });
  assert.equal(
    (await k.call('CreateLiveRecordRule', { DomainName: 'play.example.com', TemplateId })).Error?.Code,
    'InvalidParameterValue',
  );
  assert.equal(
    (await k.call('CreateLiveRecordRule', { DomainName: 'nope.example.com', TemplateId })).Error?.Code,
    'ResourceNotFound.DomainNotExist',
  );
  assert.equal(
    (await k.call('CreateLiveRecordRule', { DomainName: 'push.example.com', TemplateId: 99 })).Error?.Code,
    'InvalidParameter.ConfNotFound',
  );
  assert.equal(
    (
      await k.call('CreateLiveRecordRule', {
        DomainName: 'push.example.com',
        AppName: 'live',
        StreamName: 'a/b',
        TemplateId,
      })
    ).Error?.Code,
    'InvalidParameterValue',
  );
  await k.call('CreateLiveRecordRule', {
    DomainName: 'push.example.com',
    AppName: 'live',
    StreamName: 'cam',
    TemplateId,
  });
  assert.deepEqual((await k.call('DescribeLiveRecordRules')).Rules, [
    {
      CreateTime: beijingTime(kitStart),
      UpdateTime: beijingTime(kitStart),
      TemplateId,
      DomainName: 'push.example.com',
      AppName: 'live',
      StreamName: 'cam',
    },
  ]);
  assert.equal(
    (await k.call('DeleteLiveRecordRule', { DomainName: 'push.example.com', AppName: 'live' })).Error?.Code,
    'FailedOperation.NotFound',
  );
  assert.equal(
    (await k.call('DeleteLiveRecordRule', { DomainName: 'push.example.com', AppName: 'live', StreamName: 'cam' }))
      .Error,
    undefined,
  );
});

test('record tasks: window checks, Unix-second fields, stop once, scroll, delete', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const now = Math.floor(kitStart / 1000);
  const base = { DomainName: 'push.example.com', AppName: 'live', StreamName: 'cam' };
  assert.equal((await k.call('CreateRecordTask', { ...base, EndTime: now - 1 })).Error?.Code, 'InvalidParameterValue');
  assert.equal(
    (await k.call('CreateRecordTask', { ...base, EndTime: now + 8 * 86400 })).Error?.Code,
    'InvalidParameterValue',
  );
  assert.equal(
    (await k.call('CreateRecordTask', { ...base, StartTime: now, EndTime: now + 86401 })).Error?.Code,
    'InvalidParameterValue',
  );
  const { TaskId } = await k.call('CreateRecordTask', { ...base, EndTime: now + 600, TemplateId: 12345 });
  assert.match(TaskId, /^[0-9a-f]{32}$/);
  const listed = await k.call('DescribeRecordTask', { StartTime: now - 60, EndTime: now + 60 });
  assert.deepEqual(listed.TaskList, [
    { TaskId, ...base, StartTime: now, EndTime: now + 600, TemplateId: 0, Stopped: 0 },
  ]);
  assert.equal(listed.ScrollToken, '');
  assert.equal((await k.call('StopRecordTask', { TaskId })).Error, undefined);
  assert.deepEqual(stopped.at(-1), TaskId);
  assert.equal(
    (await k.call('DescribeRecordTask', { StartTime: now - 60, EndTime: now + 60 })).TaskList[0].Stopped,
    now,
  );
  assert.equal((await k.call('StopRecordTask', { TaskId: 'nope' })).Error?.Code, 'ResourceNotFound.TaskId');
  assert.equal((await k.call('DeleteRecordTask', { TaskId })).Error, undefined);
  assert.deepEqual((await k.call('DescribeRecordTask', { StartTime: now - 60, EndTime: now + 60 })).TaskList, []);
});

test('OpenLiveDescribeRecordFiles lists files by stream and time with ids and URLs; OpenLiveDeleteRecordFile', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  const r = k.store.recordings;
  const file = {
    domain: 'push.example.com',
    app: 'live',
    stream: 'cam',
    format: 'flv',
    path: 'p/live/cam/a.flv',
    templateId: 1,
    taskId: '',
    expiresAt: null,
  };
  const a = await r.addRecordFile({ ...file, startedAt: kitStart - 3600_000 });
  await r.endRecordFile(a, {
    endedAt: kitStart - 3000_000,
    durationMs: 600_000,
    size: 1234,
    status: 'done',
    errorCode: '',
    reason: '',
    expiresAt: null,
  });
  await r.addRecordFile({ ...file, stream: 'other', startedAt: kitStart });
  const res = await k.call('OpenLiveDescribeRecordFiles', {
    StreamName: 'cam',
    StartTime: '2026-11-25T08:00:00Z',
    EndTime: '2026-11-25T10:00:00Z',
  });
  assert.equal(res.TotalNum, 1);
  assert.deepEqual(res.RecordFileList[0], {
    FileId: String(a),
    DomainName: 'push.example.com',
    AppName: 'live',
    StreamName: 'cam',
    Format: 'flv',
    StartTime: '2026-11-25T09:00:00Z',
    EndTime: '2026-11-25T09:10:00Z',
    Duration: 600,
    FileSize: 1234,
    Status: 'done',
    ErrorCode: '',
    Reason: '',
    TaskId: '',
    TemplateId: 1,
    ExpireTime: '',
    VideoUrl: `http://play.example.com/record/files/${a}/x.flv`,
  });
  assert.equal((await k.call('OpenLiveDescribeRecordFiles', {})).TotalNum, 2);
  assert.equal((await k.call('OpenLiveDeleteRecordFile', { FileId: String(a) })).Error, undefined);
  assert.equal(
    (await k.call('OpenLiveDeleteRecordFile', { FileId: String(a) })).Error?.Code,
    'ResourceNotFound.FileNotExist',
  );
  assert.equal((await k.call('OpenLiveDeleteRecordFile', { FileId: '../1' })).Error?.Code, 'InvalidParameterValue');
});

test('CreateLiveRecord: scheduled in China Standard Time or real-time, one format, StreamParam; StopLiveRecord', async (t) => {
  const k = await kit();
  t.after(() => k.close());
  // kitStart is 2026-11-25 18:00:00 in Beijing.
  const base = { DomainName: 'push.example.com', StreamName: 'cam' };
  assert.equal((await k.call('CreateLiveRecord', base)).Error?.Code, 'MissingParameter');
  assert.equal(
    (await k.call('CreateLiveRecord', { ...base, StartTime: '2026-11-25 18:10:00', EndTime: '2026-11-25 18:05:00' }))
      .Error?.Code,
    'InvalidParameterValue',
  );
  assert.equal(
    (await k.call('CreateLiveRecord', { ...base, Highlight: 1, FileFormat: 'avi' })).Error?.Code,
    'InvalidParameterValue',
  );
  const scheduled = await k.call('CreateLiveRecord', {
    ...base,
    StartTime: '2026-11-25+18%3a10%3a00',
    EndTime: '2026-11-25 18:40:00',
    FileFormat: 'HLS',
    StreamParam: 'record_interval=3600&storage_time=86400',
  });
  assert.equal(typeof scheduled.TaskId, 'number');
  const task = await k.store.recordings.getRecordTask(String(scheduled.TaskId));
  assert.deepEqual([task?.app, task?.startTime, task?.endTime], ['live', kitStart + 600_000, kitStart + 2400_000]);
  assert.deepEqual(liveRecordSpecOf(task!.extension), { format: 'hls', recordInterval: 3600, storageTime: 86400 });
  const live = await k.call('CreateLiveRecord', { ...base, Highlight: 1, RecordType: 'audio' });
  const liveTask = await k.store.recordings.getRecordTask(String(live.TaskId));
  assert.deepEqual([liveTask?.startTime, liveTask?.endTime], [kitStart, kitStart + 1800_000]);
  assert.equal(liveRecordSpecOf(liveTask!.extension)?.format, 'aac');
  assert.equal(
    (await k.call('StopLiveRecord', { StreamName: 'other', TaskId: live.TaskId })).Error?.Code,
    'ResourceNotFound.TaskId',
  );
  assert.equal((await k.call('StopLiveRecord', { StreamName: 'cam', TaskId: live.TaskId })).Error, undefined);
  assert.equal(stopped.at(-1), String(live.TaskId));
});
