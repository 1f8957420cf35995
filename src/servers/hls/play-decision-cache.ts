/**
 * Remembers admissions of HLS requests for a second. An LL-HLS viewer asks three times a second for a
 * playlist and a part, and every viewer of a stream asks in the same instant when a part closes, so
 * the same signed URL would be checked against the store thousands of times a second.
 */
import type { Access, AccessDecision, PlayRequest } from '../../control/access.ts';

interface Entry {
  readonly decision: AccessDecision;
  readonly until: number;
}

// Bounded: past this many distinct URLs in one second, start over rather than grow.
const maxEntries = 10_000;

/** Access.checkPlay with admissions cached for `ttlMs`; refusals are never cached (they are recorded and slowed). */
export class PlayDecisionCache {
  readonly #access: Access;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(access: Access, now: () => number, ttlMs = 1000) {
    this.#access = access;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /**
   * The decision for `req`. A cached admission can outlive a URL's expiry or a domain change by at
   * most `ttlMs`; the client IP is not part of the key because play decisions do not depend on it.
   */
  async checkPlay(req: PlayRequest): Promise<AccessDecision> {
    const key = `${req.host}\n${req.app}\n${req.stream}\n${req.query.get('txSecret')}\n${req.query.get('txTime')}`;
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.decision;
    const decision = await this.#access.checkPlay(req);
    if (decision.allowed) {
      if (this.#entries.size >= maxEntries) this.#entries.clear();
      this.#entries.set(key, { decision, until: now + this.#ttlMs });
    } else {
      this.#entries.delete(key);
    }
    return decision;
  }
}
