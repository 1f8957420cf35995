/**
 * The access decisions of tencent-css.md §5.1, in the order Tencent's checklist walks them: which
 * domain the host is (18/300, 18/301), whether it is enabled (18/303), legal names (18/309, 18/308),
 * a forbid (18/305), then the signature (18/500–18/503). Every refusal is recorded with the secret
 * masked, its fields cut short and, past a threshold per address, counted in aggregate rows
 * (control/rejection-recorder.ts). Only the moment of publishing is checked: a live stream outlives its URL's expiry.
 */
import { findForbiddenName } from './forbid-lookup.ts';
import type { Domain, DomainType, Store } from '../store/store.ts';
import { toLiveError } from '../errors.ts';
import type { Access, AccessDecision, AdmissionRequest, CheckOptions, PlayRequest, PublishRequest } from './access.ts';
import { breakCodes, isoSeconds, quoted } from './break-codes.ts';
import { defaultDomainSetting } from './domains.ts';
import { FailureDelay, type FailureDelayOptions } from './failure-delay.ts';
import { hostOfHeader, isBareIp, nameProblem } from './names.ts';
import { refusal, signatureRefusal, type Refusal } from './reasons.ts';
import { RejectionRecorder } from './rejection-recorder.ts';
import { refererRefusal } from './referer-check.ts';
import { verifySignature } from './signing.ts';

/** How the policy is built; `random` and `sleep` are injected so tests need no real delays. */
export interface AccessPolicyOptions {
  readonly store: Store;
  readonly now: () => number;
  /** Strict: bare IPs (18/300) and unknown hosts (18/301) are refused instead of served by the default domains. */
  readonly strict: boolean;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly failureDelay?: FailureDelayOptions;
  /** Told when a rejected attempt could not be recorded; the decision stands. */
  readonly onStoreError?: (err: unknown) => void;
  /** Writes the refusals; by default one per address and window is stored up to 20, then counted in aggregates. */
  readonly recorder?: RejectionRecorder;
}

/** What a refusal is recorded with. */
interface Attempt {
  readonly action: 'publish' | 'play';
  readonly clientIp: string;
  readonly host: string;
  readonly app: string;
  readonly stream: string;
  readonly query: URLSearchParams;
  readonly referer?: string;
}

type Outcome = { readonly decision: AccessDecision; readonly domain?: Domain | undefined };

/** The Access hook backed by the store's domains, keys and forbidden streams. */
export class AccessPolicy implements Access {
  private readonly store: Store;
  private readonly now: () => number;
  private readonly strict: boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onStoreError: (err: unknown) => void;
  /** Signature failures per client IP, for the brute-force delay. */
  readonly failures: FailureDelay;
  /** Stores the refusals, truncated and aggregated per address. */
  readonly recorder: RejectionRecorder;

  constructor(options: AccessPolicyOptions) {
    this.store = options.store;
    this.now = options.now;
    this.strict = options.strict;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onStoreError = options.onStoreError ?? (() => {});
    this.failures = new FailureDelay(options.now, options.random ?? Math.random, options.failureDelay);
    this.recorder =
      options.recorder ??
      new RejectionRecorder({
        store: options.store,
        now: options.now,
        perAddress: 20,
        windowMs: 60_000,
        onStoreError: this.onStoreError,
      });
  }

  /** Decides a publish; an admission says which push domain it belongs to and the replace policy. */
  async checkPublish(req: PublishRequest, options: CheckOptions = {}): Promise<AccessDecision> {
    const attempt: Attempt = { action: 'publish', ...req, host: hostOfHeader(req.host) };
    const outcome = await this.guard(() => this.decidePublish(attempt));
    return options.dryRun ? outcome.decision : this.finish(attempt, outcome);
  }

  /** Decides a play on a play domain; the signature is checked only when the domain's play auth is on. */
  async checkPlay(req: PlayRequest, options: CheckOptions = {}): Promise<AccessDecision> {
    const attempt: Attempt = { action: 'play', ...req, host: hostOfHeader(req.host) };
    const outcome = await this.guard(() => this.decidePlay(attempt));
    return options.dryRun ? outcome.decision : this.finish(attempt, outcome);
  }

  /**
   * Records a refusal decided elsewhere (18/601 after a failed publisher claim). The write starts now and
   * the promise resolves at once: a database locked by another process must not delay the refusal.
   */
  recordRejection(action: 'publish' | 'play', req: AdmissionRequest, refused: Refusal, domain = ''): Promise<void> {
    void this.record({ action, ...req, host: hostOfHeader(req.host) }, refused, domain);
    return Promise.resolve();
  }

  private async decidePublish(a: Attempt): Promise<Outcome> {
    const found = await this.domainFor('push', a.host);
    if (!('name' in found)) return { decision: found };
    const domain = found;
    const names = namesRefusal(a.app, a.stream);
    if (names) return { decision: names, domain };
    // Keyed on StreamName as Tencent does: a forbidden name cannot publish under another AppName.
    const forbid = await findForbiddenName(this.store, a.stream, domain.name, this.now());
    if (forbid) {
      const why = forbid.reason ? `: ${forbid.reason}` : '';
      const text = `stream ${quoted(`${a.app}/${a.stream}`)} is forbidden until ${isoSeconds(forbid.until)}${why}`;
      return { decision: refusal('STREAM_FORBIDDEN', breakCodes.streamForbidden, text), domain };
    }
    const auth = this.checkSignature(a, domain, 'push');
    if (auth) return { decision: auth, domain };
    // Replacing a live publisher needs proof of the key; without authentication anyone could hijack.
    const replacePublisher = domain.replacePublisher && domain.auth.enabled;
    return { decision: { allowed: true, domain: domain.name, replacePublisher }, domain };
  }

