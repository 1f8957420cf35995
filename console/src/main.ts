/**
 * The console's shell: sign-in gate, top bar, side menu, and a history router under /console/.
 * Pages render into <main>; leaving a page stops its refresh timers (PageContext.every).
 */
import './styles.css';
import { ApiClient } from './lib/api.ts';
import { clearSession, loadCredential, saveCredential, type Credential } from './lib/session.ts';
import { serverInfo, type ServerInfo } from './lib/server-info.ts';
import { h, replace } from './ui/dom.ts';
import { toast } from './ui/components.ts';
import type { Page, PageContext } from './pages/page.ts';
import { loginPage } from './pages/login.ts';
import { overviewPage } from './pages/overview.ts';
import { domainsPage } from './pages/domains.ts';
import { liveStreamsPage } from './pages/live-streams.ts';
import { recordingsPage } from './pages/recordings.ts';
import { disabledStreamsPage } from './pages/disabled-streams.ts';
import { addressPage } from './pages/address.ts';
import { eventsPage } from './pages/events.ts';
import { troubleshooterPage } from './pages/troubleshooter.ts';

const base = '/console';

/** The menu: top-level pages and one group, in Tencent's order. */
const menu: readonly (Page | { group: string; pages: readonly Page[] })[] = [
  overviewPage,
  domainsPage,
  { group: 'Stream Management', pages: [liveStreamsPage, disabledStreamsPage, recordingsPage] },
  addressPage,
  eventsPage,
  troubleshooterPage,
];
const pages: readonly Page[] = menu.flatMap((m) => ('group' in m ? m.pages : [m]));

let api: ApiClient | undefined;
let leave: (() => void)[] = [];
let cachedInfo: { at: number; info: Promise<ServerInfo> } | undefined;

function path(): string {
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return p === '' || p === '/' ? '/overview' : p.replace(/\/+$/, '');
}

/** Goes to a console path, keeping history. */
export function navigate(href: string): void {
  if (href !== location.pathname + location.search) history.pushState(null, '', href);
  render();
}

function link(page: Page, current: string): HTMLElement {
  const active = current === page.path || current.startsWith(`${page.path}/`);
  return h(
    'a',
    {
      href: base + page.path,
      class: `nav-link${active ? ' nav-current' : ''}`,
      'aria-current': active ? 'page' : undefined,
      onclick: (ev: MouseEvent) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
        ev.preventDefault();
        document.body.classList.remove('nav-open');
        navigate(base + page.path);
      },
    },
    page.title,
  );
}

function sidebar(current: string): HTMLElement {
  return h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': 'Console menu' },
    h(
      'ul',
      null,
      menu.map((m) =>
        'group' in m
          ? h(
              'li',
              null,
              h('span', { class: 'nav-group' }, m.group),
              h(
                'ul',
                null,
                m.pages.map((p) => h('li', null, link(p, current))),
              ),
            )
          : h('li', null, link(m, current)),
      ),
    ),
  );
}

function topbar(credential: Credential): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    h(
      'button',
      {
        class: 'menu-toggle',
        type: 'button',
        'aria-controls': 'sidebar',
        'aria-label': 'Menu',
        onclick: () => document.body.classList.toggle('nav-open'),
      },
      '☰',
    ),
    h(
      'a',
      {
        class: 'brand',
        href: `${base}/overview`,
        onclick: (ev: MouseEvent) => (ev.preventDefault(), navigate(`${base}/overview`)),
      },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'),
      'openlive',
      h('span', { class: 'brand-product' }, 'Cloud Streaming Services'),
    ),
    h(
      'div',
      { class: 'topbar-user' },
      h('span', { class: 'secret-id mono', title: 'Signed in with this SecretId' }, credential.secretId),
      h('button', { class: 'btn btn-link topbar-signout', type: 'button', onclick: signOut }, 'Sign out'),
    ),
  );
}

function signOut(): void {
  clearSession();
  api = undefined;
  cachedInfo = undefined;
  history.pushState(null, '', `${base}/login`);
  render();
}

function context(client: ApiClient, rest: string): PageContext {
  return {
    api: client,
    query: new URLSearchParams(location.search),
    rest,
    info() {
      if (!cachedInfo || Date.now() - cachedInfo.at > 30_000) {
        const info = serverInfo(client);
        cachedInfo = { at: Date.now(), info };
        info.catch(() => (cachedInfo = undefined));
      }
      return cachedInfo.info;
    },
    navigate,
    every(ms, fn) {
      let running = false;
      const tick = async (): Promise<void> => {
        if (running || document.hidden) return;
        running = true;
        try {
          await fn();
        } catch (err) {
          console.warn('refresh failed', err);
        } finally {
          running = false;
        }
      };
      void tick();
      const timer = setInterval(() => void tick(), ms);
      leave.push(() => clearInterval(timer));
    },
    onLeave(fn) {
      leave.push(fn);
    },
  };
}

function render(): void {
  for (const fn of leave) fn();
  leave = [];
  const root = document.getElementById('app')!;
  const credential = loadCredential();
  const current = path();
  if (!credential || current === '/login') {
    document.title = 'Sign in · openlive console';
    replace(
      root,
      loginPage(async (c) => signIn(c)),
    );
    return;
  }
  api ??= newClient(credential);
  const page = pages.find((p) => current === p.path || current.startsWith(`${p.path}/`));
  const main = h('main', { class: 'main', id: 'main', tabindex: -1 });
  replace(
    root,
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    topbar(credential),
    h('div', { class: 'layout' }, sidebar(current), main),
  );
  if (!page) {
    document.title = 'Not found · openlive console';
    replace(
      main,
      h('h1', { class: 'page-title' }, 'Page not found'),
      h('p', null, 'This console has no such page. ', h('a', { href: `${base}/overview` }, 'Go to the Overview.')),
    );
    return;
  }
  document.title = `${page.title} · openlive console`;
  const rest = current.slice(page.path.length).replace(/^\//, '');
  replace(main, page.render(context(api, decodeURIComponent(rest))));
}

function newClient(credential: Credential): ApiClient {
  const client = new ApiClient(credential);
  client.onAuthFailure = (err) => {
    toast(`${err.code}: ${err.message} Sign in again.`, 'error');
    signOut();
  };
  return client;
}

/** Checks a key pair with a cheap signed call; stores it only when the server accepts it. */
async function signIn(credential: Credential): Promise<void> {
  const client = new ApiClient(credential);
  await serverInfo(client);
  saveCredential(credential);
  api = newClient(credential);
  cachedInfo = undefined;
  // Signing in from a deep link (a reloaded tab) stays on that page; from /login it goes to the Overview.
  if (path() === '/login') history.replaceState(null, '', `${base}/overview`);
  render();
}

window.addEventListener('popstate', render);
render();
