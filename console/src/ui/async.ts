/** Loading data into a part of a page: a spinner first, then the content or the error with its code. */
import { ApiError } from '../lib/api.ts';
import { alert, loading } from './components.ts';
import { replace, type Child } from './dom.ts';

/** `CODE: message` of an API error, the message of anything else. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Fills `target` with what `load` renders; `quiet` (for refreshes) keeps the old content until the
 * new one is ready, so the page does not flicker every few seconds.
 */
export async function fill(target: HTMLElement, load: () => Promise<Child>, quiet = false): Promise<void> {
  if (!quiet || target.childElementCount === 0) replace(target, loading());
  try {
    const content = await load();
    // Keep the keyboard focus on a control that is re-rendered in place (the same data-key).
    const focused =
      document.activeElement instanceof HTMLElement && target.contains(document.activeElement)
        ? document.activeElement.dataset.key
        : undefined;
    replace(target, content);
    if (focused) target.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  } catch (err) {
    replace(target, alert('error', errorText(err)));
  }
}
