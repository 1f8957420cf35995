/**
 * Event-callback actions (tencent-css.md §3.3): CreateLiveCallbackTemplate, DescribeLiveCallbackTemplate(s),
 * ModifyLiveCallbackTemplate, DeleteLiveCallbackTemplate, CreateLiveCallbackRule, DescribeLiveCallbackRules,
 * DeleteLiveCallbackRule and DescribeCallbackRecordsList, with Tencent's fields, limits and error codes.
 */
import { LiveError, type ErrorCode } from '../../../errors.ts';
import { CallbackConfig } from '../../../control/callbacks/callback-config.ts';
import {
  callbackUrlKinds,
  type CallbackTemplate,
  type CallbackUrlKind,
  type CallbackUrls,
} from '../../../store/callback-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, pageFields, requiredInt, requiredString } from '../api-params.ts';
import { beijingTime } from './tencent-time.ts';
import { requiredName } from './stream-params.ts';
import { callbackRecords } from './callback-records.ts';

type Params = Readonly<Record<string, unknown>>;

/** The request and response field of each URL slot. */
export const urlFields: Readonly<Record<CallbackUrlKind, string>> = {
  streamBegin: 'StreamBeginNotifyUrl',
  streamEnd: 'StreamEndNotifyUrl',
  record: 'RecordNotifyUrl',
  recordStatus: 'RecordStatusNotifyUrl',
  snapshot: 'SnapshotNotifyUrl',
  pornCensorship: 'PornCensorshipNotifyUrl',
  pushException: 'PushExceptionNotifyUrl',
  audioAudit: 'AudioAuditNotifyUrl',
  recordException: 'RecordExceptionNotifyUrl',
  streamMix: 'StreamMixNotifyUrl',
};

/** Tencent codes of the callback errors (Go SDK client.go lists them per action). */
const tencentCodes: Partial<Record<ErrorCode, string>> = {
  CALLBACK_TEMPLATE_INVALID: 'InvalidParameterValue',
  CALLBACK_URL_INVALID: 'InvalidParameter.InvalidCallbackUrl',
  CALLBACK_TEMPLATE_NOT_FOUND: 'FailedOperation.NotFound',
  CALLBACK_TEMPLATE_IN_USE: 'FailedOperation.ConfInUsed',
  CALLBACK_TEMPLATE_LIMIT: 'InternalError.ConfOutLimit',
  CALLBACK_RULE_NOT_FOUND: 'FailedOperation.NotFound',
  CALLBACK_RULE_EXISTS: 'InternalError.RuleAlreadyExist',
};

/** Runs a step, turning callback LiveErrors into their Tencent codes (`overrides` first); others pass on to the router. */
async function tencent<T>(step: () => Promise<T>, overrides: Partial<Record<ErrorCode, string>> = {}): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const code = err instanceof LiveError ? (overrides[err.code] ?? tencentCodes[err.code]) : undefined;
    if (code && err instanceof LiveError) throw new ApiError(code, `${err.message} (${err.code})`, { cause: err });
    throw err;
  }
}

const templateId = (params: Params): number => requiredInt(params, 'TemplateId', 1, 2 ** 31 - 1);

/** The URL parameters present; on Modify an empty string clears its slot, on Create it is the same as absent. */
function urlsOf(params: Params): CallbackUrls {
  const urls: CallbackUrls = {};
  for (const kind of callbackUrlKinds) {
    const name = urlFields[kind];
    const value = params[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string')
      throw new ApiError('InvalidParameterValue', `The parameter ${name} must be a string.`);
    urls[kind] = value;
  }
  return urls;
}

/** The settings key of a template's RecordExceptionLevels (kept beside the template, answered as given). */
export const levelsSetting = (id: number): string => `callback.recordExceptionLevels.${id}`;

/** RecordExceptionLevels as given (undefined when absent), each one of Tencent's levels, without duplicates. */
function checkLevels(params: Params): string[] | undefined {
  const levels = params.RecordExceptionLevels;
  if (levels === undefined || levels === null) return undefined;
  if (
    !Array.isArray(levels) ||
    levels.length > 4 ||
    levels.some((l) => !['error', 'warning', 'info', 'alarm'].includes(l as string))
  ) {
    throw new ApiError(
      'InvalidParameterValue',
      'The parameter RecordExceptionLevels must be a list of error, warning, info, alarm.',
    );
  }
  return [...new Set(levels as string[])];
}

/** The stored RecordExceptionLevels of a template ([] when none were given). */
async function levelsOf(deps: ApiDeps, id: number): Promise<string[]> {
  const text = await deps.store.getSetting(levelsSetting(id));
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((l): l is string => typeof l === 'string') : [];
  } catch {
    return [];
  }
}

/** Tencent CallBackTemplateInfo; a slot without a URL is an empty string. */
export function templateInfo(t: CallbackTemplate, levels: readonly string[] = []): Record<string, unknown> {
  const urls = Object.fromEntries(callbackUrlKinds.map((kind) => [urlFields[kind], t.urls[kind] ?? '']));
  return {
    TemplateId: t.id,
    TemplateName: t.name,
    Description: t.description,
    ...urls,
    CallbackKey: t.callbackKey,
    RecordExceptionLevels: [...levels],
  };
}

