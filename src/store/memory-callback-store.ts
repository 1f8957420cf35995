/** The callback tables of the in-memory store; the same conformance cases hold it to the SQLite behaviour. */
import { LiveError } from '../errors.ts';
import { pageOf, type Page, type PruneLimits } from './store.ts';
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

/** CallbackStore in memory, forgotten with the process. */
export class MemoryCallbackStore implements CallbackStore {
  private readonly isClosed: () => boolean;
  private readonly templates = new Map<number, CallbackTemplate>();
  private readonly rules = new Map<string, CallbackRule>();
  private readonly deliveries = new Map<number, CallbackDelivery>();
  private readonly attempts: CallbackAttempt[] = [];
  private readonly openPushes = new Map<string, OpenPush>();
  private nextTemplateId = 1;
  private nextDeliveryId = 1;
  private nextAttemptId = 1;

  constructor(isClosed: () => boolean) {
    this.isClosed = isClosed;
  }

  async addCallbackTemplate(t: NewCallbackTemplate): Promise<number> {
    this.check();
    const id = this.nextTemplateId++;
    this.templates.set(id, { ...t, urls: cleanUrls(t.urls), id, updatedAt: t.createdAt });
    return id;
  }

  async getCallbackTemplate(id: number): Promise<CallbackTemplate | undefined> {
    this.check();
    const t = this.templates.get(id);
    return t && { ...t, urls: { ...t.urls } };
  }

  async listCallbackTemplates(): Promise<CallbackTemplate[]> {
    this.check();
    return [...this.templates.values()].sort((a, b) => a.id - b.id).map((t) => ({ ...t, urls: { ...t.urls } }));
  }

  async updateCallbackTemplate(id: number, patch: CallbackTemplatePatch): Promise<CallbackTemplate | undefined> {
    this.check();
    const old = this.templates.get(id);
    if (!old) return undefined;
    const next: CallbackTemplate = {
      ...old,
      name: patch.name ?? old.name,
      description: patch.description ?? old.description,
      callbackKey: patch.callbackKey ?? old.callbackKey,
      urls: cleanUrls({ ...old.urls, ...patch.urls }),
      updatedAt: patch.updatedAt,
    };
    this.templates.set(id, next);
    return { ...next, urls: { ...next.urls } };
  }

  async deleteCallbackTemplate(id: number): Promise<boolean> {
    this.check();
    return this.templates.delete(id);
  }

  async setCallbackRule(r: CallbackRule): Promise<void> {
    this.check();
    const key = ruleKey(r.domain, r.app);
    const old = this.rules.get(key);
    this.rules.set(key, old ? { ...r, createdAt: old.createdAt } : { ...r });
  }

  async getCallbackRule(domain: string, app: string): Promise<CallbackRule | undefined> {
    this.check();
    const r = this.rules.get(ruleKey(domain, app));
    return r && { ...r };
  }

  async listCallbackRules(): Promise<CallbackRule[]> {
    this.check();
    return [...this.rules.values()]
      .sort((a, b) => compare(a.domain, b.domain) || compare(a.app, b.app))
      .map((r) => ({ ...r }));
  }

  async deleteCallbackRule(domain: string, app: string): Promise<boolean> {
    this.check();
    return this.rules.delete(ruleKey(domain, app));
  }

  async addCallbackDelivery(d: NewCallbackDelivery): Promise<number> {
    this.check();
    const id = this.nextDeliveryId++;
    this.deliveries.set(id, { ...d, id, attempts: 0 });
    if (d.eventType === 0) this.openPushes.delete(d.sequence);
    return id;
  }

  async listCallbackDeliveries(limit: number): Promise<CallbackDelivery[]> {
    this.check();
    return [...this.deliveries.values()].slice(0, limit).map((d) => ({ ...d }));
  }

  async recordCallbackAttempt(a: NewCallbackAttempt, outcome: CallbackAttemptOutcome): Promise<number> {
    this.check();
    const id = this.nextAttemptId++;
    this.attempts.push({ ...a, id });
    const d = this.deliveries.get(a.deliveryId);
    if (outcome === 'done') this.deliveries.delete(a.deliveryId);
    else if (d) this.deliveries.set(d.id, { ...d, nextAt: outcome.retryAt, attempts: outcome.attempts });
    return id;
  }

  async listCallbackAttempts(q: CallbackAttemptQuery = {}): Promise<Page<CallbackAttempt>> {
    this.check();
    const all = this.attempts
      .filter(
        (a) =>
          (q.stream === undefined || a.stream === q.stream) &&
          (q.eventType === undefined || a.eventType === q.eventType),
      )
      .filter((a) => q.delivered === undefined || (a.resultCode === 0) === q.delivered)
      .filter((a) => (q.since === undefined || a.at >= q.since) && (q.before === undefined || a.at < q.before))
      .sort((a, b) => b.at - a.at || b.id - a.id);
    const { limit, offset } = pageOf(q);
    return { items: all.slice(offset, offset + limit).map((a) => ({ ...a })), total: all.length };
  }

  async pruneCallbackAttempts(before: number, limits: PruneLimits = {}): Promise<number> {
    this.check();
    const batch = limits.batch ?? Infinity;
    const prune = (test: (a: CallbackAttempt) => boolean): number => {
      let deleted = 0;
      const kept = this.attempts.filter((a) => (deleted < batch && test(a) ? (deleted++, false) : true));
      this.attempts.splice(0, this.attempts.length, ...kept);
      return deleted;
    };
    let n = prune((a) => a.at < before);
    const newest =
      limits.maxRows === undefined ? undefined : this.attempts[this.attempts.length - 1 - limits.maxRows]?.id;
    if (newest !== undefined) n += prune((a) => a.id <= newest);
    return n;
  }

  async addOpenPush(push: OpenPush): Promise<void> {
    this.check();
    this.openPushes.set(push.sequence, { ...push });
  }

  async listOpenPushes(): Promise<OpenPush[]> {
    this.check();
    return [...this.openPushes.values()]
      .sort((a, b) => a.startedAt - b.startedAt || compare(a.sequence, b.sequence))
      .map((p) => ({ ...p }));
  }

  async deleteOpenPush(sequence: string): Promise<boolean> {
    this.check();
    return this.openPushes.delete(sequence);
  }

  private check(): void {
    if (this.isClosed()) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}

function ruleKey(domain: string, app: string): string {
  return JSON.stringify([domain, app]);
}

/** Binary order, as SQLite's default collation sorts TEXT. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
