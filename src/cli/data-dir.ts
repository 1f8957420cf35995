/**
 * The operator commands (url, domain, records, stream, keys, doctor) work on the data of a server that
 * already ran. Run in the wrong folder they would quietly create a new database with new keys and print a
 * URL the running server refuses; instead they stop and say where they looked and how to point them at
 * the right folder. Only `openlive start` creates a data folder.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { LiveError } from '../errors.ts';
import { sqliteFileIn } from '../store/sqlite-store.ts';
import { isPostgresUrl } from '../store/create-store.ts';
import { dataKeyFileIn } from './data-key-file.ts';

/**
 * Throws DATA_DIR_NOT_FOUND unless `dataDir` holds an openlive database, or (with PostgreSQL, store.url)
 * the data key the server seals keys with: a new one would not open them.
 */
export function requireDataDir(dataDir: string, command: string, storeUrl = ''): void {
  const needed = isPostgresUrl(storeUrl) ? dataKeyFileIn(dataDir) : sqliteFileIn(dataDir);
  if (existsSync(needed)) return;
  const where = resolve(dataDir);
  const why = existsSync(where) ? `${where} has no ${basename(needed)}` : `${where} does not exist`;
  throw new LiveError(
    'DATA_DIR_NOT_FOUND',
    `no openlive data here (${why}), so "openlive ${command}" would not see the running server's domains and keys.\n` +
      `Run it in the folder the server was started in, or point it at the server's data folder:\n` +
      `  openlive ${command} ... --data-dir /path/to/data\n` +
      `  OPENLIVE_DATA_DIR=/path/to/data openlive ${command} ...\n` +
      `(the server's dataDir setting; "openlive start" creates the folder on its first run)`,
  );
}
