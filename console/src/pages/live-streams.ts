/**
 * Stream Management > Live Streams: every stream being published (DescribeLiveStreamPushInfoList)
 * with codecs, resolution, frame rate, bitrate, client IP and start time, viewers from the hub, the
 * push-relay forwards of each stream (OpenLiveDescribeForwardStatus), the latest snapshot of each stream
 * (OpenLiveDescribeSnapshotFiles, newest first), a preview player (WHEP when the server has webrtc on,
 * else HTTP-FLV), drop and forbid.
 * Refreshes every 5 seconds.
 */
import { ApiError } from '../lib/api.ts';
import { authOf, allDomains, type DomainInfo } from '../lib/domains.ts';
import { formatApiTime, formatBitrate } from '../lib/format.ts';
import { fileUrlSigner } from '../lib/file-urls.ts';
import { generateUrls } from '../lib/stream-urls.ts';
import { button, card, copyField, emptyState, field, pager, table } from '../ui/components.ts';
import { errorText, fill } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import { streamPreview, type Preview } from '../ui/player.ts';
import type { Page, PageContext } from './page.ts';
import { dropDialog, forbidDialog, type StreamKey } from './stream-dialogs.ts';

/** Tencent's PushDataInfo fields the page shows. */
interface PushInfo {
  readonly StreamName: string;
  readonly AppName: string;
  readonly PushDomain: string;
  readonly ClientIp: string;
  readonly Vcodec: string;
  readonly Acodec: string;
  readonly Resolution: string;
  readonly VideoFps: number;
  readonly VideoSpeed: number;
  readonly AudioSpeed: number;
  readonly BeginPushTime: string;
}

/** One push-relay forward as OpenLiveDescribeForwardStatus lists it (docs/api.md). */
interface ForwardRow {
  readonly AppName: string;
  readonly StreamName: string;
  readonly TargetName: string;
  readonly TargetUrl: string;
  readonly State: string;
  readonly Reconnects: number;
  readonly Bytes: number;
  readonly LastErrorCode: string;
  readonly LastErrorMessage: string;
  readonly LastRtmpStatus: string;
}

const forwardTag: Record<string, string> = {
  forwarding: 'tag-success',
  connecting: 'tag-info',
  'backing-off': 'tag-warning',
  stopped: 'tag-neutral',
};

/** The Forwarding cell: one tag per target with its state; the title tells the URL and the last error. */
function forwardCell(rows: readonly ForwardRow[] | undefined): HTMLElement | string {
  if (!rows || rows.length === 0) return '-';
  return h(
    'span',
    { 'data-testid': 'live-stream-forwards' },
    ...rows.map((f) => {
      const error = f.LastErrorCode
        ? `\nlast error: ${f.LastErrorCode}${f.LastRtmpStatus ? ` (${f.LastRtmpStatus})` : ''} ${f.LastErrorMessage}`
        : '';
      const title = `${f.TargetUrl}\n${f.State}, ${f.Reconnects} reconnects, ${f.Bytes} bytes${error}`;
      const label = f.State === 'backing-off' && f.LastErrorCode === 'FORWARD_REFUSED' ? 'refused' : f.State;
      return h(
        'span',
        { class: `tag ${forwardTag[f.State] ?? 'tag-neutral'}`, title, 'data-state': f.State },
        `${f.TargetName}: ${label}`,
      );
    }),
  );
}

/** The Snapshot cell: the stream's latest picture (a link to the full size), or '-' when it has none. */
function snapshotCell(
  pic: { PicUrl: string; Width: number; Height: number; CreateTime: string } | undefined,
  stream: string,
): HTMLElement | string {
  if (!pic) return '-';
  const title = `${stream}: ${pic.Width}×${pic.Height}, ${formatApiTime(pic.CreateTime)}`;
  return h(
    'a',
    { href: pic.PicUrl, target: '_blank', rel: 'noopener', title },
    h('img', {
      class: 'snapshot-thumb',
      src: pic.PicUrl,
      alt: `Latest snapshot of ${stream}`,
      'data-testid': 'live-stream-snapshot',
      width: 80,
    }),
  );
}

const pageSize = 10;
const thisServer = '';

/**
 * The WHEP play URL of an HTTP-FLV play URL: the same host, port and signature (a WHEP play is admitted
 * like an HTTP-FLV play, docs/webrtc.md), `/{app}/{stream}/whep` instead of `/{app}/{stream}.flv`.
 */
function whepUrlOf(flv: string): string {
  const u = new URL(flv);
  u.pathname = u.pathname.replace(/\.flv$/, '/whep');
  return u.href;
}

