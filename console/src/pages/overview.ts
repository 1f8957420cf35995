/** Overview: live streams, viewers and bandwidth now, and as charts over the last hour (lib/sampler.ts). */
import { formatBitrate } from '../lib/format.ts';
import { gauge, history, historyMs, onSample, rate, sampleEveryMs } from '../lib/sampler.ts';
import { lineChart } from '../ui/chart.ts';
import { card } from '../ui/components.ts';
import { h, replace } from '../ui/dom.ts';
import type { Page } from './page.ts';

const count = (v: number): string => String(Math.round(v));

function stat(label: string, value: string, href: string | undefined, navigate: (href: string) => void): HTMLElement {
  const body = [h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value', 'data-testid': `stat-${label.toLowerCase().replace(/\W+/g, '-')}` }, value)];
  return href
    ? h('a', { class: 'stat', href, onclick: (ev: MouseEvent) => (ev.preventDefault(), navigate(href)) }, body)
    : h('div', { class: 'stat' }, body);
}

/** The Overview page. */
export const overviewPage: Page = {
  path: '/overview',
  title: 'Overview',
  render(ctx) {
    const stats = h('div', { class: 'stats' });
    const charts = h('div', { class: 'charts' });
    const draw = (): void => {
      const samples = history();
      const last = samples.at(-1);
      const bwIn = rate((s) => s.bytesIn);
      const bwOut = rate((s) => s.bytesOut);
      replace(
        stats,
        stat('Live streams', last ? count(last.streams) : '-', '/console/streams/live', ctx.navigate),
        stat('Viewers', last ? count(last.viewers) : '-', undefined, ctx.navigate),
        stat('Bandwidth in', bwIn.at(-1) ? formatBitrate(bwIn.at(-1)!.v) : '-', undefined, ctx.navigate),
        stat('Bandwidth out', bwOut.at(-1) ? formatBitrate(bwOut.at(-1)!.v) : '-', undefined, ctx.navigate),
      );
      // The window is the last hour once the console has sampled that long; until then it starts at
      // the first sample (at least two minutes wide), so a fresh console does not draw a sliver.
      const to = Date.now();
      const first = samples[0]?.t ?? to;
      const from = Math.max(to - historyMs, Math.min(first, to - 2 * 60_000));
      replace(
        charts,
        lineChart('Live streams', gauge((s) => s.streams), from, to, count, true),
        lineChart('Viewers (RTMP and HTTP-FLV players)', gauge((s) => s.viewers), from, to, count, true),
        lineChart('Bandwidth in', bwIn, from, to, formatBitrate),
        lineChart('Bandwidth out', bwOut, from, to, formatBitrate),
      );
    };
    draw();
    ctx.onLeave(onSample(draw));
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Overview'),
      stats,
      card(
        'Last hour',
        [
          charts,
          h(
            'p',
            { class: 'note' },
            `This browser samples the server's counters every ${sampleEveryMs / 1000} s while you are signed in, on any page, and keeps one hour in this tab. `,
            'The charts cover the time the console has been open; HLS viewers are not counted as viewers.',
          ),
        ],
      ),
    );
  },
};
