/**
 * The Store: everything openlive must remember across restarts (domains and their keys, forbidden
 * streams, publish records, rejected attempts, settings). SQLite implements it embedded; PostgreSQL
 * will implement it for clusters; test/store-conformance.ts holds both to the same behaviour.
 * Times are Unix milliseconds throughout.
 */
import type { SnapshotStore } from './snapshot-store.ts';
import type { RecordStore } from './record-store.ts';
import type { CallbackStore } from './callback-store.ts';
import type { StatsStore } from './stats-store.ts';

/** A domain serves either pushes or plays, never both (Tencent: "one domain cannot be both"). */
export type DomainType = 'push' | 'play';

/** The hash of a signed URL: MD5 is Tencent's default, SHA-256 its newer option. */
export type SignAlgorithm = 'md5' | 'sha256';

/**
 * Hotlink-protection settings of a domain: the push key of a push domain (Tencent MasterAuthKey /
 * BackupAuthKey) or the play key of a play domain (AuthKey / AuthBackKey).
 */
export interface AuthSettings {
  readonly enabled: boolean;
  readonly key: string;
  /** Empty when there is no backup key. */
  readonly backupKey: string;
  /** Seconds a URL stays valid after its txTime (Tencent AuthDelta). */
  readonly authDelta: number;
  readonly algorithm: SignAlgorithm;
}

/** A push or play domain. */
export interface Domain {
  /** Lowercase, validated (control/domain-name.ts). */
  readonly name: string;
  readonly type: DomainType;
  readonly enabled: boolean;
  /** The host the operator's DNS must CNAME this domain to. */
  readonly cnameTarget: string;
  readonly createdAt: number;
  readonly auth: AuthSettings;
  /** Push domains: a newcomer with a valid signature replaces the live publisher (21/102) instead of 18/601. */
  readonly replacePublisher: boolean;
  /** Referer rules, PlayType and the like (one JSON column); absent means all defaults. */
  readonly settings?: DomainSettings;
}

/**
 * A play domain's referer allow/deny list (Tencent RefererAuthConfig), checked on HTTP-FLV, WS-FLV and HLS
 * plays (control/referer-check.ts).
 */
export interface RefererSettings {
  readonly enabled: boolean;
  /** deny: a referer matching a rule is refused (Tencent Type 0); allow: only matching ones pass (Type 1). */
  readonly type: 'deny' | 'allow';
  /** Whether a play without a Referer header passes (Tencent AllowEmpty). */
  readonly allowEmpty: boolean;
  /** Host patterns such as `example.com` or `*.example.com` (Tencent Rules, `;`-separated). */
  readonly rules: readonly string[];
}

/** Domain settings kept as one JSON value, so adding one needs no migration. */
export interface DomainSettings {
  readonly referer?: RefererSettings;
  /** Tencent PlayType of a play domain: 1 mainland, 2 global, 3 outside mainland (default 1). */
  readonly playType?: number;
  /** Tencent IsMiniProgramLive (default false). */
  readonly miniProgram?: boolean;
}

/**
 * `patch` over `old` (keys of the patch that are undefined leave the old value), as the part of a Domain to
 * spread: nothing when there are no settings, so domains without any compare equal to those written before.
 */
export function mergeSettings(
  old: DomainSettings | undefined,
  patch: DomainSettings | undefined,
): { settings?: DomainSettings } {
  const out: Record<string, unknown> = { ...old };
  for (const [k, v] of Object.entries(patch ?? {})) if (v !== undefined) out[k] = v;
  return Object.keys(out).length > 0 ? { settings: out as DomainSettings } : {};
}

/** The fields of a domain that can change after it was added. */
export interface DomainPatch {
  readonly enabled?: boolean;
  readonly auth?: Partial<AuthSettings>;
  readonly replacePublisher?: boolean;
  /** Merged key by key into the domain's settings. */
  readonly settings?: DomainSettings;
}

/** A stream that may not be published until a time (Tencent ForbidLiveStream). */
export interface ForbiddenStream {
  readonly app: string;
  readonly stream: string;
  /** The push domain it applies to; empty string means every domain. */
  readonly domain: string;
  readonly until: number;
  readonly reason: string;
  readonly createdAt: number;
}

/** What is known when a publish is accepted. */
export interface NewPublishRecord {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly clientIp: string;
  readonly startedAt: number;
}

/** What is known when a publish ends. */
export interface PublishEnd {
  readonly endedAt: number;
  /** Tencent break code such as '1/0' (client stopped) or '21/100' (dropped). */
  readonly breakCode: string;
  readonly reason: string;
  readonly bytesIn: number;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly videoCodec?: string | undefined;
  readonly audioCodec?: string | undefined;
}

