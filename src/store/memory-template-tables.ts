/**
 * The templates, rules and tasks recordings and snapshots both keep in the memory store (the Tencent
 * template / rule / task triple), with the semantics of the SQL adapters; each store adds its own files.
 */
import { LiveError } from '../errors.ts';
import type { RecordRule, RecordTask, RecordTaskQuery } from './record-store.ts';

/** Template, rule and task maps of one kind (record or snapshot), behind the store's closed check. */
export class MemoryTemplateTables<
  N extends { readonly createdAt: number },
  T extends N & { readonly id: number; readonly updatedAt: number },
  P,
> {
  readonly #check: () => void;
  readonly #patched: (old: T, patch: P) => T;
  /** Names the task in the duplicate-task error (`record`, `screenshot`). */
  readonly #taskKind: string;
  readonly #templates = new Map<number, T>();
  readonly #rules = new Map<string, RecordRule>();
  readonly #tasks = new Map<string, RecordTask>();
  #nextTemplate = 1;

  constructor(check: () => void, patched: (old: T, patch: P) => T, taskKind: string) {
    this.#check = check;
    this.#patched = patched;
    this.#taskKind = taskKind;
  }

  /** Stores a new template; its id. */
  async addTemplate(t: N): Promise<number> {
    this.#check();
    const id = this.#nextTemplate++;
    this.#templates.set(id, { ...t, id, updatedAt: t.createdAt } as unknown as T);
    return id;
  }

  /** One template by id. */
  async getTemplate(id: number): Promise<T | undefined> {
    this.#check();
    return this.#templates.get(id);
  }

  /** Every template by id. */
  async listTemplates(): Promise<T[]> {
    this.#check();
    return [...this.#templates.values()].sort((a, b) => a.id - b.id);
  }

  /** Applies a patch; the new template, undefined when there is none. */
  async updateTemplate(id: number, patch: P): Promise<T | undefined> {
    this.#check();
    const old = this.#templates.get(id);
    if (!old) return undefined;
    const next = this.#patched(old, patch);
    this.#templates.set(id, next);
    return next;
  }

  /** Deletes a template; whether there was one. */
  async deleteTemplate(id: number): Promise<boolean> {
    this.#check();
    return this.#templates.delete(id);
  }

  /** Binds a template to domain + app (+ stream), keeping the first binding's createdAt. */
  async setRule(r: RecordRule): Promise<void> {
    this.#check();
    const key = ruleKey(r.domain, r.app, r.stream);
    const old = this.#rules.get(key);
    this.#rules.set(key, { ...r, createdAt: old?.createdAt ?? r.createdAt });
  }

  /** Every rule by domain, app, stream. */
  async listRules(): Promise<RecordRule[]> {
    this.#check();
    return [...this.#rules.values()].sort(
      (a, b) => cmp(a.domain, b.domain) || cmp(a.app, b.app) || cmp(a.stream, b.stream),
    );
  }

  /** Deletes one rule; whether there was one. */
  async deleteRule(domain: string, app: string, stream: string): Promise<boolean> {
    this.#check();
    return this.#rules.delete(ruleKey(domain, app, stream));
  }

  /** Stores a new task; an existing task id is STORE_FAILED. */
  async addTask(t: RecordTask): Promise<void> {
    this.#check();
    if (this.#tasks.has(t.taskId)) throw new LiveError('STORE_FAILED', `${this.#taskKind} task ${t.taskId} exists`);
    this.#tasks.set(t.taskId, t);
  }

  /** One task by id. */
  async getTask(taskId: string): Promise<RecordTask | undefined> {
    this.#check();
    return this.#tasks.get(taskId);
  }

  /** The tasks matching the query, by start time then id. */
  async listTasks(q: RecordTaskQuery = {}): Promise<RecordTask[]> {
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

  /** Marks a running task stopped at `at`; false when it is unknown or already stopped. */
  async stopTask(taskId: string, at: number): Promise<boolean> {
    this.#check();
    const t = this.#tasks.get(taskId);
    if (!t || t.stopped !== 0) return false;
    this.#tasks.set(taskId, { ...t, stopped: at });
    return true;
  }

  /** Deletes a task; whether there was one. */
  async deleteTask(taskId: string): Promise<boolean> {
    this.#check();
    return this.#tasks.delete(taskId);
  }
}

function ruleKey(domain: string, app: string, stream: string): string {
  return JSON.stringify([domain, app, stream]);
}

/** Compares two strings by code unit, as the SQL adapters' C collation does. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
