/**
 * The callback tables of the SQLite store (migrations 3 and 4): templates with their URLs as one JSON column
 * (a new URL kind needs no migration), rules keyed by domain + app, the delivery queue, the attempts and the
 * open pushes. It shares the store's connection and write queue; an attempt and its queue update commit in
 * one transaction, as do an interruption and the removal of its open push. Callback keys are sealed with the
 * data key (store/sqlite-keys.ts).
 */
import { SqliteStatements } from './sqlite-statements.ts';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { pageOf, type Page, type PruneLimits } from './store.ts';
import type { SqliteKeys } from './sqlite-keys.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import {
  cleanUrls,
  type CallbackAttempt,
  type CallbackAttemptOutcome,
  type CallbackAttemptQuery,
  type CallbackDelivery,
  type CallbackRule,
  type CallbackStore,
  type CallbackTemplate,
  type CallbackTemplatePatch,
  type NewCallbackAttempt,
  type NewCallbackDelivery,
  type NewCallbackTemplate,
  type OpenPush,
} from './callback-store.ts';
import {
  attemptFromRow,
  deliveryFromRow,
  openPushFromRow,
  ruleFromRow,
  templateFromRow,
  type Row,
} from './callback-rows.ts';

/** CallbackStore over the SQLite store's database. */
export class SqliteCallbackStore extends SqliteStatements implements CallbackStore {
  private readonly keys: SqliteKeys;

  constructor(db: DatabaseSync, queue: SqliteWriteQueue, keys: SqliteKeys) {
    super(db, queue);
    this.keys = keys;
  }

  addCallbackTemplate(t: NewCallbackTemplate): Promise<number> {
    return this.write(() =>
      this.transaction(() => {
        // The key is sealed bound to the row's id, which the insert assigns.
        const result = this.sql(
          `INSERT INTO callback_templates (name, description, urls, callback_key, created_at, updated_at, keys_sealed)
           VALUES (?, ?, ?, '', ?, ?, ?)`,
        ).run(t.name, t.description, JSON.stringify(cleanUrls(t.urls)), t.createdAt, t.createdAt, this.keys.sealedFlag);
        const id = Number(result.lastInsertRowid);
        this.sql('UPDATE callback_templates SET callback_key = ? WHERE id = ?').run(
          this.keys.seal('callback_key', String(id), t.callbackKey),
          id,
        );
        return id;
      }),
    );
  }

  getCallbackTemplate(id: number): Promise<CallbackTemplate | undefined> {
    return this.read(() => this.template(id));
  }

