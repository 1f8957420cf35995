/// <reference lib="dom" />
/**
 * ICE-TCP and PATCH against Debian's Chromium. The pages drop the answer's UDP candidates before
 * setRemoteDescription, so Chromium can only reach the server over the passive ICE-TCP candidate: a WHEP
 * page decodes frames with the selected pair on TCP at both ends, and a WHIP publish over TCP reaches
 * HTTP-FLV (ffprobe). Then ICE restart (RFC 9725 §4.3.2): a WHEP page calls `pc.restartIce()`, PATCHes the
 * new credentials with `If-Match: *`, applies the answer fragment, and keeps decoding on a pair of the
 * new ICE generation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs } from '../browser/console-browser.ts';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { webrtcPage, type WhipWhepWindow } from '../support/webrtc-page.ts';

const run = promisify(execFile);
let svc: TestService;
let browser: Browser;

before(async () => {
  svc = await startService({ webrtc: { enabled: true, connectTimeoutMs: 10_000 } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...chromiumArgs, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
});

after(async () => {
  await browser?.close();
  await svc?.close();
});

function signature(stream: string): string {
  const u = svc.urls(stream).push.rtmp;
  return u.slice(u.indexOf('?') + 1);
}

type Win = { pc: RTCPeerConnection; session: string; etag: string; answer: string };

/** A page that publishes (WHIP, video only: Debian's ffprobe cannot read Opus in FLV) or plays (WHEP). */
async function page(kind: 'whip' | 'whep', url: string, tcpOnly: boolean): Promise<Page> {
  const p = await webrtcPage(browser, `${svc.httpUrl}/healthz`);
  await p.evaluate(
    async ([kind, url, tcpOnly]) => {
      const pc = new RTCPeerConnection();
      if (kind === 'whip') {
        const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
        const t = pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
        const codecs = RTCRtpSender.getCapabilities('video')!.codecs;
        t.setCodecPreferences(
          codecs.filter((c) => c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine ?? '')),
        );
      } else {
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
      // TCP only: without its UDP candidates Chromium can reach the server over ICE-TCP alone.
      const r = await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, url as string, {
        dropUdpCandidates: tcpOnly as boolean,
      });
      Object.assign(window, { pc, session: r.location, etag: r.etag, answer: r.answer });
    },
    [kind, url, tcpOnly] as const,
  );
  return p;
}

/** What getStats says: frames decoded (or sent), and the selected pair's protocols and local ufrag. */
async function stats(p: Page) {
  return p.evaluate(async () => {
    const report = await (window as unknown as Win).pc.getStats();
    const all = new Map<string, Record<string, unknown>>();
    report.forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
    let frames = 0;
    let pairId: string | undefined;
    for (const s of all.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames = (s.framesDecoded as number) ?? 0;
      if (s.type === 'outbound-rtp' && s.kind === 'video') frames = (s.framesEncoded as number) ?? 0;
      if (s.type === 'transport') pairId = s.selectedCandidatePairId as string | undefined;
    }
    const pair = pairId ? all.get(pairId) : undefined;
    const local = pair && all.get(pair.localCandidateId as string);
    const remote = pair && all.get(pair.remoteCandidateId as string);
    return {
      frames,
      local: local?.protocol as string | undefined,
      remote: remote?.protocol as string | undefined,
      ufrag: local?.usernameFragment as string | undefined,
      state: (window as unknown as Win).pc.iceConnectionState,
    };
  });
}

