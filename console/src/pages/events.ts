/**
 * Event Center: publish history with stop reasons (DescribeLiveStreamEventList, IsFilter=1), refused
 * publishes with their codes (OpenLiveDescribeRejectedPushList), and callback deliveries
 * (DescribeCallbackRecordsList, one stream and at most one day at a time, as Tencent's).
 */
import { ApiError } from '../lib/api.ts';
import { formatApiTime, formatDuration, isoUtc } from '../lib/format.ts';
import { alert, card, emptyState, field, pager, table, tabs, tag } from '../ui/components.ts';
import { fill } from '../ui/async.ts';
import { h } from '../ui/dom.ts';
import type { Page, PageContext } from './page.ts';

const pageSize = 20;
const hour = 3600_000;
const ranges = [
  { label: 'Last hour', ms: hour },
  { label: 'Last 24 hours', ms: 24 * hour },
  { label: 'Last 7 days', ms: 7 * 24 * hour },
  { label: 'Last 30 days', ms: 30 * 24 * hour },
] as const;

type Row = Record<string, any>;

/** Which list a tab shows, and how its rows render. */
interface EventTab {
  readonly id: string;
  readonly label: string;
  readonly maxRangeMs: number;
  readonly needsStream: boolean;
  query(ctx: PageContext, params: Record<string, unknown>): Promise<{ rows: Row[]; total: number }>;
  columns(): { title: string; render: (r: Row) => any }[];
  empty: string;
}

const mono = (v: unknown): HTMLElement => h('span', { class: 'mono' }, String(v ?? '-'));
const code = (v: unknown): HTMLElement => h('span', { class: 'code' }, String(v || '-'));

const eventTabs: readonly EventTab[] = [
  {
    id: 'publish',
    label: 'Publish history',
    maxRangeMs: 30 * 24 * hour,
    needsStream: false,
    async query(ctx, params) {
      const res = await ctx.api.call('DescribeLiveStreamEventList', { ...params, IsFilter: 1 });
      return { rows: res.EventList ?? [], total: Number(res.TotalNum ?? 0) };
    },
    columns: () => [
      { title: 'Stream', render: (r) => mono(r.StreamName) },
      { title: 'App', render: (r) => r.AppName },
      { title: 'Push domain', render: (r) => mono(r.DomainName) },
      { title: 'Started', className: 'nowrap', render: (r) => formatApiTime(r.StreamStartTime) },
      {
        title: 'Ended',
        className: 'nowrap',
        render: (r) => (r.StreamEndTime ? formatApiTime(r.StreamEndTime) : tag('Live', 'success')),
      },
      { title: 'Duration', render: (r) => formatDuration(Number(r.Duration ?? 0)) },
      {
        title: 'Stop reason',
        render: (r) =>
          h(
            'span',
            { class: 'reason', 'data-testid': 'stop-reason' },
            r.StopReason || (r.StreamEndTime ? '-' : 'still live'),
          ),
      },
      { title: 'Client IP', render: (r) => mono(r.ClientIp) },
      { title: 'Resolution', render: (r) => String(r.Resolution || '-').replace('*', '×') },
    ],
    empty:
      'No publish in this period. Publish to a URL from the Address Generator and it is recorded here, with why it stopped.',
  },
  {
    id: 'rejected',
    label: 'Rejected pushes',
    maxRangeMs: 30 * 24 * hour,
    needsStream: false,
    async query(ctx, params) {
      const res = await ctx.api.call('OpenLiveDescribeRejectedPushList', params);
      return { rows: res.RejectedList ?? [], total: Number(res.TotalNum ?? 0) };
    },
    columns: () => [
      { title: 'Time', className: 'nowrap', render: (r) => formatApiTime(r.Time) },
      { title: 'Code', render: (r) => [code(r.BreakCode), ' ', h('span', { class: 'note' }, r.ErrorCode)] },
      { title: 'Stream', render: (r) => mono(`${r.AppName}/${r.StreamName}`) },
      { title: 'Host', render: (r) => mono(r.Host) },
      { title: 'Client IP', render: (r) => mono(r.ClientIp) },
      // Past store.rejectedPerAddress refusals a window, one row counts an address's further refusals.
      {
        title: 'Count',
        render: (r) => (Number(r.Count ?? 1) > 1 ? `${r.Count} until ${formatApiTime(r.LastTime)}` : '1'),
      },
      { title: 'Reason', render: (r) => h('span', { class: 'reason' }, r.Reason) },
    ],
    empty:
      'No push was refused in this period. When one is, its code and reason show here; the Troubleshooter explains a failing URL.',
  },
  {
    id: 'callbacks',
    label: 'Callback records',
    maxRangeMs: 24 * hour,
    needsStream: true,
    async query(ctx, params) {
      const res = await ctx.api.call('DescribeCallbackRecordsList', params);
      return { rows: res.DataInfoList ?? [], total: Number(res.TotalNum ?? 0) };
    },
    columns: () => [
      { title: 'Event time', className: 'nowrap', render: (r) => formatApiTime(r.EventTime) },
      {
        title: 'Event',
        render: (r) =>
          (
            ({
              0: 'Stream interrupted (0)',
              1: 'Stream started (1)',
              100: 'Recording (100)',
              200: 'Screenshot (200)',
              321: 'Push error (321)',
            }) as Record<number, string>
          )[r.EventType] ?? String(r.EventType),
      },
      {
        title: 'Result',
        render: (r) =>
          Number(r.ResultCode) === 0 ? tag('Delivered', 'success') : tag(`Failed (${r.ResultCode})`, 'danger'),
      },
      { title: 'Response time', className: 'nowrap', render: (r) => formatApiTime(r.ResponseTime) },
      { title: 'Stream', render: (r) => mono(r.StreamId) },
      { title: 'Request', render: (r) => h('code', { class: 'clip', title: r.Request }, r.Request) },
      { title: 'Response', render: (r) => h('code', { class: 'clip', title: r.Response }, r.Response || '-') },
    ],
    empty:
      'No callback was sent for this stream in this period. Set up callback templates and rules through the Cloud API to be told when streams start and stop.',
  },
];

