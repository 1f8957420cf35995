/** RecordStore in memory, for tests and the memory store; same semantics as the SQL adapters. */
import { LiveError } from '../errors.ts';
import { pageOf, type Page } from './store.ts';
import { MemoryTemplateTables } from './memory-template-tables.ts';
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
  readonly #tables: MemoryTemplateTables<NewRecordTemplate, RecordTemplate, RecordTemplatePatch>;
  readonly #files = new Map<number, RecordFile>();
  #nextFile = 1;

  constructor(closed: () => boolean, nodeId = 'local') {
    this.#closed = closed;
    this.#nodeId = nodeId;
    this.#tables = new MemoryTemplateTables(() => this.#check(), patchedTemplate, 'record');
  }

  addRecordTemplate(t: NewRecordTemplate): Promise<number> {
    return this.#tables.addTemplate(t);
  }

  getRecordTemplate(id: number): Promise<RecordTemplate | undefined> {
    return this.#tables.getTemplate(id);
  }

  listRecordTemplates(): Promise<RecordTemplate[]> {
    return this.#tables.listTemplates();
  }

  updateRecordTemplate(id: number, patch: RecordTemplatePatch): Promise<RecordTemplate | undefined> {
    return this.#tables.updateTemplate(id, patch);
  }

  deleteRecordTemplate(id: number): Promise<boolean> {
    return this.#tables.deleteTemplate(id);
  }

  setRecordRule(r: RecordRule): Promise<void> {
    return this.#tables.setRule(r);
  }

  listRecordRules(): Promise<RecordRule[]> {
    return this.#tables.listRules();
  }

  deleteRecordRule(domain: string, app: string, stream: string): Promise<boolean> {
    return this.#tables.deleteRule(domain, app, stream);
  }

  addRecordTask(t: RecordTask): Promise<void> {
    return this.#tables.addTask(t);
  }

  getRecordTask(taskId: string): Promise<RecordTask | undefined> {
    return this.#tables.getTask(taskId);
  }

  listRecordTasks(q: RecordTaskQuery = {}): Promise<RecordTask[]> {
    return this.#tables.listTasks(q);
  }

  stopRecordTask(taskId: string, at: number): Promise<boolean> {
    return this.#tables.stopTask(taskId, at);
  }

  deleteRecordTask(taskId: string): Promise<boolean> {
    return this.#tables.deleteTask(taskId);
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