test(
  'over ICE-TCP only: WHEP decodes frames on a TCP pair, a WHIP publish reaches HTTP-FLV',
  { timeout: 120_000 },
  async () => {
    let ff: FfmpegProcess | undefined;
    try {
      ff = publish(svc.urls('rtmpsrc').push.rtmp, { rate: 30, gop: 30 });
      await waitFor('the RTMP publish', () => svc.service.hub.get('live/rtmpsrc')?.live === true, 20_000);
      const viewer = await page('whep', `${svc.httpUrl}/live/rtmpsrc/whep`, true);
      await waitFor('WHEP frames over TCP', async () => (await stats(viewer)).frames > 10, 30_000);
      const s = await stats(viewer);
      assert.equal(s.local, 'tcp', JSON.stringify(s));
      assert.equal(s.remote, 'tcp', JSON.stringify(s));
      assert.ok(svc.service.webrtc!.tcpPort > 0);
      await waitFor('frames to keep growing', async () => (await stats(viewer)).frames > s.frames + 30, 20_000);
      await viewer.close();
    } finally {
      await ff?.stop();
    }

    const pub = await page('whip', `${svc.httpUrl}/live/tcpcam/whip?${signature('tcpcam')}`, true);
    await waitFor(
      'the WHIP stream over TCP',
      () => svc.service.hub.get('live/tcpcam')?.videoHeader !== undefined,
      30_000,
    );
    const s = await stats(pub);
    assert.equal(s.local, 'tcp', JSON.stringify(s));
    const { stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-show_entries',
        'stream=codec_name,width',
        '-of',
        'json',
        '-read_intervals',
        '%+3',
        `${svc.httpUrl}/live/tcpcam.flv`,
      ],
      { timeout: 30_000 },
    );
    assert.match(stdout, /"codec_name": "h264"/);
    assert.match(stdout, /"width": 640/);
    await pub.close();
  },
);

test(
  'ICE restart by PATCH: new credentials, and the WHEP page keeps decoding on the new generation',
  { timeout: 120_000 },
  async () => {
    let ff: FfmpegProcess | undefined;
    try {
      ff = publish(svc.urls('restart').push.rtmp, { rate: 30, gop: 30 });
      await waitFor('the RTMP publish', () => svc.service.hub.get('live/restart')?.live === true, 20_000);
      const viewer = await page('whep', `${svc.httpUrl}/live/restart/whep`, false);
      await waitFor('WHEP frames', async () => (await stats(viewer)).frames > 10, 30_000);
      const before = await stats(viewer);
      const r = await viewer.evaluate(async () => {
        const w = window as unknown as Win;
        const pc = w.pc;
        pc.restartIce();
        await pc.setLocalDescription(await pc.createOffer());
        await (window as unknown as WhipWhepWindow).whipWhep.iceGathered(pc);
        const offer = pc.localDescription!.sdp;
        const lines = offer.split('\r\n');
        const ufrag = lines.find((l) => l.startsWith('a=ice-ufrag:'))!.slice(12);
        const pwd = lines.find((l) => l.startsWith('a=ice-pwd:'))!.slice(10);
        const fragment = [
          `a=ice-ufrag:${ufrag}`,
          `a=ice-pwd:${pwd}`,
          ...lines
            .filter((l) => l.startsWith('m=') || l.startsWith('a=mid:') || l.startsWith('a=candidate:'))
            .slice(0, 12),
          'a=end-of-candidates',
          '',
        ].join('\r\n');
        const res = await fetch(new URL(w.session, location.href), {
          method: 'PATCH',
          headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
          body: fragment,
        });
        const text = await res.text();
        if (res.status !== 200) return { status: res.status, text, ufrag, etag: '' };
        // The answer fragment's credentials replace the old ones in the remote description (RFC 9725 §4.3.2).
        const newUfrag = /a=ice-ufrag:(\S+)/.exec(text)![1]!;
        const newPwd = /a=ice-pwd:(\S+)/.exec(text)![1]!;
        const sdp = pc
          .remoteDescription!.sdp.replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${newUfrag}`)
          .replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${newPwd}`);
        await pc.setRemoteDescription({ type: 'answer', sdp });
        return { status: res.status, text, ufrag, etag: res.headers.get('etag') ?? '', old: w.etag };
      });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /^a=ice-lite\r\na=ice-ufrag:\w+\r\na=ice-pwd:\w+\r\n/);
      assert.match(r.text, /a=candidate:\S+ 1 udp /);
      assert.ok(r.etag && r.etag !== (r as { old?: string }).old, 'a new ETag');
      assert.notEqual(r.ufrag, before.ufrag);
      // The selected pair moves to the new generation (its local candidate carries the new ufrag) and
      // frames keep being decoded.
      await waitFor('a pair of the new generation', async () => (await stats(viewer)).ufrag === r.ufrag, 20_000);
      const after = await stats(viewer);
      await waitFor('frames after the restart', async () => (await stats(viewer)).frames > after.frames + 30, 20_000);
      assert.equal((await stats(viewer)).state === 'connected' || (await stats(viewer)).state === 'completed', true);
      await viewer.close();
    } finally {
      await ff?.stop();
    }
  },
);
