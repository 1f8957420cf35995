/** The console's small components, styled after Tencent Cloud's console (styles.css). */
import { h, replace, uid, type Child } from './dom.ts';

/**
 * A button; `kind` picks primary (blue), danger (red), link (text) or the default (outlined). An async
 * `onclick` whose promise rejects shows the error as a toast instead of an unhandled rejection.
 */
export function button(
  label: Child,
  onclick: (ev: MouseEvent) => void | Promise<void>,
  options: {
    kind?: 'primary' | 'danger' | 'link';
    title?: string;
    disabled?: boolean;
    type?: string;
    testId?: string;
  } = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      type: options.type ?? 'button',
      class: `btn${options.kind ? ` btn-${options.kind}` : ''}`,
      title: options.title,
      'aria-label': options.title,
      disabled: options.disabled ?? false,
      'data-testid': options.testId,
      // Refreshed lists give the keyboard focus back to the control with the same key (ui/async.ts).
      'data-key': options.title ?? (typeof label === 'string' ? label : undefined),
      onclick: (ev: MouseEvent) => {
        const done = onclick(ev);
        if (done) done.catch((err: unknown) => toast(err instanceof Error ? err.message : String(err), 'error'));
      },
    },
    label,
  );
}

/** A status pill: success (green), danger (red), warning (orange) or neutral (gray). */
export function tag(
  text: string,
  kind: 'success' | 'danger' | 'warning' | 'neutral' | 'info' = 'neutral',
): HTMLElement {
  return h('span', { class: `tag tag-${kind}` }, text);
}

/** A white card with an optional title and tools on the right. */
export function card(title: Child, body: Child, tools?: Child): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    title
      ? h('div', { class: 'card-head' }, h('h2', null, title), tools ? h('div', { class: 'card-tools' }, tools) : null)
      : null,
    h('div', { class: 'card-body' }, body),
  );
}

/** An empty state that says what to do next. */
export function emptyState(title: string, hint: Child, action?: Child): HTMLElement {
  return h(
    'div',
    { class: 'empty', role: 'status' },
    h('p', { class: 'empty-title' }, title),
    h('p', { class: 'empty-hint' }, hint),
    action ?? null,
  );
}

/** An inline message: an error (with its Tencent code), a warning or a note. */
export function alert(kind: 'error' | 'warning' | 'info' | 'success', message: Child): HTMLElement {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
}

/** A column of a table: a header and how a row renders in it. */
export interface Column<T> {
  readonly title: string;
  readonly render: (row: T) => Child;
  readonly className?: string;
}

/** A table that scrolls sideways on narrow screens; `empty` shows when there are no rows. */
export function table<T>(columns: readonly Column<T>[], rows: readonly T[], empty: Child, label: string): HTMLElement {
  if (rows.length === 0) return h('div', { class: 'table-empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label },
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) => h('th', { scope: 'col', class: c.className }, c.title)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          h(
            'tr',
            null,
            columns.map((c) => h('td', { class: c.className, 'data-label': c.title }, c.render(row))),
          ),
        ),
      ),
    ),
  );
}

/** Page controls for a list of `total` items; hidden when everything fits on one page. */
export function pager(
  total: number,
  page: number,
  pageSize: number,
  onPage: (page: number) => void,
): HTMLElement | null {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h('span', { class: 'pager-total' }, `${total} in total`),
    pages > 1
      ? [
          button('‹ Previous', () => onPage(page - 1), { disabled: page <= 1, title: 'Previous page' }),
          h('span', { class: 'pager-page', 'aria-live': 'polite' }, `Page ${page} of ${pages}`),
          button('Next ›', () => onPage(page + 1), { disabled: page >= pages, title: 'Next page' }),
        ]
      : null,
  );
}

/** A labelled form control. */
export function field(label: string, control: HTMLElement, hint?: Child): HTMLElement {
  const id = control.id || uid('f');
  control.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'field-hint' }, hint) : null,
  );
}

/** A read-only value with a copy button: URLs, stream keys. */
export function copyField(label: string, value: string, testId?: string): HTMLElement {
  const input = h('input', { class: 'input mono', readonly: true, value, 'data-testid': testId, 'aria-label': label });
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const copy = button(
    'Copy',
    () => {
      void copyText(value).then((ok) => {
        status.textContent = ok ? 'Copied' : 'Select and copy by hand';
        setTimeout(() => (status.textContent = ''), 2000);
      });
    },
    { title: `Copy ${label}` },
  );
  return h('div', { class: 'field' }, h('label', null, label), h('div', { class: 'copy-row' }, input, copy, status));
}

/** Copies text; the Clipboard API needs a secure context, so plain-HTTP admin addresses use a selection. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission refused: fall back on the selection.
  }
  const area = h('textarea', { class: 'offscreen', readonly: true }, text);
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

/** A modal dialog on `<dialog>` (focus kept inside and Esc to close, by the browser). Returns a closer. */
export function modal(title: string, body: Child, actions: (close: () => void) => Child): () => void {
  const titleId = uid('dlg');
  const dialog = h('dialog', { class: 'modal', 'aria-labelledby': titleId });
  const close = (): void => {
    dialog.close();
    dialog.remove();
  };
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    close();
  });
  replace(
    dialog,
    h('h2', { id: titleId, class: 'modal-title' }, title),
    h('div', { class: 'modal-body' }, body),
    h('div', { class: 'modal-actions' }, actions(close)),
  );
  document.body.append(dialog);
  dialog.showModal();
  return close;
}

/** A transient message at the bottom of the screen, read out by screen readers. */
export function toast(message: string, kind: 'success' | 'error' | 'info' = 'info'): void {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** A spinner line while data loads. */
export function loading(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/** Tabs as links in a row; the current one is marked for assistive technology. */
export function tabs(
  items: readonly { label: string; href: string; current: boolean }[],
  navigate: (href: string) => void,
): HTMLElement {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Sections' },
    items.map((t) =>
      h(
        'a',
        {
          href: t.href,
          class: `tab${t.current ? ' tab-current' : ''}`,
          'aria-current': t.current ? 'page' : undefined,
          onclick: (ev: MouseEvent) => {
            if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
            ev.preventDefault();
            navigate(t.href);
          },
        },
        t.label,
      ),
    ),
  );
}
