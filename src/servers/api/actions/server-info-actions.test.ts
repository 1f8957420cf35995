import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamTestBed, t0, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import { FakeSink, keyframe, videoHeader } from '../../../hub/hub-test-kit.ts';
import type { ApiActions } from '../api-action.ts';
import { serverInfoActions } from './server-info-actions.ts';

let bed: StreamTestBed;
let actions: ApiActions;
beforeEach(async () => {
  bed = await streamTestBed();
  actions = serverInfoActions(bed.deps);
});
afterEach(() => bed.close());

test('an idle server: configured ports, default domains, zero counters, no streams', async () => {
  await bed.deps.domains.setDefault('push', 'push2.example.com');
  const info = await bed.call(actions, 'OpenLiveDescribeServerInfo');
  assert.equal(info.Time, new Date(t0).toISOString().replace('.000Z', 'Z'));
  assert.equal(info.RtmpPort, 1935);
  assert.equal(info.HttpPort, 8080);
  assert.equal(info.DefaultPushDomain, 'push2.example.com');
  assert.equal(info.DefaultPlayDomain, '');
  assert.equal(info.CnameSuffix, 'live.openlive.local');
  assert.equal(info.WebrtcEnabled, false, 'webrtc.enabled is off by default');
  assert.deepEqual([info.LiveStreams, info.Subscribers, info.BytesIn, info.BytesOut], [0, 0, 0, 0]);
  assert.deepEqual(info.StreamList, []);
});

/** A WHEP player's sink as the hub holds it (whep-sink.ts): the `flv` encoding, marked WebRTC. */
class WhepLikeSink extends FakeSink {
  readonly playProtocol = 'webrtc' as const;
}

test('a live stream with players: counted per stream and in the totals (WHEP ones apart too), bytes in grow with media', async () => {
  const encoder = await bed.publish('live', 'cam');
  bed.deps.hub.subscribe('live/cam', new FakeSink());
  bed.deps.hub.subscribe('live/cam', new WhepLikeSink());
  encoder.send(videoHeader());
  encoder.send(keyframe(0, 'K0', 1000));
  const info = await bed.call(actions, 'OpenLiveDescribeServerInfo');
  assert.equal(info.LiveStreams, 1);
  assert.equal(info.Subscribers, 2);
  assert.equal(info.WebrtcSubscribers, 1);
  assert.ok((info.BytesIn as number) >= 1000, `BytesIn ${String(info.BytesIn)}`);
  const [stream] = info.StreamList as Array<Record<string, unknown>>;
  assert.deepEqual(
    { ...stream, BytesIn: undefined },
    {
      AppName: 'live',
      StreamName: 'cam',
      Live: true,
      Relayed: false,
      Subscribers: 2,
      WebrtcSubscribers: 1,
      RelayPlays: 0,
      BytesIn: undefined,
    },
  );
});
