/**
 * The recording tables of the SQLite store (migration 7), sharing the store's connection and write queue:
 * templates (Tencent parameters as JSON), rules, tasks and recorded files.
 */
import { taskConditions, whereOf } from './sql-conditions.ts';
import { SqliteStatements } from './sqlite-statements.ts';
import type { DatabaseSync } from 'node:sqlite';
import { pageOf, type Page } from './store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
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

/** RecordStore over the SQLite store's database. */
export class SqliteRecordStore extends SqliteStatements implements RecordStore {
  private readonly nodeId: string;

  constructor(db: DatabaseSync, queue: SqliteWriteQueue, nodeId: string) {
    super(db, queue);
    this.nodeId = nodeId;
  }

  addRecordTemplate(t: NewRecordTemplate): Promise<number> {
    return this.write(() =>
      Number(
        this.sql(
          'INSERT INTO record_templates (name, description, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        ).run(t.name, t.description, JSON.stringify(t.params), t.createdAt, t.createdAt).lastInsertRowid,
      ),
    );
  }

  getRecordTemplate(id: number): Promise<RecordTemplate | undefined> {
    return this.read(() => this.template(id));
  }

  listRecordTemplates(): Promise<RecordTemplate[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM record_templates ORDER BY id').all() as Row[]).map(recordTemplateFromRow),
    );
  }

  updateRecordTemplate(id: number, patch: RecordTemplatePatch): Promise<RecordTemplate | undefined> {
    return this.write(() => {
      const old = this.template(id);
      if (!old) return undefined;
      const next = patchedTemplate(old, patch);
      this.sql('UPDATE record_templates SET name = ?, description = ?, params = ?, updated_at = ? WHERE id = ?').run(
        next.name,
        next.description,
        JSON.stringify(next.params),
        next.updatedAt,
        id,
      );
      return next;
    });
  }

  deleteRecordTemplate(id: number): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM record_templates WHERE id = ?').run(id).changes > 0);
  }

  setRecordRule(r: RecordRule): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO record_rules (domain, app, stream, template_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (domain, app, stream) DO UPDATE SET template_id = excluded.template_id, updated_at = excluded.updated_at`,
      ).run(r.domain, r.app, r.stream, r.templateId, r.createdAt, r.updatedAt);
    });
  }

  listRecordRules(): Promise<RecordRule[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM record_rules ORDER BY domain, app, stream').all() as Row[]).map(recordRuleFromRow),
    );
  }

  deleteRecordRule(domain: string, app: string, stream: string): Promise<boolean> {
    return this.write(
      () =>
        this.sql('DELETE FROM record_rules WHERE domain = ? AND app = ? AND stream = ?').run(domain, app, stream)
          .changes > 0,
    );
  }

  addRecordTask(t: RecordTask): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO record_tasks (task_id, domain, app, stream, start_time, end_time, template_id, extension, stopped, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        t.taskId,
        t.domain,
        t.app,
        t.stream,
        t.startTime,
        t.endTime,
        t.templateId,
        t.extension,
        t.stopped,
        t.createdAt,
      );
    });
  }

  getRecordTask(taskId: string): Promise<RecordTask | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM record_tasks WHERE task_id = ?').get(taskId) as Row | undefined;
      return row ? recordTaskFromRow(row) : undefined;
    });
  }

  listRecordTasks(q: RecordTaskQuery = {}): Promise<RecordTask[]> {
    return this.read(() => {
      const { where, params } = whereOf(taskConditions(q));
      return (this.sql(`SELECT * FROM record_tasks${where} ORDER BY start_time, task_id`).all(...params) as Row[]).map(
        recordTaskFromRow,
      );
    });
  }

  stopRecordTask(taskId: string, at: number): Promise<boolean> {
    return this.write(
      () =>
        this.sql('UPDATE record_tasks SET stopped = ? WHERE task_id = ? AND stopped = 0').run(at, taskId).changes > 0,
    );
  }

  deleteRecordTask(taskId: string): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM record_tasks WHERE task_id = ?').run(taskId).changes > 0);
  }

  addRecordFile(f: NewRecordFile): Promise<number> {
    return this.write(() =>
      Number(
        this.sql(
          `INSERT INTO record_files (node_id, domain, app, stream, format, path, started_at, template_id, task_id, expires_at, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'recording')`,
        ).run(
          this.nodeId,
          f.domain,
          f.app,
          f.stream,
          f.format,
          f.path,
          f.startedAt,
          f.templateId,
          f.taskId,
          f.expiresAt,
        ).lastInsertRowid,
      ),
    );
  }

  endRecordFile(id: number, e: RecordFileEnd): Promise<boolean> {
    return this.write(
      () =>
        this.sql(
          `UPDATE record_files SET ended_at = ?, duration_ms = ?, size = ?, status = ?, error_code = ?, reason = ?, expires_at = ?
           WHERE id = ? AND ended_at IS NULL`,
        ).run(e.endedAt, e.durationMs, e.size, e.status, e.errorCode, e.reason, e.expiresAt, id).changes > 0,
    );
  }

  getRecordFile(id: number): Promise<RecordFile | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM record_files WHERE id = ?').get(id) as Row | undefined;
      return row ? recordFileFromRow(row) : undefined;
    });
  }

  listRecordFiles(q: RecordFileQuery = {}): Promise<Page<RecordFile>> {
    return this.read(() => {
      const { where, params } = whereOf([
        ['domain = ?', q.domain],
        ['app = ?', q.app],
        ['stream = ?', q.stream],
        ['started_at >= ?', q.since],
        ['started_at < ?', q.before],
      ]);
      const { limit, offset } = pageOf(q);
      const count = this.sql(`SELECT count(*) AS n FROM record_files${where}`).get(...params) as { n: number };
      const rows = this.sql(`SELECT * FROM record_files${where} ORDER BY started_at, id LIMIT ? OFFSET ?`).all(
        ...params,
        limit,
        offset,
      ) as Row[];
      return { items: rows.map(recordFileFromRow), total: count.n };
    });
  }

  listOpenRecordFiles(nodeId: string = this.nodeId): Promise<RecordFile[]> {
    return this.read(() =>
      (
        this.sql('SELECT * FROM record_files WHERE ended_at IS NULL AND node_id = ? ORDER BY id').all(nodeId) as Row[]
      ).map(recordFileFromRow),
    );
  }

  listExpiredRecordFiles(now: number, limit: number): Promise<RecordFile[]> {
    return this.read(() =>
      (
        this.sql(
          'SELECT * FROM record_files WHERE ended_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?',
        ).all(now, limit) as Row[]
      ).map(recordFileFromRow),
    );
  }

  deleteRecordFile(id: number): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM record_files WHERE id = ?').run(id).changes > 0);
  }

  private template(id: number): RecordTemplate | undefined {
    const row = this.sql('SELECT * FROM record_templates WHERE id = ?').get(id) as Row | undefined;
    return row ? recordTemplateFromRow(row) : undefined;
  }
}
