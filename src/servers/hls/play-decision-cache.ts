/**
 * Remembers admissions of HLS requests for a second. An LL-HLS viewer asks three times a second for a
 * playlist and a part, and every viewer of a stream asks in the same instant when a part closes, so
 * the same signed URL would be checked against the store thousands of times a second.
 */
import type { Abandoned, PlayGrant, Refused } from '../../control/admission-outcome.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';

interface Entry {
  readonly grant: PlayGrant;
  readonly until: number;
}

// Bounded: past this many distinct URLs in one second, start over rather than grow.
const maxEntries = 10_000;

/** Admission's play decision with grants cached for `ttlMs`; refusals are never cached (they are recorded and slowed). */
export class PlayDecisionCache implements PlayAdmitter {
  readonly #admission: PlayAdmitter;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(admission: PlayAdmitter, now: () => number, ttlMs = 1000) {
    this.#admission = admission;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /**
   * The decision for `req`. A cached admission can outlive a URL's expiry or a domain change by at
   * most `ttlMs`; the client IP is not part of the key because play decisions do not depend on it.
   */
  async play(req: AdmissionRequest): Promise<PlayGrant | Refused | Abandoned> {
    const key = `${req.host}\n${req.app}\n${req.stream}\n${req.query.get('txSecret')}\n${req.query.get('txTime')}\n${req.referer ?? ''}`;
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.grant;
    const outcome = await this.#admission.play(req);
    if (outcome.kind === 'admitted') {
      if (this.#entries.size >= maxEntries) this.#entries.clear();
      this.#entries.set(key, { grant: outcome, until: now + this.#ttlMs });
    } else {
      this.#entries.delete(key);
    }
    return outcome;
  }
}
