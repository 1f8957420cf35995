/**
 * Push relays between two real openlive services: ffmpeg publishes to A, A forwards to B (the signed
 * push URL of B), ffprobe plays the stream from B; B restarts on the same port and A reconnects and
 * forwards again; a second target with a wrong key is refused by B and the Cloud API of A shows the
 * refusal's code and B's RTMP status; /metrics counts it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type TestService } from '../support/service.ts';
import { probe, publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

interface ForwardRow {
  TargetName: string;
  StreamName: string;
  State: string;
  Bytes: number;
  Reconnects: number;
  Refusals: number;
  LastErrorCode: string;
  LastErrorMessage: string;
  LastRtmpStatus: string;
}

const bDir = mkdtempSync(join(tmpdir(), 'openlive-forward-b-'));
let a: TestService;
let b: TestService;
let client: LiveClient & { close(): void };
let ffmpeg: FfmpegProcess | undefined;

// B forwards its own publishes on too (to a port where nothing listens): a stream that came from A's
// forward must not be forwarded again, or two clusters forwarding to each other would loop.
const bRelay = { forward: [{ domain: '*', app: 'live', url: 'rtmp://127.0.0.1:9/live/{stream}', name: 'onward' }] };

before(async () => {
  b = await startService({ dataDir: bDir, relay: bRelay });
  const good = b.urls('cam').push.rtmp;
  // The right signature for another stream name: B answers 18/503 (signature mismatch) with BadName.
  const wrong = b.urls('cam').push.rtmp.replace('/live/cam?', '/live/wrongkey?');
  a = await startService({
    relay: {
      forward: [
        { domain: '*', app: 'live', url: good, name: 'b' },
        { domain: '*', app: 'live', url: wrong, name: 'b-wrong-key' },
      ],
      forwardBackoffInitialMs: 200,
      forwardBackoffMaxMs: 1000,
      forwardRefusedRetryMs: 600_000,
    },
  });
  client = liveClient(a.apiEndpoint, a.service.createdCredential!, { reqTimeout: 15 });
});

after(async () => {
  await ffmpeg?.stop();
  client?.close();
  await a?.close();
  await b?.close();
  rmSync(bDir, { recursive: true, force: true });
});

async function forwards(): Promise<ForwardRow[]> {
  const res = (await client.request('OpenLiveDescribeForwardStatus', { AppName: 'live' })) as {
    ForwardList: ForwardRow[];
  };
  return res.ForwardList;
}

async function row(name: string): Promise<ForwardRow | undefined> {
  return (await forwards()).find((f) => f.TargetName === name && f.State !== 'stopped');
}

test('A forwards a published stream to B, where ffprobe plays it', async () => {
  ffmpeg = publish(a.urls('cam').push.rtmp, { gop: 25 });
  await waitFor('the forward to B is forwarding', async () => (await row('b'))?.State === 'forwarding', 30_000);
  await waitFor('B has the stream live', () => b.service.hub.get('live/cam')?.live === true, 15_000);
  const result = await probe(b.urls('cam').play!.rtmp, 2);
  const video = result.streams.find((s) => s.codec_type === 'video');
  const audio = result.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(video?.width, 320);
  assert.equal(audio?.codec_name, 'aac');
  assert.ok(Number(video?.nb_read_frames) > 10, `frames decoded from B: ${video?.nb_read_frames}`);
  assert.ok((await row('b'))!.Bytes > 10_000);
  // The forwarded publish carried the marker: B did not forward it onward.
  assert.deepEqual(b.service.forwarder.list(), []);
  assert.equal(await metricValue(b.httpUrl, 'openlive_forward_loops_avoided_total'), 1);
});

test('a target that refuses the key shows its code and RTMP status in the API and metrics', async () => {
  await waitFor('the wrong-key target was refused', async () => (await row('b-wrong-key'))?.Refusals === 1, 15_000);
  const bad = (await row('b-wrong-key'))!;
  assert.equal(bad.State, 'backing-off');
  assert.equal(bad.LastErrorCode, 'FORWARD_REFUSED');
  assert.equal(bad.LastRtmpStatus, 'NetStream.Publish.BadName');
  assert.match(bad.LastErrorMessage, /^18\/503/);
  assert.equal(await metricValue(a.httpUrl, 'openlive_forward_refusals_total'), 1);
  assert.equal(await metricValue(a.httpUrl, 'openlive_connection_errors_total', { code: 'FORWARD_REFUSED' }), 1);
  // The refusal does not disturb the good target.
  assert.equal((await row('b'))?.State, 'forwarding');
});

test('B restarted: A reconnects and forwarding resumes', async () => {
  const port = b.service.rtmpPort;
  await b.close();
  await waitFor('A notices B is gone', async () => (await row('b'))?.State !== 'forwarding', 15_000);
  b = await startService({ dataDir: bDir, rtmp: { port }, relay: bRelay });
  await waitFor('A forwards to the new B', async () => (await row('b'))?.State === 'forwarding', 30_000);
  const again = (await row('b'))!;
  assert.ok(again.Reconnects >= 1, `reconnects: ${again.Reconnects}`);
  assert.ok(['FORWARD_DISCONNECTED', 'FORWARD_UNREACHABLE'].includes(again.LastErrorCode), again.LastErrorCode);
  const result = await probe(b.urls('cam').play!.rtmp, 2);
  assert.ok(Number(result.streams.find((s) => s.codec_type === 'video')?.nb_read_frames) > 10);
  assert.ok((await metricValue(a.httpUrl, 'openlive_forward_reconnects_total')) >= 1);
  assert.equal(await metricValue(a.httpUrl, 'openlive_forward_targets', { state: 'forwarding' }), 1);
});

test('the forwards stop when the publisher leaves', async () => {
  await ffmpeg?.stop();
  ffmpeg = undefined;
  await waitFor('every forward stopped', async () => (await forwards()).every((f) => f.State === 'stopped'), 15_000);
  assert.equal((await forwards()).length, 2);
  await waitFor('B no longer has the stream', () => b.service.hub.get('live/cam')?.live !== true, 15_000);
});
