/**
 * Domain ownership by a TXT record (Tencent AuthenticateDomainOwner, VerifyType dnsCheck): the operator
 * puts the content openlive hands out into a TXT record at `cssauth.<main domain>`, as Tencent's console
 * asks; one TXT query compares it. Like control/cname-check.ts, the resolver is injectable for tests.
 */
import { Resolver } from 'node:dns/promises';
import { LiveError } from '../errors.ts';
import type { CnameCheckOptions } from './cname-check.ts';

/** Answers a TXT query: one array of strings per record (node:dns `resolveTxt`). */
export type TxtResolve = (name: string) => Promise<string[][]>;

/** Where TXT queries go: the CNAME check's DNS servers, or an injected resolver. */
export interface TxtCheckOptions extends CnameCheckOptions {
  readonly resolveTxt?: TxtResolve;
}

/** The host record Tencent asks for: the TXT record lives at `cssauth.<main domain>`. */
export const ownerRecordLabel = 'cssauth';

/** The answers that mean "the name has no TXT record" rather than "we could not ask". */
const noRecord = new Set(['ENODATA', 'ENOTFOUND']);

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
export async function hasTxtRecord(name: string, expected: string, options: TxtCheckOptions = {}): Promise<boolean> {
  let records: string[][];
  try {
    records = await (options.resolveTxt ?? systemResolve(options))(name);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (noRecord.has(code)) return false;
    throw new LiveError('TXT_LOOKUP_FAILED', `the TXT query for ${name} failed (${code || String(err)})`, {
      cause: err,
    });
  }
  return records.some((parts) => parts.join('').trim() === expected);
}

function systemResolve(options: CnameCheckOptions): TxtResolve {
  return async (name) => {
    const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
    if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
    try {
      return await resolver.resolveTxt(name);
    } finally {
      resolver.cancel();
    }
  };
}
