/**
 * The keys a SQLite row holds (domain auth keys, callback keys) sealed with the data key, like API
 * SecretKeys (store/sealing.ts): a copied openlive.db alone reveals no key that signs a push URL or a
 * callback. Each row says whether its keys are sealed (`keys_sealed`), so rows written before sealing
 * existed, or by a store opened without a data key (tests), still read; opening with a data key seals them.
 */
import type { DatabaseSync } from 'node:sqlite';
import { seal, unseal } from './sealing.ts';

type Row = Record<string, unknown>;

/** Seals and opens the key columns of rows; without a data key it writes and reads plaintext. */
export class SqliteKeys {
  private readonly dataKey: Buffer | undefined;

  constructor(dataKey: Buffer | undefined) {
    this.dataKey = dataKey;
  }

  /** 1 when new rows get sealed keys, else 0 (the `keys_sealed` value to write). */
  get sealedFlag(): number {
    return this.dataKey ? 1 : 0;
  }

  /** A key as it is written: sealed under `column/owner` when there is a data key; empty stays empty. */
  seal(column: string, owner: string, value: string): string {
    return this.dataKey && value !== '' ? seal(this.dataKey, `${column}/${owner}`, value) : value;
  }

  /** A key as it was written, opened when its row says it is sealed. */
  open(row: Row, column: string, owner: string): string {
    const value = String(row[column] ?? '');
    if (Number(row.keys_sealed ?? 0) !== 1 || value === '') return value;
    return unseal(this.dataKey, `${column}/${owner}`, value, `the ${column} of ${owner}`);
  }

  /** Seals every plaintext key (rows from before migration 5); a no-op without a data key. Returns how many rows. */
  sealPlaintextRows(db: DatabaseSync): number {
    if (!this.dataKey) return 0;
    let n = 0;
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const row of db
        .prepare('SELECT name, auth_key, auth_backup_key FROM domains WHERE keys_sealed = 0')
        .all() as Row[]) {
        const name = String(row.name);
        db.prepare('UPDATE domains SET auth_key = ?, auth_backup_key = ?, keys_sealed = 1 WHERE name = ?').run(
          this.seal('auth_key', name, String(row.auth_key)),
          this.seal('auth_backup_key', name, String(row.auth_backup_key)),
          name,
        );
        n++;
      }
      for (const row of db
        .prepare('SELECT id, callback_key FROM callback_templates WHERE keys_sealed = 0')
        .all() as Row[]) {
        const id = String(row.id);
        db.prepare('UPDATE callback_templates SET callback_key = ?, keys_sealed = 1 WHERE id = ?').run(
          this.seal('callback_key', id, String(row.callback_key)),
          Number(row.id),
        );
        n++;
      }
      for (const row of db
        .prepare('SELECT sequence, callback_key FROM callback_open_pushes WHERE keys_sealed = 0')
        .all() as Row[]) {
        const sequence = String(row.sequence);
        db.prepare('UPDATE callback_open_pushes SET callback_key = ?, keys_sealed = 1 WHERE sequence = ?').run(
          this.seal('callback_key', `open-push ${sequence}`, String(row.callback_key)),
          sequence,
        );
        n++;
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    return n;
  }
}
