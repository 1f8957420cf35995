/**
 * OBS Studio for real (Debian's obs-studio 29, headless under Xvfb with Mesa's software OpenGL): a profile
 * whose Custom server and stream key are the banner's push URL split the OBS way publishes a color source
 * over RTMP and over RTMPS (a self-signed certificate OBS is made to trust, see test/support/obs.ts), the
 * stream plays back (ffprobe), and a wrong key shows the 18/503 sentence in OBS's own log file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { obsMissing, privateCertsMissing, startObs, type ObsRun } from '../support/obs.ts';
import { makeCert } from '../support/tls-certs.ts';
import { probe } from '../support/ffmpeg.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait.ts';

const skip = obsMissing() ?? false;
const skipRtmps = skip || (privateCertsMissing() ?? false);
const dir = mkdtempSync(join(tmpdir(), 'openlive-obs-test-'));
let server: ServerProcess;
let rtmpsPort: number;
let caDir: string;
const runs: ObsRun[] = [];

before(async () => {
  if (skip) return;
  // mbedtls (OBS 29's librtmp) matches the URL host against DNS names only, hence DNS:127.0.0.1 beside the IP entry.
  const cert = makeCert(dir, 'obs', { cn: '127.0.0.1', altNames: ['DNS:127.0.0.1', 'IP:127.0.0.1', 'DNS:localhost'] });
  caDir = join(dir, 'ca');
  mkdirSync(caDir);
  copyFileSync(cert.cert, join(caDir, 'openlive-test.pem'));
  rtmpsPort = await freePort();
  server = await startServerProcess([
    '--rtmps.enabled',
    'true',
    '--rtmps.host',
    '127.0.0.1',
    '--rtmps.port',
    String(rtmpsPort),
    '--tls.cert',
    cert.cert,
    '--tls.key',
    cert.key,
  ]);
});

after(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** OBS streams `url` until its log says the stream started (or failed); answers the run. */
async function obsStreaming(url: string, options: { caDir?: string } = {}): Promise<ObsRun> {
  const run = await startObs(url, options);
  runs.push(run);
  await waitFor('OBS connects', () => /Connection to \S+ (successful|failed)/.test(run.log()), 60_000);
  return run;
}

test(
  'OBS publishes over RTMP to the push URL split into server and key; ffprobe plays it back',
  { skip, timeout: 120_000 },
  async () => {
    const run = await obsStreaming(server.pushUrl);
    assert.match(run.log(), /Connection to rtmp:\/\/127\.0\.0\.1:\d+\/live successful/);
    const played = await probe(`rtmp://127.0.0.1:${server.rtmpPort}/live/demo`, 3);
    assert.deepEqual(played.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    await run.stop();
  },
);

test(
  'OBS publishes over RTMPS, trusting the self-signed certificate; ffprobe plays it back',
  { skip: skipRtmps, timeout: 120_000 },
  async () => {
    const url = server.pushUrl.replace(/^rtmp:\/\/127\.0\.0\.1:\d+/, `rtmps://127.0.0.1:${rtmpsPort}`);
    const run = await obsStreaming(url, { caDir });
    assert.match(run.log(), /Connection to rtmps:\/\/127\.0\.0\.1:\d+\/live successful/, run.log().slice(-2000));
    const played = await probe(`rtmp://127.0.0.1:${server.rtmpPort}/live/demo`, 3);
    assert.deepEqual(played.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    await run.stop();
  },
);

test('a wrong stream key: OBS logs the 18/503 sentence', { skip, timeout: 120_000 }, async () => {
  const wrong = server.pushUrl.replace(/txSecret=[0-9a-f]+/, 'txSecret=00000000000000000000000000000000');
  const run = await obsStreaming(wrong);
  await waitFor('the reason in OBS log', () => /18\/503: txSecret is not MD5/.test(run.log()), 20_000);
  assert.match(run.log(), /NetStream\.Publish\.BadName \(18\/503: /);
  assert.match(run.log(), /Connection to \S+ failed/);
  await run.stop();
});
