/**
 * Whether a domain's DNS points where openlive asked (the console's "CNAME" column, Tencent
 * DomainInfo BCName/CurrentCName): one CNAME query for the domain, compared with its target.
 */
import { LiveError } from '../errors.ts';
import { dnsErrorCode, noRecordCodes, type DnsResolver } from './dns-resolver.ts';

/** configured: the CNAME is the target; missing: no CNAME; elsewhere: a CNAME to another host. */
export interface CnameStatus {
  readonly status: 'configured' | 'missing' | 'elsewhere';
  readonly target: string;
  /** The CNAME the domain has now, when it has one. */
  readonly current?: string;
}

/** Asks `resolver` for the CNAME of `domain` and compares it with `target`; CNAME_LOOKUP_FAILED when DNS does not answer. */
export async function checkCname(domain: string, target: string, resolver: DnsResolver): Promise<CnameStatus> {
  let names: string[];
  try {
    names = await resolver.resolveCname(domain);
  } catch (err) {
    const code = dnsErrorCode(err);
    if (noRecordCodes.has(code)) return { status: 'missing', target };
    throw new LiveError('CNAME_LOOKUP_FAILED', `the CNAME query for ${domain} failed (${code || String(err)})`, {
      cause: err,
    });
  }
  const current = names[0];
  if (current === undefined) return { status: 'missing', target };
  const same = normalise(current) === normalise(target);
  return { status: same ? 'configured' : 'elsewhere', target, current: normalise(current) };
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