/** The callback actions. */
export function callbackActions(deps: ApiDeps): ApiActions {
  const config = new CallbackConfig({ store: deps.store, now: deps.now });
  return {
    async CreateLiveCallbackTemplate(params) {
      const name = requiredString(params, 'TemplateName', 255);
      const levels = checkLevels(params);
      const input = {
        name,
        description: optionalString(params, 'Description', 1024),
        callbackKey: optionalString(params, 'CallbackKey'),
        urls: urlsOf(params),
      };
      const template = await tencent(() => config.createTemplate(input));
      if (levels !== undefined) await deps.store.setSetting(levelsSetting(template.id), JSON.stringify(levels));
      return { TemplateId: template.id };
    },

    async DescribeLiveCallbackTemplates() {
      const templates = await config.listTemplates();
      const levels = await Promise.all(templates.map((t) => levelsOf(deps, t.id)));
      return { Templates: templates.map((t, i) => templateInfo(t, levels[i])) };
    },

    async DescribeLiveCallbackTemplate(params) {
      const id = templateId(params);
      return { Template: templateInfo(await tencent(() => config.getTemplate(id)), await levelsOf(deps, id)) };
    },

    async ModifyLiveCallbackTemplate(params) {
      const id = templateId(params);
      const levels = checkLevels(params);
      const change = {
        name: optionalString(params, 'TemplateName', 255),
        description: optionalString(params, 'Description', 1024),
        callbackKey: optionalString(params, 'CallbackKey'),
        urls: urlsOf(params),
      };
      await tencent(() => config.modifyTemplate(id, change));
      if (levels !== undefined) await deps.store.setSetting(levelsSetting(id), JSON.stringify(levels));
      return {};
    },

    async DeleteLiveCallbackTemplate(params) {
      const id = templateId(params);
      await tencent(() => config.deleteTemplate(id));
      // The store has no deleteSetting: an empty list reads as none (ids are not reused).
      if ((await deps.store.getSetting(levelsSetting(id))) !== undefined)
        await deps.store.setSetting(levelsSetting(id), '');
      return {};
    },

    async CreateLiveCallbackRule(params) {
      const domain = requiredString(params, 'DomainName', 253);
      const app = requiredName(params, 'AppName');
      const id = templateId(params);
      // Binding an unknown template is a bad parameter, not a missing resource (Tencent InvalidParameter.ConfNotFound).
      await tencent(() => config.bindRule(domain, app, id), {
        CALLBACK_TEMPLATE_NOT_FOUND: 'InvalidParameter.ConfNotFound',
      });
      return {};
    },

    async DescribeLiveCallbackRules() {
      const rules = await config.listRules();
      return {
        Rules: rules.map((r) => ({
          CreateTime: beijingTime(r.createdAt),
          UpdateTime: beijingTime(r.updatedAt),
          TemplateId: r.templateId,
          DomainName: r.domain,
          AppName: r.app,
        })),
      };
    },

    async DeleteLiveCallbackRule(params) {
      const domain = requiredString(params, 'DomainName', 253);
      const app = requiredName(params, 'AppName');
      await tencent(() => config.unbindRule(domain, app));
      return {};
    },

    DescribeCallbackRecordsList: async (params, ctx) => {
      const query = callbackRecords(params, ctx.now);
      // Both are required here, unlike most lists (Tencent DescribeCallbackRecordsListRequest).
      const pageNum = requiredInt(params, 'PageNum', 1, 100_000);
      const pageSize = requiredInt(params, 'PageSize', 1, 100);
      const eventType = optionalInt(params, 'EventType', 0, 321);
      if (eventType !== undefined && ![0, 1, 100, 200, 321].includes(eventType)) {
        throw new ApiError(
          'InvalidParameterValue',
          'The parameter EventType must be 0 (interruption), 1 (push), 100 (recording), 200 (screenshot) or 321 (push error).',
        );
      }
      const resultCode = optionalInt(params, 'ResultCode', -(2 ** 31), 2 ** 31 - 1);
      const list = await deps.store.callbacks.listCallbackAttempts({
        stream: query.stream,
        since: query.start,
        before: query.end,
        ...(eventType !== undefined && { eventType }),
        // Tencent: "0 为成功，其他为失败": any other value asks for the failures.
        ...(resultCode !== undefined && { delivered: resultCode === 0 }),
        limit: pageSize,
        offset: (pageNum - 1) * pageSize,
      });
      return {
        DataInfoList: list.items.map((a) => ({
          EventTime: query.format(a.eventTime),
          EventType: a.eventType,
          Request: a.request,
          Response: a.response,
          ResponseTime: query.format(a.at),
          ResultCode: a.resultCode,
          StreamId: a.stream,
        })),
        ...pageFields(list.total, pageNum, pageSize),
      };
    },
  };
}
