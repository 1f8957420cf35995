/** A line chart of one series over a time window, drawn as SVG that scales to its card's width. */
import { formatClock, formatClockSeconds } from '../lib/format.ts';
import { h, svg } from './dom.ts';

/** One sample. */
export interface Point {
  readonly t: number;
  readonly v: number;
}

const width = 600;
const height = 200;
const pad = { left: 64, right: 12, top: 12, bottom: 28 };

/** The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `v`. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  const step = [1, 2, 5, 10].find((m) => m * power >= v) ?? 10;
  return step * power;
}

/**
 * A chart of `points` between `from` and `to` (Unix ms), its y axis labelled by `format`. The
 * summary line states the latest value, so the numbers are available without reading the drawing.
 */
export function lineChart(title: string, points: readonly Point[], from: number, to: number, format: (v: number) => string, integer = false): HTMLElement {
  const top = niceCeil(Math.max(0, ...points.map((p) => p.v)));
  // Counts (streams, viewers) get whole-number grid lines: 0 to at least 4 in steps of a quarter.
  const max = integer ? Math.max(4, Math.ceil(top / 4) * 4) : top;
  const clock = to - from < 10 * 60_000 ? formatClockSeconds : formatClock;
  const x = (t: number): number => pad.left + ((t - from) / (to - from)) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = max * f;
    return [
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'chart-grid' }),
      svg('text', { x: pad.left - 6, y: y(v) + 4, class: 'chart-label', 'text-anchor': 'end' }, format(v)),
    ];
  });
  const ticks = [0, 1, 2, 3, 4].map((i) => {
    const t = from + ((to - from) * i) / 4;
    return svg('text', { x: x(t), y: height - 8, class: 'chart-label', 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, clock(t));
  });
  const visible = points.filter((p) => p.t >= from && p.t <= to);
  const path = visible.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const area = visible.length > 1 ? `${path} L${x(visible.at(-1)!.t).toFixed(1)},${y(0)} L${x(visible[0]!.t).toFixed(1)},${y(0)} Z` : '';
  const latest = visible.at(-1);
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', null, h('span', { class: 'chart-title' }, title), h('span', { class: 'chart-value' }, latest ? format(latest.v) : 'no samples yet')),
    svg(
      'svg',
      { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title} from ${clock(from)} to ${clock(to)}, latest ${latest ? format(latest.v) : 'none'}` },
      grid,
      ticks,
      area ? svg('path', { d: area, class: 'chart-area' }) : null,
      path ? svg('path', { d: path, class: 'chart-line' }) : null,
      visible.length === 1 ? svg('circle', { cx: x(visible[0]!.t), cy: y(visible[0]!.v), r: 3, class: 'chart-dot' }) : null,
    ),
  );
}
