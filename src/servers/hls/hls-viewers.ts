/**
 * HLS viewer sessions (docs/statistics.md "HLS viewers"). An HLS player is no hub subscriber: it fetches
 * a playlist again every target duration and segments in between, each a separate request. A session is
 * identified by the `olsid` query parameter of the playlist URL (the play URLs openlive hands out carry
 * one; a player keeps its playlist URL for every reload), or, for a URL without it, by client address and
 * User-Agent. Playlists are fetched by every player even behind a CDN (they are cached for a second at
 * most), so sessions are counted from playlist requests; segment URIs carry no session id, so a CDN
 * caches one copy of each segment for every viewer. Segment bytes are counted per stream.
 */

/** One HLS viewer as the online lists show it. */
export interface HlsSession {
  readonly id: string;
  readonly key: string;
  readonly clientIp: string;
  /** The Host the player addressed (its play domain). */
  readonly host: string;
  readonly startedAt: number;
  lastSeenAt: number;
  /** Playlist bytes sent to this session (segment bytes are per stream). */
  bytesOut: number;
}

/** Per-stream HLS traffic since the last `drain()`. */
export interface HlsTraffic {
  bytesOut: number;
  /** Sessions that started (a new viewer's first playlist). */
  newSessions: number;
}

/** What the tracker is built with. */
export interface HlsViewersOptions {
  readonly now: () => number;
  /** A session without a playlist request for this long has left (default 3 × a 10 s target duration). */
  readonly timeoutMs?: number;
  /** Sessions remembered at most; past it the stalest goes (hostile clients inventing ids). */
  readonly maxSessions?: number;
}

/** The session id a playlist request names, or the address + User-Agent fallback. */
export function hlsSessionId(query: URLSearchParams, clientIp: string, userAgent: string | undefined): string {
  const given = query.get('olsid');
  if (given && /^[A-Za-z0-9_-]{1,64}$/.test(given)) return given;
  return `ip:${clientIp}|${(userAgent ?? '').slice(0, 200)}`;
}

/** Live HLS sessions and per-stream HLS bytes, updated per request (never per byte). */
export class HlsViewers {
  readonly #o: Required<HlsViewersOptions>;
  readonly #sessions = new Map<string, HlsSession>();
  readonly #traffic = new Map<string, HlsTraffic>();

  constructor(options: HlsViewersOptions) {
    this.#o = { timeoutMs: 30_000, maxSessions: 100_000, ...options };
  }

  /** A playlist was served to a session of stream `key`. */
  playlist(key: string, id: string, clientIp: string, host: string, bytes: number): void {
    const now = this.#o.now();
    const sessionKey = `${key} ${id}`;
    let s = this.#sessions.get(sessionKey);
    if (s && now - s.lastSeenAt > this.#o.timeoutMs) s = undefined;
    if (!s) {
      s = { id, key, clientIp, host, startedAt: now, lastSeenAt: now, bytesOut: 0 };
      this.#traffic.set(key, this.#trafficOf(key));
      this.#trafficOf(key).newSessions++;
    }
    this.#sessions.delete(sessionKey);
    this.#sessions.set(sessionKey, s);
    if (this.#sessions.size > this.#o.maxSessions) this.#sessions.delete(this.#sessions.keys().next().value as string);
    s.lastSeenAt = now;
    s.bytesOut += bytes;
    this.#trafficOf(key).bytesOut += bytes;
  }

  /** Segment, part or init bytes served for stream `key`. */
  media(key: string, bytes: number): void {
    this.#trafficOf(key).bytesOut += bytes;
  }

  /** The live sessions (of one stream, or all), dropping the ones past the timeout. */
  sessions(key?: string): HlsSession[] {
    const now = this.#o.now();
    const out: HlsSession[] = [];
    for (const [k, s] of this.#sessions) {
      if (now - s.lastSeenAt > this.#o.timeoutMs) this.#sessions.delete(k);
      else if (key === undefined || s.key === key) out.push(s);
    }
    return out;
  }

  /** Live session counts by stream. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sessions()) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
    return counts;
  }

  /** The traffic since the last call, by stream, and starts counting again. */
  drain(): Map<string, HlsTraffic> {
    const out = new Map(this.#traffic);
    this.#traffic.clear();
    return out;
  }

  /** The traffic counted since the last drain, without resetting it. */
  peek(): ReadonlyMap<string, HlsTraffic> {
    return this.#traffic;
  }

  #trafficOf(key: string): HlsTraffic {
    let t = this.#traffic.get(key);
    if (!t) this.#traffic.set(key, (t = { bytesOut: 0, newSessions: 0 }));
    return t;
  }
}
