/** SnapshotStore in memory, for tests and the memory store; same semantics as the SQL adapters. */
import { LiveError } from '../errors.ts';
import { pageOf, type Page } from './store.ts';
import { MemoryTemplateTables } from './memory-template-tables.ts';
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
  readonly #tables: MemoryTemplateTables<NewSnapshotTemplate, SnapshotTemplate, SnapshotTemplatePatch>;
  readonly #files = new Map<number, SnapshotFile>();
  #nextFile = 1;

  constructor(closed: () => boolean, nodeId = 'local') {
    this.#closed = closed;
    this.#nodeId = nodeId;
    this.#tables = new MemoryTemplateTables(() => this.#check(), patchedSnapshotTemplate, 'screenshot');
  }

  addSnapshotTemplate(t: NewSnapshotTemplate): Promise<number> {
    return this.#tables.addTemplate(t);
  }

  getSnapshotTemplate(id: number): Promise<SnapshotTemplate | undefined> {
    return this.#tables.getTemplate(id);
  }

  listSnapshotTemplates(): Promise<SnapshotTemplate[]> {
    return this.#tables.listTemplates();
  }

  updateSnapshotTemplate(id: number, patch: SnapshotTemplatePatch): Promise<SnapshotTemplate | undefined> {
    return this.#tables.updateTemplate(id, patch);
  }

  deleteSnapshotTemplate(id: number): Promise<boolean> {
    return this.#tables.deleteTemplate(id);
  }

  setSnapshotRule(r: SnapshotRule): Promise<void> {
    return this.#tables.setRule(r);
  }

  listSnapshotRules(): Promise<SnapshotRule[]> {
    return this.#tables.listRules();
  }

  deleteSnapshotRule(domain: string, app: string, stream: string): Promise<boolean> {
    return this.#tables.deleteRule(domain, app, stream);
  }

  addSnapshotTask(t: SnapshotTask): Promise<void> {
    return this.#tables.addTask(t);
  }

  getSnapshotTask(taskId: string): Promise<SnapshotTask | undefined> {
    return this.#tables.getTask(taskId);
  }

  listSnapshotTasks(q: SnapshotTaskQuery = {}): Promise<SnapshotTask[]> {
    return this.#tables.listTasks(q);
  }

  stopSnapshotTask(taskId: string, at: number): Promise<boolean> {
    return this.#tables.stopTask(taskId, at);
  }

  deleteSnapshotTask(taskId: string): Promise<boolean> {
    return this.#tables.deleteTask(taskId);
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
