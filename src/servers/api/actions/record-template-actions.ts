/**
 * Record template and rule actions with the live 2018-08-01 models' fields (docs/api.md "Recording"):
 * CreateLiveRecordTemplate, DescribeLiveRecordTemplate(s), ModifyLiveRecordTemplate, DeleteLiveRecordTemplate,
 * CreateLiveRecordRule, DescribeLiveRecordRules, DeleteLiveRecordRule. VOD and COS fields are kept and listed;
 * openlive stores files itself.
 */
import {
  recordParamFormats,
  type RecordFormatParams,
  type RecordParamFormat,
  type RecordTemplate,
  type RecordTemplateParams,
} from '../../../store/record-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, requiredInt, requiredString } from '../api-params.ts';
import { ruleInfo, ruleTarget } from './rule-params.ts';
import { optionalName, pushDomain } from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

/** The request and response field of each format. */
const paramFields: Readonly<Record<RecordParamFormat, string>> = {
  flv: 'FlvParam',
  hls: 'HlsParam',
  mp4: 'Mp4Param',
  aac: 'AacParam',
  mp3: 'Mp3Param',
};
/** Tencent: at most 50 record templates per account. */
const maxTemplates = 50;
/** RecordParam.RecordInterval's Tencent default and upper bounds (AAC and MP3 record at most two hours per file). */
const defaultInterval = 1800;
const maxInterval: Readonly<Record<RecordParamFormat, number>> = {
  flv: 43_200,
  hls: 43_200,
  mp4: 43_200,
  aac: 7200,
  mp3: 7200,
};
/** StorageTime: 0 (for ever) to 1500 days, in seconds. */
const maxStorage = 1500 * 24 * 3600;
const namePattern = /^[\p{Script=Han}A-Za-z0-9_-]{1,255}$/u;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

const templateId = (params: Params): number => requiredInt(params, 'TemplateId', 1, 2 ** 31 - 1);

/** One RecordParam object, or undefined when the field is absent. */
function formatParams(params: Params, format: RecordParamFormat): RecordFormatParams | undefined {
  const field = paramFields[format];
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`The parameter ${field} must be an object.`);
  const p = value as Params;
  // openlive honours RecordInterval down to record.minIntervalSeconds, so it accepts shorter ones than Tencent's 60.
  const recordInterval = optionalInt(p, 'RecordInterval', 1, maxInterval[format]) ?? defaultInterval;
  const storageTime = optionalInt(p, 'StorageTime', 0, maxStorage) ?? 0;
  const enable = optionalInt(p, 'Enable', 0, 1) === 1;
  const vodFileName = optionalString(p, 'VodFileName', 1024) ?? '';
  return { enable, recordInterval, storageTime, vodFileName };
}

function formatsOf(params: Params): RecordTemplateParams['formats'] {
  const out: Partial<Record<RecordParamFormat, RecordFormatParams>> = {};
  for (const f of recordParamFormats) {
    const p = formatParams(params, f);
    if (p) out[f] = p;
  }
  return out;
}

function flowContinue(params: Params): number | undefined {
  const v = params.HlsSpecialParam;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') throw invalid('The parameter HlsSpecialParam must be an object.');
  return optionalInt(v as Params, 'FlowContinueDuration', 0, 1800) ?? 0;
}

function removeWatermark(params: Params): boolean | undefined {
  const v = params.RemoveWatermark;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid('The parameter RemoveWatermark must be a boolean.');
  return v;
}

function templateName(params: Params, required: boolean): string | undefined {
  const name = required ? requiredString(params, 'TemplateName', 255) : optionalString(params, 'TemplateName', 255);
  if (name !== undefined && !namePattern.test(name))
    throw invalid('The parameter TemplateName may hold only Chinese, English letters, digits, _ and -.');
  return name;
}

/** Tencent RecordParam as DescribeLiveRecordTemplate(s) answer it. */
function recordParam(p: RecordFormatParams | undefined): Record<string, unknown> {
  return {
    RecordInterval: p?.recordInterval ?? defaultInterval,
    StorageTime: p?.storageTime ?? 0,
    Enable: p?.enable ? 1 : 0,
    VodSubAppId: 0,
    VodFileName: p?.vodFileName ?? '',
    Procedure: '',
    StorageMode: 'normal',
    ClassId: 0,
    CosBucketName: '',
    CosBucketRegion: '',
    CosBucketPath: '',
  };
}

