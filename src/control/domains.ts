/**
 * Push and play domains: add, delete, enable, disable, keys, the replace policy, the CNAME target
 * each must point to and whether it does. A domain is push or play, never both (tencent-css.md §2).
 * The keys are sealed at rest with the data key by the SQLite store (store/sqlite-keys.ts); here they are plain.
 */
import { randomBytes } from 'node:crypto';
import { LiveError } from '../errors.ts';
import {
  mergeSettings,
  type AuthSettings,
  type Domain,
  type DomainQuery,
  type DomainSettings,
  type DomainType,
  type Page,
  type Store,
} from '../store/store.ts';
import { checkCname, type CnameStatus } from './cname-check.ts';
import { maxDomainLength, validateDomainName } from './domain-name.ts';
import { hasTxtRecord, type TxtCheckOptions } from './txt-check.ts';

/** The CNAME suffix used when the configuration names none. */
export const defaultCnameSuffix = 'live.openlive.local';
/** AuthDelta of new domains: Tencent's example value. */
export const defaultAuthDelta = 300;
/** The longest AuthDelta accepted: one year. */
export const maxAuthDelta = 365 * 24 * 3600;

/** The settings key naming the domain that serves bare-IP and unknown hosts in non-strict mode. */
export function defaultDomainSetting(type: DomainType): string {
  return `domain.default.${type}`;
}

/** A fresh auth key: 128 random bits as 32 lowercase hex digits, like Tencent's generated keys. */
export function generateAuthKey(): string {
  return randomBytes(16).toString('hex');
}

/** Throws AUTH_KEY_INVALID unless the settings can sign and verify URLs. */
export function validateAuth(auth: AuthSettings): void {
  const fail = (why: string): never => {
    throw new LiveError('AUTH_KEY_INVALID', why);
  };
  for (const [field, key] of [
    ['key', auth.key],
    ['backupKey', auth.backupKey],
  ] as const) {
    if (key !== '' && !/^[A-Za-z0-9]{1,64}$/.test(key)) fail(`${field} must be 1 to 64 letters and digits`);
  }
  if (auth.enabled && auth.key === '') fail('authentication needs a key');
  if (!Number.isInteger(auth.authDelta) || auth.authDelta < 0 || auth.authDelta > maxAuthDelta) {
    fail(`authDelta must be a whole number of seconds from 0 to ${maxAuthDelta}`);
  }
  if (auth.algorithm !== 'md5' && auth.algorithm !== 'sha256') fail('algorithm must be md5 or sha256');
}

/** What an operator gives to add a domain; the rest gets defaults. */
export interface NewDomain {
  readonly name: string;
  readonly type: DomainType;
  readonly enabled?: boolean;
  /** Push domains default to authentication on with a generated key; play domains to off. */
  readonly auth?: Partial<AuthSettings>;
  readonly replacePublisher?: boolean;
  /** PlayType, IsMiniProgramLive, referer rules (store.ts DomainSettings). */
  readonly settings?: DomainSettings;
}

/** How the domain service is built. */
export interface DomainsOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly cnameSuffix?: string;
  /** Where CNAME and TXT queries go (the `dns` part of the configuration; tests inject `resolveTxt`). */
  readonly dns?: TxtCheckOptions;
  readonly generateKey?: () => string;
}

/** The domain service the Cloud API, the console and the CLI call. */
export class Domains {
  private readonly store: Store;
  private readonly now: () => number;
  private readonly cnameSuffix: string;
  private readonly dns: TxtCheckOptions;
  private readonly generateKey: () => string;

  constructor(options: DomainsOptions) {
    this.store = options.store;
    this.now = options.now;
    this.cnameSuffix = validateDomainName(options.cnameSuffix ?? defaultCnameSuffix);
    this.dns = options.dns ?? {};
    this.generateKey = options.generateKey ?? generateAuthKey;
  }

  /** The host a domain must CNAME to: `<domain>.<cname suffix>`. */
  cnameTargetOf(name: string): string {
    return `${name}.${this.cnameSuffix}`;
  }

