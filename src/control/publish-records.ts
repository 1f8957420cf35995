/**
 * The record of every accepted publish session (Tencent "Stream Interruption Records"): written
 * when the publish starts, completed with its break code when it ends. A rejected publisher never
 * gets one (its refusal is a rejected attempt instead).
 */
import type { Page, PublishEnd, PublishRecord, PublishRecordQuery, Store } from '../store/store.ts';
import { breakCodes, sentence } from './break-codes.ts';

/** The start of a session, after the access decision and the publisher claim both succeeded. */
export interface SessionStart {
  /** The domain from the admission (`AccessDecision.domain`). */
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly clientIp: string;
}

/** How a session ended and what it carried: the store's PublishEnd, whose time the records stamp. */
export type SessionEnd = Omit<PublishEnd, 'endedAt'>;

/**
 * Why a session a killed server left open ended (Tencent 5): the records keep it, and the interruption
 * callback the next start sends for it carries it as errmsg.
 */
export const recoveredReason = sentence(
  breakCodes.internalError,
  'the server stopped while this stream was live; the end time is when it started again',
);

/** How the records are built. */
export interface PublishRecordsOptions {
  readonly store: Store;
  readonly now: () => number;
}

/** Writes and reads publish session records. */
export class PublishRecords {
  private readonly store: Store;
  private readonly now: () => number;

  constructor(options: PublishRecordsOptions) {
    this.store = options.store;
    this.now = options.now;
  }

  /** Writes the start durably and returns the record id to end it with. */
  recordStart(start: SessionStart): Promise<number> {
    return this.store.addPublishRecord({ ...start, startedAt: this.now() });
  }

  /** Writes the end; a second end of the same session is ignored (false). */
  recordEnd(id: number, end: SessionEnd): Promise<boolean> {
    return this.store.endPublishRecord(id, { ...end, endedAt: this.now() });
  }

  /**
   * Ends the sessions a killed server left open (call once at start-up, before accepting publishers):
   * their end time is unknown, so it is now, and the code says the server stopped (Tencent 5). `nodeId`
   * limits it to one node's rows (a worker restarted beside live siblings sharing one SQLite file).
   */
  recoverOpen(nodeId?: string): Promise<number> {
    const end = { endedAt: this.now(), breakCode: breakCodes.internalError, reason: recoveredReason, bytesIn: 0 };
    return nodeId === undefined ? this.store.endOpenPublishRecords(end) : this.store.endOpenPublishRecords(end, nodeId);
  }

  /** Sessions newest first. */
  list(query: PublishRecordQuery = {}): Promise<Page<PublishRecord>> {
    return this.store.listPublishRecords(query);
  }

  /** One session. */
  get(id: number): Promise<PublishRecord | undefined> {
    return this.store.getPublishRecord(id);
  }
}
