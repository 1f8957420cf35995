/**
 * The cluster's relay token: how an edge proves to an origin that its play is a relay pull of another
 * node, with the cluster secret (`relay.secret`) instead of a user's signed URL. The token is
 * `hex(HMAC-SHA256(secret, "openlive-relay\n" + app/stream + "\n" + expiry + "\n" + hops))`, carried
 * in the play query with its expiry (Unix seconds) and hop count; it names one stream, is valid for
 * a short while only, and is compared in constant time (docs/cluster.md "Origin/edge relays").
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The query parameters of a relay play. */
export const relayParams = { token: 'openliveRelay', expiry: 'openliveRelayExp', hops: 'openliveRelayHops' } as const;

/** How long a minted token is valid (seconds): it is minted for each connection attempt. */
export const relayTokenLifetimeSeconds = 60;

/** Tokens valid for longer than this from now are refused even when signed (a leaked one stays short-lived). */
const maxAheadSeconds = 2 * relayTokenLifetimeSeconds;

/** The answer to a relay token check. */
export type RelayTokenCheck =
  | { readonly ok: true; readonly hops: number }
  | { readonly ok: false; readonly problem: 'missing' | 'malformed' | 'expired' | 'too-long' | 'wrong' };

/** True when the query asks for a relay play (whatever the rest of it says). */
export function isRelayPlay(query: URLSearchParams): boolean {
  return query.has(relayParams.token);
}

/** Signs and checks relay tokens with one cluster secret. */
export class RelayTokens {
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  /** The query parameters of a relay play of `key` (`app/stream`) at `hops` hops, valid from `nowMs`. */
  mint(key: string, hops: number, nowMs: number): Record<string, string> {
    const expiry = Math.floor(nowMs / 1000) + relayTokenLifetimeSeconds;
    return {
      [relayParams.token]: this.#sign(key, expiry, hops),
      [relayParams.expiry]: String(expiry),
      [relayParams.hops]: String(hops),
    };
  }

  /** Checks the relay token of a play of `key` in `query` at `nowMs`. */
  verify(key: string, query: URLSearchParams, nowMs: number): RelayTokenCheck {
    const token = query.get(relayParams.token);
    if (token === null || token === '') return { ok: false, problem: 'missing' };
    const expiryText = query.get(relayParams.expiry) ?? '';
    const hopsText = query.get(relayParams.hops) ?? '';
    if (!/^\d{1,12}$/.test(expiryText) || !/^\d{1,3}$/.test(hopsText) || !/^[0-9a-f]{64}$/.test(token)) {
      return { ok: false, problem: 'malformed' };
    }
    const expiry = Number(expiryText);
    const hops = Number(hopsText);
    const now = Math.floor(nowMs / 1000);
    // The signature is checked first: an unsigned expiry says nothing, and a wrong one is what is recorded.
    const expected = Buffer.from(this.#sign(key, expiry, hops), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(token, 'hex'))) return { ok: false, problem: 'wrong' };
    if (expiry < now) return { ok: false, problem: 'expired' };
    if (expiry - now > maxAheadSeconds) return { ok: false, problem: 'too-long' };
    return { ok: true, hops };
  }

  #sign(key: string, expiry: number, hops: number): string {
    return createHmac('sha256', this.#secret).update(`openlive-relay\n${key}\n${expiry}\n${hops}`).digest('hex');
  }
}