/** One publish session; the end fields are null while it is live (or if the server died). */
export interface PublishRecord extends NewPublishRecord {
  readonly id: number;
  readonly endedAt: number | null;
  readonly durationMs: number | null;
  readonly breakCode: string | null;
  readonly reason: string | null;
  readonly bytesIn: number;
  readonly width: number | null;
  readonly height: number | null;
  readonly videoCodec: string | null;
  readonly audioCodec: string | null;
}

/** A refused publish or play, as it is written. */
export interface NewRejectedAttempt {
  readonly at: number;
  readonly action: 'publish' | 'play';
  readonly clientIp: string;
  /** The host the client addressed (may be an IP or an unknown name). */
  readonly host: string;
  /** The domain the host was attributed to, or empty when none. */
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly breakCode: string;
  /** The stable error code from src/errors.ts. */
  readonly code: string;
  readonly reason: string;
  /** The query string with txSecret masked. */
  readonly query: string;
  /**
   * How many refusals this row stands for (default 1): past the per-address threshold the refusals of an
   * address in a window share one row whose count grows (control/rejection-recorder.ts).
   */
  readonly count?: number;
}

/** A stored rejected attempt; `at` is the first refusal it counts, `lastAt` the latest. */
export interface RejectedAttempt extends NewRejectedAttempt {
  readonly id: number;
  readonly count: number;
  readonly lastAt: number;
}

/** How much pruning removes at most: rows past `maxRows` per table go too, oldest first, `batch` per call and table. */
export interface PruneLimits {
  readonly maxRows?: number;
  readonly batch?: number;
}

/** What an adapter tells /metrics about its waiting for locks (store/sqlite-write-queue.ts). */
export interface StoreStats {
  /** Writes waiting for another process's lock now. */
  readonly queuedWrites: number;
  /** Steps that found the database locked and were tried again later. */
  readonly busyRetries: number;
  /** Writes refused because too many were waiting (STORE_BUSY; STORE_UNAVAILABLE with PostgreSQL). */
  readonly refusedWrites: number;
}

/** A Cloud API credential as stored: the SecretKey only sealed with the data key (control/credentials.ts). */
export interface StoredCredential {
  /** Tencent-style `AKID...`. */
  readonly secretId: string;
  /** The SecretKey encrypted with AES-256-GCM under `<dataDir>/secret.key`, never the key itself. */
  readonly sealedKey: string;
  readonly description: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** Paging of every list method; `limit` is capped at maxPageSize. */
export interface PageOptions {
  readonly limit?: number;
  readonly offset?: number;
}

/** One page of a list and the number of matches in all pages. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}

/** Filters of listDomains. */
export interface DomainQuery extends PageOptions {
  readonly type?: DomainType;
  readonly enabled?: boolean;
  readonly prefix?: string;
}

/** Filters of listForbidden; `activeAt` keeps only entries whose `until` is later. */
export interface ForbiddenQuery extends PageOptions {
  readonly activeAt?: number;
  readonly domain?: string;
  readonly app?: string;
  readonly stream?: string;
}

/** Filters of the record lists (newest first); `since`/`before` bound the start (or attempt) time. */
export interface RecordQuery extends PageOptions {
  readonly domain?: string;
  readonly app?: string;
  readonly stream?: string;
  readonly clientIp?: string;
  readonly since?: number;
  readonly before?: number;
  /** Keeps streams whose name contains this text, case-sensitively (Tencent's fuzzy StreamName). */
  readonly streamContains?: string;
  /** Oldest first instead of newest first (Tencent IsAsc). */
  readonly ascending?: boolean;
}

/** Filters of listPublishRecords: `open` keeps only records without an end. */
export interface PublishRecordQuery extends RecordQuery {
  readonly open?: boolean;
  /** Keeps sessions still live at or after this time: ended then or later, or not ended. */
  readonly endedSince?: number;
  /** Orders by end time instead of start time, sessions still live last of all (Tencent's event list IsAsc). */
  readonly byEnd?: boolean;
}

/** The ORDER BY of listPublishRecords in SQL (SQLite and PostgreSQL alike). */
export function publishRecordOrder(query: PublishRecordQuery): string {
  if (query.byEnd)
    return query.ascending ? '(ended_at IS NULL), ended_at, id' : '(ended_at IS NULL) DESC, ended_at DESC, id DESC';
  return query.ascending ? 'started_at, id' : 'started_at DESC, id DESC';
}

/** Filters of listRejectedAttempts and summarizeRejectedAttempts. */
export interface RejectedAttemptQuery extends RecordQuery {
  readonly action?: 'publish' | 'play';
}

/** The rejected attempts of one break code and error code (a summary row). */
export interface RejectedAttemptGroup {
  readonly breakCode: string;
  readonly code: string;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** The reason of the latest attempt of the group. */
  readonly lastReason: string;
}

/** The default page size of list methods. */
export const defaultPageSize = 100;
/** The largest page a list method returns. */
export const maxPageSize = 1000;

/** Clamps paging options to sane numbers. */
export function pageOf(options: PageOptions): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? defaultPageSize), 1), maxPageSize);
  const offset = Math.max(Math.trunc(options.offset ?? 0), 0);
  return { limit, offset };
}

