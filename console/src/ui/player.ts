/**
 * The preview player: HTTP-FLV through mpegts.js (Media Source Extensions), loaded only when a preview
 * opens. Its own logging is off: failures are shown beside the video instead of in the browser console.
 */
import type Mpegts from 'mpegts.js';
import { h, replace } from './dom.ts';

/** A playing preview; `close()` stops the download and frees the media source. */
export interface Preview {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  close(): void;
}

/** Starts playing the HTTP-FLV `url` into a new muted `<video>`. */
export function flvPreview(url: string): Preview {
  const video = h('video', {
    class: 'preview-video',
    controls: true,
    playsinline: true,
    'data-testid': 'preview-video',
    'aria-label': 'Stream preview',
  });
  video.muted = true;
  const status = h('p', { class: 'preview-status', role: 'status' }, 'Connecting…');
  let player: Mpegts.Player | undefined;
  let closed = false;
  const element = h('div', { class: 'preview' }, video, status);
  void import('mpegts.js').then(({ default: mpegts }) => {
    if (closed) return;
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
          `Playing ${info.width ?? '?'}×${info.height ?? '?'} ${info.videoCodec ?? ''} ${info.audioCodec ?? ''}`.trim(),
        );
      },
    );
    player.attachMediaElement(video);
    player.load();
    const started = player.play();
    if (started) started.catch(() => replace(status, 'Press play to start the preview.'));
  });
  return {
    element,
    video,
    close() {
      closed = true;
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
