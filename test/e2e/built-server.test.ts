/**
 * The production start (scripts/start.sh, docs/performance.md "Idle memory (issue 17)"): `npm run build`
 * bundles the server into build/ (scripts/build.ts), and build/main.js serves the console and the API like
 * src/main.ts, finds its assets (console/dist) from build/ as from src/, loads the optional libraries left
 * out of the bundle (werift here) on first use, and idles well under the sources' memory (issue 17's 80 MB
 * is measured by bench/idle-rss.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { startServerProcess } from '../support/server-process.ts';

const repo = new URL('../..', import.meta.url).pathname;

/** A WHIP offer from werift: one H.264 video track, as a browser publishing its camera sends. */
async function whipOffer(): Promise<{ sdp: string; close: () => Promise<void> }> {
  const h264 = new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
  const pc = new RTCPeerConnection({ codecs: { video: [h264] } });
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}

test(
  'npm run build bundles build/main.js, which serves the console, the API and WHIP, idle under 95 MB',
  { timeout: 180_000 },
  async () => {
    execFileSync(process.execPath, [`${repo}scripts/build.ts`], { cwd: repo, stdio: 'inherit' });
    const entry = `${repo}build/main.js`;
    assert.ok(existsSync(entry));
    const server = await startServerProcess(['--webrtc.enabled', 'true'], { entry });
    try {
      await sleep(3000);
      // 73-80 MB on the 2-core dev VM (91 with the tsc build, 113 from src/); issue 17's 80 MB is met in the
      // bench (bench/idle-rss.ts), a timed test keeps a margin for a busy CI machine.
      const rssMb = server.rss() / 2 ** 20;
      assert.ok(rssMb < 95, `idle RSS ${rssMb.toFixed(1)} MB`);
      // The console (console/dist, found from build/ as from src/); CONSOLE_NOT_BUILT where it was not built.
      const page = await fetch(`http://127.0.0.1:${server.apiPort}/console/`);
      if (existsSync(`${repo}console/dist/index.html`)) {
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html/i);
      } else assert.match(await page.text(), /CONSOLE_NOT_BUILT/);
      const api = await fetch(`http://127.0.0.1:${server.apiPort}/`);
      assert.match(await api.text(), /AuthFailure/, 'the Cloud API answers an unsigned call');
      const flv = await fetch(`http://127.0.0.1:${server.httpPort}/live/none.flv`);
      assert.equal(flv.status, 404, 'the HTTP listener answers');
      await flv.arrayBuffer();
      assert.ok(server.pushUrl.startsWith('rtmp://'), 'the banner printed a push URL');
      // WHIP: the answer comes from werift, which the bundle leaves to node_modules (src/lazy-module.ts).
      const query = server.pushUrl.slice(server.pushUrl.indexOf('?'));
      const offer = await whipOffer();
      try {
        const res = await fetch(`http://127.0.0.1:${server.httpPort}/live/demo/whip${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/sdp' },
          body: offer.sdp,
        });
        const answer = await res.text();
        assert.equal(res.status, 201, answer);
        assert.match(answer, /^v=0\r\n[\s\S]*a=setup:/);
        const session = res.headers.get('location');
        assert.ok(session);
        const del = await fetch(new URL(session, `http://127.0.0.1:${server.httpPort}/`), { method: 'DELETE' });
        assert.equal(del.status, 200);
      } finally {
        await offer.close();
      }
    } finally {
      await server.stop();
    }
  },
);
