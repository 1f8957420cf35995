/**
 * `openlive domain ...`: the console's domain pages on the command line. The server reads domains
 * from the store on every access decision, so each change applies to the next publish or play.
 */
import type { AuthSettings, Domain, DomainType, SignAlgorithm } from '../../store/store.ts';
import { Domains, generateAuthKey } from '../../control/domains.ts';
import { maxPageSize } from '../../store/store.ts';
import { nodeDnsResolver } from '../../servers/dns/node-dns-resolver.ts';
import {
  boolFlag,
  checkFlags,
  fields,
  intFlag,
  json,
  maskKey,
  positional,
  table,
  time,
  usageError,
  type CliContext,
  type CliFlags,
} from './cli-output.ts';

/** The usage lines of `openlive domain`. */
export const domainUsage = `openlive domain list [--json]
       openlive domain add NAME --type push|play [--json]
       openlive domain show NAME [--show-keys] [--json]
       openlive domain delete|enable|disable NAME
       openlive domain cname NAME [--json]
       openlive domain auth NAME [--enabled true|false] [--key K] [--backup-key K] [--auth-delta S] [--algorithm md5|sha256] [--rotate] [--show-keys] [--json]
       openlive domain replace-publisher NAME true|false`;

/** Runs one `domain` subcommand and returns what to print. */
export async function domainCommand(ctx: CliContext, args: readonly string[], flags: CliFlags): Promise<string> {
  const domains = new Domains({
    store: ctx.store,
    now: () => ctx.nowMs,
    cnameSuffix: ctx.config.domains.cnameSuffix,
    resolver: ctx.resolver ?? nodeDnsResolver({ servers: ctx.config.domains.dnsServers }),
    generateKey: ctx.generateKey ?? generateAuthKey,
  });
  const sub = args[0];
  const name = (): string => positional(args, 1, 'the domain NAME', domainUsage);
  const asJson = flags.json === 'true';
  const only = (...allowed: string[]): void => checkFlags(flags, ['json', ...allowed], `domain ${sub}`);
  switch (sub) {
    case 'list': {
      only();
      const page = await domains.list({ limit: maxPageSize });
      if (asJson) return json({ total: page.total, domains: page.items.map((d) => shown(d, false)) });
      return listText(page.items, await defaults(domains));
    }
    case 'add': {
      only('type');
      const type = flags.type;
      if (type === undefined || type === 'true') throw usageError('domain add needs --type push|play');
      const domain = await domains.add({ name: name(), type: type as DomainType });
      return showText(domain, false, asJson, `Added ${domain.type} domain ${domain.name}.`);
    }
    case 'show':
      only('showKeys');
      return showText(await domains.get(name()), boolFlag(flags, 'showKeys') ?? false, asJson);
    case 'delete': {
      only();
      const domain = await domains.get(name());
      await domains.delete(domain.name);
      return asJson ? json({ deleted: domain.name }) : `Deleted ${domain.type} domain ${domain.name}.\n`;
    }
    case 'enable':
    case 'disable': {
      only();
      const domain = sub === 'enable' ? await domains.enable(name()) : await domains.disable(name());
      const effect = domain.enabled
        ? 'serves again'
        : `refuses new ${domain.type === 'push' ? 'publishes (18/303)' : 'plays'}; live streams keep going`;
      return asJson ? json(shown(domain, false)) : `Domain ${domain.name} ${sub}d: it ${effect}.\n`;
    }
    case 'cname':
      only();
      return cnameText(domains, name(), asJson);
    case 'auth':
      only('enabled', 'key', 'backupKey', 'authDelta', 'algorithm', 'rotate', 'showKeys');
      return authCommand(ctx, domains, name(), flags, asJson);
    case 'replace-publisher': {
      only();
      const value = positional(args, 2, 'true or false', domainUsage);
      if (value !== 'true' && value !== 'false')
        throw usageError(`replace-publisher takes true or false, not "${value}"`);
      const domain = await domains.setReplacePublisher(name(), value === 'true');
      if (asJson) return json(shown(domain, false));
      return domain.replacePublisher
        ? `Domain ${domain.name}: a second publisher with a valid signature now replaces the live one (21/102).\n`
        : `Domain ${domain.name}: a second publisher of a live stream is now refused (18/601).\n`;
    }
    default:
      throw usageError(`unknown domain command "${sub ?? ''}"; usage: ${domainUsage}`);
  }
}