  /** Adds a domain; throws DOMAIN_NAME_INVALID, AUTH_KEY_INVALID or DOMAIN_EXISTS. */
  async add(input: NewDomain): Promise<Domain> {
    const name = validateDomainName(input.name);
    if (input.type !== 'push' && input.type !== 'play')
      throw new LiveError('DOMAIN_TYPE_MISMATCH', 'type must be push or play');
    const target = this.cnameTargetOf(name);
    if (target.length > maxDomainLength) {
      throw new LiveError('DOMAIN_NAME_INVALID', `domain name ${name} is too long for its CNAME target ${target}`);
    }
    const auth: AuthSettings = {
      enabled: input.type === 'push',
      key: this.generateKey(),
      backupKey: '',
      authDelta: defaultAuthDelta,
      algorithm: 'md5',
      ...definedOnly(input.auth ?? {}),
    };
    validateAuth(auth);
    const domain: Domain = {
      name,
      type: input.type,
      enabled: input.enabled ?? true,
      cnameTarget: target,
      createdAt: this.now(),
      auth,
      replacePublisher: input.replacePublisher ?? false,
      ...mergeSettings(undefined, input.settings),
    };
    await this.store.addDomain(domain);
    return domain;
  }

  /** The domain, or DOMAIN_NOT_FOUND. */
  async get(name: string): Promise<Domain> {
    const domain = await this.find(name);
    if (!domain) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
    return domain;
  }

  /** The domain, or undefined. */
  find(name: string): Promise<Domain | undefined> {
    return this.store.getDomain(name.toLowerCase().replace(/\.$/, ''));
  }

  /** Domains sorted by name. */
  list(query: DomainQuery = {}): Promise<Page<Domain>> {
    return this.store.listDomains(query);
  }

  /** Deletes a domain; throws DOMAIN_NOT_FOUND. */
  async delete(name: string): Promise<void> {
    const domain = await this.get(name);
    await this.store.deleteDomain(domain.name);
  }

  /** Lets the domain serve again. */
  async enable(name: string): Promise<Domain> {
    return this.store.updateDomain((await this.get(name)).name, { enabled: true });
  }

  /** Refuses every publish (18/303) or play on the domain; live streams keep going. */
  async disable(name: string): Promise<Domain> {
    return this.store.updateDomain((await this.get(name)).name, { enabled: false });
  }

  /** Changes keys, AuthDelta, algorithm or the enable flag of the domain's authentication. */
  async setAuth(name: string, patch: Partial<AuthSettings>): Promise<Domain> {
    const domain = await this.get(name);
    const auth = { ...domain.auth, ...definedOnly(patch) };
    validateAuth(auth);
    return this.store.updateDomain(domain.name, { auth });
  }

  /** Whether a newcomer with a valid signature replaces the live publisher (21/102); push domains only. */
  async setReplacePublisher(name: string, replace: boolean): Promise<Domain> {
    const domain = await this.get(name);
    if (domain.type !== 'push') {
      throw new LiveError(
        'DOMAIN_TYPE_MISMATCH',
        `${domain.name} is a play domain; the replace policy is for push domains`,
      );
    }
    return this.store.updateDomain(domain.name, { replacePublisher: replace });
  }

  /** Merges settings (referer list, PlayType, ...) into the domain's; keys left undefined stay. */
  async setSettings(name: string, patch: DomainSettings): Promise<Domain> {
    const domain = await this.get(name);
    return this.store.updateDomain(domain.name, { settings: patch });
  }

  /** The domain serving bare-IP and unknown hosts in non-strict mode, if any. */
  async getDefault(type: DomainType): Promise<Domain | undefined> {
    const name = await this.store.getSetting(defaultDomainSetting(type));
    return name === undefined ? undefined : this.store.getDomain(name);
  }

  /** Makes an existing domain of that type the default. */
  async setDefault(type: DomainType, name: string): Promise<void> {
    const domain = await this.get(name);
    if (domain.type !== type) throw new LiveError('DOMAIN_TYPE_MISMATCH', `${domain.name} is a ${domain.type} domain`);
    await this.store.setSetting(defaultDomainSetting(type), domain.name);
  }

  /** Whether `name` has a TXT record holding `expected`; throws TXT_LOOKUP_FAILED if DNS does not answer. */
  hasTxt(name: string, expected: string): Promise<boolean> {
    return hasTxtRecord(name, expected, this.dns);
  }

  /** Asks DNS whether the domain CNAMEs to its target; throws CNAME_LOOKUP_FAILED if DNS does not answer. */
  async cnameStatus(name: string): Promise<CnameStatus> {
    const domain = await this.get(name);
    return checkCname(domain.name, domain.cnameTarget, this.dns);
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