/** Tencent RecordTemplateInfo. */
export function recordTemplateInfo(t: RecordTemplate): Record<string, unknown> {
  const formats = Object.fromEntries(recordParamFormats.map((f) => [paramFields[f], recordParam(t.params.formats[f])]));
  return {
    TemplateId: t.id,
    TemplateName: t.name,
    Description: t.description,
    ...formats,
    IsDelayLive: t.params.isDelayLive,
    HlsSpecialParam: { FlowContinueDuration: t.params.flowContinueSeconds },
    RemoveWatermark: t.params.removeWatermark,
    CosStore: 0,
    FlvSpecialParam: { UploadInRecording: false },
  };
}

async function existing(deps: ApiDeps, id: number): Promise<RecordTemplate> {
  const t = await deps.store.recordings.getRecordTemplate(id);
  if (!t) throw new ApiError('FailedOperation.NotFound', `Record template ${id} does not exist.`);
  return t;
}

/** The record template and rule actions. */
export function recordTemplateActions(deps: ApiDeps): ApiActions {
  const r = deps.store.recordings;
  return {
    async CreateLiveRecordTemplate(params) {
      const name = templateName(params, true)!;
      const count = (await r.listRecordTemplates()).length;
      if (count >= maxTemplates)
        throw new ApiError(
          'InternalError.ConfOutLimit',
          `There are already ${count} record templates; the limit is ${maxTemplates}.`,
        );
      const id = await r.addRecordTemplate({
        name,
        description: optionalString(params, 'Description', 1024) ?? '',
        params: {
          formats: formatsOf(params),
          flowContinueSeconds: flowContinue(params) ?? 0,
          isDelayLive: optionalInt(params, 'IsDelayLive', 0, 1) ?? 0,
          removeWatermark: removeWatermark(params) ?? false,
        },
        createdAt: deps.now(),
      });
      return { TemplateId: id };
    },

    async DescribeLiveRecordTemplate(params) {
      return { Template: recordTemplateInfo(await existing(deps, templateId(params))) };
    },

    async DescribeLiveRecordTemplates(params) {
      const delay = optionalInt(params, 'IsDelayLive', 0, 1) ?? 0;
      return {
        Templates: (await r.listRecordTemplates())
          .filter((t) => t.params.isDelayLive === delay)
          .map(recordTemplateInfo),
      };
    },

    async ModifyLiveRecordTemplate(params) {
      const id = templateId(params);
      await existing(deps, id);
      const name = templateName(params, false);
      const description = optionalString(params, 'Description', 1024);
      const flow = flowContinue(params);
      const watermark = removeWatermark(params);
      await r.updateRecordTemplate(id, {
        ...(name !== undefined && { name }),
        ...(description !== undefined && { description }),
        params: {
          formats: formatsOf(params),
          ...(flow !== undefined && { flowContinueSeconds: flow }),
          ...(watermark !== undefined && { removeWatermark: watermark }),
        },
        updatedAt: deps.now(),
      });
      return {};
    },

    async DeleteLiveRecordTemplate(params) {
      const id = templateId(params);
      await existing(deps, id);
      if ((await r.listRecordRules()).some((rule) => rule.templateId === id)) {
        throw new ApiError(
          'FailedOperation.ConfInUsed',
          `Record template ${id} is bound by a record rule; delete the rule first.`,
        );
      }
      await r.deleteRecordTemplate(id);
      return {};
    },

    async CreateLiveRecordRule(params) {
      const domain = await pushDomain(deps, params);
      const id = templateId(params);
      if (!(await r.getRecordTemplate(id)))
        throw new ApiError('InvalidParameter.ConfNotFound', `Record template ${id} does not exist.`);
      const app = optionalName(params, 'AppName') ?? '';
      const stream = optionalName(params, 'StreamName') ?? '';
      const now = deps.now();
      await r.setRecordRule({ domain: domain.name, app, stream, templateId: id, createdAt: now, updatedAt: now });
      return {};
    },

    async DescribeLiveRecordRules() {
      const rules = await r.listRecordRules();
      return {
        Rules: rules.map(ruleInfo),
      };
    },

    async DeleteLiveRecordRule(params) {
      const { domain, app, stream } = ruleTarget(params);
      if (!(await r.deleteRecordRule(domain, app, stream)))
        throw new ApiError('FailedOperation.NotFound', `No record rule for ${domain}/${app}/${stream}.`);
      return {};
    },
  };
}
