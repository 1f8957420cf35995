/**
 * Domain ownership by a TXT record (Tencent AuthenticateDomainOwner, VerifyType dnsCheck): the operator
 * puts the content openlive hands out into a TXT record at `cssauth.<main domain>`, as Tencent's console
 * asks; one TXT query compares it. Like control/cname-check.ts, it asks the injected DnsResolver.
 */
import { LiveError } from '../errors.ts';
import { dnsErrorCode, noRecordCodes, type DnsResolver } from './dns-resolver.ts';

/** The host record Tencent asks for: the TXT record lives at `cssauth.<main domain>`. */
export const ownerRecordLabel = 'cssauth';

/** Second-level labels under which registrable domains have three labels (a short list, not the PSL). */
const secondLevel = new Set([
  'com.cn',
  'net.cn',
  'org.cn',
  'gov.cn',
  'edu.cn',
  'com.hk',
  'com.tw',
  'co.uk',
  'org.uk',
  'co.jp',
  'com.au',
  'com.sg',
]);

/** The main (registrable) domain of `name`: `play.live.example.com` → `example.com`, `a.example.com.cn` → `example.com.cn`. */
export function mainDomainOf(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  const lastTwo = labels.slice(-2).join('.');
  return labels.slice(secondLevel.has(lastTwo) ? -3 : -2).join('.');
}

/**
 * Whether a TXT record at `name` holds exactly `expected` (the strings of a record joined, RFC 7208 §3.3
 * style). Throws TXT_LOOKUP_FAILED when DNS does not answer.
 */
export async function hasTxtRecord(name: string, expected: string, resolver: DnsResolver): Promise<boolean> {
  let records: string[][];
  try {
    records = await resolver.resolveTxt(name);
  } catch (err) {
    const code = dnsErrorCode(err);
    if (noRecordCodes.has(code)) return false;
    throw new LiveError('TXT_LOOKUP_FAILED', `the TXT query for ${name} failed (${code || String(err)})`, {
      cause: err,
    });
  }
  return records.some((parts) => parts.join('').trim() === expected);
}
