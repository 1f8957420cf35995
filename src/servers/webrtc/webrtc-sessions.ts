/**
 * The WHIP and WHEP sessions of this node: each gets an id (its `Location`, RFC 9725 §4.2), a place under
 * the session caps (`webrtc.maxSessions`, `maxSessionsPerIp`), and the connect and disconnect timeouts
 * that end a session whose ICE/DTLS never came up or went away without a DELETE (WEBRTC_ICE_TIMEOUT).
 */
import { randomBytes } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';
import { LiveError, type ErrorCode } from '../../errors.ts';
import { ConnectionGate } from '../connection-gate.ts';
import type { SessionIce } from './webrtc-patch.ts';

/** One open session. */
export interface WebrtcSession {
  readonly id: string;
  readonly kind: 'whip' | 'whep';
  readonly ip: string;
  /** The stream key it publishes or plays. */
  readonly key: string;
  readonly pc: RTCPeerConnection;
  /** Its ICE on the shared ports (PATCH: trickle, restart); undefined with werift's own sockets. */
  ice?: SessionIce;
  /** Ends the session's media side (publish or subscriber); `code` is undefined for a DELETE. */
  readonly onEnd: (code: ErrorCode | undefined, reason: string) => Promise<void>;
  /** What the session sent, for its end's log line (a WHEP viewer's frames and packets). */
  readonly stats?: () => SessionStats;
}

/** A session's counters and states as its end found them (before its media side was torn down). */
export type SessionStats = Readonly<Record<string, number | string | boolean>>;

/** The timeouts and caps of `webrtc.*`. */
export interface SessionLimits {
  readonly maxSessions: number;
  readonly maxSessionsPerIp: number;
  readonly connectTimeoutMs: number;
  readonly disconnectTimeoutMs: number;
  readonly trustedNetworks: readonly string[];
  /** Starts every id: a worker's `w<index>.` (session-owner.ts), so a sibling can route its DELETE. */
  readonly idPrefix?: string;
}

/** How many ended session ids are remembered for a late DELETE. */
const endedRemembered = 1024;

/** The open sessions, their caps and their timers. */
export class WebrtcSessions {
  readonly #byId = new Map<string, { s: WebrtcSession; timer: NodeJS.Timeout | undefined; ending: boolean }>();
  readonly #gate: ConnectionGate;
  /** Ids of the last sessions that ended, so a DELETE that comes after the server ended it still succeeds. */
  readonly #ended = new Set<string>();
  readonly #l: SessionLimits;
  /** Called with a session's connect state once ICE + DTLS are up. */
  onConnected: ((s: WebrtcSession) => void) | undefined;
  /** Called once a session has ended, with its code (undefined: DELETE, the stream ended, shutdown). */
  onEnded: ((s: WebrtcSession, code: ErrorCode | undefined, reason: string, stats?: SessionStats) => void) | undefined;

  constructor(l: SessionLimits) {
    this.#l = l;
    this.#gate = new ConnectionGate({
      maxTotal: l.maxSessions,
      maxPerIp: l.maxSessionsPerIp,
      trusted: l.trustedNetworks,
    });
  }

  /** Sessions open now. */
  get size(): number {
    return this.#byId.size;
  }

  /** A place for a new session from `ip`, or WEBRTC_SESSION_LIMIT; `release` it if the session never starts. */
  reserve(ip: string): { id: string; release: () => void } {
    const refused = this.#gate.admit(ip);
    if (refused) {
      throw new LiveError(
        'WEBRTC_SESSION_LIMIT',
        refused === 'total'
          ? `${this.#l.maxSessions} WebRTC sessions are open (webrtc.maxSessions)`
          : `this address holds ${this.#l.maxSessionsPerIp} WebRTC sessions (webrtc.maxSessionsPerIp)`,
      );
    }
    let released = false;
    return {
      id: (this.#l.idPrefix ?? '') + randomBytes(12).toString('base64url'),
      release: () => {
        if (!released) this.#gate.release(ip);
        released = true;
      },
    };
  }

  /** Adds an answered session and starts its timers; its reservation is now the session's. */
  add(s: WebrtcSession): void {
    const entry = { s, timer: undefined as NodeJS.Timeout | undefined, ending: false };
    this.#byId.set(s.id, entry);
    const arm = (ms: number, why: string) => {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => void this.end(s.id, 'WEBRTC_ICE_TIMEOUT', why), ms);
      entry.timer.unref();
    };
    arm(this.#l.connectTimeoutMs, `ICE and DTLS did not connect within ${this.#l.connectTimeoutMs} ms`);
    s.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(entry.timer);
        entry.timer = undefined;
        this.onConnected?.(s);
      } else if (state === 'disconnected' || state === 'failed') {
        arm(this.#l.disconnectTimeoutMs, `the ICE connection was ${state} for ${this.#l.disconnectTimeoutMs} ms`);
      } else if (state === 'closed') {
        void this.end(s.id, 'WEBRTC_ICE_TIMEOUT', 'the peer connection closed');
      }
    });
  }

  /** The session of `id`, if open. */
  get(id: string): WebrtcSession | undefined {
    return this.#byId.get(id)?.s;
  }

  /** Ends a session once: its media side, then its peer, then its place. False if there was none. */
  async end(id: string, code: ErrorCode | undefined, reason: string): Promise<boolean> {
    const entry = this.#byId.get(id);
    if (!entry || entry.ending) return false;
    entry.ending = true;
    clearTimeout(entry.timer);
    const stats = entry.s.stats?.();
    try {
      await entry.s.onEnd(code, reason);
    } finally {
      await entry.s.pc.close().catch(() => {});
      this.#byId.delete(id);
      this.#gate.release(entry.s.ip);
      this.#ended.add(id);
      // Bounded: a Set iterates in insertion order, so the first is the oldest.
      if (this.#ended.size > endedRemembered) this.#ended.delete(this.#ended.values().next().value as string);
    }
    this.onEnded?.(entry.s, code, reason, stats);
    return true;
  }

  /** True if `id` was one of the last sessions to end. */
  endedRecently(id: string): boolean {
    return this.#ended.has(id);
  }

  /** Ends every session (server shutdown). Idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.#byId.keys()].map((id) => this.end(id, undefined, 'the server is shutting down')));
  }
}
