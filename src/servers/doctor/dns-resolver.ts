/**
 * The doctor's DNS resolver (control/doctor/push-probe.ts DnsResolver) on node:dns/promises, asking the
 * servers of `domains.dnsServers` (empty = the system's), one try each, bounded by a timeout.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsResolver } from '../../control/doctor/push-probe.ts';

/** A resolver through `servers` whose every query gives up after `timeoutMs`. */
export function createDnsResolver(servers: readonly string[], timeoutMs = 2000): DnsResolver {
  const fresh = (): Resolver => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers.length > 0) resolver.setServers([...servers]);
    return resolver;
  };
  return {
    resolveCname: (name) => fresh().resolveCname(name),
    resolve4: (name) => fresh().resolve4(name),
    resolve6: (name) => fresh().resolve6(name),
  };
}
