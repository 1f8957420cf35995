/**
 * Domain Management: push and play domains with their CNAME target and a CNAME column (DNS asked by
 * the server), enable/disable, add/delete; a domain's page holds its authentication settings.
 */
import { formatApiTime } from '../lib/format.ts';
import { typeName, type DomainInfo } from '../lib/domains.ts';
import { alert, button, card, emptyState, field, modal, pager, table, tabs, tag, toast } from '../ui/components.ts';
import { fill, errorText } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import type { Page, PageContext } from './page.ts';
import { cnameMark } from '../ui/cname-mark.ts';
import { domainDetail } from './domain-detail.ts';

const pageSize = 10;

function addDomainDialog(ctx: PageContext, done: () => void): void {
  const name = h('input', {
    class: 'input',
    name: 'domain',
    placeholder: 'live.example.com',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const push = h('input', { type: 'radio', name: 'domainType', value: '0', checked: true, id: 'type-push' });
  const play = h('input', { type: 'radio', name: 'domainType', value: '1', id: 'type-play' });
  const message = h('div');
  const form = h(
    'form',
    { id: 'add-domain-form', onsubmit: (ev: SubmitEvent) => (ev.preventDefault(), void submit()) },
    field('Domain name', name, 'A domain you own. After adding it, point it at the CNAME target the list shows.'),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', null, 'Type'),
      h('label', { class: 'radio' }, push, 'Push domain'),
      h('label', { class: 'radio' }, play, 'Playback domain'),
    ),
    message,
  );
  const close = modal('Add Domain', form, (close) => [
    button('Cancel', close),
    h('button', { class: 'btn btn-primary', type: 'submit', form: 'add-domain-form' }, 'Add'),
  ]);
  async function submit(): Promise<void> {
    try {
      await ctx.api.call('AddLiveDomain', { DomainName: name.value.trim(), DomainType: push.checked ? 0 : 1 });
      close();
      toast(`Added ${name.value.trim()}. Point it at its CNAME target.`, 'success');
      done();
    } catch (err) {
      replace(message, alert('error', errorText(err)));
    }
  }
  name.focus();
}

function confirmDelete(ctx: PageContext, d: DomainInfo, done: () => void): void {
  modal(
    'Delete Domain',
    h('p', null, `Delete ${d.Name}? Encoders and players using it will be refused from now on. This cannot be undone.`),
    (close) => [
      button('Cancel', close),
      button(
        'Delete',
        async () => {
          try {
            await ctx.api.call('DeleteLiveDomain', { DomainName: d.Name, DomainType: d.Type });
            toast(`Deleted ${d.Name}.`, 'success');
          } catch (err) {
            toast(errorText(err), 'error');
          }
          close();
          done();
        },
        { kind: 'danger' },
      ),
    ],
  );
}

function listView(ctx: PageContext): HTMLElement {
  const type = ctx.query.get('type');
  const typeFilter = type === 'push' ? 0 : type === 'play' ? 1 : undefined;
  let page = 1;
  const body = h('div');
  const load = (): Promise<void> =>
    fill(body, async () => {
      const res = await ctx.api.call('DescribeLiveDomains', {
        PageNum: page,
        PageSize: pageSize,
        ...(typeFilter !== undefined && { DomainType: typeFilter }),
      });
      const list = (res.DomainList ?? []) as DomainInfo[];
      const manage = (d: DomainInfo): string => `/console/domains/${encodeURIComponent(d.Name)}`;
      const rows = table<DomainInfo>(
        [
          {
            title: 'Domain',
            render: (d) =>
              h(
                'a',
                {
                  href: manage(d),
                  class: 'mono',
                  onclick: (ev: MouseEvent) => (ev.preventDefault(), ctx.navigate(manage(d))),
                },
                d.Name,
              ),
          },
          { title: 'Type', render: (d) => typeName(d.Type) },
          { title: 'CNAME target', render: (d) => h('span', { class: 'mono' }, d.TargetDomain) },
          { title: 'CNAME', render: cnameMark },
          { title: 'Status', render: (d) => (d.Status === 1 ? tag('Enabled', 'success') : tag('Disabled', 'neutral')) },
          { title: 'Created', className: 'nowrap', render: (d) => formatApiTime(d.CreateTime) },
          {
            title: 'Operation',
            className: 'ops',
            render: (d) => [
              button('Manage', () => ctx.navigate(manage(d)), { kind: 'link', title: `Manage ${d.Name}` }),
              button(
                d.Status === 1 ? 'Disable' : 'Enable',
                async () => {
                  try {
                    await ctx.api.call(d.Status === 1 ? 'ForbidLiveDomain' : 'EnableLiveDomain', {
                      DomainName: d.Name,
                    });
                    toast(`${d.Name} ${d.Status === 1 ? 'disabled' : 'enabled'}.`, 'success');
                  } catch (err) {
                    toast(errorText(err), 'error');
                  }
                  void load();
                },
                { kind: 'link', title: `${d.Status === 1 ? 'Disable' : 'Enable'} ${d.Name}` },
              ),
              button('Delete', () => confirmDelete(ctx, d, () => void load()), {
                kind: 'link',
                title: `Delete ${d.Name}`,
              }),
            ],
          },
        ],
        list,
        emptyState(
          typeFilter === undefined ? 'No domains yet' : `No ${typeName(typeFilter).toLowerCase()} domains`,
          'Add a push domain for encoders and a playback domain for viewers, then point each at its CNAME target.',
          button('Add Domain', () => addDomainDialog(ctx, () => void load()), { kind: 'primary' }),
        ),
        'Domains',
      );
      return [rows, pager(Number(res.AllCount ?? 0), page, pageSize, (p) => ((page = p), void load()))];
    });
  void load();
  return h(
    'div',
    { class: 'page' },
    h('h1', { class: 'page-title' }, 'Domain Management'),
    card(null, [
      h(
        'div',
        { class: 'toolbar' },
        button('Add Domain', () => addDomainDialog(ctx, () => void load()), { kind: 'primary' }),
        tabs(
          [
            { label: 'All', href: '/console/domains', current: typeFilter === undefined },
            { label: 'Push domains', href: '/console/domains?type=push', current: typeFilter === 0 },
            { label: 'Playback domains', href: '/console/domains?type=play', current: typeFilter === 1 },
          ],
          ctx.navigate,
        ),
        button('Refresh', () => void load(), { title: 'Refresh the list and CNAME checks' }),
      ),
      body,
      h(
        'p',
        { class: 'note' },
        'The CNAME column is a live DNS lookup by the server: ✔ OK when the domain points at its CNAME target.',
      ),
    ]),
  );
}

/** The Domain Management page; `/console/domains/<name>` shows one domain. */
export const domainsPage: Page = {
  path: '/domains',
  title: 'Domain Management',
  render(ctx) {
    return ctx.rest ? domainDetail(ctx, ctx.rest) : listView(ctx);
  },
};
