/** Maps callback rows to the CallbackStore's records; SQLite's and PostgreSQL's share the shape (snake_case, int8 as strings in pg). */
import {
  cleanUrls,
  type CallbackAttempt,
  type CallbackDelivery,
  type CallbackRule,
  type CallbackTemplate,
  type CallbackUrls,
  type OpenPush,
} from './callback-store.ts';
import type { SqliteKeys } from './sqlite-keys.ts';

/** A row as node:sqlite or pg returns it. */
export type Row = Record<string, unknown>;

const str = (v: unknown): string => String(v ?? '');
const num = (v: unknown): number => Number(v ?? 0);

/** A row as the Store's record. */
export function templateFromRow(row: Row, keys: SqliteKeys): CallbackTemplate {
  return {
    id: num(row.id),
    name: str(row.name),
    description: str(row.description),
    urls: cleanUrls(JSON.parse(str(row.urls)) as CallbackUrls),
    callbackKey: keys.open(row, 'callback_key', str(row.id)),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** A row as the Store's record. */
export function ruleFromRow(row: Row): CallbackRule {
  return {
    domain: str(row.domain),
    app: str(row.app),
    templateId: num(row.template_id),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** A row as the Store's record. */
export function deliveryFromRow(row: Row): CallbackDelivery {
  return {
    id: num(row.id),
    eventType: num(row.event_type),
    eventTime: num(row.event_time),
    stream: str(row.stream),
    sequence: str(row.sequence),
    url: str(row.url),
    body: str(row.body),
    createdAt: num(row.created_at),
    nextAt: num(row.next_at),
    attempts: num(row.attempts),
  };
}

/** A row as the Store's record. */
export function openPushFromRow(row: Row, keys: SqliteKeys): OpenPush {
  return {
    sequence: str(row.sequence),
    url: str(row.url),
    callbackKey: keys.open(row, 'callback_key', `open-push ${str(row.sequence)}`),
    appId: num(row.app_id),
    domain: str(row.domain),
    app: str(row.app),
    stream: str(row.stream),
    clientIp: str(row.client_ip),
    serverIp: str(row.server_ip),
    query: str(row.query),
    width: num(row.width),
    height: num(row.height),
    startedAt: num(row.started_at),
  };
}

/** A row as the Store's record. */
export function attemptFromRow(row: Row): CallbackAttempt {
  return {
    id: num(row.id),
    deliveryId: num(row.delivery_id),
    eventType: num(row.event_type),
    eventTime: num(row.event_time),
    stream: str(row.stream),
    url: str(row.url),
    request: str(row.request),
    response: str(row.response),
    status: num(row.status),
    resultCode: num(row.result_code),
    at: num(row.at),
    durationMs: num(row.duration_ms),
  };
}
