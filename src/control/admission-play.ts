/**
 * The play half of admission: the access decision (play domain, names, play signature) and, for a
 * transport about to hold media for the player, the memory budget (18/100). RTMP, HTTP-FLV and HLS all
 * ask it; HLS asks through a one-second cache of grants (servers/hls/play-decision-cache.ts).
 */
import type { Access } from './access.ts';
import type { AdmissionRequest } from './admission-request.ts';
import { limitRefusal, type Abandoned, type AdmitOptions, type PlayGrant, type Refused, type RefusalSink } from './admission-outcome.ts';

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
}

/** Play admission over an access hook and the memory budget. */
export class PlayAdmission implements PlayAdmitter {
  readonly #o: PlayAdmissionOptions;

  constructor(options: PlayAdmissionOptions) {
    this.#o = options;
  }

  /** Grants or refuses a play; access refusals are recorded by the access hook, budget ones here. */
  async play(req: AdmissionRequest, options: PlayOptions = {}): Promise<PlayGrant | Refused | Abandoned> {
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
}
