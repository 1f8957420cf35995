/** The recording tables of the PostgreSQL store (migration 2), as SQLite's (store/sqlite-record-store.ts). */
import { taskConditions } from './sql-conditions.ts';
import { pageOf, type Page } from './store.ts';
import { PostgresTables } from './postgres-tables.ts';
import type { PostgresDb } from './postgres-db.ts';
import {
  patchedTemplate,
  recordFileFromRow,
  recordRuleFromRow,
  recordTaskFromRow,
  recordTemplateFromRow,
  type Row,
} from './record-rows.ts';
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

/** What the recording tables share with their store. */
export interface PostgresRecordStoreOptions {
  readonly db: PostgresDb;
  readonly nodeId: string;
  readonly opened: () => Promise<void>;
}

/** RecordStore over the PostgreSQL store's pool. */
export class PostgresRecordStore extends PostgresTables implements RecordStore {
  private readonly o: PostgresRecordStoreOptions;

  constructor(options: PostgresRecordStoreOptions) {
    super(options.db);
    this.o = options;
  }

  protected opened(): Promise<void> {
    return this.o.opened();
  }

  async addRecordTemplate(t: NewRecordTemplate): Promise<number> {
    const rows = await this.returning(
      'INSERT INTO record_templates (name, description, params, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id',
      [t.name, t.description, JSON.stringify(t.params), t.createdAt],
    );
    return Number(rows[0]?.id);
  }

  async getRecordTemplate(id: number): Promise<RecordTemplate | undefined> {
    const rows = await this.all('SELECT * FROM record_templates WHERE id = $1', [id]);
    return rows[0] ? recordTemplateFromRow(rows[0]) : undefined;
  }

  async listRecordTemplates(): Promise<RecordTemplate[]> {
    return (await this.all('SELECT * FROM record_templates ORDER BY id', [])).map(recordTemplateFromRow);
  }

