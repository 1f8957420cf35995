/**
 * One domain: its state and CNAME, and its push or play authentication (Tencent's Push/Playback
 * Configuration > Authentication): on/off, master and backup keys, validity after txTime, and key
 * rotation that keeps the old key as the backup so URLs already handed out stay valid.
 */
import { authOf, setAuth, typeName, type AuthInfo, type DomainInfo } from '../lib/domains.ts';
import { formatApiTime, formatDuration } from '../lib/format.ts';
import { randomKey } from '../lib/stream-urls.ts';
import { alert, button, card, field, modal, tag, toast } from '../ui/components.ts';
import { errorText, fill } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import type { PageContext } from './page.ts';
import { cnameMark } from '../ui/cname-mark.ts';

function masked(key: string): string {
  return key ? `${key.slice(0, 4)}${'•'.repeat(Math.max(4, key.length - 4))}` : '(none)';
}

function keyRow(label: string, key: string): HTMLElement {
  const value = h('span', { class: 'mono' }, masked(key));
  let shown = false;
  const toggle = button(
    'Show',
    () => {
      shown = !shown;
      value.textContent = shown ? key || '(none)' : masked(key);
      toggle.textContent = shown ? 'Hide' : 'Show';
    },
    { kind: 'link', title: `Show or hide the ${label.toLowerCase()}` },
  );
  return h(
    'div',
    { class: 'kv' },
    h('span', { class: 'kv-key' }, label),
    h('span', { class: 'kv-value' }, value, key ? toggle : null),
  );
}

function editAuthDialog(ctx: PageContext, d: DomainInfo, auth: AuthInfo, done: () => void): void {
  const enabled = h('input', { type: 'checkbox', checked: auth.enabled, id: 'auth-enabled' });
  const key = h('input', {
    class: 'input mono',
    value: auth.key,
    autocomplete: 'off',
    spellcheck: 'false',
    pattern: '[A-Za-z0-9]{1,64}',
    required: true,
  });
  const backup = h('input', {
    class: 'input mono',
    value: auth.backupKey,
    autocomplete: 'off',
    spellcheck: 'false',
    pattern: '[A-Za-z0-9]{0,64}',
  });
  const delta = h('input', {
    class: 'input',
    type: 'number',
    min: 0,
    max: 31536000,
    value: String(auth.authDelta),
    required: true,
  });
  const message = h('div');
  const form = h(
    'form',
    { id: 'auth-form', onsubmit: (ev: SubmitEvent) => (ev.preventDefault(), void save()) },
    h('label', { class: 'checkbox' }, enabled, `Check signatures on ${d.Type === 0 ? 'push' : 'playback'} URLs`),
    field('Master key', key, '1 to 64 letters and digits.'),
    field('Backup key', backup, 'Optional. URLs signed with either key are accepted.'),
    field('Valid after txTime (seconds)', delta, 'AuthDelta: how long after its txTime a URL is still accepted.'),
    message,
  );
  const close = modal(`${typeName(d.Type)} Authentication`, form, (close) => [
    button('Cancel', close),
    h('button', { class: 'btn btn-primary', type: 'submit', form: 'auth-form' }, 'Save'),
  ]);
  async function save(): Promise<void> {
    try {
      await setAuth(ctx.api, d.Name, d.Type, {
        enabled: enabled.checked,
        key: key.value.trim(),
        backupKey: backup.value.trim(),
        authDelta: Number(delta.value),
      });
      close();
      toast('Authentication saved.', 'success');
      done();
    } catch (err) {
      replace(message, alert('error', errorText(err)));
    }
  }
}

