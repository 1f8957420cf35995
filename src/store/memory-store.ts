/**
 * A Store in memory: for unit tests of control/ and for throwaway runs. It passes the same
 * conformance suite as the SQLite store, so tests written against it hold for the real one.
 */
import { MemorySnapshotStore } from './memory-snapshot-store.ts';
import { LiveError } from '../errors.ts';
import { MemoryRecordStore } from './memory-record-store.ts';
import { MemoryStatsStore } from './memory-stats-store.ts';
import { MemoryCallbackStore } from './memory-callback-store.ts';
import {
  mergeSettings,
  pageOf,
  type Domain,
  type DomainPatch,
  type DomainQuery,
  type ForbiddenQuery,
  type ForbiddenStream,
  type NewPublishRecord,
  type NewRejectedAttempt,
  type Page,
  type PageOptions,
  type PruneLimits,
  type PublishEnd,
  type PublishRecord,
  type PublishRecordQuery,
  type RecordQuery,
  type RejectedAttempt,
  type RejectedAttemptGroup,
  type RejectedAttemptQuery,
  type Store,
  type StoredCredential,
} from './store.ts';

/** A Store that forgets everything when the process ends. */
export class MemoryStore implements Store {
  readonly callbacks = new MemoryCallbackStore(() => this.closed);
  readonly recordings = new MemoryRecordStore(() => this.closed);
  readonly history: MemoryStatsStore;
  readonly snapshots = new MemorySnapshotStore(() => this.closed);
  private readonly domains = new Map<string, Domain>();
  private readonly forbidden = new Map<string, ForbiddenStream>();
  private readonly records = new Map<number, PublishRecord>();
  /** The node that wrote each record (this store's `nodeId`; tests give records of others by `addPublishRecordOf`). */
  private readonly recordNodes = new Map<number, string>();
  /** The node id rows are written with, as cluster.nodeId in the other adapters. */
  readonly nodeId: string;
  private readonly attempts: RejectedAttempt[] = [];
  private readonly settings = new Map<string, string>();
  private readonly credentials = new Map<string, StoredCredential>();
  private nextRecordId = 1;
  private nextAttemptId = 1;
  private closed = false;

  constructor(options: { nodeId?: string } = {}) {
    this.nodeId = options.nodeId || 'local';
    this.history = new MemoryStatsStore(this.nodeId, () => this.closed);
  }

  async addDomain(d: Domain): Promise<void> {
    this.check();
    if (this.domains.has(d.name)) throw new LiveError('DOMAIN_EXISTS', `domain ${d.name} is already added`);
    this.domains.set(d.name, { ...d, auth: { ...d.auth } });
  }

  async getDomain(name: string): Promise<Domain | undefined> {
    this.check();
    const d = this.domains.get(name);
    return d && { ...d, auth: { ...d.auth } };
  }

  async listDomains(q: DomainQuery = {}): Promise<Page<Domain>> {
    this.check();
    const all = [...this.domains.values()]
      .filter((d) => q.type === undefined || d.type === q.type)
      .filter((d) => q.enabled === undefined || d.enabled === q.enabled)
      .filter((d) => q.prefix === undefined || d.name.startsWith(q.prefix))
      .sort((a, b) => compare(a.name, b.name));
    return paged(all, q);
  }

  async updateDomain(name: string, patch: DomainPatch): Promise<Domain> {
    this.check();
    const old = this.domains.get(name);
    if (!old) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
    const auth = Object.fromEntries(Object.entries(patch.auth ?? {}).filter(([, v]) => v !== undefined));
    const next: Domain = {
      ...old,
      enabled: patch.enabled ?? old.enabled,
      replacePublisher: patch.replacePublisher ?? old.replacePublisher,
      auth: { ...old.auth, ...auth },
      ...mergeSettings(old.settings, patch.settings),
    };
    this.domains.set(name, next);
    return { ...next, auth: { ...next.auth } };
  }

  async deleteDomain(name: string): Promise<boolean> {
    this.check();
    return this.domains.delete(name);
  }

  async forbidStream(f: ForbiddenStream): Promise<void> {
    this.check();
    this.forbidden.set(forbidKey(f.app, f.stream, f.domain), { ...f });
  }

  async resumeStream(app: string, stream: string, domain: string): Promise<boolean> {
    this.check();
    return this.forbidden.delete(forbidKey(app, stream, domain));
  }

  async findForbidden(app: string, stream: string, domain: string, now: number): Promise<ForbiddenStream | undefined> {
    this.check();
    const hits = [this.forbidden.get(forbidKey(app, stream, domain)), this.forbidden.get(forbidKey(app, stream, ''))]
      .filter((f): f is ForbiddenStream => f !== undefined && f.until > now)
      .sort((a, b) => b.until - a.until);
    return hits[0] && { ...hits[0] };
  }

