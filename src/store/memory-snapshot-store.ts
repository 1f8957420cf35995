/** SnapshotStore in memory, for tests and the memory store; same semantics as the SQL adapters. */
import { LiveError } from '../errors.ts';
import { pageOf, type Page } from './store.ts';
import {
  patchedSnapshotTemplate,
  type NewSnapshotFile,
  type NewSnapshotTemplate,
  type SnapshotFile,
  type SnapshotFileQuery,
  type SnapshotRule,
  type SnapshotStore,
  type SnapshotTask,
  type SnapshotTaskQuery,
  type SnapshotTemplate,
  type SnapshotTemplatePatch,
} from './snapshot-store.ts';

/** The snapshot tables of MemoryStore. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #closed: () => boolean;
  readonly #nodeId: string;
  readonly #templates = new Map<number, SnapshotTemplate>();
  readonly #rules = new Map<string, SnapshotRule>();
  readonly #tasks = new Map<string, SnapshotTask>();
  readonly #files = new Map<number, SnapshotFile>();
  #nextTemplate = 1;
  #nextFile = 1;

  constructor(closed: () => boolean, nodeId = 'local') {
    this.#closed = closed;
    this.#nodeId = nodeId;
  }

  async addSnapshotTemplate(t: NewSnapshotTemplate): Promise<number> {
    this.#check();
    const id = this.#nextTemplate++;
    this.#templates.set(id, { ...t, id, updatedAt: t.createdAt });
    return id;
  }

  async getSnapshotTemplate(id: number): Promise<SnapshotTemplate | undefined> {
    this.#check();
    return this.#templates.get(id);
  }

  async listSnapshotTemplates(): Promise<SnapshotTemplate[]> {
    this.#check();
    return [...this.#templates.values()].sort((a, b) => a.id - b.id);
  }

  async updateSnapshotTemplate(id: number, patch: SnapshotTemplatePatch): Promise<SnapshotTemplate | undefined> {
    this.#check();
    const old = this.#templates.get(id);
    if (!old) return undefined;
    const next = patchedSnapshotTemplate(old, patch);
    this.#templates.set(id, next);
    return next;
  }

  async deleteSnapshotTemplate(id: number): Promise<boolean> {
    this.#check();
    return this.#templates.delete(id);
  }

  async setSnapshotRule(r: SnapshotRule): Promise<void> {
    this.#check();
    const key = JSON.stringify([r.domain, r.app, r.stream]);
    this.#rules.set(key, { ...r, createdAt: this.#rules.get(key)?.createdAt ?? r.createdAt });
  }

  async listSnapshotRules(): Promise<SnapshotRule[]> {
    this.#check();
    return [...this.#rules.values()].sort(
      (a, b) => cmp(a.domain, b.domain) || cmp(a.app, b.app) || cmp(a.stream, b.stream),
    );
  }

  async deleteSnapshotRule(domain: string, app: string, stream: string): Promise<boolean> {
    this.#check();
    return this.#rules.delete(JSON.stringify([domain, app, stream]));
  }

  async addSnapshotTask(t: SnapshotTask): Promise<void> {
    this.#check();
    if (this.#tasks.has(t.taskId)) throw new LiveError('STORE_FAILED', `screenshot task ${t.taskId} exists`);
    this.#tasks.set(t.taskId, t);
  }

  async getSnapshotTask(taskId: string): Promise<SnapshotTask | undefined> {
    this.#check();
    return this.#tasks.get(taskId);
  }

  async listSnapshotTasks(q: SnapshotTaskQuery = {}): Promise<SnapshotTask[]> {
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

  async stopSnapshotTask(taskId: string, at: number): Promise<boolean> {
    this.#check();
    const t = this.#tasks.get(taskId);
    if (!t || t.stopped !== 0) return false;
    this.#tasks.set(taskId, { ...t, stopped: at });
    return true;
  }

  async deleteSnapshotTask(taskId: string): Promise<boolean> {
    this.#check();
    return this.#tasks.delete(taskId);
  }

  async addSnapshotFile(f: NewSnapshotFile): Promise<number> {
    this.#check();
    const id = this.#nextFile++;
    this.#files.set(id, { ...f, id, nodeId: this.#nodeId });
    return id;
  }

  async getSnapshotFile(id: number): Promise<SnapshotFile | undefined> {
    this.#check();
    return this.#files.get(id);
  }

  async listSnapshotFiles(q: SnapshotFileQuery = {}): Promise<Page<SnapshotFile>> {
    this.#check();
    const sign = q.descending ? -1 : 1;
    const all = [...this.#files.values()]
      .filter(
        (f) =>
          (q.domain === undefined || f.domain === q.domain) &&
          (q.app === undefined || f.app === q.app) &&
          (q.stream === undefined || f.stream === q.stream) &&
          (q.since === undefined || f.takenAt >= q.since) &&
          (q.before === undefined || f.takenAt < q.before),
      )
      .sort((a, b) => sign * (a.takenAt - b.takenAt || a.id - b.id));
    const { limit, offset } = pageOf(q);
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  async listExpiredSnapshotFiles(now: number, limit: number): Promise<SnapshotFile[]> {
    this.#check();
    return [...this.#files.values()]
      .filter((f) => f.expiresAt !== null && f.expiresAt <= now)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || a.id - b.id)
      .slice(0, limit);
  }

  async deleteSnapshotFile(id: number): Promise<boolean> {
    this.#check();
    return this.#files.delete(id);
  }

  #check(): void {
    if (this.#closed()) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
