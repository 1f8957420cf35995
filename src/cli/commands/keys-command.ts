/**
 * `openlive keys ...`: Cloud API credentials (SecretId/SecretKey) on the command line. A SecretKey
 * is printed once, when it is made; the store keeps it sealed with `<dataDir>/secret.key`.
 */
import { Credentials } from '../../control/credentials.ts';
import { loadDataKey } from '../data-key-file.ts';
import { checkFlags, json, positional, table, time, usageError, type CliContext, type CliFlags } from './cli-output.ts';

/** The usage lines of `openlive keys`. */
export const keysUsage = `openlive keys list [--json]
       openlive keys create [--description TEXT] [--json]
       openlive keys revoke SECRET_ID`;

/** Runs one `keys` subcommand and returns what to print; `dataKey` defaults to the data directory's secret.key. */
export async function keysCommand(
  ctx: CliContext & { readonly dataKey?: Buffer },
  args: readonly string[],
  flags: CliFlags,
): Promise<string> {
  const credentials = new Credentials({
    store: ctx.store,
    dataKey: ctx.dataKey ?? loadDataKey(ctx.config.dataDir),
    now: () => ctx.nowMs,
  });
  const sub = args[0];
  const asJson = flags.json === 'true';
  switch (sub) {
    case 'list': {
      checkFlags(flags, ['json'], 'keys list');
      const keys = await credentials.list();
      if (asJson) return json({ keys });
      if (keys.length === 0) return 'No API keys; make one with: openlive keys create\n';
      const rows = keys.map((k) => [
        k.secretId,
        time(k.createdAt),
        k.lastUsedAt === null ? 'never' : time(k.lastUsedAt),
        k.description,
      ]);
      return table(['SECRET ID', 'CREATED', 'LAST USED', 'DESCRIPTION'], rows);
    }
    case 'create': {
      checkFlags(flags, ['json', 'description'], 'keys create');
      const description = flags.description === 'true' ? '' : (flags.description ?? '');
      const key = await credentials.create(description);
      if (asJson) return json(key);
      return [
        'Created an API key. The SecretKey is shown only now; store it where your API client reads it.',
        `SecretId   ${key.secretId}`,
        `SecretKey  ${key.secretKey}`,
        '',
      ].join('\n');
    }
    case 'revoke': {
      checkFlags(flags, ['json'], 'keys revoke');
      const secretId = positional(args, 1, 'the SECRET_ID', keysUsage);
      await credentials.revoke(secretId);
      return asJson
        ? json({ revoked: secretId })
        : `Revoked ${secretId}: requests signed with it now fail with AuthFailure.SecretIdNotFound.\n`;
    }
    default:
      throw usageError(`unknown keys command "${sub ?? ''}"; usage: ${keysUsage}`);
  }
}
