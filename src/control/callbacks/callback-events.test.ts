import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { interruptionEvent, newSequence, pushErrorEvent, pushEvent, type PushIdentity } from './callback-events.ts';
import { pushErrorTypes } from './push-error-detector.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

// The CN push-event example's times (tencent-css.md §4.3): event_time 1703731478, t 1703732078.
const push: PushIdentity = {
  appId: 12345678,
  domain: 'test.domain.com',
  app: 'live',
  stream: 'test_stream',
  sequence: '2210464508206756938',
  clientIp: '::ffff:1.1.1.1',
  serverIp: '::ffff:42.81.194.37',
  query: 'txSecret=0a1b&txTime=5C2B5F38&custom=1',
  startedAt: 1703731478_250,
};

test('the push event (type 1) has every field of the Tencent example, with t = event_time + 600 and its sign', () => {
  assert.deepEqual(pushEvent(push, { width: 1280, height: 720 }, 'key'), {
    app: 'test.domain.com',
    appid: 12345678,
    appname: 'live',
    channel_id: 'test_stream',
    errcode: 0,
    errmsg: 'ok',
    event_time: 1703731478,
    event_type: 1,
    height: 720,
    node: '42.81.194.37',
    sequence: '2210464508206756938',
    sign: md5('key1703732078'),
    stream_id: 'test_stream',
    stream_param: 'txSecret=0a1b&txTime=5C2B5F38&custom=1',
    t: 1703732078,
    user_ip: '1.1.1.1',
    width: 1280,
  });
});

test('without a codec header the size is 0 x 0, as Tencent sends it', () => {
  const body = pushEvent({ ...push, clientIp: '2001:db8::1' }, {}, '');
  assert.deepEqual([body.width, body.height, body.user_ip, body.sign], [0, 0, '2001:db8::1', md5('1703732078')]);
});

test('the interruption (type 0) shares the sequence and carries the break code, its sentence and push_duration in ms', () => {
  const endedAt = push.startedAt + 113_224;
  const body = interruptionEvent(
    push,
    endedAt,
    '21/100',
    '21/100: the operator dropped this stream; reconnecting is allowed',
    { width: 640, height: 360 },
    'key',
  );
  assert.deepEqual(body, {
    ...pushEvent(push, { width: 640, height: 360 }, 'key'),
    errcode: 21,
    errmsg: '21/100: the operator dropped this stream; reconnecting is allowed',
    event_time: 1703731591,
    event_type: 0,
    push_duration: '113224',
    t: 1703731591 + 600,
    sign: md5(`key${1703731591 + 600}`),
  });
  assert.equal(interruptionEvent(push, endedAt, '1/0', '1/0: the encoder stopped publishing', {}, 'k').errcode, 1);
});

test('the push-error event (type 321) lists each type with its count, details and Tencent descriptions', () => {
  const at = 1670588073522;
  const body = pushErrorEvent(
    push,
    at,
    [
      {
        type: pushErrorTypes.videoArrivalGap,
        count: 2,
        details: [{ desc: 'video frame arrive interval too long, interval=3046(msec)', occurTime: 1670588070569 }],
      },
    ],
    { reportIntervalMs: 60_000, timeoutMs: 20_000 },
    'key',
  );
  const t = Math.floor(at / 1000) + 600;
  assert.deepEqual(body, {
    appid: 12345678,
    user_ip: '1.1.1.1',
    data_time: at,
    domain: 'test.domain.com',
    path: 'live',
    report_interval: 60_000,
    sequence: '2210464508206756938',
    stream_id: 'test_stream',
    stream_param: 'txSecret=0a1b&txTime=5C2B5F38&custom=1',
    timeout: 20_000,
    interface: 'general_callback',
    event_type: 321,
    abnormal_event: [
      {
        type: 6,
        count: 2,
        detail: [{ desc: 'video frame arrive interval too long, interval=3046(msec)', occur_time: 1670588070569 }],
        type_desc_cn: '两帧视频帧到达时间太长(大于3s)',
        type_desc_en: 'video frame arrive interval bigger than 3000(ms)',
        event_key: 'video_frame_interval',
        customer_visible: 'true',
      },
    ],
    t,
    sign: md5(`key${t}`),
  });
});

test('sequences are 63-bit decimals from the random source, distinct per push', () => {
  assert.equal(
    newSequence(() => Buffer.alloc(8, 0xff)),
    String(2n ** 63n - 1n),
  );
  assert.equal(
    newSequence(() => Buffer.from([0, 0, 0, 0, 0, 0, 1, 0])),
    '256',
  );
  const seen = new Set(Array.from({ length: 1000 }, () => newSequence()));
  assert.equal(seen.size, 1000);
  for (const s of seen) assert.match(s, /^\d{1,19}$/);
});
