/**
 * Reconnect grace with real ffmpeg: a publisher is killed and a new ffmpeg publishes the same URL a
 * second later; an HTTP-FLV and an RTMP reader keep their one connection, their recordings decode
 * without errors with monotonic timestamps, and the HLS playlist shows the discontinuity. Beyond the
 * grace (no publisher) the readers end as they do without one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type TestService } from '../support/service.ts';
import { publish, probe, run, type FfmpegProcess } from '../support/ffmpeg.ts';
import { metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';
import { parsePlaylist } from '../../src/servers/hls/hls-test-kit.ts';

const graceMs = 5000;
const key = 'live/again';
let svc: TestService;
let scratch: string;
const processes: FfmpegProcess[] = [];

before(async () => {
  svc = await startService({ fanout: { reconnectGraceMs: graceMs }, hls: { segmentTargetMs: 1000 } });
  scratch = mkdtempSync(join(tmpdir(), 'openlive-grace-'));
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await svc.close();
  rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const size = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** A reader that records what it plays, unchanged (-c copy), as a user's `ffmpeg -i URL out.flv` would. */
function record(url: string, out: string): FfmpegProcess {
  const p = run('ffmpeg', ['-hide_banner', '-loglevel', 'warning', '-i', url, '-c', 'copy', '-f', 'flv', '-y', out]);
  processes.push(p);
  return p;
}

function start(): FfmpegProcess {
  const p = publish(svc.urls('again').push.rtmp, { gop: 25 });
  processes.push(p);
  return p;
}

/** Decode timestamps per track, as ffprobe reads them from a recording. */
function packetTimes(path: string): Record<string, number[]> {
  const res = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'packet=codec_type,dts_time', '-of', 'csv=p=0', path],
    { encoding: 'utf8' },
  );
  assert.equal(res.status, 0, res.stderr);
  const times: Record<string, number[]> = { video: [], audio: [] };
  for (const line of res.stdout.trim().split('\n')) {
    const [type, dts] = line.split(',');
    if (type && dts && dts !== 'N/A') times[type]?.push(Number(dts));
  }
  return times;
}

test(
  'a publisher killed and replaced within the grace: readers keep one connection, decode cleanly, timestamps rise',
  { timeout: 120_000 },
  async () => {
    const first = start();
    await waitFor('the first publisher to go live', () => svc.service.hub.get(key)?.live === true);
    const flvOut = join(scratch, 'http-flv.flv');
    const rtmpOut = join(scratch, 'rtmp.flv');
    const flvReader = record(`${svc.httpUrl}/${key}.flv`, flvOut);
    const rtmpReader = record(`${svc.rtmpUrl}/${key}`, rtmpOut);
    const hlsUrl = svc.urls('again').play!.hls;
    assert.equal((await fetch(hlsUrl)).status, 200, 'the first HLS request starts the segmenter');
    await waitFor('both readers to record', () => size(flvOut) > 20_000 && size(rtmpOut) > 20_000, 30_000);
    await sleep(1500);
    const stream = svc.service.hub.get(key)!;
    assert.equal(stream.subscribers.length, 2);

    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor('the stream to wait for its publisher', () => stream.reconnecting);
    const grown = { flv: size(flvOut), rtmp: size(rtmpOut) };
    await sleep(1000);
    const second = start();
    await waitFor(
      'the second publisher to take the same stream',
      () => svc.service.hub.get(key) === stream && stream.live,
    );
    await waitFor(
      'both readers to record the second publish',
      () => size(flvOut) > grown.flv + 20_000 && size(rtmpOut) > grown.rtmp + 20_000,
      30_000,
    );
    await sleep(2500);
    assert.equal(flvReader.child.exitCode, null, 'the HTTP-FLV reader never saw an end');
    assert.equal(rtmpReader.child.exitCode, null, 'the RTMP reader never saw an end');
    assert.deepEqual(
      stream.subscribers.map((s) => s.closed),
      [false, false],
      'the same two connections',
    );
    assert.equal(await metricValue(svc.httpUrl, 'openlive_publisher_reconnects_total', { outcome: 'resumed' }), 1);

    // HLS: the playlist went on through the switch, with a discontinuity; ffprobe reads it.
    await waitFor(
      'an HLS segment of the second publish',
      async () => {
        const p = parsePlaylist(await (await fetch(hlsUrl)).text());
        return p.segments.some((s) => s.discontinuity) && p.segments.length >= 3;
      },
      30_000,
    );
    const playlist = parsePlaylist(await (await fetch(hlsUrl)).text());
    assert.equal(playlist.endList, false);
    const hls = await probe(hlsUrl, 2);
    assert.ok(
      hls.streams.some((s) => s.codec_type === 'video' && Number(s.nb_read_frames) > 0),
      'ffprobe decodes the HLS stream',
    );

    // Beyond the grace with no publisher the readers end as they do today: body end, UnpublishNotify.
    second.child.kill('SIGKILL');
    await second.exited;
    const endedAt = Date.now();
    const [flvExit, rtmpExit] = await Promise.all([flvReader.exited, rtmpReader.exited]);
    const waited = Date.now() - endedAt;
    assert.ok(waited >= graceMs - 1000, `the readers waited the grace first (${waited} ms)`);
    assert.equal(flvExit, 0, flvReader.stderr());
    assert.equal(rtmpExit, 0, rtmpReader.stderr());
    assert.equal(await metricValue(svc.httpUrl, 'openlive_publisher_reconnects_total', { outcome: 'expired' }), 1);

    for (const out of [flvOut, rtmpOut]) {
      const decode = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-i', out, '-f', 'null', '-'], {
        encoding: 'utf8',
      });
      assert.equal(decode.status, 0, decode.stderr);
      assert.equal(decode.stderr.trim(), '', `${out} decodes without a single error`);
      const times = packetTimes(out);
      for (const [track, ts] of Object.entries(times)) {
        assert.ok(ts.length > 100, `${out}: ${track} has ${ts.length} packets`);
        for (let i = 1; i < ts.length; i++)
          assert.ok(ts[i]! > ts[i - 1]!, `${out}: ${track} dts ${ts[i - 1]} then ${ts[i]}`);
      }
      const video = times.video!;
      assert.ok(video.at(-1)! - video[0]! > 5, `${out} holds both publishes (${video.at(-1)! - video[0]!} s)`);
    }
  },
);