function rotateDialog(ctx: PageContext, d: DomainInfo, auth: AuthInfo, done: () => void): void {
  modal(
    'Rotate Key',
    h(
      'p',
      null,
      'A new master key is generated and the current one becomes the backup key, so URLs already signed with it keep working until they expire. The old backup key stops working.',
    ),
    (close) => [
      button('Cancel', close),
      button(
        'Rotate',
        async () => {
          try {
            await setAuth(ctx.api, d.Name, d.Type, { key: randomKey(), backupKey: auth.key });
            toast('Key rotated; the old key is now the backup key.', 'success');
          } catch (err) {
            toast(errorText(err), 'error');
          }
          close();
          done();
        },
        { kind: 'primary' },
      ),
    ],
  );
}

/** The page of domain `name`. */
export function domainDetail(ctx: PageContext, name: string): HTMLElement {
  const info = h('div');
  const authBody = h('div');
  const load = async (): Promise<void> => {
    let domain: DomainInfo | undefined;
    await fill(info, async () => {
      domain = (await ctx.api.call('DescribeLiveDomain', { DomainName: name })).DomainInfo as DomainInfo;
      const d = domain;
      return h(
        'div',
        { class: 'kvs' },
        h(
          'div',
          { class: 'kv' },
          h('span', { class: 'kv-key' }, 'Type'),
          h('span', { class: 'kv-value' }, `${typeName(d.Type)} domain`),
        ),
        h(
          'div',
          { class: 'kv' },
          h('span', { class: 'kv-key' }, 'Status'),
          h('span', { class: 'kv-value' }, d.Status === 1 ? tag('Enabled', 'success') : tag('Disabled', 'neutral')),
        ),
        h(
          'div',
          { class: 'kv' },
          h('span', { class: 'kv-key' }, 'CNAME target'),
          h('span', { class: 'kv-value mono' }, d.TargetDomain),
        ),
        h(
          'div',
          { class: 'kv' },
          h('span', { class: 'kv-key' }, 'CNAME'),
          h(
            'span',
            { class: 'kv-value' },
            cnameMark(d),
            d.BCName === 1
              ? null
              : h('span', { class: 'note' }, ` Add the DNS record: ${d.Name} CNAME ${d.TargetDomain}`),
          ),
        ),
        h(
          'div',
          { class: 'kv' },
          h('span', { class: 'kv-key' }, 'Created'),
          h('span', { class: 'kv-value' }, formatApiTime(d.CreateTime)),
        ),
      );
    });
    if (!domain) return replace(authBody);
    const d = domain;
    await fill(authBody, async () => {
      const auth = await authOf(ctx.api, d.Name, d.Type);
      return [
        h(
          'div',
          { class: 'kvs' },
          h(
            'div',
            { class: 'kv' },
            h('span', { class: 'kv-key' }, 'Authentication'),
            h(
              'span',
              { class: 'kv-value', 'data-testid': 'auth-state' },
              auth.enabled ? tag('On', 'success') : tag('Off', 'neutral'),
            ),
          ),
          keyRow('Master key', auth.key),
          keyRow('Backup key', auth.backupKey),
          h(
            'div',
            { class: 'kv' },
            h('span', { class: 'kv-key' }, 'Valid after txTime'),
            h('span', { class: 'kv-value' }, `${auth.authDelta} s (${formatDuration(auth.authDelta)})`),
          ),
        ),
        h(
          'div',
          { class: 'toolbar' },
          button('Edit', () => editAuthDialog(ctx, d, auth, () => void load()), { kind: 'primary' }),
          button('Rotate key', () => rotateDialog(ctx, d, auth, () => void load())),
          button('Generate URLs', () =>
            ctx.navigate(`/console/address?${d.Type === 0 ? 'push' : 'play'}=${encodeURIComponent(d.Name)}`),
          ),
        ),
      ];
    });
  };
  void load();
  return h(
    'div',
    { class: 'page' },
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h(
        'a',
        {
          href: '/console/domains',
          onclick: (ev: MouseEvent) => (ev.preventDefault(), ctx.navigate('/console/domains')),
        },
        'Domain Management',
      ),
      ' / ',
      h('span', { class: 'mono' }, name),
    ),
    h('h1', { class: 'page-title mono' }, name),
    card('Basic Information', info),
    card('Authentication', authBody),
  );
}