/** Persistent state of openlive; every method may throw LiveError STORE_FAILED. */
export interface Store {
  /** The event-callback tables: templates, rules, the delivery queue and attempts (store/callback-store.ts). */
  readonly callbacks: CallbackStore;
  /** The recording tables: templates, rules, tasks and recorded files (store/record-store.ts). */
  readonly recordings: RecordStore;
  /** The statistics history: per-minute samples and their roll-ups (store/stats-store.ts, docs/statistics.md). */
  readonly history: StatsStore;
  /** The snapshot tables: templates, rules, screenshot tasks and pictures (store/snapshot-store.ts). */
  readonly snapshots: SnapshotStore;

  /** Adds a domain; throws DOMAIN_EXISTS if the name is taken. */
  addDomain(domain: Domain): Promise<void>;
  getDomain(name: string): Promise<Domain | undefined>;
  /** Domains sorted by name. */
  listDomains(query?: DomainQuery): Promise<Page<Domain>>;
  /** Applies a patch and returns the result; throws DOMAIN_NOT_FOUND. */
  updateDomain(name: string, patch: DomainPatch): Promise<Domain>;
  /** Deletes a domain; false if it did not exist. */
  deleteDomain(name: string): Promise<boolean>;

  /** Adds or replaces the forbid entry of (app, stream, domain). */
  forbidStream(entry: ForbiddenStream): Promise<void>;
  /** Removes the forbid entry of (app, stream, domain); false if there was none. */
  resumeStream(app: string, stream: string, domain: string): Promise<boolean>;
  /** The forbid entry for (app, stream) on `domain` or on every domain still active at `now`, latest `until` first. */
  findForbidden(app: string, stream: string, domain: string, now: number): Promise<ForbiddenStream | undefined>;
  /** Forbid entries sorted by `until`, latest first. */
  listForbidden(query?: ForbiddenQuery): Promise<Page<ForbiddenStream>>;

  /** Writes the start of a publish session durably and returns its id. */
  addPublishRecord(record: NewPublishRecord): Promise<number>;
  /** Writes the end of a session; a second end of the same session is ignored (false). */
  endPublishRecord(id: number, end: PublishEnd): Promise<boolean>;
  /**
   * Ends every open session of a node (after a crash) and returns how many: by default this store's node
   * (cluster.nodeId); another node's when its lease expired. Single-node adapters own every row.
   */
  endOpenPublishRecords(end: PublishEnd, nodeId?: string): Promise<number>;
  /** The node ids that own open sessions now, sorted: the dead-node sweep compares them with the live nodes. */
  listOpenPublishNodes(): Promise<string[]>;
  getPublishRecord(id: number): Promise<PublishRecord | undefined>;
  listPublishRecords(query?: PublishRecordQuery): Promise<Page<PublishRecord>>;

  addRejectedAttempt(attempt: NewRejectedAttempt): Promise<number>;
  /** Adds `by` refusals at `lastAt` to an attempt row (an aggregate); false if the row is gone. */
  countRejectedAttempt(id: number, by: number, lastAt: number): Promise<boolean>;
  listRejectedAttempts(query?: RejectedAttemptQuery): Promise<Page<RejectedAttempt>>;
  /** Matching attempts grouped by break code and error code, most frequent first (paging and order ignored); counts include aggregates. */
  summarizeRejectedAttempts(query?: RejectedAttemptQuery): Promise<RejectedAttemptGroup[]>;
  /**
   * Deletes ended publish records started before `before` and rejected attempts last seen before it, then
   * the oldest of each table past `limits.maxRows` (open sessions are never deleted), at most `limits.batch`
   * rows per table and call; returns how many.
   */
  pruneRecords(before: number, limits?: PruneLimits): Promise<number>;

  /** Adds a Cloud API credential; a taken SecretId fails with STORE_FAILED. */
  addCredential(credential: StoredCredential): Promise<void>;
  getCredential(secretId: string): Promise<StoredCredential | undefined>;
  /** Every credential, oldest first. */
  listCredentials(): Promise<StoredCredential[]>;
  /** Records a use of the credential; unknown ids are ignored. */
  touchCredential(secretId: string, at: number): Promise<void>;
  /** Deletes a credential; false if it did not exist. */
  deleteCredential(secretId: string): Promise<boolean>;

  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;

  /** Resolves once the store is usable (schema migrated); adapters that open synchronously leave it out. */
  ready?(): Promise<void>;

  /** Lock waits and refused writes, for /metrics; adapters without locks leave it out. */
  stats?(): StoreStats;

  /** Releases the database (after writes waiting for a lock are made, or a deadline); idempotent. */
  close(): Promise<void>;
}
