/// <reference lib="dom" />
// Glass-to-glass latency over WebRTC on loopback, for bench/whep.ts: a Chromium page paints Date.now() into a
// canvas as a barcode (32 bits in 40 px blocks, each bit also painted inverted as a check) and publishes the
// canvas over WHIP (H.264); a second page of the same browser (the same clock) plays the stream over WHEP,
// reads the barcode back from each presented video frame (requestVideoFrameCallback, drawImage into a
// canvas) and takes Date.now() minus the painted time. That covers the publisher's capture and encode, the
// upload, openlive's depacketize/repacketize, the viewer's jitter buffer and decode, up to the frame's
// presentation.
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../../test/browser/console-browser.ts';

/** Samples of glass-to-glass latency in ms. */
export async function glassToGlass(whipUrl: string, whepUrl: string, samples: number): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...chromiumArgs,
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
  try {
    const origin = new URL(whipUrl).origin;
    const publisher = await browser.newPage();
    await publisher.goto(`${origin}/healthz`);
    await publisher.evaluate(publishBarcode, whipUrl);
    const viewer = await browser.newPage();
    await viewer.goto(`${origin}/healthz`);
    return await viewer.evaluate(readBarcodes, [whepUrl, samples] as const);
  } finally {
    await browser.close();
  }
}

/** In the publisher page: paints the clock every 5 ms and publishes the canvas over WHIP (retries a 409 while an earlier publish ends). */
async function publishBarcode(url: string): Promise<void> {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  document.body.append(canvas);
  const g = canvas.getContext('2d')!;
  const paint = (): void => {
    const t = Date.now() % 2 ** 32;
    g.fillStyle = '#808080';
    g.fillRect(0, 0, 640, 360);
    for (let i = 0; i < 32; i++) {
      const bit = Math.floor(t / 2 ** i) % 2;
      const x = (i % 16) * 40;
      const y = Math.floor(i / 16) * 40;
      g.fillStyle = bit ? '#fff' : '#000';
      g.fillRect(x, y, 40, 40);
      g.fillStyle = bit ? '#000' : '#fff';
      g.fillRect(x, y + 80, 40, 40);
    }
    // Something moving, so the encoder sends real inter frames.
    g.fillStyle = '#c33';
    g.fillRect((t / 4) % 600, 200, 40, 120);
  };
  setInterval(paint, 5);
  paint();
  const track = canvas.captureStream(30).getVideoTracks()[0]!;
  for (let attempt = 0; ; attempt++) {
    const pc = new RTCPeerConnection();
    const t = pc.addTransceiver(track, { direction: 'sendonly' });
    const codecs = RTCRtpSender.getCapabilities('video')!.codecs;
    t.setCodecPreferences([
      ...codecs.filter((c) => c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine ?? '')),
      ...codecs.filter((c) => c.mimeType !== 'video/H264'),
    ]);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((r) => {
      if (pc.iceGatheringState === 'complete') r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    });
    if (res.status === 201) {
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      (window as unknown as { whip: RTCPeerConnection }).whip = pc;
      return;
    }
    pc.close();
    if (res.status !== 409 || attempt > 20) throw new Error(`WHIP ${res.status}: ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** In the viewer page: plays over WHEP and returns `count` latencies, at least 300 ms apart. */
async function readBarcodes([url, count]: readonly [string, number]): Promise<number[]> {
  let pc: RTCPeerConnection | undefined;
  // The WHIP publish needs a moment before its first keyframe reaches the hub: retry 404 STREAM_NOT_FOUND.
  for (let attempt = 0; !pc; attempt++) {
    const p = new RTCPeerConnection();
    p.addTransceiver('video', { direction: 'recvonly' });
    await p.setLocalDescription(await p.createOffer());
    await new Promise<void>((r) => {
      if (p.iceGatheringState === 'complete') r();
      p.onicegatheringstatechange = () => p.iceGatheringState === 'complete' && r();
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: p.localDescription!.sdp,
    });
    if (res.status === 201) {
      await p.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      pc = p;
    } else {
      p.close();
      if (attempt > 20) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  // The receiver's track exists from setRemoteDescription on (its track event has already fired).
  video.srcObject = new MediaStream(pc.getReceivers().map((r) => r.track));
  void video.play();
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  const out: number[] = [];
  let last = 0;
  let frames = 0;
  let unreadable = 0;
  return new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      const why = `${frames} frames of ${video.videoWidth}×${video.videoHeight} presented, ${unreadable} unreadable`;
      reject(new Error(`only ${out.length} samples in 90 s: ${why}`));
    }, 90_000);
    const onFrame = (): void => {
      const now = Date.now();
      frames++;
      if (now - last >= 300 && video.videoWidth > 0) {
        g.drawImage(video, 0, 0, 640, 360);
        const px = g.getImageData(0, 0, 640, 160).data;
        const lum = (x: number, y: number): number => px[(y * 640 + x) * 4 + 1]!;
        let t = 0;
        let valid = true;
        for (let i = 0; i < 32 && valid; i++) {
          const x = (i % 16) * 40 + 20;
          const y = Math.floor(i / 16) * 40 + 20;
          const bit = lum(x, y) > 128;
          valid = bit !== lum(x, y + 80) > 128;
          if (bit) t += 2 ** i;
        }
        if (valid) {
          // The painted time is Date.now() mod 2^32 (49 days), so compare modulo too.
          out.push(((((now % 2 ** 32) - t) % 2 ** 32) + 2 ** 32) % 2 ** 32);
          last = now;
        } else unreadable++;
      }
      if (out.length >= count) {
        clearTimeout(timer);
        resolve(out);
      } else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}
