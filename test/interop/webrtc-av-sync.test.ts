/// <reference lib="dom" />
/**
 * Lip sync over WHEP, measured the way a viewer notices it: ffmpeg publishes (RTMP, H.264 + AAC) a white
 * flash and a 1 kHz beep that start together every second (both lavfi sources run on their own media time,
 * so the FLV times of flash and beep coincide); Chromium plays it over WHEP (the AAC transcoded to Opus) and
 * the page times each flash (requestVideoFrameCallback: the frame's expected display time, its pixels read
 * from a canvas) and each beep (an AudioWorklet on the played track: its output time from
 * AudioContext.getOutputTimestamp). The offset (audio − video) of the pairs after the browser's A/V
 * synchronization settled must be near what viewers cannot notice (ITU-R BT.1359: sound 45 ms early, 125 ms
 * late): audio at most 60 ms early or 100 ms late. The RTP-time and getStats() views are printed, not asserted.
 * OPENLIVE_AV_SYNC_LOG=1 prints every pair and the getStats() view (docs/webrtc.md "Lip sync").
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs } from '../browser/console-browser.ts';
import { startService, type TestService } from '../support/service.ts';
import { run, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { webrtcPage, type WhipWhepWindow } from '../support/webrtc-page.ts';

let svc: TestService;
let browser: Browser;
const verbose = process.env.OPENLIVE_AV_SYNC_LOG === '1';

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

/** ffmpeg publishing a flash and a beep together for the first 100 ms of every second. */
function publishFlashBeep(url: string): FfmpegProcess {
  return run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', "color=c=black:s=160x120:r=30,drawbox=c=white:t=fill:enable='lt(mod(t,1),0.1)'"],
    ...['-f', 'lavfi', '-i', "sine=f=1000:r=44100,volume=volume=0:enable='gte(mod(t,1),0.1)'"],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', '64k', '-f', 'flv', url],
  ]);
}

/** What the page recorded: onset times (performance.now() ms) of flashes and beeps. */
interface Onsets {
  flashes: number[];
  beeps: number[];
  /** (display time, RTP time) of video frames, (play-out time, RTP time) of audio packets. */
  videoRtp: [number, number][];
  audioRtp: [number, number][];
}

/** Plays `url` over WHEP into a video element and times the flashes and beeps as they are presented. */
async function measuringPage(url: string): Promise<Page> {
  const page = await webrtcPage(browser, `${svc.httpUrl}/healthz`);
  await page.evaluate(async (whepUrl) => {
    const w = window as unknown as { whep: RTCPeerConnection; onsets: Onsets; audioError?: string };
    const onsets: Onsets = { flashes: [], beeps: [], videoRtp: [], audioRtp: [] };
    w.onsets = onsets;
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = stream;
    document.body.append(video);
    const canvas = document.createElement('canvas');
    canvas.width = 16;
    canvas.height = 12;
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    let lit = false;
    const onFrame = (_now: number, md: VideoFrameCallbackMetadata) => {
      g.drawImage(video, 0, 0, 16, 12);
      const px = g.getImageData(8, 6, 1, 1).data;
      const bright = px[0]! > 128;
      if (bright && !lit) onsets.flashes.push(md.expectedDisplayTime);
      if (md.rtpTimestamp !== undefined) onsets.videoRtp.push([md.expectedDisplayTime, md.rtpTimestamp]);
      lit = bright;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    const worklet = `registerProcessor('onset', class extends AudioWorkletProcessor {
      constructor() { super(); this.quiet = 0; }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (!ch) return true;
        for (let i = 0; i < ch.length; i++) {
          if (Math.abs(ch[i]) > 0.05) {
            if (this.quiet > sampleRate * 0.3) this.port.postMessage(currentTime + i / sampleRate);
            this.quiet = 0;
          } else this.quiet++;
        }
        return true;
      }
    });`;
    const ctx = new AudioContext();
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' })));
    const node = new AudioWorkletNode(ctx, 'onset');
    node.port.onmessage = (e: MessageEvent<number>) => {
      // The sample's context time to the moment it leaves the speakers, on the page's clock.
      const ts = ctx.getOutputTimestamp();
      onsets.beeps.push(ts.performanceTime! + (e.data - ts.contextTime!) * 1000);
    };
    node.connect(ctx.destination);
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      if (e.track.kind === 'audio') {
        const receiver = e.receiver;
        let last = -1;
        setInterval(() => {
          const src = receiver.getSynchronizationSources()[0];
          if (!src || src.rtpTimestamp === last) return;
          last = src.rtpTimestamp;
          onsets.audioRtp.push([src.timestamp - performance.timeOrigin, src.rtpTimestamp]);
        }, 5);
        ctx.createMediaStreamSource(new MediaStream([e.track])).connect(node);
        void ctx.resume();
      }
      void video.play().catch(() => {});
    };
    await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, whepUrl);
    w.whep = pc;
  }, url);
  return page;
}

