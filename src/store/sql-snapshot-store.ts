/**
 * The snapshot tables (SQLite migration 8, PostgreSQL migration 3) over either database: the SQL is the same
 * in both dialects, written with `?` placeholders; each adapter's SnapshotSql runs it (PostgreSQL numbers them).
 */
import { taskConditions, whereOf } from './sql-conditions.ts';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { LiveError } from '../errors.ts';
import type { PostgresDb } from './postgres-db.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { pageOf, type Page } from './store.ts';
import { recordRuleFromRow, recordTaskFromRow } from './record-rows.ts';
import {
  patchedSnapshotTemplate,
  snapshotFileFromRow,
  snapshotTemplateFromRow,
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

type Row = Record<string, unknown>;
/** A value bound to a placeholder. */
export type SqlValue = string | number | null;

/** How an adapter runs one statement (`?` placeholders). */
export interface SnapshotSql {
  all(sql: string, params: SqlValue[]): Promise<Row[]>;
  /** Runs a write and returns the rows it changed. */
  run(sql: string, params: SqlValue[]): Promise<number>;
  /** Runs an INSERT and returns the new row's id. */
  insert(sql: string, params: SqlValue[]): Promise<number>;
}

/** SnapshotStore over a SnapshotSql. */
export class SqlSnapshotStore implements SnapshotStore {
  readonly #sql: SnapshotSql;
  readonly #nodeId: string;

  constructor(sql: SnapshotSql, nodeId: string) {
    this.#sql = sql;
    this.#nodeId = nodeId;
  }

  addSnapshotTemplate(t: NewSnapshotTemplate): Promise<number> {
    return this.#sql.insert(
      'INSERT INTO snapshot_templates (name, description, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      [t.name, t.description, JSON.stringify(t.params), t.createdAt, t.createdAt],
    );
  }

  async getSnapshotTemplate(id: number): Promise<SnapshotTemplate | undefined> {
    const rows = await this.#sql.all('SELECT * FROM snapshot_templates WHERE id = ?', [id]);
    return rows[0] ? snapshotTemplateFromRow(rows[0]) : undefined;
  }

  async listSnapshotTemplates(): Promise<SnapshotTemplate[]> {
    return (await this.#sql.all('SELECT * FROM snapshot_templates ORDER BY id', [])).map(snapshotTemplateFromRow);
  }

  async updateSnapshotTemplate(id: number, patch: SnapshotTemplatePatch): Promise<SnapshotTemplate | undefined> {
    const old = await this.getSnapshotTemplate(id);
    if (!old) return undefined;
    const next = patchedSnapshotTemplate(old, patch);
    const n = await this.#sql.run(
      'UPDATE snapshot_templates SET name = ?, description = ?, params = ?, updated_at = ? WHERE id = ?',
      [next.name, next.description, JSON.stringify(next.params), next.updatedAt, id],
    );
    return n > 0 ? next : undefined;
  }

  async deleteSnapshotTemplate(id: number): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM snapshot_templates WHERE id = ?', [id])) > 0;
  }

  async setSnapshotRule(r: SnapshotRule): Promise<void> {
    await this.#sql.run(
      `INSERT INTO snapshot_rules (domain, app, stream, template_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (domain, app, stream) DO UPDATE SET template_id = excluded.template_id, updated_at = excluded.updated_at`,
      [r.domain, r.app, r.stream, r.templateId, r.createdAt, r.updatedAt],
    );
  }

  async listSnapshotRules(): Promise<SnapshotRule[]> {
    return (await this.#sql.all('SELECT * FROM snapshot_rules ORDER BY domain, app, stream', [])).map(
      recordRuleFromRow,
    );
  }

  async deleteSnapshotRule(domain: string, app: string, stream: string): Promise<boolean> {
    return (
      (await this.#sql.run('DELETE FROM snapshot_rules WHERE domain = ? AND app = ? AND stream = ?', [
        domain,
        app,
        stream,
      ])) > 0
    );
  }

  async addSnapshotTask(t: SnapshotTask): Promise<void> {
    await this.#sql.run(
      `INSERT INTO snapshot_tasks (task_id, domain, app, stream, start_time, end_time, template_id, extension, stopped, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [t.taskId, t.domain, t.app, t.stream, t.startTime, t.endTime, t.templateId, t.extension, t.stopped, t.createdAt],
    );
  }

  async getSnapshotTask(taskId: string): Promise<SnapshotTask | undefined> {
    const rows = await this.#sql.all('SELECT * FROM snapshot_tasks WHERE task_id = ?', [taskId]);
    return rows[0] ? recordTaskFromRow(rows[0]) : undefined;
  }

  async listSnapshotTasks(q: SnapshotTaskQuery = {}): Promise<SnapshotTask[]> {
    const { where, params } = whereOf(taskConditions(q));
    return (await this.#sql.all(`SELECT * FROM snapshot_tasks${where} ORDER BY start_time, task_id`, params)).map(
      recordTaskFromRow,
    );
  }

  async stopSnapshotTask(taskId: string, at: number): Promise<boolean> {
    return (
      (await this.#sql.run('UPDATE snapshot_tasks SET stopped = ? WHERE task_id = ? AND stopped = 0', [at, taskId])) > 0
    );
  }

  async deleteSnapshotTask(taskId: string): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM snapshot_tasks WHERE task_id = ?', [taskId])) > 0;
  }

  addSnapshotFile(f: NewSnapshotFile): Promise<number> {
    return this.#sql.insert(
      `INSERT INTO snapshot_files (node_id, domain, app, stream, path, taken_at, width, height, size, template_id, task_id, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        this.#nodeId,
        f.domain,
        f.app,
        f.stream,
        f.path,
        f.takenAt,
        f.width,
        f.height,
        f.size,
        f.templateId,
        f.taskId,
        f.expiresAt,
      ],
    );
  }

  async getSnapshotFile(id: number): Promise<SnapshotFile | undefined> {
    const rows = await this.#sql.all('SELECT * FROM snapshot_files WHERE id = ?', [id]);
    return rows[0] ? snapshotFileFromRow(rows[0]) : undefined;
  }

  async listSnapshotFiles(q: SnapshotFileQuery = {}): Promise<Page<SnapshotFile>> {
    const { where, params } = whereOf([
      ['domain = ?', q.domain],
      ['app = ?', q.app],
      ['stream = ?', q.stream],
      ['taken_at >= ?', q.since],
      ['taken_at < ?', q.before],
    ]);
    const { limit, offset } = pageOf(q);
    const order = q.descending ? 'taken_at DESC, id DESC' : 'taken_at, id';
    const count = await this.#sql.all(`SELECT count(*) AS n FROM snapshot_files${where}`, params);
    const rows = await this.#sql.all(`SELECT * FROM snapshot_files${where} ORDER BY ${order} LIMIT ? OFFSET ?`, [
      ...params,
      limit,
      offset,
    ]);
    return { items: rows.map(snapshotFileFromRow), total: Number(count[0]?.n ?? 0) };
  }

  async listExpiredSnapshotFiles(now: number, limit: number): Promise<SnapshotFile[]> {
    const rows = await this.#sql.all(
      'SELECT * FROM snapshot_files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?',
      [now, limit],
    );
    return rows.map(snapshotFileFromRow);
  }

  async deleteSnapshotFile(id: number): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM snapshot_files WHERE id = ?', [id])) > 0;
  }
}

