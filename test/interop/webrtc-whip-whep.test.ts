/// <reference lib="dom" />
/**
 * WHIP and WHEP against a real browser: Debian's Chromium publishes its fake camera and microphone over
 * WHIP with H.264 preferred; ffprobe reads the stream back over HTTP-FLV; a second page plays it over WHEP
 * and its getStats() shows decoded frames growing, both answers on the one UDP port (and the one TCP port); an ffmpeg RTMP publish
 * plays over WHEP while junk datagrams hit that port; a wrong
 * txSecret is refused 401 with its reason code; a page closed without DELETE ends the publish.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs } from '../browser/console-browser.ts';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { webrtcPage, type WhipWhepWindow } from '../support/webrtc-page.ts';
import { connectionErrors } from '../support/metrics.ts';
import { bindingRequest } from '../support/stun.ts';

const run = promisify(execFile);
let svc: TestService;
let browser: Browser;

before(async () => {
  svc = await startService({ webrtc: { enabled: true, idleTimeoutMs: 3000, connectTimeoutMs: 10_000 } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      ...chromiumArgs,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

after(async () => {
  await browser?.close();
  await svc?.close();
});

/** The txSecret/txTime query of a push URL. */
function signature(stream: string): string {
  const u = svc.urls(stream).push.rtmp;
  return u.slice(u.indexOf('?') + 1);
}

/** `audio`: Debian's ffmpeg 5.1 cannot read Enhanced-FLV Opus (docs/webrtc.md), so the ffprobe check publishes video only. */
async function whipPage(url: string, audio = true): Promise<Page> {
  const page = await webrtcPage(browser, `${svc.httpUrl}/healthz`);
  await page.evaluate(
    async ([whipUrl, withAudio]) => {
      const media = await navigator.mediaDevices.getUserMedia({
        video: { width: 640, height: 360, frameRate: 30 },
        audio: withAudio,
      });
      const pc = new RTCPeerConnection();
      for (const track of media.getTracks()) {
        const t = pc.addTransceiver(track, { direction: 'sendonly' });
        if (track.kind === 'video') {
          const codecs = RTCRtpSender.getCapabilities('video')!.codecs;
          t.setCodecPreferences([
            ...codecs.filter((c) => c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine ?? '')),
            ...codecs.filter((c) => c.mimeType !== 'video/H264'),
          ]);
        }
      }
      const { answer, location } = await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, whipUrl as string);
      (window as unknown as { whip: unknown }).whip = { pc, location, answer };
    },
    [url, audio] as const,
  );
  return page;
}

async function whepPage(url: string): Promise<Page> {
  const page = await webrtcPage(browser, `${svc.httpUrl}/healthz`);
  await page.evaluate(async (whepUrl) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const { answer } = await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, whepUrl);
    Object.assign(window, { whep: pc, whepAnswer: answer });
  }, url);
  return page;
}

/** The local ports of this process's UDP sockets (`ss -uanp`): the service runs in the test process. */
async function udpPorts(): Promise<number[]> {
  const { stdout } = await run('ss', ['-uanp']);
  return stdout
    .split('\n')
    .filter((l) => l.includes(`pid=${process.pid},`))
    .map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/)[3] + ' ')?.[1]));
}

/** The answer's candidate lines: on the single port, one candidate (127.0.0.1 here) repeated per section. */
function candidates(sdp: string): string[] {
  return [...new Set(sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:')))];
}

async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const stats = await (window as unknown as { whep: RTCPeerConnection }).whep.getStats();
    let n = 0;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded ?? 0;
    });
    return n;
  });
}