  async listForbidden(q: ForbiddenQuery = {}): Promise<Page<ForbiddenStream>> {
    this.check();
    const all = [...this.forbidden.values()]
      .filter((f) => q.activeAt === undefined || f.until > q.activeAt)
      .filter((f) => (q.domain === undefined || f.domain === q.domain) && (q.app === undefined || f.app === q.app))
      .filter((f) => q.stream === undefined || f.stream === q.stream)
      .sort(
        (a, b) =>
          b.until - a.until || compare(a.app, b.app) || compare(a.stream, b.stream) || compare(a.domain, b.domain),
      );
    return paged(all, q);
  }

  async addPublishRecord(r: NewPublishRecord): Promise<number> {
    return this.addPublishRecordOf(this.nodeId, r);
  }

  /** A record written by node `nodeId` (another node sharing the database, in tests). */
  async addPublishRecordOf(nodeId: string, r: NewPublishRecord): Promise<number> {
    this.check();
    const id = this.nextRecordId++;
    this.recordNodes.set(id, nodeId);
    this.records.set(id, {
      ...r,
      id,
      endedAt: null,
      durationMs: null,
      breakCode: null,
      reason: null,
      bytesIn: 0,
      width: null,
      height: null,
      videoCodec: null,
      audioCodec: null,
    });
    return id;
  }

  async endPublishRecord(id: number, end: PublishEnd): Promise<boolean> {
    this.check();
    const r = this.records.get(id);
    if (!r || r.endedAt !== null) return false;
    this.records.set(id, ended(r, end));
    return true;
  }

  async endOpenPublishRecords(end: PublishEnd, nodeId?: string): Promise<number> {
    this.check();
    let n = 0;
    for (const r of this.records.values()) {
      if (r.endedAt !== null || (nodeId !== undefined && this.recordNodes.get(r.id) !== nodeId)) continue;
      this.records.set(r.id, ended(r, end));
      n++;
    }
    return n;
  }

  async listOpenPublishNodes(): Promise<string[]> {
    this.check();
    const nodes = new Set<string>();
    for (const r of this.records.values()) if (r.endedAt === null) nodes.add(this.recordNodes.get(r.id) ?? this.nodeId);
    return [...nodes].sort();
  }

  async getPublishRecord(id: number): Promise<PublishRecord | undefined> {
    this.check();
    const r = this.records.get(id);
    return r && { ...r };
  }

  async listPublishRecords(q: PublishRecordQuery = {}): Promise<Page<PublishRecord>> {
    this.check();
    const all = [...this.records.values()]
      .filter((r) => matches(r, r.startedAt, q))
      .filter((r) => q.open === undefined || (r.endedAt === null) === q.open)
      .filter((r) => q.endedSince === undefined || r.endedAt === null || r.endedAt >= q.endedSince)
      .sort((a, b) => {
        const key = (r: PublishRecord): number => (q.byEnd ? (r.endedAt ?? Number.MAX_SAFE_INTEGER) : r.startedAt);
        return (key(b) - key(a) || b.id - a.id) * (q.ascending ? -1 : 1);
      });
    return paged(all, q);
  }

  async addRejectedAttempt(a: NewRejectedAttempt): Promise<number> {
    this.check();
    const id = this.nextAttemptId++;
    this.attempts.push({ ...a, id, count: a.count ?? 1, lastAt: a.at });
    return id;
  }

  async countRejectedAttempt(id: number, by: number, lastAt: number): Promise<boolean> {
    this.check();
    const i = this.attempts.findIndex((a) => a.id === id);
    const a = this.attempts[i];
    if (!a) return false;
    this.attempts[i] = { ...a, count: a.count + by, lastAt: Math.max(a.lastAt, lastAt) };
    return true;
  }

  async listRejectedAttempts(q: RejectedAttemptQuery = {}): Promise<Page<RejectedAttempt>> {
    this.check();
    const all = this.matchingAttempts(q).sort((a, b) => (b.at - a.at || b.id - a.id) * (q.ascending ? -1 : 1));
    return paged(all, q);
  }

  async summarizeRejectedAttempts(q: RejectedAttemptQuery = {}): Promise<RejectedAttemptGroup[]> {
    this.check();
    const groups = new Map<string, RejectedAttemptGroup>();
    for (const a of this.matchingAttempts(q).sort((x, y) => x.at - y.at || x.id - y.id)) {
      const key = JSON.stringify([a.breakCode, a.code]);
      const g = groups.get(key);
      groups.set(key, {
        breakCode: a.breakCode,
        code: a.code,
        count: (g?.count ?? 0) + a.count,
        firstAt: g?.firstAt ?? a.at,
        lastAt: Math.max(g?.lastAt ?? a.lastAt, a.lastAt),
        lastReason: a.reason,
      });
    }
    return [...groups.values()].sort(
      (a, b) =>
        b.count - a.count || b.lastAt - a.lastAt || compare(a.breakCode, b.breakCode) || compare(a.code, b.code),
    );
  }

