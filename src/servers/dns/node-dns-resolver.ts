/** The real DnsResolver (control/dns-resolver.ts): node:dns/promises, to the configured servers or the system's. */
import { Resolver } from 'node:dns/promises';
import type { DnsResolver } from '../../control/dns-resolver.ts';

/** Where the queries go (`domains.dnsServers`) and how long each may take. */
export interface NodeDnsOptions {
  /** DNS servers as `ip` or `ip:port`; empty or absent uses the system's resolvers. */
  readonly servers?: readonly string[];
  readonly timeoutMs?: number;
  readonly tries?: number;
}

/** A DnsResolver on node:dns: one Resolver per query, cancelled after it, so nothing lingers between checks. */
export function nodeDnsResolver(options: NodeDnsOptions = {}): DnsResolver {
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
    resolve4: (name) => ask((r) => r.resolve4(name)),
    resolve6: (name) => ask((r) => r.resolve6(name)),
  };
}
