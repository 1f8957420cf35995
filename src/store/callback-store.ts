/**
 * What the Store keeps for event callbacks (Tencent CSS "callback templates" and "rules"): the templates
 * and their bindings to a push domain + AppName, the persisted queue of deliveries still owed to a
 * receiver (so a restart loses none), and one record per delivery attempt (DescribeCallbackRecordsList).
 * Every Store adapter exposes it as `store.callbacks`. Times are Unix milliseconds.
 */
import type { Page, PageOptions, PruneLimits } from './store.ts';

/** The URL slots of a template, one per event kind (Tencent `StreamBeginNotifyUrl`, ... without the suffix). */
export const callbackUrlKinds = [
  'streamBegin',
  'streamEnd',
  'record',
  'recordStatus',
  'snapshot',
  'pornCensorship',
  'pushException',
  'audioAudit',
  'recordException',
  'streamMix',
] as const;

/** One URL slot of a template. */
export type CallbackUrlKind = (typeof callbackUrlKinds)[number];

/** The receiver URLs of a template; a kind without a URL sends nothing. */
export type CallbackUrls = Partial<Record<CallbackUrlKind, string>>;

/** A template as it is written (Tencent CreateLiveCallbackTemplate). */
export interface NewCallbackTemplate {
  readonly name: string;
  readonly description: string;
  readonly urls: CallbackUrls;
  /** The key of `sign = MD5(key + t)`; empty when the operator set none. */
  readonly callbackKey: string;
  readonly createdAt: number;
}

/** A stored template. */
export interface CallbackTemplate extends NewCallbackTemplate {
  readonly id: number;
  readonly updatedAt: number;
}

/** The fields ModifyLiveCallbackTemplate may change; `urls` entries replace one slot each ('' clears it). */
export interface CallbackTemplatePatch {
  readonly name?: string;
  readonly description?: string;
  readonly urls?: CallbackUrls;
  readonly callbackKey?: string;
  readonly updatedAt: number;
}

/** A template bound to the pushes of one domain + AppName (Tencent CreateLiveCallbackRule). */
export interface CallbackRule {
  readonly domain: string;
  readonly app: string;
  readonly templateId: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A callback owed to a receiver, as it is queued. */
export interface NewCallbackDelivery {
  /** Tencent event_type: 1 push, 0 interruption, 321 push error. */
  readonly eventType: number;
  readonly eventTime: number;
  readonly stream: string;
  /** Deliveries of one sequence (one push) reach the receiver in queue order. */
  readonly sequence: string;
  readonly url: string;
  /** The JSON body, sent as is on every attempt. */
  readonly body: string;
  readonly createdAt: number;
  /** When the next attempt is due. */
  readonly nextAt: number;
}

/** A queued delivery and the attempts it has had. */
export interface CallbackDelivery extends NewCallbackDelivery {
  readonly id: number;
  readonly attempts: number;
}

/** One attempt to deliver a callback, as it is recorded. */
export interface NewCallbackAttempt {
  readonly deliveryId: number;
  readonly eventType: number;
  readonly eventTime: number;
  readonly stream: string;
  readonly url: string;
  readonly request: string;
  /** The receiver's body (cut short) or what went wrong when there was no response. */
  readonly response: string;
  /** The HTTP status, 0 when no response arrived. */
  readonly status: number;
  /** Tencent ResultCode: 0 delivered, otherwise the HTTP status or a negative code (docs/api.md). */
  readonly resultCode: number;
  /** When the attempt finished (Tencent ResponseTime). */
  readonly at: number;
  readonly durationMs: number;
}

/** A recorded attempt. */
export interface CallbackAttempt extends NewCallbackAttempt {
  readonly id: number;
}

/** What happens to the delivery after an attempt: due again at `nextAt`, or done (delivered or given up). */
export type CallbackAttemptOutcome = { readonly retryAt: number; readonly attempts: number } | 'done';

/** Filters of listCallbackAttempts (newest first); `since`/`before` bound the attempt time. */
export interface CallbackAttemptQuery extends PageOptions {
  readonly stream?: string;
  readonly eventType?: number;
  /** true: only delivered attempts (result 0); false: only failed ones. */
  readonly delivered?: boolean;
  readonly since?: number;
  readonly before?: number;
}

/**
 * A push whose interruption (event 0) is still owed: what the next start needs to send it when the server
 * was killed while the push was live. Written when the push event is queued; queuing the interruption of
 * its sequence removes it.
 */
export interface OpenPush {
  readonly sequence: string;
  /** The template's StreamEndNotifyUrl and CallbackKey when the push started (the push keeps its template). */
  readonly url: string;
  readonly callbackKey: string;
  /** The push's body fields (callback-events.ts PushIdentity and the picture size). */
  readonly appId: number;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly clientIp: string;
  readonly serverIp: string;
  readonly query: string;
  readonly width: number;
  readonly height: number;
  /** When the publish was accepted. */
  readonly startedAt: number;
}

/** The callback tables of a Store; every method may throw LiveError STORE_FAILED. */
export interface CallbackStore {
  /** Adds a template and returns its id (ids are never reused). */
  addCallbackTemplate(template: NewCallbackTemplate): Promise<number>;
  getCallbackTemplate(id: number): Promise<CallbackTemplate | undefined>;
  /** Every template, by id. */
  listCallbackTemplates(): Promise<CallbackTemplate[]>;
  /** Applies a patch and returns the result, or undefined when there is no such template. */
  updateCallbackTemplate(id: number, patch: CallbackTemplatePatch): Promise<CallbackTemplate | undefined>;
  /** Deletes a template; false if it did not exist. */
  deleteCallbackTemplate(id: number): Promise<boolean>;

