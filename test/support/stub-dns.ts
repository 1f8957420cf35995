/**
 * A DnsResolver (src/control/dns-resolver.ts) answering from a table the test writes, with node:dns's
 * error codes: ENOTFOUND for unknown names, ENODATA for a name without that record, ESERVFAIL or
 * ETIMEOUT when told to fail. The same table shape as test/dns/dns-server.ts, without a socket or a wait.
 */
import type { DnsResolver } from '../../src/control/dns-resolver.ts';
import type { DnsEntry } from '../dns/dns-server.ts';

/** One name's records; `txt` is one array of strings per record. */
export interface StubDnsEntry extends DnsEntry {
  readonly txt?: readonly (readonly string[])[];
  readonly aaaa?: readonly string[];
}

/** A resolver answering at once from `set()` entries; `queries` lists `name/TYPE` (CNAME, TXT, A, AAAA) in order. */
export class StubDns implements DnsResolver {
  readonly queries: string[] = [];
  private readonly records = new Map<string, StubDnsEntry>();

  /** Sets (replaces) the records of `name`. */
  set(name: string, entry: StubDnsEntry): this {
    this.records.set(name.toLowerCase(), entry);
    return this;
  }

  resolveCname(name: string): Promise<string[]> {
    return this.answer(name, 'CNAME', (e) => (e.cname === undefined ? undefined : [e.cname]));
  }

  resolveTxt(name: string): Promise<string[][]> {
    return this.answer(name, 'TXT', (e) => (e.txt === undefined ? undefined : e.txt.map((r) => [...r])));
  }

  resolve4(name: string): Promise<string[]> {
    return this.answer(name, 'A', (e) => (e.a === undefined ? undefined : [...e.a]));
  }

  resolve6(name: string): Promise<string[]> {
    return this.answer(name, 'AAAA', (e) => (e.aaaa === undefined ? undefined : [...e.aaaa]));
  }

  private answer<T>(name: string, type: string, pick: (e: StubDnsEntry) => T | undefined): Promise<T> {
    const key = name.toLowerCase().replace(/\.$/, '');
    this.queries.push(`${key}/${type}`);
    const entry = this.records.get(key);
    if (!entry) return fail('ENOTFOUND', name);
    // What node:dns reports for a dropped query once its tries run out, and for a SERVFAIL answer.
    if (entry.fail === 'drop') return fail('ETIMEOUT', name);
    if (entry.fail === 'servfail') return fail('ESERVFAIL', name);
    const value = pick(entry);
    return value === undefined ? fail('ENODATA', name) : Promise.resolve(value);
  }
}

function fail(code: string, name: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(`query${code} ${name}`), { code }));
}
