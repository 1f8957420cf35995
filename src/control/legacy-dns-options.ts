/**
 * Transitional: the `dns: { servers, timeoutMs, tries }` option Domains took before the resolver was injected,
 * kept only because src/control/doctor/doctor.test.ts still passes it (engineer `doctor` owns that file).
 * Delete this file and DomainsOptions.dns once that test passes `resolver` (servers/dns/node-dns-resolver.ts):
 * it is the one import of node:dns left in control/.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsResolver } from './dns-resolver.ts';

/** The old option: DNS servers as `ip` or `ip:port` (empty: the system's), timeout and tries per query. */
export interface LegacyDnsOptions {
  readonly servers?: readonly string[];
  readonly timeoutMs?: number;
  readonly tries?: number;
}

/** A DnsResolver on node:dns for the old option (the same as servers/dns/node-dns-resolver.ts). */
export function legacyDnsResolver(options: LegacyDnsOptions): DnsResolver {
  const ask = async <T>(query: (resolver: Resolver) => Promise<T>): Promise<T> => {
    const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
    if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
    try {
      return await query(resolver);
    } finally {
      resolver.cancel();
    }
  };
  return {
    resolveCname: (name) => ask((r) => r.resolveCname(name)),
    resolveTxt: (name) => ask((r) => r.resolveTxt(name)),
  };
}