  /** Binds a template to domain + app, replacing the binding there was (keeping its createdAt). */
  setCallbackRule(rule: CallbackRule): Promise<void>;
  getCallbackRule(domain: string, app: string): Promise<CallbackRule | undefined>;
  /** Every rule, by domain then app. */
  listCallbackRules(): Promise<CallbackRule[]>;
  deleteCallbackRule(domain: string, app: string): Promise<boolean>;

  /**
   * Queues a delivery durably and returns its id (increasing: the queue order). An interruption (event
   * type 0) also removes the open push of its sequence, in the same transaction: after a crash the
   * interruption is either queued or still owed, never both and never neither.
   */
  addCallbackDelivery(delivery: NewCallbackDelivery): Promise<number>;
  /** The queued deliveries in queue order (at most `limit`). */
  listCallbackDeliveries(limit: number): Promise<CallbackDelivery[]>;
  /** Records an attempt and, in the same transaction, reschedules its delivery or removes it from the queue. */
  recordCallbackAttempt(attempt: NewCallbackAttempt, outcome: CallbackAttemptOutcome): Promise<number>;
  listCallbackAttempts(query?: CallbackAttemptQuery): Promise<Page<CallbackAttempt>>;
  /** Deletes attempts older than `before`, then the oldest past `limits.maxRows` (`limits.batch` per call); returns how many. */
  pruneCallbackAttempts(before: number, limits?: PruneLimits): Promise<number>;

  /** Remembers a live push whose interruption is owed, replacing one of the same sequence. */
  addOpenPush(push: OpenPush): Promise<void>;
  /** The open pushes, oldest start first. */
  listOpenPushes(): Promise<OpenPush[]>;
  /** Forgets an open push; false if there was none. */
  deleteOpenPush(sequence: string): Promise<boolean>;
}

/** The URLs with empty slots and unknown kinds left out, in the kinds' order. */
export function cleanUrls(urls: CallbackUrls): CallbackUrls {
  const out: CallbackUrls = {};
  for (const kind of callbackUrlKinds) {
    const url = urls[kind];
    if (url) out[kind] = url;
  }
  return out;
}
