/** Stream Management > Disabled Streams: forbidden streams with reason and end time (DescribeLiveForbidStreamList), resume. */
import { formatApiTime } from '../lib/format.ts';
import { button, card, emptyState, modal, pager, table, toast } from '../ui/components.ts';
import { errorText, fill } from '../ui/async.ts';
import { h } from '../ui/dom.ts';
import type { Page, PageContext } from './page.ts';

/** Tencent's ForbidStreamInfo plus openlive's Reason. */
interface ForbidInfo {
  readonly StreamName: string;
  readonly AppName: string;
  readonly DomainName: string;
  readonly CreateTime: string;
  readonly ExpireTime: string;
  readonly Reason?: string;
}

const pageSize = 10;

function resumeDialog(ctx: PageContext, f: ForbidInfo, done: () => void): void {
  modal('Resume Stream', h('p', null, `Allow ${f.AppName}/${f.StreamName} to be published again now?`), (close) => [
    button('Cancel', close),
    button(
      'Resume',
      async () => {
        try {
          // An every-domain forbid (DomainName '') is lifted through any push domain: use the default one.
          const domain = f.DomainName || (await ctx.info()).DefaultPushDomain;
          await ctx.api.call('ResumeLiveStream', { DomainName: domain, AppName: f.AppName, StreamName: f.StreamName });
          toast(`Resumed ${f.StreamName}.`, 'success');
        } catch (err) {
          toast(errorText(err), 'error');
        }
        close();
        done();
      },
      { kind: 'primary' },
    ),
  ]);
}

/** The Disabled Streams page. */
export const disabledStreamsPage: Page = {
  path: '/streams/disabled',
  title: 'Disabled Streams',
  render(ctx) {
    let page = 1;
    const body = h('div');
    const load = (quiet: boolean): Promise<void> =>
      fill(
        body,
        async () => {
          const res = await ctx.api.call('DescribeLiveForbidStreamList', { PageNum: page, PageSize: pageSize });
          const list = (res.ForbidStreamList ?? []) as ForbidInfo[];
          return [
            table<ForbidInfo>(
              [
                {
                  title: 'Stream',
                  render: (f) => h('span', { class: 'mono', 'data-testid': 'disabled-stream-name' }, f.StreamName),
                },
                { title: 'App', render: (f) => f.AppName },
                {
                  title: 'Push domain',
                  render: (f) => (f.DomainName ? h('span', { class: 'mono' }, f.DomainName) : 'All domains'),
                },
                { title: 'Reason', render: (f) => h('span', { class: 'reason' }, f.Reason || '-') },
                { title: 'Forbidden at', className: 'nowrap', render: (f) => formatApiTime(f.CreateTime) },
                { title: 'Until', className: 'nowrap', render: (f) => formatApiTime(f.ExpireTime) },
                {
                  title: 'Operation',
                  className: 'ops',
                  render: (f) =>
                    button('Resume', () => resumeDialog(ctx, f, () => void load(true)), {
                      kind: 'link',
                      title: `Resume ${f.StreamName}`,
                    }),
                },
              ],
              list,
              emptyState('No stream is forbidden', [
                'To keep a stream off the air, use Forbid on ',
                h(
                  'a',
                  {
                    href: '/console/streams/live',
                    onclick: (ev: MouseEvent) => (ev.preventDefault(), ctx.navigate('/console/streams/live')),
                  },
                  'Live Streams',
                ),
                '; it is listed here until it is resumed or its time runs out.',
              ]),
              'Disabled streams',
            ),
            pager(Number(res.TotalNum ?? 0), page, pageSize, (p) => ((page = p), void load(false))),
          ];
        },
        quiet,
      );
    ctx.every(10_000, () => load(true));
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Disabled Streams'),
      card(null, [
        h(
          'div',
          { class: 'toolbar' },
          button('Refresh', () => void load(false)),
        ),
        body,
      ]),
    );
  },
};
