/** Maps SQLite rows (snake_case columns, 0/1 booleans, NULLs) to the Store's records, and back. */
import type { SQLInputValue } from 'node:sqlite';
import type { SignAlgorithm, StoredCredential } from './store.ts';
import type { Domain, DomainSettings, DomainType, ForbiddenStream, PublishRecord, RejectedAttempt } from './store.ts';
import type { SqliteKeys } from './sqlite-keys.ts';

/** A row as node:sqlite returns it. */
export type Row = Record<string, unknown>;

const str = (v: unknown): string => String(v ?? '');
const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A `domains` row as a Domain, its keys opened. */
export function domainFromRow(row: Row, keys: SqliteKeys): Domain {
  const name = str(row.name);
  return {
    name,
    type: str(row.type) as DomainType,
    enabled: num(row.enabled) === 1,
    cnameTarget: str(row.cname_target),
    createdAt: num(row.created_at),
    auth: {
      enabled: num(row.auth_enabled) === 1,
      key: keys.open(row, 'auth_key', name),
      backupKey: keys.open(row, 'auth_backup_key', name),
      authDelta: num(row.auth_delta),
      algorithm: str(row.auth_algorithm) as SignAlgorithm,
    },
    replacePublisher: num(row.replace_publisher) === 1,
    ...settingsOf(row.settings),
  };
}

/** The `settings` JSON column (migration 10) as the part of a Domain to spread; nothing when it holds none. */
function settingsOf(v: unknown): { settings?: DomainSettings } {
  if (typeof v !== 'string' || v === '' || v === '{}') return {};
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed !== null && typeof parsed === 'object' && Object.keys(parsed).length > 0
      ? { settings: parsed as DomainSettings }
      : {};
  } catch {
    return {};
  }
}

/** A `forbidden_streams` row as a ForbiddenStream. */
export function forbiddenFromRow(row: Row): ForbiddenStream {
  return {
    app: str(row.app),
    stream: str(row.stream),
    domain: str(row.domain),
    until: num(row.until),
    reason: str(row.reason),
    createdAt: num(row.created_at),
  };
}

/** A `publish_records` row as a PublishRecord (duration derived from start and end). */
export function publishRecordFromRow(row: Row): PublishRecord {
  const startedAt = num(row.started_at);
  const endedAt = numOrNull(row.ended_at);
  return {
    id: num(row.id),
    domain: str(row.domain),
    app: str(row.app),
    stream: str(row.stream),
    clientIp: str(row.client_ip),
    startedAt,
    endedAt,
    durationMs: endedAt === null ? null : endedAt - startedAt,
    breakCode: strOrNull(row.break_code),
    reason: strOrNull(row.reason),
    bytesIn: num(row.bytes_in),
    width: numOrNull(row.width),
    height: numOrNull(row.height),
    videoCodec: strOrNull(row.video_codec),
    audioCodec: strOrNull(row.audio_codec),
  };
}

/** A `rejected_attempts` row as a RejectedAttempt. */
export function rejectedFromRow(row: Row): RejectedAttempt {
  return {
    id: num(row.id),
    at: num(row.at),
    action: str(row.action) === 'play' ? 'play' : 'publish',
    clientIp: str(row.client_ip),
    host: str(row.host),
    domain: str(row.domain),
    app: str(row.app),
    stream: str(row.stream),
    breakCode: str(row.break_code),
    code: str(row.code),
    reason: str(row.reason),
    query: str(row.query),
    count: num(row.count ?? 1),
    // Rows from before migration 5 got last_at = at.
    lastAt: num(row.last_at) || num(row.at),
  };
}

/** A Domain as the `domains` columns, in table order with `keys_sealed` then `settings` last (for INSERT and UPDATE). */
export function domainValues(d: Domain, keys: SqliteKeys): SQLInputValue[] {
  const a = d.auth;
  return [
    d.name,
    d.type,
    d.enabled ? 1 : 0,
    d.cnameTarget,
    d.createdAt,
    a.enabled ? 1 : 0,
    keys.seal('auth_key', d.name, a.key),
    keys.seal('auth_backup_key', d.name, a.backupKey),
    a.authDelta,
    a.algorithm,
    d.replacePublisher ? 1 : 0,
    keys.sealedFlag,
    JSON.stringify(d.settings ?? {}),
  ];
}

/** An `api_credentials` row as a StoredCredential. */
export function credentialFromRow(r: Row): StoredCredential {
  return {
    secretId: String(r.secret_id),
    sealedKey: String(r.sealed_key),
    description: String(r.description),
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}
