/** The live publish sessions of this node, by stream; stream control reaches publishers through it. */
import { streamKey } from '../stream-key.ts';
import type { LivePublisherInfo, LivePublishers } from '../../control/stream-policy.ts';
import type { PublishSession } from './publish-session.ts';

/** Implements control's LivePublishers over the sessions the ingest servers register. */
export class LivePublisherRegistry implements LivePublishers {
  private readonly sessions = new Map<string, PublishSession>();
  /** Told the stream key of every session that ended or was dropped (the cluster claim gives its lease back). */
  onRemoved: ((key: string) => void) | undefined;

  /** Registers a session once its publish is accepted. */
  add(session: PublishSession): void {
    this.sessions.set(session.key, session);
  }

  /** Forgets a session that ended (only if it is still the registered one). */
  remove(session: PublishSession): void {
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    this.onRemoved?.(session.key);
  }

  /** The session publishing `app/stream`, if any. */
  get(app: string, stream: string): PublishSession | undefined {
    return this.sessions.get(streamKey(app, stream));
  }

  /** True while someone publishes `app/stream`. */
  isLive(app: string, stream: string): boolean {
    return this.sessions.has(streamKey(app, stream));
  }

  /** Ends the session with the given code and disconnects its encoder. */
  drop(app: string, stream: string, breakCode: string, reason: string): boolean {
    const session = this.get(app, stream);
    if (!session) return false;
    this.remove(session);
    // kick() never rejects (a failed record write is logged); the catch keeps a future change from
    // turning a drop into an unhandled rejection.
    session.kick(breakCode, reason).catch(() => undefined);
    return true;
  }

  /** Every live publisher with its push quality. */
  list(): LivePublisherInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  /** Ends every session (server shutdown); resolves when their records are written. */
  async endAll(breakCode: string, reason: string): Promise<void> {
    const ending = [...this.sessions.values()].map((session) => session.kick(breakCode, reason));
    this.sessions.clear();
    await Promise.all(ending);
  }
}
