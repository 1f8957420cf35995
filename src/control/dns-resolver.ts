/**
 * The DNS queries control/ makes (the CNAME check, the TXT ownership check), as an interface: node:dns's
 * Resolver is the real one, built at the edge (servers/dns/node-dns-resolver.ts); tests pass a stub.
 */

/**
 * Answers CNAME and TXT queries like node:dns/promises `Resolver`: a name without such a record rejects
 * with `code` ENODATA or ENOTFOUND, a server that cannot be asked with another code (ETIMEOUT, ESERVFAIL...).
 */
export interface DnsResolver {
  /** The CNAME targets of `name`. */
  resolveCname(name: string): Promise<string[]>;
  /** The TXT records of `name`: one array of strings per record. */
  resolveTxt(name: string): Promise<string[][]>;
  /** The IPv4 addresses of `name` (the doctor's DNS check); absent in resolvers that only answer CNAME/TXT. */
  resolve4?(name: string): Promise<string[]>;
  /** The IPv6 addresses of `name`. */
  resolve6?(name: string): Promise<string[]>;
}

/** The answers that mean "the name has no such record" rather than "we could not ask". */
export const noRecordCodes: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND']);

/** The `code` of a resolver's rejection ('' when it has none). */
export function dnsErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** A resolver whose every query fails with `code` (ETIMEOUT by default): a DNS that does not answer. */
export function unansweredResolver(code = 'ETIMEOUT'): DnsResolver {
  const fail = (name: string): Promise<never> =>
    Promise.reject(Object.assign(new Error(`no DNS answer for ${name}`), { code }));
  return { resolveCname: fail, resolveTxt: fail };
}
