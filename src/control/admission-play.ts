/**
 * The play half of admission: the access decision (play domain, names, play signature) and, for a
 * transport about to hold media for the player, the memory budget (18/100). RTMP, HTTP-FLV and HLS all
 * ask it; HLS asks through a one-second cache of grants (servers/hls/play-decision-cache.ts).
 */
import type { Access } from './access.ts';
import type { AdmissionRequest } from './admission-request.ts';
import {
  limitRefusal,
  recordRefusal,
  type Abandoned,
  type AdmitOptions,
  type PlayGrant,
  type Refused,
  type RefusalSink,
} from './admission-outcome.ts';
import { breakCodes } from './break-codes.ts';
import { refusal } from './reasons.ts';
import { isRelayPlay, type RelayTokens } from './relay-token.ts';

/** How relay plays of other nodes are checked (docs/cluster.md "Origin/edge relays"). */
export interface RelayPlayCheck {
  /** The cluster secret's tokens; undefined without `relay.secret` (then every relay play is refused). */
  readonly tokens: RelayTokens | undefined;
  /** Relay plays at more hops than this are refused (RELAY_TOO_DEEP). */
  readonly maxHops: number;
  readonly now: () => number;
  /** Told of every relay play granted or refused (logged by the caller). */
  readonly onRelayPlay?: (req: AdmissionRequest, outcome: 'granted' | 'refused', detail: string) => void;
}

/** The memory budget as admission sees it: throws a `limit` LiveError past it (the hub's `admit`). */
export interface Capacity {
  admit(what: 'play' | 'publish'): void;
}

/** How a play is asked for. */
export interface PlayOptions extends AdmitOptions {
  /** The transport will hold media for this player (an RTMP or FLV subscriber): check the memory budget too. */
  readonly holdsMedia?: boolean;
}

/** Decides plays; what the playback servers depend on. */
export interface PlayAdmitter {
  play(req: AdmissionRequest, options?: PlayOptions): Promise<PlayGrant | Refused | Abandoned>;
}

/** How the play admission is built. */
export interface PlayAdmissionOptions extends Omit<RefusalSink, 'access'> {
  readonly access: Access;
  readonly capacity?: Capacity | undefined;
  /** Relay plays (a relay token instead of a play signature); without it such plays go through access as any play. */
  readonly relay?: RelayPlayCheck | undefined;
}

/** Play admission over an access hook and the memory budget. */
export class PlayAdmission implements PlayAdmitter {
  readonly #o: PlayAdmissionOptions;

  constructor(options: PlayAdmissionOptions) {
    this.#o = options;
  }

  /** Grants or refuses a play; access refusals are recorded by the access hook, budget ones here. */
  async play(req: AdmissionRequest, options: PlayOptions = {}): Promise<PlayGrant | Refused | Abandoned> {
    if (this.#o.relay && isRelayPlay(req.query)) return this.#relayPlay(this.#o.relay, req, options);
    const decision = await this.#o.access.checkPlay(req);
    if (options.stillWanted && !options.stillWanted()) return { kind: 'abandoned' };
    if (!decision.allowed) return { kind: 'refused', refusal: decision, domain: '' };
    const domain = decision.domain ?? '';
    if (options.holdsMedia && this.#o.capacity) {
      try {
        this.#o.capacity.admit('play');
      } catch (err) {
        return limitRefusal(this.#o, 'play', req, err, domain);
      }
    }
    return { kind: 'admitted', domain };
  }

  /**
   * A relay play: the relay token stands for the access decision (the edge checked its own player's
   * URL); a missing secret, a wrong, expired or over-long token and a chain past `maxHops` are refused,
   * counted and recorded like any refusal. The memory budget applies as to any player.
   */
  #relayPlay(relay: RelayPlayCheck, req: AdmissionRequest, options: PlayOptions): PlayGrant | Refused {
    const key = `${req.app}/${req.stream}`;
    const check = relay.tokens?.verify(key, req.query, relay.now());
    let refused: Refused | undefined;
    if (!check) {
      refused = this.#refuseRelay(
        req,
        'RELAY_TOKEN_INVALID',
        breakCodes.signatureInvalid,
        'this node has no relay.secret, so it serves no relay plays',
      );
    } else if (!check.ok) {
      refused = this.#refuseRelay(
        req,
        'RELAY_TOKEN_INVALID',
        breakCodes.signatureInvalid,
        `the relay token is ${check.problem}; check that every node has the same relay.secret and a synchronised clock`,
      );
    } else if (check.hops > relay.maxHops) {
      refused = this.#refuseRelay(
        req,
        'RELAY_TOO_DEEP',
        breakCodes.internal,
        `a relay pull at ${check.hops} hops exceeds relay.maxHops (${relay.maxHops}); pull from the publishing node`,
      );
    }
    if (refused || !check?.ok) {
      const answer =
        refused ??
        this.#refuseRelay(req, 'RELAY_TOKEN_INVALID', breakCodes.signatureInvalid, 'the relay token is missing');
      relay.onRelayPlay?.(req, 'refused', answer.refusal.reason);
      return answer;
    }
    if (options.holdsMedia && this.#o.capacity) {
      try {
        this.#o.capacity.admit('play');
      } catch (err) {
        return limitRefusal(this.#o, 'play', req, err, '');
      }
    }
    relay.onRelayPlay?.(req, 'granted', `${check.hops} hops`);
    return { kind: 'admitted', domain: '', relay: { hops: check.hops } };
  }

  #refuseRelay(
    req: AdmissionRequest,
    code: 'RELAY_TOKEN_INVALID' | 'RELAY_TOO_DEEP',
    breakCode: string,
    text: string,
  ): Refused {
    this.#o.countError?.(code);
    return recordRefusal(this.#o, 'play', req, refusal(code, breakCode, text), '');
  }
}
