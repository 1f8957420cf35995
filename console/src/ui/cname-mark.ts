// Its own file: the domain list and a domain's page both show it, and neither page imports the other.
import type { DomainInfo } from '../lib/domains.ts';
import { h } from './dom.ts';

/** The CNAME mark: a green "OK", or a red "Missing" / "Points elsewhere" saying where it points now. */
export function cnameMark(d: DomainInfo): HTMLElement {
  if (d.BCName === 1)
    return h(
      'span',
      { class: 'cname cname-ok', 'data-testid': 'cname-status' },
      h('span', { 'aria-hidden': 'true' }, '✔ '),
      'OK',
    );
  const text = d.CurrentCName ? `Points elsewhere (${d.CurrentCName})` : 'Missing';
  return h(
    'span',
    {
      class: 'cname cname-missing',
      'data-testid': 'cname-status',
      title: `Add the DNS record ${d.Name} CNAME ${d.TargetDomain}`,
    },
    h('span', { 'aria-hidden': 'true' }, '✖ '),
    text,
  );
}
