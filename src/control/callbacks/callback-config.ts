/**
 * Callback templates and rules (Tencent CSS CreateLiveCallbackTemplate / CreateLiveCallbackRule,
 * tencent-css.md §3.3): a template holds the receiver URL of each event kind and the CallbackKey; a rule
 * binds one template to the pushes of a push domain + AppName. Validation and Tencent's limits live here;
 * the Cloud API actions and the publish listener both go through it. CallbackKeys are sealed at rest with the
 * data key by the SQLite store (store/sqlite-keys.ts).
 */
import { LiveError } from '../../errors.ts';
import { validateDomainName } from '../domain-name.ts';
import { nameProblem } from '../names.ts';
import type { Store } from '../../store/store.ts';
import {
  callbackUrlKinds,
  cleanUrls,
  type CallbackRule,
  type CallbackTemplate,
  type CallbackUrls,
} from '../../store/callback-store.ts';

/** Tencent: "数量上限：50" templates per account. */
export const maxCallbackTemplates = 50;
/** Tencent: TemplateName up to 255 bytes, Description up to 1024 bytes. */
export const maxTemplateNameBytes = 255;
export const maxDescriptionBytes = 1024;
export const maxCallbackKeyBytes = 1024;
export const maxCallbackUrlBytes = 1024;

/** Tencent: a TemplateName has only Chinese characters, letters, digits, `_` and `-`. */
const templateNamePattern = /^[\p{Script=Han}A-Za-z0-9_-]+$/u;
// eslint-disable-next-line no-control-regex -- deliberately matches C0 controls and DEL, which Tencent refuses in names.
const controlChars = /[\u0000-\u001f\u007f]/;

/** The fields of a new template; `urls` may be empty, as Tencent allows. */
export interface TemplateInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly callbackKey?: string | undefined;
  readonly urls: CallbackUrls;
}

/** The fields ModifyLiveCallbackTemplate changes; a URL of '' clears its slot. */
export interface TemplateChange {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly callbackKey?: string | undefined;
  readonly urls?: CallbackUrls | undefined;
}

/** How the service is built. */
export interface CallbackConfigOptions {
  readonly store: Store;
  readonly now: () => number;
}

/** Templates and rules over the store, with Tencent's validation and limits. */
export class CallbackConfig {
  private readonly store: Store;
  private readonly now: () => number;

  constructor(options: CallbackConfigOptions) {
    this.store = options.store;
    this.now = options.now;
  }

  /** Adds a template; CALLBACK_TEMPLATE_INVALID, CALLBACK_URL_INVALID or CALLBACK_TEMPLATE_LIMIT. */
  async createTemplate(input: TemplateInput): Promise<CallbackTemplate> {
    checkTemplate(input);
    const count = (await this.store.callbacks.listCallbackTemplates()).length;
    if (count >= maxCallbackTemplates) {
      throw new LiveError(
        'CALLBACK_TEMPLATE_LIMIT',
        `there are already ${count} callback templates; the limit is ${maxCallbackTemplates}`,
      );
    }
    const template = {
      name: input.name,
      description: input.description ?? '',
      callbackKey: input.callbackKey ?? '',
      urls: cleanUrls(input.urls),
      createdAt: this.now(),
    };
    const id = await this.store.callbacks.addCallbackTemplate(template);
    return { ...template, id, updatedAt: template.createdAt };
  }

  /** The template with this id; CALLBACK_TEMPLATE_NOT_FOUND. */
  async getTemplate(id: number): Promise<CallbackTemplate> {
    const template = await this.store.callbacks.getCallbackTemplate(id);
    if (!template) throw notFound(id);
    return template;
  }

  /** Every template, by id. */
  listTemplates(): Promise<CallbackTemplate[]> {
    return this.store.callbacks.listCallbackTemplates();
  }

  /** Changes the given fields; clearing every URL is allowed (Tencent keeps such a template). */
  async modifyTemplate(id: number, change: TemplateChange): Promise<CallbackTemplate> {
    const old = await this.getTemplate(id);
    const merged = { ...old, ...definedOnly(change), urls: { ...old.urls, ...change.urls } };
    checkTemplate(merged);
    const next = await this.store.callbacks.updateCallbackTemplate(id, {
      ...definedOnly(change),
      updatedAt: this.now(),
    });
    if (!next) throw notFound(id);
    return next;
  }

  /** Deletes a template no rule binds; CALLBACK_TEMPLATE_NOT_FOUND or CALLBACK_TEMPLATE_IN_USE. */
  async deleteTemplate(id: number): Promise<void> {
    await this.getTemplate(id);
    const bound = (await this.store.callbacks.listCallbackRules()).filter((r) => r.templateId === id);
    if (bound.length > 0) {
      const where = bound.map((r) => `${r.domain}/${r.app}`).join(', ');
      throw new LiveError(
        'CALLBACK_TEMPLATE_IN_USE',
        `callback template ${id} is bound to ${where}; delete those rules first`,
      );
    }
    if (!(await this.store.callbacks.deleteCallbackTemplate(id))) throw notFound(id);
  }

