/**
 * Referer allow/deny lists of play domains (Tencent DescribeLiveDomainReferer / ModifyLiveDomainReferer,
 * RefererAuthConfig): which Referer header values may play over HTTP-FLV, WS-FLV and HLS. RTMP and SRT
 * players send no Referer, so their requests carry none and are never checked.
 */
import { LiveError } from '../errors.ts';
import type { RefererSettings } from '../store/store.ts';
import type { Refusal } from './access.ts';
import { breakCodes, quoted } from './break-codes.ts';
import { refusal } from './reasons.ts';

/** The most rules one list holds (Tencent's console caps the list too; a longer one is an input error). */
export const maxRefererRules = 200;
/** The longest rule, in characters (a host name is at most 253). */
export const maxRefererRuleLength = 256;

const rulePattern = /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/;

/**
 * Parses Tencent's `Rules` text: host patterns separated by `;` (`example.com`, `*.example.com`, an optional
 * port); a rule written as a URL (`https://example.com/page`) keeps its host. Throws REFERER_RULES_INVALID.
 */
export function parseRefererRules(text: string): string[] {
  const rules: string[] = [];
  for (const raw of text.split(';')) {
    let rule = raw.trim().toLowerCase();
    if (rule === '') continue;
    if (rule.length > maxRefererRuleLength)
      throw new LiveError(
        'REFERER_RULES_INVALID',
        `the referer rule ${quoted(rule.slice(0, 40))}... is longer than ${maxRefererRuleLength} characters`,
      );
    if (rule.includes('://')) rule = rule.slice(rule.indexOf('://') + 3);
    rule = rule.split('/')[0] ?? '';
    if (!rulePattern.test(rule))
      throw new LiveError(
        'REFERER_RULES_INVALID',
        `the referer rule ${quoted(raw.trim())} is not a host such as example.com or *.example.com`,
      );
    if (!rules.includes(rule)) rules.push(rule);
  }
  if (rules.length > maxRefererRules)
    throw new LiveError(
      'REFERER_RULES_INVALID',
      `the referer list has ${rules.length} rules; at most ${maxRefererRules} are allowed`,
    );
  return rules;
}

/** The host (with its port, if any) a Referer header names; '' when the header is empty or not a URL. */
export function refererHost(header: string): string {
  const value = header.trim();
  if (value === '') return '';
  try {
    return new URL(value).host.toLowerCase();
  } catch {
    // Some players send a bare host ("example.com/page"): read it as such.
    return (value.split('/')[0] ?? '').toLowerCase();
  }
}

/** Whether `host` matches `rule`: exactly, or as a subdomain of `*.rule`; a rule without a port matches every port. */
export function refererMatches(host: string, rule: string): boolean {
  const hostNoPort = host.replace(/:\d+$/, '');
  const target = /:\d+$/.test(rule) ? host : hostNoPort;
  if (rule.startsWith('*.')) {
    const base = rule.slice(2);
    return target.endsWith(`.${base}`);
  }
  return target === rule;
}

/**
 * The refusal of a play whose Referer the domain's list does not let through (REFERER_DENIED, 403), or
 * undefined when it may play. `referer` undefined means the transport has no such header (RTMP, SRT).
 */
export function refererRefusal(
  settings: RefererSettings | undefined,
  referer: string | undefined,
): Refusal | undefined {
  if (!settings?.enabled || referer === undefined) return undefined;
  const host = refererHost(referer);
  if (host === '') {
    if (settings.allowEmpty) return undefined;
    return refusal(
      'REFERER_DENIED',
      breakCodes.refererDenied,
      "a play without a Referer is refused by this domain's referer list (AllowEmpty 0)",
    );
  }
  const listed = settings.rules.some((rule) => refererMatches(host, rule));
  if (settings.type === 'allow' && !listed) {
    return refusal(
      'REFERER_DENIED',
      breakCodes.refererDenied,
      `the Referer host ${quoted(host)} is not on this domain's referer allow list`,
    );
  }
  if (settings.type === 'deny' && listed) {
    return refusal(
      'REFERER_DENIED',
      breakCodes.refererDenied,
      `the Referer host ${quoted(host)} is on this domain's referer deny list`,
    );
  }
  return undefined;
}
