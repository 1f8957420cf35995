/**
 * The callback tables of the PostgreSQL store. Like SQLite's (store/sqlite-callback-store.ts), an attempt and
 * its queue update commit in one transaction, as do an interruption and the removal of its open push; callback
 * keys are sealed with the same associated data. For a cluster, each queued delivery is leased: the node that
 * queued it holds it (`leased_by`, `leased_until` past its due time, renewed on every attempt), and a node
 * loading the queue on start takes, with `FOR UPDATE SKIP LOCKED`, only its own deliveries and those whose
 * lease ran out (a dead node's), so exactly one node delivers each. Open pushes are replayed by their node only.
 */
import { pageOf, type Page, type PruneLimits } from './store.ts';
import { PostgresTables } from './postgres-tables.ts';
import type { PostgresDb } from './postgres-db.ts';
import type { SqliteKeys } from './sqlite-keys.ts';
import { PgWhere } from './postgres-where.ts';
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

/** What the callback tables share with their store. */
export interface PostgresCallbackStoreOptions {
  readonly db: PostgresDb;
  readonly keys: SqliteKeys;
  readonly nodeId: string;
  /** Resolves once the schema is migrated. */
  readonly opened: () => Promise<void>;
  /** How long past its due time a delivery stays leased to the node that holds it. */
  readonly leaseMs: number;
  readonly now: () => number;
}

/** CallbackStore over the PostgreSQL store's pool. */
export class PostgresCallbackStore extends PostgresTables implements CallbackStore {
  private readonly o: PostgresCallbackStoreOptions;

  constructor(options: PostgresCallbackStoreOptions) {
    super(options.db);
    this.o = options;
  }

  protected opened(): Promise<void> {
    return this.o.opened();
  }

  async addCallbackTemplate(t: NewCallbackTemplate): Promise<number> {
    return await this.tx(async (q) => {
      // The key is sealed bound to the row's id, which the insert assigns.
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO callback_templates (name, description, urls, callback_key, created_at, updated_at, keys_sealed)
         VALUES ($1, $2, $3, '', $4, $4, $5) RETURNING id`,
        [t.name, t.description, JSON.stringify(cleanUrls(t.urls)), t.createdAt, this.o.keys.sealedFlag],
      );
      const id = Number(rows[0]?.id);
      await q.query('UPDATE callback_templates SET callback_key = $1 WHERE id = $2', [
        this.o.keys.seal('callback_key', String(id), t.callbackKey),
        id,
      ]);
      return id;
    });
  }

  async getCallbackTemplate(id: number): Promise<CallbackTemplate | undefined> {
    const [row] = await this.all('SELECT * FROM callback_templates WHERE id = $1', [id]);
    return row ? templateFromRow(row, this.o.keys) : undefined;
  }

  async listCallbackTemplates(): Promise<CallbackTemplate[]> {
    return (await this.all('SELECT * FROM callback_templates ORDER BY id', [])).map((r) =>
      templateFromRow(r, this.o.keys),
    );
  }

  async updateCallbackTemplate(id: number, patch: CallbackTemplatePatch): Promise<CallbackTemplate | undefined> {
    return await this.tx(async (q) => {
      const { rows } = await q.query<Row>('SELECT * FROM callback_templates WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) return undefined;
      const old = templateFromRow(rows[0], this.o.keys);
      const next: CallbackTemplate = {
        ...old,
        name: patch.name ?? old.name,
        description: patch.description ?? old.description,
        callbackKey: patch.callbackKey ?? old.callbackKey,
        urls: cleanUrls({ ...old.urls, ...patch.urls }),
        updatedAt: patch.updatedAt,
      };
      await q.query(
        'UPDATE callback_templates SET name = $1, description = $2, urls = $3, callback_key = $4, updated_at = $5, keys_sealed = $6 WHERE id = $7',
        [
          next.name,
          next.description,
          JSON.stringify(next.urls),
          this.o.keys.seal('callback_key', String(id), next.callbackKey),
          next.updatedAt,
          this.o.keys.sealedFlag,
          id,
        ],
      );
      return next;
    });
  }

  async deleteCallbackTemplate(id: number): Promise<boolean> {
    return (await this.changes('DELETE FROM callback_templates WHERE id = $1', [id])) > 0;
  }

  async setCallbackRule(r: CallbackRule): Promise<void> {
    await this.changes(
      `INSERT INTO callback_rules (domain, app, template_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (domain, app) DO UPDATE SET template_id = excluded.template_id, updated_at = excluded.updated_at`,
      [r.domain, r.app, r.templateId, r.createdAt, r.updatedAt],
    );
  }

  async getCallbackRule(domain: string, app: string): Promise<CallbackRule | undefined> {
    const [row] = await this.all('SELECT * FROM callback_rules WHERE domain = $1 AND app = $2', [domain, app]);
    return row ? ruleFromRow(row) : undefined;
  }

  async listCallbackRules(): Promise<CallbackRule[]> {
    return (await this.all('SELECT * FROM callback_rules ORDER BY domain, app', [])).map(ruleFromRow);
  }

  async deleteCallbackRule(domain: string, app: string): Promise<boolean> {
    return (await this.changes('DELETE FROM callback_rules WHERE domain = $1 AND app = $2', [domain, app])) > 0;
  }

  async addCallbackDelivery(d: NewCallbackDelivery): Promise<number> {
    return await this.tx(async (q) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO callback_deliveries (node_id, leased_by, leased_until, event_type, event_time, stream, sequence, url, body, created_at, next_at, attempts)
         VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0) RETURNING id`,
        [
          this.o.nodeId,
          this.leaseFrom(d.nextAt),
          d.eventType,
          d.eventTime,
          d.stream,
          d.sequence,
          d.url,
          d.body,
          d.createdAt,
          d.nextAt,
        ],
      );
      if (d.eventType === 0) await q.query('DELETE FROM callback_open_pushes WHERE sequence = $1', [d.sequence]);
      return Number(rows[0]?.id);
    });
  }