  private async decidePlay(a: Attempt): Promise<Outcome> {
    const found = await this.domainFor('play', a.host);
    if (!('name' in found)) return { decision: found };
    const names = namesRefusal(a.app, a.stream);
    if (names) return { decision: names, domain: found };
    const referer = refererRefusal(found.settings?.referer, a.referer);
    if (referer) return { decision: referer, domain: found };
    const auth = this.checkSignature(a, found, 'play');
    return { decision: auth ?? { allowed: true, domain: found.name }, domain: found };
  }

  /** The domain that serves `host` for `type`, or the refusal that says why none does. */
  private async domainFor(type: DomainType, host: string): Promise<Domain | Refusal> {
    const other = type === 'push' ? 'play' : 'push';
    let domain: Domain | undefined;
    if (isBareIp(host) || host === '') {
      if (this.strict) {
        return refusal(
          'HOST_BARE_IP',
          breakCodes.bareIp,
          `${host || 'the URL'} is not a domain; use a ${type} domain (strict mode)`,
        );
      }
      domain = await this.defaultDomain(type);
      if (!domain)
        return refusal(
          'HOST_BARE_IP',
          breakCodes.bareIp,
          `${host || 'the URL'} is not a domain and no default ${type} domain is set`,
        );
    } else {
      domain = await this.store.getDomain(host);
      if (domain?.type === other) {
        return refusal(
          'DOMAIN_UNKNOWN',
          breakCodes.domainUnknown,
          `${host} is a ${other} domain; use a ${type} domain`,
        );
      }
      if (!domain && !this.strict) domain = await this.defaultDomain(type);
      if (!domain)
        return refusal(
          'DOMAIN_UNKNOWN',
          breakCodes.domainUnknown,
          `${quoted(host)} is not a ${type} domain here; add it`,
        );
    }
    if (!domain.enabled) {
      return refusal(
        'DOMAIN_DISABLED',
        breakCodes.domainDisabled,
        `${type} domain ${domain.name} is disabled; enable it`,
      );
    }
    return domain;
  }

  private async defaultDomain(type: DomainType): Promise<Domain | undefined> {
    const name = await this.store.getSetting(defaultDomainSetting(type));
    const domain = name === undefined ? undefined : await this.store.getDomain(name);
    return domain?.type === type ? domain : undefined;
  }

  private checkSignature(a: Attempt, domain: Domain, action: 'push' | 'play'): Refusal | undefined {
    const auth = domain.auth;
    if (!auth.enabled) return undefined;
    const check = verifySignature({
      streamName: a.stream,
      txTime: a.query.get('txTime') ?? undefined,
      txSecret: a.query.get('txSecret') ?? undefined,
      key: auth.key,
      backupKey: auth.backupKey,
      authDelta: auth.authDelta,
      algorithm: auth.algorithm,
      nowMs: this.now(),
    });
    return check.ok ? undefined : signatureRefusal(check, action, a.stream, auth.authDelta, auth.algorithm);
  }

  /** Runs a decision; a store failure refuses with 18/100 rather than throwing into the server. */
  private async guard(decide: () => Promise<Outcome>): Promise<Outcome> {
    try {
      return await decide();
    } catch (err) {
      this.onStoreError(err);
      const code = toLiveError(err).code === 'INTERNAL' ? 'INTERNAL' : 'STORE_FAILED';
      return { decision: refusal(code, breakCodes.internal, 'the server could not check this URL; try again shortly') };
    }
  }

  /**
   * Records a refusal and slows repeated signature failures from one IP. The refusal does not wait for the
   * store: a database locked by another process must not hold refused clients (the write lands later).
   */
  private async finish(a: Attempt, { decision, domain }: Outcome): Promise<AccessDecision> {
    if (decision.allowed) return decision;
    void this.record(a, decision, domain?.name ?? '');
    if (decision.code === 'SIGNATURE_INVALID') {
      const delay = this.failures.fail(a.clientIp);
      if (delay > 0) await this.sleep(delay);
    }
    return decision;
  }

  /** Hands the refusal to the recorder, which truncates, aggregates and never rejects. */
  private record(a: Attempt, refused: Refusal, domain: string): Promise<void> {
    return this.recorder.record({
      at: this.now(),
      action: a.action,
      clientIp: a.clientIp,
      host: a.host,
      domain,
      app: a.app,
      stream: a.stream,
      breakCode: refused.breakCode,
      code: refused.code,
      reason: refused.reason,
      query: maskQuery(a.query),
    });
  }
}

/** The query as a string with txSecret hidden, for records and logs. */
export function maskQuery(query: URLSearchParams): string {
  const masked = new URLSearchParams(query);
  if (masked.has('txSecret')) masked.set('txSecret', '***');
  return masked.toString();
}

function namesRefusal(app: string, stream: string): Refusal | undefined {
  const appProblem = nameProblem(app);
  if (appProblem)
    return refusal('APP_NAME_INVALID', breakCodes.appNameInvalid, `AppName ${quoted(app, 32)} ${appProblem}`);
  const streamProblem = nameProblem(stream);
  if (streamProblem) {
    return refusal(
      'STREAM_NAME_INVALID',
      breakCodes.streamNameInvalid,
      `StreamName ${quoted(stream, 32)} ${streamProblem}`,
    );
  }
  return undefined;
}
