/**
 * Stream Management > Recordings: recorded files by stream and time range (OpenLiveDescribeRecordFiles), each
 * played in the page (FLV through mpegts.js, MP4 and AAC by the browser's own `<video>`/`<audio>`, HLS where the
 * browser plays it natively), downloaded, or deleted (OpenLiveDeleteRecordFile).
 */
import { fileUrlSigner } from '../lib/file-urls.ts';
import { formatApiTime, formatBytes, formatDuration, isoUtc, toLocalInput } from '../lib/format.ts';
import { button, card, emptyState, field, modal, pager, table, tag, toast } from '../ui/components.ts';
import { errorText, fill } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import type { Page } from './page.ts';

/** A recorded file as OpenLiveDescribeRecordFiles lists it (docs/api.md "Recording"). */
interface RecordFileRow {
  readonly FileId: string;
  readonly DomainName: string;
  readonly AppName: string;
  readonly StreamName: string;
  readonly Format: string;
  readonly StartTime: string;
  readonly EndTime: string;
  readonly Duration: number;
  readonly FileSize: number;
  readonly Status: string;
  readonly ErrorCode: string;
  readonly Reason: string;
  readonly VideoUrl: string;
}

const pageSize = 20;
const statusKind: Record<string, 'success' | 'info' | 'danger' | 'warning'> = {
  done: 'success',
  recording: 'info',
  failed: 'danger',
  cut: 'warning',
};

/** A player for one file; `close()` stops its download. */
function filePlayer(f: RecordFileRow): { element: HTMLElement; close(): void } {
  const status = h('p', { class: 'preview-status', role: 'status' }, `${f.Format.toUpperCase()} ${f.StreamName}`);
  if (f.Format === 'aac' || f.Format === 'mp3') {
    const audio = h('audio', { controls: true, src: f.VideoUrl, 'data-testid': 'recording-audio' });
    return { element: h('div', { class: 'preview' }, audio, status), close: () => audio.pause() };
  }
  const video = h('video', {
    class: 'preview-video',
    controls: true,
    playsinline: true,
    'data-testid': 'recording-video',
    'aria-label': `Recording ${f.FileId}`,
  });
  video.muted = true;
  const element = h('div', { class: 'preview' }, video, status);
  video.addEventListener('loadedmetadata', () =>
    replace(
      status,
      `${f.Format.toUpperCase()} ${video.videoWidth}×${video.videoHeight}, ${formatDuration(Math.round(Number.isFinite(video.duration) && video.duration > 0 ? video.duration : f.Duration))}`,
    ),
  );
  video.addEventListener('error', () =>
    replace(status, `This browser cannot play this ${f.Format.toUpperCase()} file here; download it instead.`),
  );
  let player: { destroy(): void; unload(): void; detachMediaElement(): void } | undefined;
  let closed = false;
  if (f.Format === 'flv') {
    // Browsers have no FLV decoder: mpegts.js remuxes it to MSE, as for the live preview, but as a file (seekable).
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
      if (!mpegts.getFeatureList().mseLivePlayback)
        return void replace(
          status,
          'This browser cannot play FLV (no Media Source Extensions); download the file instead.',
        );
      const p = mpegts.createPlayer(
        { type: 'flv', isLive: false, url: f.VideoUrl },
        { enableWorker: false, lazyLoad: false },
      );
      p.attachMediaElement(video);
      p.load();
      void Promise.resolve(p.play()).catch(() => undefined);
      player = p;
    });
  } else if (f.Format === 'hls' && video.canPlayType('application/vnd.apple.mpegurl') === '') {
    replace(
      status,
      'This browser does not play HLS natively; open the playlist URL in a player (ffplay, VLC, Safari).',
    );
  } else {
    video.src = f.VideoUrl;
    void video.play().catch(() => undefined);
  }
  return {
    element,
    close() {
      closed = true;
      video.pause();
      if (player) {
        player.unload();
        player.detachMediaElement();
        player.destroy();
      }
      video.removeAttribute('src');
    },
  };
}