  listCallbackTemplates(): Promise<CallbackTemplate[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM callback_templates ORDER BY id').all() as Row[]).map((r) =>
        templateFromRow(r, this.keys),
      ),
    );
  }

  updateCallbackTemplate(id: number, patch: CallbackTemplatePatch): Promise<CallbackTemplate | undefined> {
    return this.write(() => {
      const old = this.template(id);
      if (!old) return undefined;
      const next: CallbackTemplate = {
        ...old,
        name: patch.name ?? old.name,
        description: patch.description ?? old.description,
        callbackKey: patch.callbackKey ?? old.callbackKey,
        urls: cleanUrls({ ...old.urls, ...patch.urls }),
        updatedAt: patch.updatedAt,
      };
      this.sql(
        'UPDATE callback_templates SET name = ?, description = ?, urls = ?, callback_key = ?, updated_at = ?, keys_sealed = ? WHERE id = ?',
      ).run(
        next.name,
        next.description,
        JSON.stringify(next.urls),
        this.keys.seal('callback_key', String(id), next.callbackKey),
        next.updatedAt,
        this.keys.sealedFlag,
        id,
      );
      return next;
    });
  }

  deleteCallbackTemplate(id: number): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM callback_templates WHERE id = ?').run(id).changes > 0);
  }

  setCallbackRule(r: CallbackRule): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO callback_rules (domain, app, template_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (domain, app) DO UPDATE SET template_id = excluded.template_id, updated_at = excluded.updated_at`,
      ).run(r.domain, r.app, r.templateId, r.createdAt, r.updatedAt);
    });
  }

  getCallbackRule(domain: string, app: string): Promise<CallbackRule | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM callback_rules WHERE domain = ? AND app = ?').get(domain, app) as
        Row | undefined;
      return row ? ruleFromRow(row) : undefined;
    });
  }

  listCallbackRules(): Promise<CallbackRule[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM callback_rules ORDER BY domain, app').all() as Row[]).map(ruleFromRow),
    );
  }

  deleteCallbackRule(domain: string, app: string): Promise<boolean> {
    return this.write(
      () => this.sql('DELETE FROM callback_rules WHERE domain = ? AND app = ?').run(domain, app).changes > 0,
    );
  }

  addCallbackDelivery(d: NewCallbackDelivery): Promise<number> {
    return this.write(() =>
      this.transaction(() => {
        const result = this.sql(
          `INSERT INTO callback_deliveries (event_type, event_time, stream, sequence, url, body, created_at, next_at, attempts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        ).run(d.eventType, d.eventTime, d.stream, d.sequence, d.url, d.body, d.createdAt, d.nextAt);
        if (d.eventType === 0) this.sql('DELETE FROM callback_open_pushes WHERE sequence = ?').run(d.sequence);
        return Number(result.lastInsertRowid);
      }),
    );
  }

  listCallbackDeliveries(limit: number): Promise<CallbackDelivery[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM callback_deliveries ORDER BY id LIMIT ?').all(limit) as Row[]).map(deliveryFromRow),
    );
  }

  recordCallbackAttempt(a: NewCallbackAttempt, outcome: CallbackAttemptOutcome): Promise<number> {
    return this.write(() =>
      this.transaction(() => {
        const result = this.sql(
          `INSERT INTO callback_attempts (delivery_id, event_type, event_time, stream, url, request, response, status,
             result_code, at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          a.deliveryId,
          a.eventType,
          a.eventTime,
          a.stream,
          a.url,
          a.request,
          a.response,
          a.status,
          a.resultCode,
          a.at,
          a.durationMs,
        );
        if (outcome === 'done') this.sql('DELETE FROM callback_deliveries WHERE id = ?').run(a.deliveryId);
        else
          this.sql('UPDATE callback_deliveries SET next_at = ?, attempts = ? WHERE id = ?').run(
            outcome.retryAt,
            outcome.attempts,
            a.deliveryId,
          );
        return Number(result.lastInsertRowid);
      }),
    );
  }

  listCallbackAttempts(query: CallbackAttemptQuery = {}): Promise<Page<CallbackAttempt>> {
    return this.read(() => {
      const clauses: string[] = [];
      const params: SQLInputValue[] = [];
      const add = (clause: string, value: SQLInputValue): void => {
        clauses.push(clause);
        params.push(value);
      };
      if (query.stream !== undefined) add('stream = ?', query.stream);
      if (query.eventType !== undefined) add('event_type = ?', query.eventType);
      if (query.delivered !== undefined) add(query.delivered ? 'result_code = ?' : 'result_code <> ?', 0);
      if (query.since !== undefined) add('at >= ?', query.since);
      if (query.before !== undefined) add('at < ?', query.before);
      const where = clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '';
      const { limit, offset } = pageOf(query);
      const count = this.sql(`SELECT count(*) AS n FROM callback_attempts${where}`).get(...params) as { n: number };
      const rows = this.sql(`SELECT * FROM callback_attempts${where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`).all(
        ...params,
        limit,
        offset,
      ) as Row[];
      return { items: rows.map(attemptFromRow), total: count.n };
    });
  }

  pruneCallbackAttempts(before: number, limits: PruneLimits = {}): Promise<number> {
    const batch = limits.batch ?? -1;
    return this.write(() =>
      this.transaction(() => {
        const prune = (condition: string, param: number): number =>
          Number(
            this.sql(
              `DELETE FROM callback_attempts WHERE id IN (SELECT id FROM callback_attempts WHERE ${condition} ORDER BY id LIMIT ?)`,
            ).run(param, batch).changes,
          );
        let n = prune('at < ?', before);
        if (limits.maxRows !== undefined)
          n += prune('id <= (SELECT id FROM callback_attempts ORDER BY id DESC LIMIT 1 OFFSET ?)', limits.maxRows);
        return n;
      }),
    );
  }

  addOpenPush(p: OpenPush): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT OR REPLACE INTO callback_open_pushes (sequence, url, callback_key, app_id, domain, app, stream, client_ip,
           server_ip, query, width, height, started_at, keys_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        p.sequence,
        p.url,
        this.keys.seal('callback_key', `open-push ${p.sequence}`, p.callbackKey),
        p.appId,
        p.domain,
        p.app,
        p.stream,
        p.clientIp,
        p.serverIp,
        p.query,
        p.width,
        p.height,
        p.startedAt,
        this.keys.sealedFlag,
      );
    });
  }

  listOpenPushes(): Promise<OpenPush[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM callback_open_pushes ORDER BY started_at, sequence').all() as Row[]).map((r) =>
        openPushFromRow(r, this.keys),
      ),
    );
  }

  deleteOpenPush(sequence: string): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM callback_open_pushes WHERE sequence = ?').run(sequence).changes > 0);
  }

  private template(id: number): CallbackTemplate | undefined {
    const row = this.sql('SELECT * FROM callback_templates WHERE id = ?').get(id) as Row | undefined;
    return row ? templateFromRow(row, this.keys) : undefined;
  }
}