/** The Event Center page; `?tab=publish|rejected|callbacks`. */
export const eventsPage: Page = {
  path: '/events',
  title: 'Event Center',
  render(ctx) {
    const tab = eventTabs.find((t) => t.id === ctx.query.get('tab')) ?? eventTabs[0]!;
    let page = 1;
    const range = h(
      'select',
      { class: 'input', name: 'range' },
      ranges.filter((r) => r.ms <= tab.maxRangeMs).map((r) => h('option', { value: String(r.ms) }, r.label)),
    );
    const stream = h('input', {
      class: 'input mono',
      name: 'stream',
      placeholder: tab.needsStream ? 'StreamName (required)' : 'StreamName contains…',
      spellcheck: 'false',
      value: ctx.query.get('stream') ?? '',
    });
    const body = h('div');
    const load = (quiet: boolean): Promise<void> =>
      fill(
        body,
        async () => {
          if (tab.needsStream && !stream.value.trim())
            return emptyState(
              'Enter a StreamName',
              'Callback records are looked up one stream at a time, at most one day back.',
            );
          const now = Date.now();
          const params: Record<string, unknown> = {
            StartTime: isoUtc(now - Number(range.value)),
            // The API takes whole seconds and ends the window before EndTime: round up, or an event of
            // this very second would be left out until the next refresh.
            EndTime: isoUtc(Math.ceil((now + 1) / 1000) * 1000),
            PageNum: page,
            PageSize: pageSize,
            ...(stream.value.trim() && { StreamName: stream.value.trim() }),
          };
          let result: { rows: Row[]; total: number };
          try {
            result = await tab.query(ctx, params);
          } catch (err) {
            if (err instanceof ApiError && err.code === 'InvalidAction')
              return alert('info', 'This server does not keep callback records yet.');
            throw err;
          }
          return [
            table<Row>(tab.columns(), result.rows, emptyState('Nothing here', tab.empty), tab.label),
            pager(result.total, page, pageSize, (p) => ((page = p), void load(false))),
          ];
        },
        quiet,
      );
    ctx.every(15_000, () => load(true));
    const filters = h(
      'form',
      { class: 'filters', onsubmit: (ev: SubmitEvent) => (ev.preventDefault(), (page = 1), void load(false)) },
      field('Period', range),
      field('Stream', stream),
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Search'),
    );
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Event Center'),
      tabs(
        eventTabs.map((t) => ({ label: t.label, href: `/console/events?tab=${t.id}`, current: t === tab })),
        ctx.navigate,
      ),
      card(null, [filters, body]),
    );
  },
};
