/**
 * Whether a domain's DNS points where openlive asked (the console's "CNAME" column, Tencent
 * DomainInfo BCName/CurrentCName): one CNAME query for the domain, compared with its target.
 */
import { Resolver } from 'node:dns/promises';
import { LiveError } from '../errors.ts';

/** configured: the CNAME is the target; missing: no CNAME; elsewhere: a CNAME to another host. */
export interface CnameStatus {
  readonly status: 'configured' | 'missing' | 'elsewhere';
  readonly target: string;
  /** The CNAME the domain has now, when it has one. */
  readonly current?: string;
}

/** Where the CNAME queries go. */
export interface CnameCheckOptions {
  /** DNS servers as `ip` or `ip:port`; empty or absent uses the system's resolvers. */
  readonly servers?: readonly string[];
  readonly timeoutMs?: number;
  readonly tries?: number;
}

/** The answers that mean "the name has no CNAME" rather than "we could not ask". */
const noRecord = new Set(['ENODATA', 'ENOTFOUND']);

/** Asks DNS for the CNAME of `domain` and compares it with `target`. */
export async function checkCname(
  domain: string,
  target: string,
  options: CnameCheckOptions = {},
): Promise<CnameStatus> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  let names: string[];
  try {
    names = await resolver.resolveCname(domain);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (noRecord.has(code)) return { status: 'missing', target };
    throw new LiveError('CNAME_LOOKUP_FAILED', `the CNAME query for ${domain} failed (${code || String(err)})`, {
      cause: err,
    });
  } finally {
    resolver.cancel();
  }
  const current = names[0];
  if (current === undefined) return { status: 'missing', target };
  const same = normalise(current) === normalise(target);
  return { status: same ? 'configured' : 'elsewhere', target, current: normalise(current) };
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
