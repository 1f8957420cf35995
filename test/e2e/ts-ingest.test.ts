/**
 * Demuxed ingest end to end: a fake transport (what the SRT listener will be) asks the admission path
 * with an SRT streamid, then sends ffmpeg's MPEG-TS bytes in 1316-byte payloads; real ffprobe plays the
 * stream back over RTMP and HTTP-FLV. A wrong signature is refused, the operator's drop closes the transport.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { srtRequest } from '../../src/control/admission-request.ts';
import { breakCodes } from '../../src/control/break-codes.ts';
import {
  admitDemuxedPublish,
  type DemuxedIngestDeps,
  type DemuxedPublish,
} from '../../src/servers/ingest/demuxed-publish.ts';
import { probe } from '../support/ffmpeg.ts';
import { startService, type TestService } from '../support/service.ts';
import { waitFor } from '../support/wait.ts';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'openlive-tsingest-'));
let svc: TestService;
let deps: DemuxedIngestDeps;
let ts: Buffer;

before(async () => {
  svc = await startService({ http: { playWaitMs: 5000 } });
  const s = svc.service;
  deps = {
    hub: s.hub,
    admission: s.admission,
    records: s.records,
    publishers: s.publishers,
    log: s.log,
    counters: s.counters,
    now: s.now,
  };
  const path = join(dir, 'in.ts');
  await exec('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=25:duration=30',
    '-f',
    'lavfi',
    '-i',
    'sine=duration=30',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-f',
    'mpegts',
    path,
  ]);
  ts = readFileSync(path);
});

after(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The streamid an encoder would send for `stream`, signed like the banner's push URL (or with a wrong secret). */
function streamId(stream: string, secret?: string): string {
  const url = new URL(svc.urls(stream).push.rtmp);
  const q = url.searchParams;
  return `#!::h=127.0.0.1,r=live/${stream},m=publish,txSecret=${secret ?? q.get('txSecret') ?? ''},txTime=${q.get('txTime') ?? ''}`;
}

/** Sends the TS in SRT-sized payloads at 1.5 times real time, until `stop()` or the end (30 s of stream). */
function feed(publish: DemuxedPublish): { done: Promise<void>; stop: () => void } {
  let stopped = false;
  const seconds = 30;
  // SRT payloads of 1316 bytes, a batch every 10 ms.
  const perTick = Math.ceil(ts.length / 1316 / ((seconds * 1000) / 1.5 / 10));
  const done = (async () => {
    for (let at = 0; at < ts.length && !stopped;) {
      for (let i = 0; i < perTick && at < ts.length; i++, at += 1316) publish.pushTs(ts.subarray(at, at + 1316));
      await sleep(10);
    }
  })();
  return { done, stop: () => (stopped = true) };
}

test('an admitted TS publish plays over RTMP and HTTP-FLV: H.264 320x240 and AAC decode', async () => {
  let disconnected = 0;
  const req = srtRequest(streamId('tscam'), '127.0.0.1')!;
  const outcome = await admitDemuxedPublish(deps, {
    request: req,
    publisherId: 'srt-test-1',
    disconnect: () => disconnected++,
  });
  assert.equal(outcome.kind, 'admitted');
  if (outcome.kind !== 'admitted') return;
  const publish = outcome.publish;
  const sending = feed(publish);
  await waitFor('the stream to go live', () => svc.service.hub.get('live/tscam')?.live === true);
  const [rtmp, flv] = await Promise.all([
    probe(`${svc.rtmpUrl}/live/tscam`, 2),
    probe(`${svc.httpUrl}/live/tscam.flv`, 2),
  ]);
  for (const result of [rtmp, flv]) {
    const video = result.streams.find((s) => s.codec_type === 'video');
    const audio = result.streams.find((s) => s.codec_type === 'audio');
    assert.deepEqual([video?.codec_name, video?.width, video?.height], ['h264', 320, 240]);
    assert.ok(Number(video?.nb_read_frames) >= 10, `video frames decoded: ${video?.nb_read_frames}`);
    assert.deepEqual([audio?.codec_name, audio?.sample_rate], ['aac', '44100']);
    assert.ok(Number(audio?.nb_read_frames) >= 10, `audio frames decoded: ${audio?.nb_read_frames}`);
  }
  assert.deepEqual(publish.stats.errors, {});
  assert.ok(svc.service.publishers.isLive('live', 'tscam'));
  assert.equal(svc.service.publishers.list().find((p) => p.stream === 'tscam')?.videoCodec !== undefined, true);

  // The operator drops the stream: the transport is told to close, and ending again is harmless.
  assert.equal(svc.service.publishers.drop('live', 'tscam', breakCodes.clientStopped, 'dropped by the test'), true);
  assert.equal(disconnected, 1);
  sending.stop();
  await sending.done;
  await publish.end(breakCodes.clientStopped, 'transport closed');
  await waitFor('the stream to end', () => svc.service.hub.get('live/tscam')?.live !== true);
});

test('a wrong txSecret is refused by the same admission as RTMP, and a second publisher of a live stream too', async () => {
  const bad = await admitDemuxedPublish(deps, {
    request: srtRequest(streamId('tsbad', '0'.repeat(32)), '127.0.0.1')!,
    publisherId: 'srt-test-2',
    disconnect: () => undefined,
  });
  assert.equal(bad.kind, 'refused');
  if (bad.kind === 'refused') assert.equal(bad.refusal.code, 'SIGNATURE_INVALID');

  const first = await admitDemuxedPublish(deps, {
    request: srtRequest(streamId('tstwice'), '127.0.0.1')!,
    publisherId: 'srt-test-3',
    disconnect: () => undefined,
  });
  assert.equal(first.kind, 'admitted');
  const second = await admitDemuxedPublish(deps, {
    request: srtRequest(streamId('tstwice'), '127.0.0.1')!,
    publisherId: 'srt-test-4',
    disconnect: () => undefined,
  });
  assert.equal(second.kind, 'refused');
  if (first.kind === 'admitted') await first.publish.end(breakCodes.clientStopped, 'done');
});