/** The Recordings page. */
export const recordingsPage: Page = {
  path: '/streams/recordings',
  title: 'Recordings',
  render(ctx) {
    let page = 1;
    const now = Date.now();
    const stream = h('input', {
      class: 'input',
      name: 'stream',
      placeholder: 'every stream',
      value: ctx.query.get('stream') ?? '',
      'aria-label': 'Stream name',
    });
    const from = h('input', {
      class: 'input',
      type: 'datetime-local',
      name: 'from',
      value: toLocalInput(now - 24 * 3600_000),
    });
    const to = h('input', { class: 'input', type: 'datetime-local', name: 'to', value: '' });
    const body = h('div');
    const playerSlot = h('div');
    let playing: { close(): void } | undefined;
    const stop = (): void => {
      playing?.close();
      playing = undefined;
      replace(playerSlot);
    };
    ctx.onLeave(stop);
    const play = (f: RecordFileRow): void => {
      stop();
      const p = filePlayer(f);
      playing = p;
      replace(
        playerSlot,
        card(
          `Playing ${f.StreamName} (${f.Format.toUpperCase()}, file ${f.FileId})`,
          p.element,
          button('Close player', stop),
        ),
      );
    };
    const remove = (f: RecordFileRow): void => {
      modal(
        'Delete recording',
        `Delete file ${f.FileId} of ${f.AppName}/${f.StreamName} (${f.Format.toUpperCase()}, ${formatBytes(f.FileSize)})? This cannot be undone.`,
        (close) => [
          button('Cancel', close),
          button(
            'Delete',
            () =>
              void ctx.api
                .call('OpenLiveDeleteRecordFile', { FileId: f.FileId })
                .then(() => (close(), stop(), toast(`Deleted file ${f.FileId}`, 'success'), load(false)))
                .catch((err: unknown) => toast(errorText(err), 'error')),
            { kind: 'danger', testId: 'confirm-delete' },
          ),
        ],
      );
    };
    const params = (): Record<string, unknown> => {
      const p: Record<string, unknown> = { PageNum: page, PageSize: pageSize };
      if (stream.value.trim()) p.StreamName = stream.value.trim();
      if (from.value) p.StartTime = isoUtc(new Date(from.value).getTime());
      if (to.value) p.EndTime = isoUtc(new Date(to.value).getTime());
      return p;
    };
    const load = (quiet: boolean): Promise<void> =>
      fill(
        body,
        async () => {
          const [res, info] = await Promise.all([ctx.api.call('OpenLiveDescribeRecordFiles', params()), ctx.info()]);
          // With play auth on, the server plays a file only with the play domain's signature (docs/recording.md).
          const sign = fileUrlSigner(ctx.api, info.DefaultPlayDomain);
          const rows = await Promise.all(
            ((res.RecordFileList ?? []) as RecordFileRow[]).map(async (f) => ({
              ...f,
              VideoUrl: await sign(f.VideoUrl, f.StreamName),
            })),
          );
          return [
            table<RecordFileRow>(
              [
                { title: 'File', render: (f) => h('span', { class: 'mono' }, f.FileId) },
                {
                  title: 'Stream',
                  render: (f) =>
                    h('span', { class: 'mono', 'data-testid': 'recording-stream' }, `${f.AppName}/${f.StreamName}`),
                },
                {
                  title: 'Format',
                  render: (f) => h('span', { 'data-testid': 'recording-format' }, f.Format.toUpperCase()),
                },
                { title: 'Started', className: 'nowrap', render: (f) => formatApiTime(f.StartTime) },
                { title: 'Duration', render: (f) => formatDuration(Math.round(f.Duration)) },
                { title: 'Size', render: (f) => formatBytes(f.FileSize) },
                {
                  title: 'Status',
                  render: (f) =>
                    h(
                      'span',
                      { title: f.Reason || f.Status },
                      tag(f.ErrorCode ? `${f.Status}: ${f.ErrorCode}` : f.Status, statusKind[f.Status] ?? 'neutral'),
                    ),
                },
                {
                  title: 'Operation',
                  className: 'ops',
                  render: (f) => [
                    button('Play', () => play(f), {
                      kind: 'link',
                      title: `Play file ${f.FileId}`,
                      disabled: f.Status === 'recording' && f.Format !== 'hls',
                    }),
                    h(
                      'a',
                      { class: 'btn btn-link', href: f.VideoUrl, download: '', title: `Download file ${f.FileId}` },
                      'Download',
                    ),
                    button('Delete', () => remove(f), { kind: 'link', title: `Delete file ${f.FileId}` }),
                  ],
                },
              ],
              rows,
              emptyState(
                'No recording in this period',
                'Bind a record template to a push domain (CreateLiveRecordTemplate, CreateLiveRecordRule) and publish: each finished file appears here.',
              ),
              'Recordings',
            ),
            pager(Number(res.TotalNum ?? 0), page, pageSize, (p) => ((page = p), void load(false))),
          ];
        },
        quiet,
      );
    void load(false);
    const search = (ev: Event): void => {
      ev.preventDefault();
      page = 1;
      void load(false);
    };
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Recordings'),
      playerSlot,
      card(null, [
        h(
          'form',
          { class: 'toolbar', onsubmit: search },
          field('Stream', stream),
          field('From', from),
          field('To', to),
          button('Search', () => undefined, { kind: 'primary', type: 'submit' }),
        ),
        body,
      ]),
    );
  },
};
