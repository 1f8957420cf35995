/**
 * Admission of new sockets by count: a total cap and a per-client-address cap, with trusted networks
 * (an encoder farm, a CDN's edge) exempt from the per-address cap. One gate per listener.
 */
import { BlockList, isIP } from 'node:net';

/** Why a socket was refused, or undefined when it was admitted. */
export type GateRefusal = 'total' | 'per-ip' | undefined;

/** The caps of one listener. */
export interface ConnectionGateOptions {
  readonly maxTotal: number;
  /** 0 = no per-address cap. */
  readonly maxPerIp: number;
  /** CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses exempt from `maxPerIp`. */
  readonly trusted: readonly string[];
}

/** Counts open sockets per client address; `admit` and `release` are O(1). */
export class ConnectionGate {
  private readonly perIp = new Map<string, number>();
  private readonly trusted = new BlockList();
  private readonly options: ConnectionGateOptions;
  private total = 0;

  constructor(options: ConnectionGateOptions) {
    this.options = options;
    for (const entry of options.trusted) addTrusted(this.trusted, entry);
  }

  /** Open sockets admitted through this gate. */
  get open(): number {
    return this.total;
  }

  /** Distinct client addresses with an open socket (bounded by `open`). */
  get addresses(): number {
    return this.perIp.size;
  }

  /** Takes a slot for `ip`; the caller must `release(ip)` exactly once when that socket closes. */
  admit(ip: string): GateRefusal {
    if (this.total >= this.options.maxTotal) return 'total';
    const key = normalizeIp(ip);
    const held = this.perIp.get(key) ?? 0;
    if (this.options.maxPerIp > 0 && held >= this.options.maxPerIp && !this.isTrusted(key)) return 'per-ip';
    this.perIp.set(key, held + 1);
    this.total++;
    return undefined;
  }

  /** Gives back the slot `admit(ip)` took. */
  release(ip: string): void {
    const key = normalizeIp(ip);
    const held = this.perIp.get(key);
    if (held === undefined) return;
    if (held <= 1) this.perIp.delete(key);
    else this.perIp.set(key, held - 1);
    this.total--;
  }

  /** True when `ip` is inside one of the trusted networks. */
  isTrusted(ip: string): boolean {
    const key = normalizeIp(ip);
    const family = isIP(key);
    if (family === 0) return false;
    return this.trusted.check(key, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `::ffff:10.0.0.1` (a v4 client on a dual-stack socket) counts as `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Parses one trusted entry; a malformed one throws so the configuration error names it at start. */
function addTrusted(list: BlockList, entry: string): void {
  const [address, bits] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0) throw new Error(`not an IP address or CIDR block: "${entry}"`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) return list.addAddress(address!, type);
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new Error(`bad prefix length in "${entry}"`);
  }
  list.addSubnet(address!, prefix, type);
}
