/** What every page gets from the shell, and what it gives back. */
import type { ApiClient } from '../lib/api.ts';
import type { ServerInfo } from '../lib/server-info.ts';

/** The shell's services for one page view; everything registered here stops when the user leaves. */
export interface PageContext {
  readonly api: ApiClient;
  /** The path's query (`?domain=...`). */
  readonly query: URLSearchParams;
  /** The part of the path after the page's own (`/domains/<name>` gives `<name>`). */
  readonly rest: string;
  /** Server info, fetched at most every 30 s. */
  info(): Promise<ServerInfo>;
  /** Goes to a console path (`/console/...`). */
  navigate(href: string): void;
  /** Runs `fn` now and every `ms` while the page is shown and the tab visible; never two at once. */
  every(ms: number, fn: () => Promise<void> | void): void;
  /** Runs `fn` when the user leaves the page. */
  onLeave(fn: () => void): void;
}

/** A page: its title in the menu and header, and how it renders. */
export interface Page {
  readonly path: string;
  readonly title: string;
  render(ctx: PageContext): HTMLElement;
}
