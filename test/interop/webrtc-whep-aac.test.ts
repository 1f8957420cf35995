/// <reference lib="dom" />
/**
 * AAC → Opus for WHEP against a real browser: ffmpeg publishes H.264 + AAC over RTMP, Chromium plays it
 * over WHEP, and its getStats() shows an Opus inbound-rtp audio stream whose samples and level grow; the
 * stream's ffmpeg transcoder runs while the viewer watches and is gone once it leaves.
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
    args: [...chromiumArgs, '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close();
  await svc?.close();
});

/** A page that plays `url` over WHEP into a (muted) audio element, so the browser decodes the audio. */
async function whepPage(url: string): Promise<Page> {
  const page = await webrtcPage(browser, `${svc.httpUrl}/healthz`);
  await page.evaluate(async (whepUrl) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      if (e.track.kind !== 'audio') return;
      const el = document.createElement('audio');
      el.srcObject = new MediaStream([e.track]);
      el.autoplay = true;
      document.body.append(el);
      void el.play().catch(() => {});
    };
    const { answer, location } = await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, whepUrl);
    Object.assign(window, { whep: pc, whepAnswer: answer, whepLocation: location });
  }, url);
  return page;
}

interface AudioStats {
  codec: string;
  samples: number;
  level: number;
  packets: number;
  frames: number;
}

/** The page's inbound audio (codec, totalSamplesReceived, audioLevel) and video (framesDecoded). */
async function audioStats(page: Page): Promise<AudioStats> {
  return page.evaluate(async () => {
    const stats = await (window as unknown as { whep: RTCPeerConnection }).whep.getStats();
    const codecs = new Map<string, string>();
    const out = { codec: '', samples: 0, level: 0, packets: 0, frames: 0 };
    let codecId = '';
    stats.forEach((s) => {
      if (s.type === 'codec') codecs.set(s.id, String(s.mimeType));
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        codecId = s.codecId ?? '';
        out.samples = s.totalSamplesReceived ?? 0;
        out.level = s.audioLevel ?? 0;
        out.packets = s.packetsReceived ?? 0;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.frames = s.framesDecoded ?? 0;
    });
    out.codec = codecs.get(codecId) ?? '';
    return out;
  });
}

/** The server's ffmpeg transcoder children (the service runs in this process; the publisher has no libopus). */
async function transcoderChildren(): Promise<string[]> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]).catch(() => ({
    stdout: '',
  }));
  return stdout.split('\n').filter((l) => l.includes('ffmpeg') && l.includes('libopus'));
}

test(
  'an RTMP H.264 + AAC publish plays over WHEP with Opus audio; the transcoder leaves with the viewer',
  {
    timeout: 90_000,
  },
  async () => {
    let ff: FfmpegProcess | undefined;
    try {
      ff = publish(svc.urls('aaccam').push.rtmp, { rate: 30, gop: 30 });
      await waitFor('the RTMP publish', () => svc.service.hub.get('live/aaccam')?.audioHeader !== undefined, 20_000);
      assert.deepEqual(await transcoderChildren(), [], 'no viewer, no transcoder');
      const viewer = await whepPage(`${svc.httpUrl}/live/aaccam/whep`);
      const answer = await viewer.evaluate(() => (window as unknown as { whepAnswer: string }).whepAnswer);
      assert.match(
        answer,
        /m=audio [^\r]*\r\n(?:[^m].*\r\n)*a=rtpmap:\d+ opus\/48000\/2/i,
        'the answer offers Opus audio',
      );
      await waitFor(
        'video decoded and Opus audio received',
        async () => {
          const s = await audioStats(viewer);
          return s.frames > 10 && s.packets > 25;
        },
        30_000,
      );
      const first = await audioStats(viewer);
      assert.equal(first.codec.toLowerCase(), 'audio/opus');
      await waitFor(
        'totalSamplesReceived and audioLevel growing',
        async () => {
          const s = await audioStats(viewer);
          return s.samples > first.samples + 48_000 && s.level > 0;
        },
        20_000,
      );
      assert.equal((await transcoderChildren()).length, 1, 'one ffmpeg transcoder while the viewer watches');
      assert.equal(svc.service.webrtc!.transcoders.size, 1);
      const location = await viewer.evaluate(() => (window as unknown as { whepLocation: string }).whepLocation);
      assert.equal((await fetch(`${svc.httpUrl}${location}`, { method: 'DELETE' })).status, 200);
      await viewer.close();
      await waitFor(
        'the transcoder gone after the viewer left',
        async () => {
          return svc.service.webrtc!.transcoders.children === 0 && (await transcoderChildren()).length === 0;
        },
        40_000,
      );
    } finally {
      await ff?.stop();
    }
  },
);