  async updateRecordTemplate(id: number, patch: RecordTemplatePatch): Promise<RecordTemplate | undefined> {
    await this.o.opened();
    return await this.o.db.transaction(async (q) => {
      const { rows } = await q.query<Row>('SELECT * FROM record_templates WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) return undefined;
      const next = patchedTemplate(recordTemplateFromRow(rows[0]), patch);
      await q.query(
        'UPDATE record_templates SET name = $1, description = $2, params = $3, updated_at = $4 WHERE id = $5',
        [next.name, next.description, JSON.stringify(next.params), next.updatedAt, id],
      );
      return next;
    });
  }

  async deleteRecordTemplate(id: number): Promise<boolean> {
    return (await this.changes('DELETE FROM record_templates WHERE id = $1', [id])) > 0;
  }

  async setRecordRule(r: RecordRule): Promise<void> {
    await this.changes(
      `INSERT INTO record_rules (domain, app, stream, template_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (domain, app, stream) DO UPDATE SET template_id = excluded.template_id, updated_at = excluded.updated_at`,
      [r.domain, r.app, r.stream, r.templateId, r.createdAt, r.updatedAt],
    );
  }

  async listRecordRules(): Promise<RecordRule[]> {
    return (await this.all('SELECT * FROM record_rules ORDER BY domain, app, stream', [])).map(recordRuleFromRow);
  }

  async deleteRecordRule(domain: string, app: string, stream: string): Promise<boolean> {
    return (
      (await this.changes('DELETE FROM record_rules WHERE domain = $1 AND app = $2 AND stream = $3', [
        domain,
        app,
        stream,
      ])) > 0
    );
  }

  async addRecordTask(t: RecordTask): Promise<void> {
    await this.changes(
      `INSERT INTO record_tasks (task_id, domain, app, stream, start_time, end_time, template_id, extension, stopped, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [t.taskId, t.domain, t.app, t.stream, t.startTime, t.endTime, t.templateId, t.extension, t.stopped, t.createdAt],
    );
  }

  async getRecordTask(taskId: string): Promise<RecordTask | undefined> {
    const rows = await this.all('SELECT * FROM record_tasks WHERE task_id = $1', [taskId]);
    return rows[0] ? recordTaskFromRow(rows[0]) : undefined;
  }

  async listRecordTasks(q: RecordTaskQuery = {}): Promise<RecordTask[]> {
    const w = new Where();
    for (const [clause, value] of taskConditions(q)) w.add(clause, value);
    return (await this.all(`SELECT * FROM record_tasks${w.sql} ORDER BY start_time, task_id`, w.params)).map(
      recordTaskFromRow,
    );
  }

  async stopRecordTask(taskId: string, at: number): Promise<boolean> {
    return (
      (await this.changes('UPDATE record_tasks SET stopped = $1 WHERE task_id = $2 AND stopped = 0', [at, taskId])) > 0
    );
  }

  async deleteRecordTask(taskId: string): Promise<boolean> {
    return (await this.changes('DELETE FROM record_tasks WHERE task_id = $1', [taskId])) > 0;
  }

  async addRecordFile(f: NewRecordFile): Promise<number> {
    const rows = await this.returning(
      `INSERT INTO record_files (node_id, domain, app, stream, format, path, started_at, template_id, task_id, expires_at, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'recording') RETURNING id`,
      [this.o.nodeId, f.domain, f.app, f.stream, f.format, f.path, f.startedAt, f.templateId, f.taskId, f.expiresAt],
    );
    return Number(rows[0]?.id);
  }

  async endRecordFile(id: number, e: RecordFileEnd): Promise<boolean> {
    const n = await this.changes(
      `UPDATE record_files SET ended_at = $1, duration_ms = $2, size = $3, status = $4, error_code = $5, reason = $6, expires_at = $7
       WHERE id = $8 AND ended_at IS NULL`,
      [e.endedAt, e.durationMs, e.size, e.status, e.errorCode, e.reason, e.expiresAt, id],
    );
    return n > 0;
  }

  async getRecordFile(id: number): Promise<RecordFile | undefined> {
    const rows = await this.all('SELECT * FROM record_files WHERE id = $1', [id]);
    return rows[0] ? recordFileFromRow(rows[0]) : undefined;
  }

  async listRecordFiles(q: RecordFileQuery = {}): Promise<Page<RecordFile>> {
    const w = new Where();
    w.add('domain = ?', q.domain);
    w.add('app = ?', q.app);
    w.add('stream = ?', q.stream);
    w.add('started_at >= ?', q.since);
    w.add('started_at < ?', q.before);
    const { limit, offset } = pageOf(q);
    const count = await this.all(`SELECT count(*) AS n FROM record_files${w.sql}`, w.params);
    const n = w.params.length;
    const rows = await this.all(
      `SELECT * FROM record_files${w.sql} ORDER BY started_at, id LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...w.params, limit, offset],
    );
    return { items: rows.map(recordFileFromRow), total: Number(count[0]?.n ?? 0) };
  }

  async listOpenRecordFiles(nodeId: string = this.o.nodeId): Promise<RecordFile[]> {
    return (
      await this.all('SELECT * FROM record_files WHERE ended_at IS NULL AND node_id = $1 ORDER BY id', [nodeId])
    ).map(recordFileFromRow);
  }

  async listExpiredRecordFiles(now: number, limit: number): Promise<RecordFile[]> {
    const rows = await this.all(
      'SELECT * FROM record_files WHERE ended_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2',
      [now, limit],
    );
    return rows.map(recordFileFromRow);
  }

  async deleteRecordFile(id: number): Promise<boolean> {
    return (await this.changes('DELETE FROM record_files WHERE id = $1', [id])) > 0;
  }
}

/** A WHERE clause of the given conditions, `?` numbered as `$n`. */
class Where {
  readonly params: unknown[] = [];
  #clauses: string[] = [];

  add(clause: string, value: string | number | undefined): void {
    if (value === undefined) return;
    this.params.push(value);
    this.#clauses.push(clause.replace('?', `$${this.params.length}`));
  }

  get sql(): string {
    return this.#clauses.length ? ` WHERE ${this.#clauses.join(' AND ')}` : '';
  }
}
