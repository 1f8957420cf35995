/**
 * Overview: live streams now, and bandwidth out and in and viewers over the last hour, day or week,
 * charted from the server's statistics history (overview-history.ts), for every stream or one push domain.
 */
import { allDomains } from '../lib/domains.ts';
import { formatBitrate, formatBytes, formatClock, formatDayClock } from '../lib/format.ts';
import { serverInfo } from '../lib/server-info.ts';
import { errorText } from '../ui/async.ts';
import { lineChart, peakOf, type Point } from '../ui/chart.ts';
import { alert, card, loading, tabs } from '../ui/components.ts';
import { h, replace } from '../ui/dom.ts';
import { loadHistory, ranges, type History, type Range } from './overview-history.ts';
import type { Page, PageContext } from './page.ts';

const count = (v: number): string => String(Math.round(v));
const path = '/console/overview';

function stat(
  label: string,
  value: string,
  sub: string,
  href?: string,
  navigate?: (href: string) => void,
): HTMLElement {
  const body = [
    h('span', { class: 'stat-label' }, label),
    h('span', { class: 'stat-value', 'data-testid': `stat-${label.toLowerCase().replace(/\W+/g, '-')}` }, value),
    sub ? h('span', { class: 'stat-sub' }, sub) : null,
  ];
  return href && navigate
    ? h('a', { class: 'stat', href, onclick: (ev: MouseEvent) => (ev.preventDefault(), navigate(href)) }, body)
    : h('div', { class: 'stat' }, body);
}

function peakStat(
  label: string,
  points: readonly Point[],
  format: (v: number) => string,
  tick: (ms: number) => string,
): HTMLElement {
  const peak = peakOf(points);
  return stat(label, peak ? format(peak.v) : '-', peak ? `at ${tick(peak.t)}` : 'none in this range');
}

function hrefOf(range: Range, domain: string | undefined): string {
  const q = new URLSearchParams({ range });
  if (domain) q.set('domain', domain);
  return `${path}?${q}`;
}

function historyView(hist: History, range: Range, live: HTMLElement): (HTMLElement | null)[] {
  const tick = range === 'week' ? formatDayClock : formatClock;
  const span = { from: hist.from, to: hist.to, tick };
  const empty = !peakOf(hist.bandwidthOut) && !peakOf(hist.bandwidthIn) && !peakOf(hist.viewers);
  return [
    h(
      'div',
      { class: 'stats' },
      live,
      peakStat('Peak bandwidth out', hist.bandwidthOut, formatBitrate, tick),
      peakStat('Peak bandwidth in', hist.bandwidthIn, formatBitrate, tick),
      peakStat('Peak viewers', hist.viewers, count, tick),
    ),
    empty
      ? alert(
          'info',
          'No traffic in this range: the server records what its streams send and play every minute, so the charts fill as soon as a stream is published and played.',
        )
      : null,
    h(
      'div',
      { class: 'charts' },
      lineChart({
        ...span,
        title: 'Bandwidth out (to players)',
        points: hist.bandwidthOut,
        format: formatBitrate,
        testId: 'chart-bandwidth-out',
      }),
      lineChart({
        ...span,
        title: 'Bandwidth in (from publishers)',
        points: hist.bandwidthIn,
        format: formatBitrate,
        testId: 'chart-bandwidth-in',
      }),
      lineChart({
        ...span,
        title: 'Viewers (RTMP, HTTP-FLV and HLS)',
        points: hist.viewers,
        format: count,
        integer: true,
        testId: 'chart-viewers',
      }),
    ),
    h(
      'p',
      { class: 'note', 'data-testid': 'overview-flux' },
      `Delivered ${formatBytes(hist.fluxOut)} to players and received ${formatBytes(hist.fluxIn)} from publishers in this range.`,
    ),
  ];
}

/** The Overview page. */
export const overviewPage: Page = {
  path: '/overview',
  title: 'Overview',
  render(ctx: PageContext) {
    const asked = ctx.query.get('range');
    const range: Range = asked === 'hour' || asked === 'week' ? asked : 'day';
    const domain = ctx.query.get('domain') || undefined;
    const liveValue = h('span', { class: 'stat-value', 'data-testid': 'stat-live-streams' }, '-');
    const live = h(
      'a',
      {
        class: 'stat',
        href: '/console/streams/live',
        onclick: (ev: MouseEvent) => (ev.preventDefault(), ctx.navigate('/console/streams/live')),
      },
      h('span', { class: 'stat-label' }, 'Live streams'),
      liveValue,
      h('span', { class: 'stat-sub' }, 'now'),
    );
    ctx.every(5000, async () => {
      try {
        liveValue.textContent = String((await serverInfo(ctx.api)).LiveStreams);
      } catch {
        liveValue.textContent = '-';
      }
    });

    const select = h(
      'select',
      {
        'aria-label': 'Push domain',
        class: 'input input-inline',
        onchange: () => ctx.navigate(hrefOf(range, select.value || undefined)),
      },
      h('option', { value: '' }, 'All domains'),
      domain ? h('option', { value: domain, selected: true }, domain) : null,
    );
    void allDomains(ctx.api, 0)
      .then((list) => {
        for (const d of list) if (d.Name !== domain) select.append(h('option', { value: d.Name }, d.Name));
      })
      .catch(() => undefined);

    const body = h(
      'div',
      { class: 'overview-history', 'aria-live': 'polite' },
      loading('Loading the statistics history…'),
    );
    const load = async (): Promise<void> => {
      try {
        const hist = await loadHistory(ctx.api, range, domain);
        replace(body, historyView(hist, range, live));
      } catch (err) {
        replace(
          body,
          h('div', { class: 'stats' }, live),
          alert('error', `Could not load the statistics history: ${errorText(err)}`),
        );
      }
    };
    void load();
    // The minute rows arrive once a minute: refresh the history at that pace.
    const timer = setInterval(() => void load(), 60_000);
    ctx.onLeave(() => clearInterval(timer));

    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Overview'),
      h(
        'div',
        { class: 'toolbar' },
        tabs(
          (Object.keys(ranges) as Range[]).map((r) => ({
            label: ranges[r].label,
            href: hrefOf(r, domain),
            current: r === range,
          })),
          ctx.navigate,
        ),
        select,
      ),
      card(`Last ${range}${domain ? ` · ${domain}` : ''}`, [
        body,
        h(
          'p',
          { class: 'note' },
          "From the server's statistics history: bandwidth is the peak 5-minute bandwidth of each ",
          range === 'week' ? 'hour' : '5 minutes',
          ', viewers the peak per ',
          range === 'hour' ? 'minute' : range === 'day' ? '5 minutes' : 'hour',
          '. A push domain shows its own streams; all domains include every stream.',
        ),
      ]),
    );
  },
};