/** The tables, for both dialects (`INTEGER`/`BIGINT` and the SQLite/PostgreSQL spelling of an id column). */
export function snapshotTablesSql(d: { id: string; int: string; text: string; strict: string }): string {
  return `
      CREATE TABLE snapshot_templates (
        id ${d.id},
        name ${d.text} NOT NULL,
        description ${d.text} NOT NULL,
        params ${d.text} NOT NULL,
        created_at ${d.int} NOT NULL,
        updated_at ${d.int} NOT NULL
      )${d.strict};
      CREATE TABLE snapshot_rules (
        domain ${d.text} NOT NULL,
        app ${d.text} NOT NULL,
        stream ${d.text} NOT NULL,
        template_id ${d.int} NOT NULL,
        created_at ${d.int} NOT NULL,
        updated_at ${d.int} NOT NULL,
        PRIMARY KEY (domain, app, stream)
      )${d.strict};
      CREATE TABLE snapshot_tasks (
        task_id ${d.text} PRIMARY KEY,
        domain ${d.text} NOT NULL,
        app ${d.text} NOT NULL,
        stream ${d.text} NOT NULL,
        start_time ${d.int} NOT NULL,
        end_time ${d.int} NOT NULL,
        template_id ${d.int} NOT NULL,
        extension ${d.text} NOT NULL,
        stopped ${d.int} NOT NULL,
        created_at ${d.int} NOT NULL
      )${d.strict};
      CREATE INDEX snapshot_tasks_start ON snapshot_tasks (start_time);
      CREATE TABLE snapshot_files (
        id ${d.id},
        node_id ${d.text} NOT NULL,
        domain ${d.text} NOT NULL,
        app ${d.text} NOT NULL,
        stream ${d.text} NOT NULL,
        path ${d.text} NOT NULL,
        taken_at ${d.int} NOT NULL,
        width ${d.int} NOT NULL,
        height ${d.int} NOT NULL,
        size ${d.int} NOT NULL,
        template_id ${d.int} NOT NULL,
        task_id ${d.text} NOT NULL,
        expires_at ${d.int}
      )${d.strict};
      CREATE INDEX snapshot_files_stream ON snapshot_files (app, stream, taken_at);
      CREATE INDEX snapshot_files_taken ON snapshot_files (taken_at);
      CREATE INDEX snapshot_files_expires ON snapshot_files (expires_at) WHERE expires_at IS NOT NULL;
  `;
}