test(
  'Chromium publishes H.264 over WHIP; ffprobe reads it over HTTP-FLV and HLS; a second page plays it over WHEP',
  { timeout: 120_000 },
  async () => {
    const pub = await whipPage(`${svc.httpUrl}/live/cam/whip?${signature('cam')}`, false);
    await waitFor(
      'the WHIP stream to go live with video',
      () => svc.service.hub.get('live/cam')?.videoHeader !== undefined,
      20_000,
    );
    const { stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-show_entries',
        'stream=codec_name,width,height',
        '-of',
        'json',
        '-read_intervals',
        '%+3',
        `${svc.httpUrl}/live/cam.flv`,
      ],
      { timeout: 30_000 },
    );
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number }[] }).streams;
    assert.ok(
      streams.some((s) => s.codec_name === 'h264' && s.width === 640),
      stdout,
    );
    await waitFor(
      'an HLS playlist with a segment',
      async () => /#EXTINF/.test(await (await fetch(`${svc.httpUrl}/live/cam.m3u8`)).text()),
      30_000,
    );
    const hls = await run(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,width', '-of', 'json', `${svc.httpUrl}/live/cam.m3u8`],
      { timeout: 30_000 },
    );
    assert.match(hls.stdout, /"codec_name": "h264"/);
    const viewer = await whepPage(`${svc.httpUrl}/live/cam/whep`);
    await waitFor('WHEP frames decoded', async () => (await framesDecoded(viewer)) > 10, 20_000);
    const first = await framesDecoded(viewer);
    await waitFor('decoded frames to keep growing', async () => (await framesDecoded(viewer)) > first + 10, 20_000);
    // The ICE round trip on loopback (the nominated pair's STUN RTT) is under 100 ms.
    const rtt = await viewer.evaluate(async () => {
      const stats = await (window as unknown as { whep: RTCPeerConnection }).whep.getStats();
      let r: number | undefined;
      stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined)
          r = s.currentRoundTripTime;
      });
      return r;
    });
    assert.ok(rtt !== undefined && rtt < 0.1, `round trip ${rtt} s`);
    // One UDP port for both sessions (WHIP and WHEP open at once): each answer names exactly one
    // candidate, on webrtc.port, and the process holds no other WebRTC socket than that port's.
    const port = svc.service.webrtc!.port;
    assert.ok(port > 0);
    const answers = [
      await pub.evaluate(() => (window as unknown as { whip: { answer: string } }).whip.answer),
      await viewer.evaluate(() => (window as unknown as { whepAnswer: string }).whepAnswer),
    ];
    for (const sdp of answers) {
      // One UDP candidate, and the ICE-TCP fallback's passive one (webrtc.tcp) on the TCP port.
      const c = candidates(sdp);
      assert.equal(c.length, 2, c.join('\n'));
      assert.match(c[0]!, new RegExp(`^a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 ${port} typ host$`));
      const tcpPort = svc.service.webrtc!.tcpPort;
      assert.match(
        c[1]!,
        new RegExp(`^a=candidate:\\S+ 1 tcp \\d+ 127\\.0\\.0\\.1 ${tcpPort} typ host tcptype passive$`),
      );
    }
    assert.equal(svc.service.webrtc!.sessions.size, 2);
    const udp = (await udpPorts()).filter((p) => p !== svc.service.srtPort);
    assert.deepEqual([...new Set(udp)], [port], `UDP sockets of the server: ${udp.join(', ')}`);
    // One socket per local address the port is bound on (0.0.0.0: each IPv4 address), not per session.
    assert.equal(udp.length, svc.service.webrtc!.localAddresses.length);
    // DELETE ends the publish (RFC 9725 §4.2).
    const status = await pub.evaluate(async () => {
      const w = (window as unknown as { whip: { location: string } }).whip;
      return (await fetch(new URL(w.location, location.href), { method: 'DELETE' })).status;
    });
    assert.equal(status, 200);
    await waitFor('the stream to end', () => !svc.service.hub.get('live/cam')?.live, 10_000);
    await pub.close();
    await viewer.close();
  },
);

