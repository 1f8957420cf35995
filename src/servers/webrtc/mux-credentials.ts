/**
 * The ICE credentials the single-port muxes (UDP and TCP) find a session by: a Binding request's USERNAME
 * `serverUfrag:clientUfrag` (RFC 8445 §7.2.2) names it and its MESSAGE-INTEGRITY must verify with the
 * session's ice-pwd (RFC 8489 §14.5). After an ICE restart a session has two generations of credentials.
 */
import { integrityMatches, splitUsername, type BindingRequest } from '../../protocol/stun/stun-binding.ts';

/** The ICE credentials a session is found and verified by. */
export interface IceCredentials {
  readonly serverUfrag: string;
  readonly clientUfrag: string;
  readonly serverPassword: string;
}

/** One generation's USERNAME (`serverUfrag:clientUfrag`) and the password its checks are keyed with. */
export interface Credential {
  readonly username: string;
  readonly password: string;
}

/** The USERNAME and password of a set of credentials. */
export function credentialOf(c: IceCredentials): Credential {
  return { username: `${c.serverUfrag}:${c.clientUfrag}`, password: c.serverPassword };
}

/**
 * Session lookups by USERNAME, shared by the UDP and the TCP mux: each entry has its current
 * credential and, after an ICE restart, the previous one.
 */
export class CredentialTable<E extends { credentials: Credential[] }> {
  readonly #byUsername = new Map<string, E[]>();

  /** Entries registered now. */
  get size(): number {
    const all = new Set<E>();
    for (const list of this.#byUsername.values()) for (const e of list) all.add(e);
    return all.size;
  }

  /** Every entry (a copy: callers remove while iterating). */
  entries(): E[] {
    const all = new Set<E>();
    for (const list of this.#byUsername.values()) for (const e of list) all.add(e);
    return [...all];
  }

  add(e: E): void {
    for (const c of e.credentials) this.#index(c.username, e);
  }

  /** Makes `c` the entry's current credential; the former current one is kept as the previous. */
  rekey(e: E, c: Credential): void {
    this.remove(e);
    e.credentials.splice(0, e.credentials.length, c, ...e.credentials.slice(0, 1));
    this.add(e);
  }

  remove(e: E): void {
    for (const c of e.credentials) {
      const rest = this.#byUsername.get(c.username)?.filter((x) => x !== e) ?? [];
      if (rest.length > 0) this.#byUsername.set(c.username, rest);
      else this.#byUsername.delete(c.username);
    }
  }

  /** The entry a verified Binding request belongs to (its MESSAGE-INTEGRITY checks with that entry's password). */
  verify(data: Buffer, req: BindingRequest): E | undefined {
    if (!splitUsername(req.username)) return undefined;
    return this.#byUsername
      .get(req.username)
      ?.find((e) => e.credentials.some((c) => c.username === req.username && integrityMatches(data, req, c.password)));
  }

  #index(username: string, e: E): void {
    const list = this.#byUsername.get(username);
    if (!list) this.#byUsername.set(username, [e]);
    else if (!list.includes(e)) list.push(e);
  }
}
