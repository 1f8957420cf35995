/** A line chart of one series over a time window, drawn as SVG that scales to its card's width. */
import { formatClock, formatClockSeconds } from '../lib/format.ts';
import { h, svg } from './dom.ts';

/** One point of a series. */
export interface Point {
  readonly t: number;
  readonly v: number;
}

/** What a chart draws and how it labels it. */
export interface ChartOptions {
  readonly title: string;
  readonly points: readonly Point[];
  /** The window, Unix ms. */
  readonly from: number;
  readonly to: number;
  /** Labels of the y axis and the summary. */
  readonly format: (v: number) => string;
  /** Labels of the x axis (default HH:MM, HH:MM:SS under ten minutes). */
  readonly tick?: (ms: number) => string;
  /** Whole-number grid lines (counts such as viewers). */
  readonly integer?: boolean;
  /** A test id on the figure. */
  readonly testId?: string;
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

/** The highest point (the earliest of equal ones), if any is above zero. */
export function peakOf(points: readonly Point[]): Point | undefined {
  let best: Point | undefined;
  for (const p of points) if (p.v > 0 && (!best || p.v > best.v)) best = p;
  return best;
}

/**
 * A chart of `points` between `from` and `to`. The caption states the peak and its time, and the peak is
 * marked with a dot whose tooltip says the same, so the numbers are available without reading the drawing.
 */
export function lineChart(o: ChartOptions): HTMLElement {
  const { from, to, format } = o;
  const top = niceCeil(Math.max(0, ...o.points.map((p) => p.v)));
  // Counts (streams, viewers) get whole-number grid lines: 0 to at least 4 in steps of a quarter.
  const max = o.integer ? Math.max(4, Math.ceil(top / 4) * 4) : top;
  const tick = o.tick ?? (to - from < 10 * 60_000 ? formatClockSeconds : formatClock);
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
    return svg(
      'text',
      { x: x(t), y: height - 8, class: 'chart-label', 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' },
      tick(t),
    );
  });
  const visible = o.points.filter((p) => p.t >= from && p.t <= to);
  const path = visible.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const area =
    visible.length > 1
      ? `${path} L${x(visible.at(-1)!.t).toFixed(1)},${y(0)} L${x(visible[0]!.t).toFixed(1)},${y(0)} Z`
      : '';
  const peak = peakOf(visible);
  const summary = peak ? `peak ${format(peak.v)} at ${tick(peak.t)}` : 'no traffic';
  return h(
    'figure',
    { class: 'chart', 'data-testid': o.testId },
    h('figcaption', null, h('span', { class: 'chart-title' }, o.title), h('span', { class: 'chart-value' }, summary)),
    svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-label': `${o.title} from ${tick(from)} to ${tick(to)}, ${summary}`,
      },
      grid,
      ticks,
      area ? svg('path', { d: area, class: 'chart-area' }) : null,
      path ? svg('path', { d: path, class: 'chart-line' }) : null,
      peak
        ? svg(
            'circle',
            { cx: x(peak.t), cy: y(peak.v), r: 4, class: 'chart-dot' },
            svg('title', null, `${o.title}: ${summary}`),
          )
        : null,
    ),
  );
}