test(
  'an ffmpeg RTMP publish plays over WHEP, through a flood of unknown datagrams on the shared port',
  { timeout: 60_000 },
  async () => {
    let ff: FfmpegProcess | undefined;
    const junk = createSocket('udp4');
    try {
      ff = publish(svc.urls('rtmpcam').push.rtmp, { rate: 30, gop: 30 });
      await waitFor('the RTMP publish', () => svc.service.hub.get('live/rtmpcam')?.live === true, 20_000);
      const before = await connectionErrors(svc.httpUrl, 'WEBRTC_UNKNOWN_DATAGRAM');
      const viewer = await whepPage(`${svc.httpUrl}/live/rtmpcam/whep`);
      // While the viewer connects: RTP-looking junk, a check for an unknown ufrag, and one with the right
      // shape but a guessed password. None is answered; each is counted; the viewer is unaffected. (A few
      // dozen only: a larger burst overflows the socket's receive buffer and the kernel drops them uncounted.)
      const port = svc.service.webrtc!.port;
      const flood = [
        ...Array.from({ length: 50 }, (_, i) => Buffer.alloc(100 + i, 0x80)),
        bindingRequest('zzzz:yyyy', 'x'.repeat(22)),
        bindingRequest('zzzz:yyyy', 'x'.repeat(22)).subarray(0, 30),
      ];
      for (const b of flood) await new Promise<void>((r) => junk.send(b, port, '127.0.0.1', () => r()));
      await waitFor(
        'the drops counted on /metrics',
        async () => (await connectionErrors(svc.httpUrl, 'WEBRTC_UNKNOWN_DATAGRAM')) >= before + flood.length,
        10_000,
      );
      await waitFor('WHEP frames decoded', async () => (await framesDecoded(viewer)) > 10, 20_000);
      await viewer.close();
    } finally {
      junk.close();
      await ff?.stop();
    }
  },
);

test('a wrong txSecret is refused 401 with the reason code', async () => {
  // The first hex digit of the secret changed (the two replaces before left it as it was 1 time in 17).
  const query = signature('bad').replace(/txSecret=([0-9a-f])/, (_, c: string) => `txSecret=${c === '0' ? '1' : '0'}`);
  const offer =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';
  const res = await fetch(`${svc.httpUrl}/live/bad/whip?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: offer,
  });
  const body = (await res.json()) as { code: string; breakCode: string };
  assert.equal(res.status, 401);
  assert.equal(body.code, 'SIGNATURE_INVALID');
  assert.equal(body.breakCode, '18/503');
  const res2 = await fetch(`${svc.httpUrl}/live/bad/whip`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: offer,
  });
  assert.equal(res2.status, 401);
  assert.equal(((await res2.json()) as { breakCode: string }).breakCode, '18/500');
  assert.equal(svc.service.hub.get('live/bad')?.live ?? false, false);
  // Recorded like an RTMP refusal (the same admission path).
  await waitFor(
    'the rejection record',
    async () => {
      const page = await svc.service.store.listRejectedAttempts({ limit: 50 });
      return page.items.some((r) => r.stream === 'bad' && r.breakCode === '18/503' && r.code === 'SIGNATURE_INVALID');
    },
    10_000,
  );
});

test(
  'a WHIP page closed without DELETE is cleaned up: the session ends and the stream with it',
  { timeout: 60_000 },
  async () => {
    const pub = await whipPage(`${svc.httpUrl}/live/gone/whip?${signature('gone')}`);
    await waitFor('the WHIP stream to go live', () => svc.service.hub.get('live/gone')?.live === true, 20_000);
    assert.ok(svc.service.webrtc!.sessions.size >= 1);
    await pub.close();
    await waitFor('the stream to end after the idle timeout', () => !svc.service.hub.get('live/gone')?.live, 20_000);
    await waitFor('the session to be gone', () => svc.service.webrtc!.sessions.size === 0, 10_000);
    // Its place on the shared port went with it (werift closing its transport leaves the mux).
    await waitFor('the mux tables to be empty', () => svc.service.webrtc!.muxSessions === 0, 10_000);
    // The publish ended as an interruption (12/0, network error), which is what its callback reports.
    await waitFor(
      'the publish record ended with 12/0',
      async () => {
        const page = await svc.service.store.listPublishRecords({});
        return page.items.some((r) => r.stream === 'gone' && r.endedAt !== null && r.breakCode === '12/0');
      },
      10_000,
    );
  },
);
