/**
 * The preview player: WHEP (WebRTC, sub-second) when the browser has RTCPeerConnection and the server has
 * webrtc on, else, or when WHEP fails before its first frame, HTTP-FLV through mpegts.js (Media Source
 * Extensions), loaded only when it is needed. Beside the video: what plays, over which protocol, and the
 * latency. mpegts.js's own logging is off: failures are shown beside the video instead of in the console.
 */
import type Mpegts from 'mpegts.js';
import { h, replace } from './dom.ts';
import { canPlayWhep, playWhep, type WhepLatency, type WhepPlayback } from './whep-player.ts';

/** A playing preview; `close()` stops the download (or the WebRTC session) and frees the media. */
export interface Preview {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  close(): void;
}

/** The URLs a preview may play: `whep` only when the server has webrtc on. */
export interface PreviewUrls {
  readonly flv: string;
  readonly whep?: string | undefined;
}

/** Starts playing the stream into a new muted `<video>`: WHEP first when it can, HTTP-FLV otherwise. */
export function streamPreview(urls: PreviewUrls): Preview {
  const video = h('video', {
    class: 'preview-video',
    controls: true,
    playsinline: true,
    'data-testid': 'preview-video',
    'aria-label': 'Stream preview',
  });
  video.muted = true;
  const status = h('p', { class: 'preview-status', role: 'status', 'data-testid': 'preview-status' }, 'Connecting…');
  const latency = h('p', { class: 'preview-latency', 'data-testid': 'preview-latency' });
  const element = h('div', { class: 'preview' }, video, status, latency);
  let whep: WhepPlayback | undefined;
  let flv: { close(): void } | undefined;
  let closed = false;
  const startFlv = (why: string | undefined): void => {
    element.dataset.transport = 'flv';
    flv = playFlv(video, urls.flv, status, latency, why, () => closed);
  };
  if (urls.whep && canPlayWhep()) {
    element.dataset.transport = 'whep';
    replace(status, 'Connecting over WebRTC (WHEP)…');
    whep = playWhep(video, urls.whep, {
      sample(s) {
        replace(status, `Playing over WebRTC (WHEP) ${s.width}×${s.height} ${s.codec}, ${s.framesDecoded} frames`);
        if (s.latency) showWhepLatency(latency, s.latency);
      },
      fail(reason) {
        whep = undefined;
        if (!closed) startFlv(`WebRTC did not play (${reason})`);
      },
      ended() {
        replace(status, 'Playback stopped: the stream ended or the WebRTC connection dropped.');
        replace(latency);
      },
    });
  } else {
    startFlv(urls.whep ? 'this browser has no WebRTC' : undefined);
  }
  return {
    element,
    video,
    close() {
      closed = true;
      whep?.close();
      flv?.close();
      whep = flv = undefined;
    },
  };
}

/** The WHEP latency line; data-latency-ms holds the total for tests and scripts. */
function showWhepLatency(el: HTMLElement, l: WhepLatency): void {
  el.dataset.latencyMs = String(Math.round(l.totalMs));
  el.title =
    'From the server sending a frame to the browser having decoded it: half the round trip (getStats ' +
    'currentRoundTripTime), the jitter buffer (jitterBufferDelay / jitterBufferEmittedCount) and the decode ' +
    '(totalDecodeTime / framesDecoded), over the last second. The encoder and its upload come on top.';
  replace(
    el,
    `Latency ≈ ${Math.round(l.totalMs)} ms: network ${l.networkMs.toFixed(1)} ms (half the ${l.rttMs.toFixed(1)} ms round trip)` +
      ` + jitter buffer ${Math.round(l.jitterBufferMs)} ms + decode ${l.decodeMs.toFixed(1)} ms`,
  );
}

/** HTTP-FLV through mpegts.js; `why` (WHEP was not used) is shown with the status. */
function playFlv(
  video: HTMLVideoElement,
  url: string,
  status: HTMLElement,
  latency: HTMLElement,
  why: string | undefined,
  isClosed: () => boolean,
): { close(): void } {
  const note = why ? ` (${why}; HTTP-FLV instead)` : '';
  replace(status, `Connecting over HTTP-FLV…${note}`);
  let player: Mpegts.Player | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  void import('mpegts.js').then(({ default: mpegts }) => {
    if (isClosed()) return;
    mpegts.LoggingControl.applyConfig({
      enableAll: false,
      enableError: false,
      enableWarn: false,
      enableInfo: false,
      enableDebug: false,
      enableVerbose: false,
    });
    if (!mpegts.getFeatureList().mseLivePlayback) {
      replace(
        status,
        'This browser cannot play HTTP-FLV (no Media Source Extensions); use the HLS URL in a player instead.',
      );
      return;
    }
    player = mpegts.createPlayer(
      { type: 'flv', isLive: true, url, hasAudio: true, hasVideo: true },
      { enableWorker: false, liveBufferLatencyChasing: true, lazyLoad: false },
    );
    player.on(mpegts.Events.ERROR, (type: string, detail: string) => {
      replace(status, `Playback stopped: ${type} ${detail}. The stream may have ended or been dropped.`);
    });
    player.on(mpegts.Events.LOADING_COMPLETE, () => replace(status, 'The stream ended.'));
    player.on(
      mpegts.Events.MEDIA_INFO,
      (info: { width?: number; height?: number; videoCodec?: string; audioCodec?: string }) => {
        replace(
          status,
          `Playing over HTTP-FLV ${info.width ?? '?'}×${info.height ?? '?'} ${info.videoCodec ?? ''} ${info.audioCodec ?? ''}`.trim() +
            note,
        );
      },
    );
    player.attachMediaElement(video);
    player.load();
    const started = player.play();
    if (started) started.catch(() => replace(status, 'Press play to start the preview.'));
    // What a player can see of its latency: how far playback is behind the newest frame it received.
    timer = setInterval(() => {
      const b = video.buffered;
      if (b.length === 0) return;
      const behind = b.end(b.length - 1) - video.currentTime;
      latency.dataset.latencyMs = String(Math.round(behind * 1000));
      latency.title = 'How far playback is behind the newest received frame; the server and the encoder come on top.';
      replace(latency, `Buffered ${behind.toFixed(1)} s ahead of playback (HTTP-FLV)`);
    }, 1000);
  });
  return {
    close() {
      clearInterval(timer);
      if (player) {
        player.pause();
        player.unload();
        player.detachMediaElement();
        player.destroy();
        player = undefined;
      }
    },
  };
}