  /** Takes (leases to this node) and returns the queue's deliveries this node may deliver, in queue order. */
  async listCallbackDeliveries(limit: number): Promise<CallbackDelivery[]> {
    const now = this.o.now();
    const rows = await this.tx(async (q) => {
      const taken = await q.query<Row>(
        `WITH mine AS (
           SELECT id FROM callback_deliveries
           WHERE leased_by = $1 OR leased_by IS NULL OR leased_until IS NULL OR leased_until < $2
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE callback_deliveries d SET leased_by = $1, leased_until = GREATEST(d.next_at, $2) + $4
         FROM mine WHERE d.id = mine.id RETURNING d.*`,
        [this.o.nodeId, now, Math.max(0, Math.trunc(limit)), this.o.leaseMs],
      );
      return taken.rows;
    });
    return rows.map(deliveryFromRow).sort((a, b) => a.id - b.id);
  }

  async recordCallbackAttempt(a: NewCallbackAttempt, outcome: CallbackAttemptOutcome): Promise<number> {
    return await this.tx(async (q) => {
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO callback_attempts (delivery_id, event_type, event_time, stream, url, request, response, status, result_code, at, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        [
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
        ],
      );
      if (outcome === 'done') await q.query('DELETE FROM callback_deliveries WHERE id = $1', [a.deliveryId]);
      else {
        await q.query(
          'UPDATE callback_deliveries SET next_at = $1, attempts = $2, leased_by = $3, leased_until = $4 WHERE id = $5',
          [outcome.retryAt, outcome.attempts, this.o.nodeId, this.leaseFrom(outcome.retryAt), a.deliveryId],
        );
      }
      return Number(rows[0]?.id);
    });
  }

  async listCallbackAttempts(query: CallbackAttemptQuery = {}): Promise<Page<CallbackAttempt>> {
    const where = new PgWhere();
    if (query.stream !== undefined) where.add('stream = ?', query.stream);
    if (query.eventType !== undefined) where.add('event_type = ?', query.eventType);
    if (query.delivered !== undefined) where.add(query.delivered ? 'result_code = ?' : 'result_code <> ?', 0);
    if (query.since !== undefined) where.add('at >= ?', query.since);
    if (query.before !== undefined) where.add('at < ?', query.before);
    const { limit, offset } = pageOf(query);
    const [count] = await this.all(`SELECT count(*) AS n FROM callback_attempts${where.sql()}`, where.params);
    const n = where.params.length;
    const rows = await this.all(
      `SELECT * FROM callback_attempts${where.sql()} ORDER BY at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...where.params, limit, offset],
    );
    return { items: rows.map(attemptFromRow), total: Number(count?.n ?? 0) };
  }

  async pruneCallbackAttempts(before: number, limits: PruneLimits = {}): Promise<number> {
    const batch = limits.batch ?? null;
    return await this.tx(async (q) => {
      const prune = async (condition: string, param: number): Promise<number> =>
        (
          await q.query(
            `DELETE FROM callback_attempts WHERE id IN (SELECT id FROM callback_attempts WHERE ${condition} ORDER BY id LIMIT $2)`,
            [param, batch],
          )
        ).rowCount ?? 0;
      let n = await prune('at < $1', before);
      if (limits.maxRows !== undefined)
        n += await prune('id <= (SELECT id FROM callback_attempts ORDER BY id DESC LIMIT 1 OFFSET $1)', limits.maxRows);
      return n;
    });
  }

  async addOpenPush(p: OpenPush): Promise<void> {
    const key = this.o.keys.seal('callback_key', `open-push ${p.sequence}`, p.callbackKey);
    const values = [
      p.sequence,
      this.o.nodeId,
      p.url,
      key,
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
    ];
    await this.changes(
      `INSERT INTO callback_open_pushes (sequence, node_id, url, callback_key, app_id, domain, app, stream, client_ip, server_ip, query, width, height,
         started_at, keys_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (sequence) DO UPDATE SET node_id = excluded.node_id, url = excluded.url, callback_key = excluded.callback_key,
         app_id = excluded.app_id, domain = excluded.domain, app = excluded.app, stream = excluded.stream, client_ip = excluded.client_ip,
         server_ip = excluded.server_ip, query = excluded.query, width = excluded.width, height = excluded.height,
         started_at = excluded.started_at, keys_sealed = excluded.keys_sealed`,
      [...values, this.o.keys.sealedFlag],
    );
  }

  /** This node's open pushes, oldest start first: only the node that had the push replays its interruption. */
  async listOpenPushes(): Promise<OpenPush[]> {
    const rows = await this.all('SELECT * FROM callback_open_pushes WHERE node_id = $1 ORDER BY started_at, sequence', [
      this.o.nodeId,
    ]);
    return rows.map((r) => openPushFromRow(r, this.o.keys));
  }

  async deleteOpenPush(sequence: string): Promise<boolean> {
    return (await this.changes('DELETE FROM callback_open_pushes WHERE sequence = $1', [sequence])) > 0;
  }

  private leaseFrom(dueAt: number): number {
    return Math.max(dueAt, this.o.now()) + this.o.leaseMs;
  }
}