  private matchingAttempts(q: RejectedAttemptQuery): RejectedAttempt[] {
    return this.attempts.filter((a) => matches(a, a.at, q) && (q.action === undefined || a.action === q.action));
  }

  async pruneRecords(before: number, limits: PruneLimits = {}): Promise<number> {
    this.check();
    const batch = limits.batch ?? Infinity;
    let n = 0;
    // Map order is insertion order, which is id order.
    const prune = (test: (r: PublishRecord) => boolean): void => {
      let deleted = 0;
      for (const r of [...this.records.values()]) {
        if (deleted >= batch) break;
        if (r.endedAt !== null && test(r) && this.records.delete(r.id)) deleted++;
      }
      n += deleted;
    };
    prune((r) => r.startedAt < before);
    n += pruneAttempts(this.attempts, (a) => a.lastAt < before, batch);
    if (limits.maxRows !== undefined) {
      const newest = [...this.records.keys()].reverse()[limits.maxRows];
      if (newest !== undefined) prune((r) => r.id <= newest);
      const newestAttempt = this.attempts[this.attempts.length - 1 - limits.maxRows]?.id;
      if (newestAttempt !== undefined) n += pruneAttempts(this.attempts, (a) => a.id <= newestAttempt, batch);
    }
    return n;
  }

  async addCredential(c: StoredCredential): Promise<void> {
    this.check();
    if (this.credentials.has(c.secretId))
      throw new LiveError('STORE_FAILED', `credential ${c.secretId} already exists`);
    this.credentials.set(c.secretId, { ...c });
  }

  async getCredential(secretId: string): Promise<StoredCredential | undefined> {
    this.check();
    const c = this.credentials.get(secretId);
    return c && { ...c };
  }

  async listCredentials(): Promise<StoredCredential[]> {
    this.check();
    return [...this.credentials.values()]
      .sort((a, b) => a.createdAt - b.createdAt || compare(a.secretId, b.secretId))
      .map((c) => ({ ...c }));
  }

  async touchCredential(secretId: string, at: number): Promise<void> {
    this.check();
    const c = this.credentials.get(secretId);
    if (c) this.credentials.set(secretId, { ...c, lastUsedAt: at });
  }

  async deleteCredential(secretId: string): Promise<boolean> {
    this.check();
    return this.credentials.delete(secretId);
  }

  async getSetting(key: string): Promise<string | undefined> {
    this.check();
    return this.settings.get(key);
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.check();
    this.settings.set(key, value);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}

/** Removes up to `batch` of the oldest attempts that pass `test`, in place; returns how many. */
function pruneAttempts(attempts: RejectedAttempt[], test: (a: RejectedAttempt) => boolean, batch: number): number {
  let deleted = 0;
  const kept = attempts.filter((a) => {
    if (deleted < batch && test(a)) {
      deleted++;
      return false;
    }
    return true;
  });
  attempts.splice(0, attempts.length, ...kept);
  return deleted;
}

function forbidKey(app: string, stream: string, domain: string): string {
  return JSON.stringify([app, stream, domain]);
}

/** Binary order, as SQLite's default collation sorts TEXT. */
function compare(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

function ended(r: PublishRecord, end: PublishEnd): PublishRecord {
  return {
    ...r,
    endedAt: end.endedAt,
    durationMs: end.endedAt - r.startedAt,
    breakCode: end.breakCode,
    reason: end.reason,
    bytesIn: end.bytesIn,
    width: end.width ?? null,
    height: end.height ?? null,
    videoCodec: end.videoCodec ?? null,
    audioCodec: end.audioCodec ?? null,
  };
}

function matches(
  r: { domain: string; app: string; stream: string; clientIp: string },
  time: number,
  q: RecordQuery,
): boolean {
  return (
    (q.domain === undefined || r.domain === q.domain) &&
    (q.app === undefined || r.app === q.app) &&
    (q.stream === undefined || r.stream === q.stream) &&
    (q.streamContains === undefined || r.stream.includes(q.streamContains)) &&
    (q.clientIp === undefined || r.clientIp === q.clientIp) &&
    (q.since === undefined || time >= q.since) &&
    (q.before === undefined || time < q.before)
  );
}

function paged<T>(all: T[], options: PageOptions): Page<T> {
  const { limit, offset } = pageOf(options);
  return { items: all.slice(offset, offset + limit).map((x) => ({ ...x })), total: all.length };
}