  /**
   * Binds a template to the pushes of a push domain + AppName, replacing the template bound there
   * (so provisioning scripts may run twice). The domain must be an added push domain.
   */
  async bindRule(domainName: string, app: string, templateId: number): Promise<CallbackRule> {
    const domain = validateDomainName(domainName);
    const problem = nameProblem(app);
    if (problem) throw new LiveError('APP_NAME_INVALID', `AppName ${JSON.stringify(app)} ${problem}`);
    const found = await this.store.getDomain(domain);
    if (!found) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${domain} is not added`);
    if (found.type !== 'push')
      throw new LiveError('DOMAIN_TYPE_MISMATCH', `${domain} is a play domain; callbacks bind to push domains`);
    await this.getTemplate(templateId);
    // Tencent answers a second rule for the same domain/AppName with InternalError.RuleAlreadyExist rather than replacing it.
    if (await this.store.callbacks.getCallbackRule(domain, app)) {
      throw new LiveError(
        'CALLBACK_RULE_EXISTS',
        `a callback rule already binds ${domain}/${app}; delete it first (DeleteLiveCallbackRule)`,
      );
    }
    const now = this.now();
    const rule = { domain, app, templateId, createdAt: now, updatedAt: now };
    await this.store.callbacks.setCallbackRule(rule);
    return (await this.store.callbacks.getCallbackRule(domain, app)) ?? rule;
  }

  /** Every rule, by domain and AppName. */
  listRules(): Promise<CallbackRule[]> {
    return this.store.callbacks.listCallbackRules();
  }

  /** Removes the rule of domain + AppName; CALLBACK_RULE_NOT_FOUND. */
  async unbindRule(domainName: string, app: string): Promise<void> {
    const domain = domainName.toLowerCase().replace(/\.$/, '');
    if (!(await this.store.callbacks.deleteCallbackRule(domain, app))) {
      throw new LiveError('CALLBACK_RULE_NOT_FOUND', `no callback rule binds ${domain}/${app}`);
    }
  }

  /** The template whose URLs receive the events of a push on domain + AppName, if a rule binds one. */
  async resolve(domain: string, app: string): Promise<CallbackTemplate | undefined> {
    const rule = await this.store.callbacks.getCallbackRule(domain, app);
    return rule ? this.store.callbacks.getCallbackTemplate(rule.templateId) : undefined;
  }
}

/** Throws CALLBACK_TEMPLATE_INVALID or CALLBACK_URL_INVALID for a template Tencent would refuse. */
export function checkTemplate(t: TemplateInput): void {
  const invalid = (why: string): never => {
    throw new LiveError('CALLBACK_TEMPLATE_INVALID', why);
  };
  if (t.name === '') invalid('TemplateName is empty');
  if (Buffer.byteLength(t.name) > maxTemplateNameBytes)
    invalid(`TemplateName is longer than ${maxTemplateNameBytes} bytes`);
  if (!templateNamePattern.test(t.name))
    invalid('TemplateName may hold only Chinese characters, letters, digits, _ and -');
  if (Buffer.byteLength(t.description ?? '') > maxDescriptionBytes)
    invalid(`Description is longer than ${maxDescriptionBytes} bytes`);
  if (controlChars.test(t.description ?? '')) invalid('Description has control characters');
  const key = t.callbackKey ?? '';
  if (Buffer.byteLength(key) > maxCallbackKeyBytes || controlChars.test(key)) {
    invalid(`CallbackKey must be at most ${maxCallbackKeyBytes} bytes without control characters`);
  }
  for (const kind of callbackUrlKinds) {
    const url = t.urls[kind];
    if (url) checkCallbackUrl(url, kind);
  }
  // Tencent accepts a template without any URL (its console creates one, then fills the URLs in).
}

/** Throws CALLBACK_URL_INVALID unless `url` is an absolute http(s) URL with a host. */
export function checkCallbackUrl(url: string, kind: string): void {
  const fail = (why: string): never => {
    throw new LiveError('CALLBACK_URL_INVALID', `the ${kind} callback URL ${JSON.stringify(url.slice(0, 200))} ${why}`);
  };
  if (Buffer.byteLength(url) > maxCallbackUrlBytes) fail(`is longer than ${maxCallbackUrlBytes} bytes`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('is not an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail('must start with http:// or https://');
  if (parsed.hostname === '') fail('has no host');
}

function notFound(id: number): LiveError {
  return new LiveError('CALLBACK_TEMPLATE_NOT_FOUND', `there is no callback template ${id}`);
}

function definedOnly<T extends object>(patch: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