async function authCommand(
  ctx: CliContext,
  domains: Domains,
  name: string,
  flags: CliFlags,
  asJson: boolean,
): Promise<string> {
  const before = await domains.get(name);
  const rotate = boolFlag(flags, 'rotate') ?? false;
  if (rotate && (flags.key !== undefined || flags.backupKey !== undefined)) {
    throw usageError('--rotate makes the keys; do not pass --key or --backup-key with it');
  }
  const algorithm = flags.algorithm;
  if (algorithm !== undefined && algorithm !== 'md5' && algorithm !== 'sha256')
    throw usageError(`--algorithm is md5 or sha256, not "${algorithm}"`);
  const patch: Partial<AuthSettings> = {
    enabled: boolFlag(flags, 'enabled'),
    key: rotate ? (ctx.generateKey ?? generateAuthKey)() : flags.key,
    // Rotation keeps URLs signed with the old key working until they expire (Tencent backup key).
    backupKey: rotate ? before.auth.key : flags.backupKey,
    authDelta: intFlag(flags, 'authDelta', 0, Number.MAX_SAFE_INTEGER),
    algorithm: algorithm as SignAlgorithm | undefined,
  };
  const domain = await domains.setAuth(before.name, patch);
  const note = rotate
    ? `Rotated the key of ${domain.name}: URLs signed with the old key stay valid through the backup key.`
    : `Updated the authentication of ${domain.name}.`;
  return showText(domain, boolFlag(flags, 'showKeys') ?? false, asJson, note);
}

/** The domain as printed: keys masked unless asked for. */
function shown(d: Domain, showKeys: boolean): Domain {
  if (showKeys) return d;
  return { ...d, auth: { ...d.auth, key: maskKey(d.auth.key), backupKey: maskKey(d.auth.backupKey) } };
}

async function defaults(domains: Domains): Promise<Set<string>> {
  const names = [(await domains.getDefault('push'))?.name, (await domains.getDefault('play'))?.name];
  return new Set(names.filter((n) => n !== undefined));
}

function listText(items: readonly Domain[], defaultNames: Set<string>): string {
  if (items.length === 0) return 'No domains; add one with: openlive domain add NAME --type push|play\n';
  const rows = items.map((d) => [
    d.name + (defaultNames.has(d.name) ? ' (default)' : ''),
    d.type,
    d.enabled ? 'on' : 'off',
    d.auth.enabled ? `${d.auth.algorithm} ${d.auth.authDelta}s` : 'off',
    d.type === 'push' ? (d.replacePublisher ? 'replace' : 'refuse') : '-',
    d.cnameTarget,
  ]);
  return table(['NAME', 'TYPE', 'ENABLED', 'AUTH', 'SECOND PUBLISHER', 'CNAME TARGET'], rows);
}

function showText(d: Domain, showKeys: boolean, asJson: boolean, note?: string): string {
  const s = shown(d, showKeys);
  if (asJson) return json(s);
  const text = fields([
    ['Name', s.name],
    ['Type', s.type],
    ['Enabled', s.enabled ? 'yes' : 'no'],
    ['CNAME target', s.cnameTarget],
    ['Created', time(s.createdAt)],
    ['Authentication', s.auth.enabled ? 'on' : 'off'],
    ['Key', s.auth.key || '(none)'],
    ['Backup key', s.auth.backupKey || '(none)'],
    ['AuthDelta', `${s.auth.authDelta} s`],
    ['Algorithm', s.auth.algorithm],
    ...(s.type === 'push'
      ? [['Second publisher', s.replacePublisher ? 'replaces the live one (21/102)' : 'refused (18/601)'] as const]
      : []),
  ]);
  const hint = showKeys || s.auth.key === '' ? '' : `(keys masked; --show-keys prints them)\n`;
  return `${note ? `${note}\n\n` : ''}${text}${hint}`;
}

async function cnameText(domains: Domains, name: string, asJson: boolean): Promise<string> {
  const domain = await domains.get(name);
  const status = await domains.cnameStatus(domain.name);
  if (asJson) return json({ domain: domain.name, ...status });
  const meaning = {
    configured: 'configured: DNS points this domain at openlive',
    missing: 'missing: the domain has no CNAME record',
    elsewhere: 'pointing elsewhere: the CNAME names another host',
  }[status.status];
  const text = fields([
    ['Domain', domain.name],
    ['Status', meaning],
    ['Current', status.current ?? '(none)'],
    ['Target', status.target],
  ]);
  return status.status === 'configured'
    ? text
    : `${text}\nSet this DNS record: ${domain.name}. CNAME ${status.target}.\n`;
}
