/** RecordStore in memory, for tests and the memory store; same semantics as the SQL adapters. */
import { LiveError } from '../errors.ts';
import { pageOf, type Page } from './store.ts';
import { patchedTemplate } from './record-rows.ts';
import type {
  NewRecordFile,
  NewRecordTemplate,
  RecordFile,
  RecordFileEnd,
  RecordFileQuery,
  RecordRule,
  RecordStore,
  RecordTask,
  RecordTaskQuery,
  RecordTemplate,
  RecordTemplatePatch,
} from './record-store.ts';

/** The recording tables of MemoryStore. */
export class MemoryRecordStore implements RecordStore {
  readonly #closed: () => boolean;
  readonly #nodeId: string;
  readonly #templates = new Map<number, RecordTemplate>();
  readonly #rules = new Map<string, RecordRule>();
  readonly #tasks = new Map<string, RecordTask>();
  readonly #files = new Map<number, RecordFile>();
  #nextTemplate = 1;
  #nextFile = 1;

  constructor(closed: () => boolean, nodeId = 'local') {
    this.#closed = closed;
    this.#nodeId = nodeId;
  }

  async addRecordTemplate(t: NewRecordTemplate): Promise<number> {
    this.#check();
    const id = this.#nextTemplate++;
    this.#templates.set(id, { ...t, id, updatedAt: t.createdAt });
    return id;
  }

  async getRecordTemplate(id: number): Promise<RecordTemplate | undefined> {
    this.#check();
    return this.#templates.get(id);
  }

  async listRecordTemplates(): Promise<RecordTemplate[]> {
    this.#check();
    return [...this.#templates.values()].sort((a, b) => a.id - b.id);
  }

  async updateRecordTemplate(id: number, patch: RecordTemplatePatch): Promise<RecordTemplate | undefined> {
    this.#check();
    const old = this.#templates.get(id);
    if (!old) return undefined;
    const next = patchedTemplate(old, patch);
    this.#templates.set(id, next);
    return next;
  }

  async deleteRecordTemplate(id: number): Promise<boolean> {
    this.#check();
    return this.#templates.delete(id);
  }

  async setRecordRule(r: RecordRule): Promise<void> {
    this.#check();
    const key = ruleKey(r.domain, r.app, r.stream);
    const old = this.#rules.get(key);
    this.#rules.set(key, { ...r, createdAt: old?.createdAt ?? r.createdAt });
  }

  async listRecordRules(): Promise<RecordRule[]> {
    this.#check();
    return [...this.#rules.values()].sort(
      (a, b) => cmp(a.domain, b.domain) || cmp(a.app, b.app) || cmp(a.stream, b.stream),
    );
  }

  async deleteRecordRule(domain: string, app: string, stream: string): Promise<boolean> {
    this.#check();
    return this.#rules.delete(ruleKey(domain, app, stream));
  }

  async addRecordTask(t: RecordTask): Promise<void> {
    this.#check();
    if (this.#tasks.has(t.taskId)) throw new LiveError('STORE_FAILED', `record task ${t.taskId} exists`);
    this.#tasks.set(t.taskId, t);
  }

  async getRecordTask(taskId: string): Promise<RecordTask | undefined> {
    this.#check();
    return this.#tasks.get(taskId);
  }

  async listRecordTasks(q: RecordTaskQuery = {}): Promise<RecordTask[]> {
    this.#check();
    return [...this.#tasks.values()]
      .filter(
        (t) =>
          (q.domain === undefined || t.domain === q.domain) &&
          (q.app === undefined || t.app === q.app) &&
          (q.stream === undefined || t.stream === q.stream) &&
          (q.since === undefined || t.startTime >= q.since) &&
          (q.before === undefined || t.startTime < q.before) &&
          (q.activeAt === undefined || (t.stopped === 0 && t.startTime <= q.activeAt && q.activeAt < t.endTime)),
      )
      .sort((a, b) => a.startTime - b.startTime || cmp(a.taskId, b.taskId));
  }

  async stopRecordTask(taskId: string, at: number): Promise<boolean> {
    this.#check();
    const t = this.#tasks.get(taskId);
    if (!t || t.stopped !== 0) return false;
    this.#tasks.set(taskId, { ...t, stopped: at });
    return true;
  }

  async deleteRecordTask(taskId: string): Promise<boolean> {
    this.#check();
    return this.#tasks.delete(taskId);
  }

  async addRecordFile(f: NewRecordFile): Promise<number> {
    this.#check();
    const id = this.#nextFile++;
    this.#files.set(id, {
      ...f,
      id,
      nodeId: this.#nodeId,
      endedAt: null,
      durationMs: 0,
      size: 0,
      status: 'recording',
      errorCode: '',
      reason: '',
    });
    return id;
  }

  async endRecordFile(id: number, end: RecordFileEnd): Promise<boolean> {
    this.#check();
    const f = this.#files.get(id);
    if (!f || f.endedAt !== null) return false;
    this.#files.set(id, { ...f, ...end });
    return true;
  }

  async getRecordFile(id: number): Promise<RecordFile | undefined> {
    this.#check();
    return this.#files.get(id);
  }

  async listRecordFiles(q: RecordFileQuery = {}): Promise<Page<RecordFile>> {
    this.#check();
    const all = [...this.#files.values()]
      .filter(
        (f) =>
          (q.domain === undefined || f.domain === q.domain) &&
          (q.app === undefined || f.app === q.app) &&
          (q.stream === undefined || f.stream === q.stream) &&
          (q.since === undefined || f.startedAt >= q.since) &&
          (q.before === undefined || f.startedAt < q.before),
      )
      .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
    const { limit, offset } = pageOf(q);
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  async listOpenRecordFiles(nodeId = this.#nodeId): Promise<RecordFile[]> {
    this.#check();
    return [...this.#files.values()]
      .filter((f) => f.endedAt === null && f.nodeId === nodeId)
      .sort((a, b) => a.id - b.id);
  }

  async listExpiredRecordFiles(now: number, limit: number): Promise<RecordFile[]> {
    this.#check();
    return [...this.#files.values()]
      .filter((f) => f.endedAt !== null && f.expiresAt !== null && f.expiresAt <= now)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || a.id - b.id)
      .slice(0, limit);
  }

  async deleteRecordFile(id: number): Promise<boolean> {
    this.#check();
    return this.#files.delete(id);
  }

  #check(): void {
    if (this.#closed()) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}

function ruleKey(domain: string, app: string, stream: string): string {
  return JSON.stringify([domain, app, stream]);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