/** The preview panel: a play-domain choice, the URLs, and the player. */
function previewPanel(ctx: PageContext, s: StreamKey, onClose: () => void): { element: HTMLElement; close(): void } {
  let preview: Preview | undefined;
  const player = h('div', { class: 'preview-player' });
  const urls = h('div');
  const select = h(
    'select',
    { class: 'input', name: 'playDomain' },
    h('option', { value: thisServer }, `${location.hostname} (this server)`),
  );
  const start = async (): Promise<void> => {
    preview?.close();
    const [info, domains] = await Promise.all([ctx.info(), allDomains(ctx.api, 1)]);
    const domainName = select.value || info.DefaultPlayDomain;
    const host = select.value || location.hostname;
    // Play authentication of the chosen domain (a bare address is served by the default play domain).
    const auth = domainName ? await authOf(ctx.api, domainName, 1).catch(() => undefined) : undefined;
    const generated = generateUrls({
      app: s.app,
      stream: s.stream,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      ports: { rtmp: info.RtmpPort, http: info.HttpPort },
      play: { name: host, key: auth?.enabled ? auth.key : undefined, ...(auth && { algorithm: auth.algorithm }) },
    });
    const play = generated.play!;
    const whep = info.WebrtcEnabled ? whepUrlOf(play.flv) : undefined;
    replace(
      urls,
      whep && copyField('WHEP', whep, 'preview-whep-url'),
      copyField('HTTP-FLV', play.flv, 'preview-flv-url'),
      copyField('HLS', play.hls),
      copyField('RTMP', play.rtmp),
    );
    preview = streamPreview({ flv: play.flv, whep });
    replace(player, preview.element);
    if (select.options.length === 1) {
      for (const d of domains.filter((x: DomainInfo) => x.Status === 1))
        select.append(h('option', { value: d.Name }, d.Name));
    }
  };
  select.addEventListener('change', () => void start().catch((err: unknown) => replace(player, errorText(err))));
  void start().catch((err: unknown) => replace(player, errorText(err)));
  const element = card(
    `Preview: ${s.app}/${s.stream}`,
    h(
      'div',
      { class: 'preview-grid' },
      player,
      h(
        'div',
        null,
        field(
          'Play through',
          select,
          "A playback domain, or this server's address (served by the default playback domain). URLs are valid for one hour.",
        ),
        urls,
      ),
    ),
    button('Close preview', onClose, { title: 'Close the preview' }),
  );
  return { element, close: () => preview?.close() };
}