/** SQLite's spelling of the tables. */
export const sqliteSnapshotTables = snapshotTablesSql({
  id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  int: 'INTEGER',
  text: 'TEXT',
  strict: ' STRICT',
});
/** PostgreSQL's (text in the C collation, as every other table). */
export const postgresSnapshotTables = snapshotTablesSql({
  id: 'BIGSERIAL PRIMARY KEY',
  int: 'BIGINT',
  text: 'TEXT COLLATE "C"',
  strict: '',
});

/** SnapshotSql over the SQLite store's connection and write queue. */
export function sqliteSnapshotSql(db: DatabaseSync, queue: SqliteWriteQueue): SnapshotSql {
  const statements = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let s = statements.get(text);
    if (!s) statements.set(text, (s = db.prepare(text)));
    return s;
  };
  return {
    all: (text, params) => queue.read(() => sql(text).all(...params) as Row[]).catch(storeFailed),
    run: (text, params) => queue.write(() => Number(sql(text).run(...params).changes)).catch(storeFailed),
    insert: (text, params) => queue.write(() => Number(sql(text).run(...params).lastInsertRowid)).catch(storeFailed),
  };
}

/** SnapshotSql over the PostgreSQL store's pool (`?` numbered as `$n`). */
export function postgresSnapshotSql(db: PostgresDb, opened: () => Promise<void>): SnapshotSql {
  const numbered = (text: string): string => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  return {
    all: async (text, params) => {
      await opened();
      return await db.read(async (q) => (await q.query<Row>(numbered(text), params)).rows);
    },
    run: async (text, params) => {
      await opened();
      return (await db.write((q) => q.query(numbered(text), params))).rowCount ?? 0;
    },
    insert: async (text, params) => {
      await opened();
      return Number((await db.write((q) => q.query<Row>(`${numbered(text)} RETURNING id`, params))).rows[0]?.id);
    },
  };
}

function storeFailed(err: unknown): Promise<never> {
  if (err instanceof LiveError) return Promise.reject(err);
  const message = err instanceof Error ? err.message : String(err);
  return Promise.reject(new LiveError('STORE_FAILED', `database error: ${message}`, { cause: err }));
}