/** Each beep paired with the flash nearest to it (within 400 ms): audio − video, ms. */
export function pairOffsets(o: Pick<Onsets, 'flashes' | 'beeps'>): number[] {
  const out: number[] = [];
  for (const b of o.beeps) {
    let best: number | undefined;
    for (const f of o.flashes) if (best === undefined || Math.abs(b - f) < Math.abs(b - best)) best = f;
    if (best !== undefined && Math.abs(b - best) < 400) out.push(b - best);
  }
  return out;
}

/**
 * The same offset from the RTP times (the server sends RTP = media ms × 90 or × 48, so t − RTP/rate is when
 * a track plays media time 0): the audio's play-out times (getSynchronizationSources) against the video's
 * display times (requestVideoFrameCallback), from `from` on.
 */
export function rtpOffset(o: Onsets, from: number): number {
  const lag = (xs: [number, number][], rate: number) =>
    median(xs.filter(([t]) => t > from).map(([t, r]) => t - r / rate));
  return lag(o.audioRtp, 48) - lag(o.videoRtp, 90);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** getStats()' own view: estimatedPlayoutTimestamp difference and each track's jitter buffer delay (ms). */
async function statsView(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const out: Record<string, number> = {};
    const stats = await (window as unknown as { whep: RTCPeerConnection }).whep.getStats();
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const k = s.kind as string;
      out[`${k}PlayoutNtp`] = s.estimatedPlayoutTimestamp ?? NaN;
      out[`${k}JitterMs`] = (1000 * (s.jitterBufferDelay ?? 0)) / Math.max(1, s.jitterBufferEmittedCount ?? 0);
    });
    out.playoutDiffMs = out.audioPlayoutNtp! - out.videoPlayoutNtp!;
    return out;
  });
}

test(
  'WHEP of an RTMP H.264 + AAC stream: the beep plays with the flash (|A−V| < 60 ms)',
  { timeout: 120_000 },
  async () => {
    let ff: FfmpegProcess | undefined;
    try {
      ff = publishFlashBeep(svc.urls('avsync').push.rtmp);
      await waitFor('the RTMP publish', () => svc.service.hub.get('live/avsync')?.audioHeader !== undefined, 20_000);
      const page = await measuringPage(`${svc.httpUrl}/live/avsync/whep`);
      const onsets = () => page.evaluate(() => (window as unknown as { onsets: Onsets }).onsets);
      await waitFor(
        'flashes and beeps',
        async () => {
          const o = await onsets();
          return o.flashes.length >= 2 && o.beeps.length >= 2;
        },
        40_000,
      );
      // The browser aligns the tracks from the sender reports in steps (WebRTC moves a delay ≤ 80 ms/s):
      // what a viewer sees is the offset after that (~6 s from +360 ms), so only the pairs after 8 s more count.
      const settledAt = await page.evaluate(() => performance.now() + 8000);
      await waitFor(
        '8 flash/beep pairs after the sync settled',
        async () => {
          const o = await onsets();
          return pairOffsets({ flashes: o.flashes, beeps: o.beeps.filter((b) => b > settledAt) }).length >= 8;
        },
        40_000,
      );
      const o = await onsets();
      const all = pairOffsets(o);
      const settled = pairOffsets({ flashes: o.flashes, beeps: o.beeps.filter((b) => b > settledAt) });
      const m = median(settled);
      const stats = await statsView(page);
      const line = `A/V offset (audio − video) first ${all[0]?.toFixed(0)} ms, then median ${m.toFixed(1)} ms over ${settled.length} pairs`;
      const byRtp = rtpOffset(o, settledAt);
      console.log(
        `${line}; by RTP times ${byRtp.toFixed(1)} ms; getStats playout diff ${stats.playoutDiffMs?.toFixed(1)} ms`,
      );
      if (verbose) {
        console.log({ all: all.map((x) => Math.round(x)), settled: settled.map((x) => Math.round(x)), stats });
        // Each beep's offset by its time since the first onset: how Chrome's sync converges (docs/webrtc.md).
        const t0 = Math.min(o.flashes[0]!, o.beeps[0]!);
        const secs = (xs: number[]) => xs.map((x) => ((x - t0) / 1000).toFixed(2)).join(' ');
        console.log(`flashes at ${secs(o.flashes)} s\nbeeps at ${secs(o.beeps)} s`);
        for (const b of o.beeps) {
          const off = pairOffsets({ flashes: o.flashes, beeps: [b] })[0];
          console.log(
            `beep at ${((b - t0) / 1000).toFixed(2)} s: ${off === undefined ? 'no flash' : off.toFixed(0)} ms`,
          );
        }
      }
      // Audio early by at most 60 ms, late by at most 100 ms (BT.1359 detectability: 45 early, 125 late); the
      // median moves ±40 ms from run to run here (Chrome's sync steps, headless timing); werift's SRs gave −250.
      assert.ok(m > -60 && m < 100, `${line}: ${settled.map((x) => Math.round(x)).join(', ')}`);
      await page.close();
    } finally {
      await ff?.stop();
    }
  },
);