/** The Live Streams page. */
export const liveStreamsPage: Page = {
  path: '/streams/live',
  title: 'Live Streams',
  render(ctx) {
    let page = 1;
    const body = h('div');
    const previewSlot = h('div');
    let preview: { key: string; close(): void } | undefined;
    const closePreview = (): void => {
      preview?.close();
      preview = undefined;
      replace(previewSlot);
    };
    ctx.onLeave(closePreview);
    const openPreview = (s: StreamKey): void => {
      closePreview();
      const panel = previewPanel(ctx, s, closePreview);
      preview = { key: `${s.app}/${s.stream}`, close: panel.close };
      replace(previewSlot, panel.element);
      panel.element.scrollIntoView({ block: 'nearest' });
    };
    const load = (quiet: boolean): Promise<void> =>
      fill(
        body,
        async () => {
          const info = await ctx.info();
          let res: Record<string, any>;
          try {
            res = await ctx.api.call('DescribeLiveStreamPushInfoList', { PageNum: page, PageSize: pageSize });
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 'FailedOperation.HasNotLivingStream')) throw err;
            res = { DataInfoList: [], TotalNum: 0 };
          }
          const [hub, fwd] = await Promise.all([
            ctx.api.call('OpenLiveDescribeServerInfo'),
            // An older server without push relays answers InvalidAction: show no forwards rather than fail the page.
            ctx.api.call('OpenLiveDescribeForwardStatus').catch(() => ({ ForwardList: [] })),
          ]);
          const forwards = new Map<string, ForwardRow[]>();
          for (const f of (fwd.ForwardList ?? []) as ForwardRow[]) {
            if (f.State === 'stopped') continue;
            const k = `${f.AppName}/${f.StreamName}`;
            forwards.set(k, [...(forwards.get(k) ?? []), f]);
          }
          // Players now, and the WHEP ones among them (WebrtcSubscribers: absent on an older server).
          type HubStream = { AppName: string; StreamName: string; Subscribers: number; WebrtcSubscribers?: number };
          const viewers = new Map<string, string>(
            (hub.StreamList ?? []).map((s: HubStream) => [
              `${s.AppName}/${s.StreamName}`,
              s.WebrtcSubscribers ? `${s.Subscribers} (${s.WebrtcSubscribers} WebRTC)` : String(s.Subscribers),
            ]),
          );
          const list = (res.DataInfoList ?? []) as PushInfo[];
          // The latest picture of each stream shown (at most a page of them); a server without snapshots shows none.
          const pictures = new Map<string, { PicUrl: string; Width: number; Height: number; CreateTime: string }>();
          // A picture is served as a play of its stream: signed when the play domain has play auth on.
          const sign = fileUrlSigner(ctx.api, info.DefaultPlayDomain);
          await Promise.all(
            list.map(async (p) => {
              const r = await ctx.api
                .call('OpenLiveDescribeSnapshotFiles', {
                  DomainName: p.PushDomain,
                  AppName: p.AppName,
                  StreamName: p.StreamName,
                  IsDesc: 1,
                  PageSize: 1,
                })
                .catch(() => undefined);
              const pic = r?.SnapshotFileList?.[0];
              if (pic)
                pictures.set(`${p.AppName}/${p.StreamName}`, { ...pic, PicUrl: await sign(pic.PicUrl, p.StreamName) });
            }),
          );
          const key = (p: PushInfo): StreamKey => ({ domain: p.PushDomain, app: p.AppName, stream: p.StreamName });
          const reload = (): void => void load(true);
          return [
            table<PushInfo>(
              [
                {
                  title: 'Snapshot',
                  render: (p) => snapshotCell(pictures.get(`${p.AppName}/${p.StreamName}`), p.StreamName),
                },
                {
                  title: 'Stream',
                  render: (p) => h('span', { class: 'mono', 'data-testid': 'live-stream-name' }, p.StreamName),
                },
                { title: 'App', render: (p) => p.AppName },
                { title: 'Push domain', render: (p) => h('span', { class: 'mono' }, p.PushDomain) },
                { title: 'Codec', render: (p) => [p.Vcodec || '-', ' / ', p.Acodec || '-'] },
                { title: 'Resolution', render: (p) => (p.Resolution || '-').replace('*', '×') },
                { title: 'FPS', render: (p) => (p.VideoFps ? String(Math.round(p.VideoFps)) : '-') },
                { title: 'Bitrate', render: (p) => formatBitrate(p.VideoSpeed + p.AudioSpeed) },
                { title: 'Viewers', render: (p) => viewers.get(`${p.AppName}/${p.StreamName}`) ?? '0' },
                { title: 'Forwarding', render: (p) => forwardCell(forwards.get(`${p.AppName}/${p.StreamName}`)) },
                { title: 'Client IP', render: (p) => h('span', { class: 'mono' }, p.ClientIp) },
                { title: 'Started', className: 'nowrap', render: (p) => formatApiTime(p.BeginPushTime) },
                {
                  title: 'Operation',
                  className: 'ops',
                  render: (p) => [
                    button('Preview', () => openPreview(key(p)), { kind: 'link', title: `Preview ${p.StreamName}` }),
                    button('Drop', () => dropDialog(ctx, key(p), reload), {
                      kind: 'link',
                      title: `Drop ${p.StreamName}`,
                    }),
                    button('Forbid', () => forbidDialog(ctx, key(p), reload), {
                      kind: 'link',
                      title: `Forbid ${p.StreamName}`,
                    }),
                  ],
                },
              ],
              list,
              emptyState('No stream is being published', [
                'Make a push URL in the ',
                h(
                  'a',
                  {
                    href: '/console/address',
                    onclick: (ev: MouseEvent) => (ev.preventDefault(), ctx.navigate('/console/address')),
                  },
                  'Address Generator',
                ),
                ` and start your encoder (OBS or ffmpeg; RTMP port ${info.RtmpPort}). Streams appear here within seconds.`,
              ]),
              'Live streams',
            ),
            pager(Number(res.TotalNum ?? 0), page, pageSize, (p) => ((page = p), void load(false))),
          ];
        },
        quiet,
      );
    ctx.every(5000, () => load(true));
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Live Streams'),
      previewSlot,
      card(null, [
        h(
          'div',
          { class: 'toolbar' },
          h('p', { class: 'note' }, 'Refreshes every 5 seconds.'),
          button('Refresh', () => void load(false)),
        ),
        body,
      ]),
    );
  },
};
