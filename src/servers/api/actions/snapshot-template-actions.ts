/**
 * Snapshot template and rule actions with the live 2018-08-01 models' fields (docs/api.md "Snapshots"):
 * CreateLiveSnapshotTemplate, DescribeLiveSnapshotTemplate(s), ModifyLiveSnapshotTemplate,
 * DeleteLiveSnapshotTemplate, CreateLiveSnapshotRule, DescribeLiveSnapshotRules, DeleteLiveSnapshotRule.
 * The COS fields (CosAppId, CosBucket, CosRegion, CosPrefix, CosFileName) are kept and listed; openlive
 * stores the pictures itself and they are optional here.
 */
import type { SnapshotTemplate, SnapshotTemplateParams } from '../../../store/snapshot-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, requiredInt, requiredString } from '../api-params.ts';
import { ruleInfo, ruleTarget } from './rule-params.ts';
import { optionalName, pushDomain } from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

/** Tencent: at most 50 snapshot templates per account. */
const maxTemplates = 50;
const namePattern = /^[\p{Script=Han}A-Za-z0-9_-]{1,255}$/u;

const templateId = (params: Params): number => requiredInt(params, 'TemplateId', 1, 2 ** 31 - 1);

function templateName(params: Params, required: boolean): string | undefined {
  const name = required ? requiredString(params, 'TemplateName', 255) : optionalString(params, 'TemplateName', 255);
  if (name !== undefined && !namePattern.test(name)) {
    throw new ApiError(
      'InvalidParameterValue',
      'The parameter TemplateName may hold only Chinese, English letters, digits, _ and -.',
    );
  }
  return name;
}

/** The parameters given (SnapshotInterval 2-300 s, Width 0-3000, Height 0-2000, PornFlag 0/1, COS fields). */
function paramsOf(
  params: Params,
): Partial<{ -readonly [K in keyof SnapshotTemplateParams]: SnapshotTemplateParams[K] }> {
  const out: Partial<{ -readonly [K in keyof SnapshotTemplateParams]: SnapshotTemplateParams[K] }> = {};
  const set = <K extends keyof SnapshotTemplateParams>(key: K, value: SnapshotTemplateParams[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('interval', optionalInt(params, 'SnapshotInterval', 2, 300));
  set('width', optionalInt(params, 'Width', 0, 3000));
  set('height', optionalInt(params, 'Height', 0, 2000));
  set('pornFlag', optionalInt(params, 'PornFlag', 0, 1));
  set('cosAppId', optionalInt(params, 'CosAppId', 0, 2 ** 53 - 1));
  set('cosBucket', optionalString(params, 'CosBucket', 255));
  set('cosRegion', optionalString(params, 'CosRegion', 64));
  set('cosPrefix', optionalString(params, 'CosPrefix', 1024));
  set('cosFileName', optionalString(params, 'CosFileName', 1024));
  return out;
}

const defaults: SnapshotTemplateParams = {
  interval: 10,
  width: 0,
  height: 0,
  pornFlag: 0,
  cosAppId: 0,
  cosBucket: '',
  cosRegion: '',
  cosPrefix: '',
  cosFileName: '',
};

/** Tencent SnapshotTemplateInfo. */
function templateInfo(t: SnapshotTemplate): Record<string, unknown> {
  const p = t.params;
  return {
    TemplateId: t.id,
    TemplateName: t.name,
    SnapshotInterval: p.interval,
    Width: p.width,
    Height: p.height,
    PornFlag: p.pornFlag,
    CosAppId: p.cosAppId,
    CosBucket: p.cosBucket,
    CosRegion: p.cosRegion,
    Description: t.description,
    CosPrefix: p.cosPrefix,
    CosFileName: p.cosFileName,
  };
}

async function existing(deps: ApiDeps, id: number): Promise<SnapshotTemplate> {
  const t = await deps.store.snapshots.getSnapshotTemplate(id);
  if (!t) throw new ApiError('FailedOperation.NotFound', `Snapshot template ${id} does not exist.`);
  return t;
}

/** The snapshot template and rule actions. */
export function snapshotTemplateActions(deps: ApiDeps): ApiActions {
  const s = deps.store.snapshots;
  return {
    async CreateLiveSnapshotTemplate(params) {
      const name = templateName(params, true)!;
      const count = (await s.listSnapshotTemplates()).length;
      if (count >= maxTemplates)
        throw new ApiError(
          'InternalError.ConfOutLimit',
          `There are already ${count} snapshot templates; the limit is ${maxTemplates}.`,
        );
      const id = await s.addSnapshotTemplate({
        name,
        description: optionalString(params, 'Description', 1024) ?? '',
        params: { ...defaults, ...paramsOf(params) },
        createdAt: deps.now(),
      });
      return { TemplateId: id };
    },

    async DescribeLiveSnapshotTemplate(params) {
      return { Template: templateInfo(await existing(deps, templateId(params))) };
    },

    async DescribeLiveSnapshotTemplates() {
      return { Templates: (await s.listSnapshotTemplates()).map(templateInfo) };
    },

    async ModifyLiveSnapshotTemplate(params) {
      const id = templateId(params);
      await existing(deps, id);
      const name = templateName(params, false);
      const description = optionalString(params, 'Description', 1024);
      await s.updateSnapshotTemplate(id, {
        ...(name !== undefined && { name }),
        ...(description !== undefined && { description }),
        params: paramsOf(params),
        updatedAt: deps.now(),
      });
      return {};
    },

    async DeleteLiveSnapshotTemplate(params) {
      const id = templateId(params);
      await existing(deps, id);
      if ((await s.listSnapshotRules()).some((rule) => rule.templateId === id)) {
        throw new ApiError(
          'FailedOperation.ConfInUsed',
          `Snapshot template ${id} is bound by a snapshot rule; delete the rule first.`,
        );
      }
      await s.deleteSnapshotTemplate(id);
      return {};
    },

    async CreateLiveSnapshotRule(params) {
      const domain = await pushDomain(deps, params);
      const id = templateId(params);
      if (!(await s.getSnapshotTemplate(id)))
        throw new ApiError('InvalidParameter.ConfNotFound', `Snapshot template ${id} does not exist.`);
      const app = optionalName(params, 'AppName') ?? '';
      const stream = optionalName(params, 'StreamName') ?? '';
      const now = deps.now();
      await s.setSnapshotRule({ domain: domain.name, app, stream, templateId: id, createdAt: now, updatedAt: now });
      // Streams live now start taking pictures at once.
      await deps.snapshots?.checkTasks();
      return {};
    },

    async DescribeLiveSnapshotRules() {
      return {
        Rules: (await s.listSnapshotRules()).map(ruleInfo),
      };
    },

    async DeleteLiveSnapshotRule(params) {
      const { domain, app, stream } = ruleTarget(params);
      if (!(await s.deleteSnapshotRule(domain, app, stream)))
        throw new ApiError('FailedOperation.NotFound', `No snapshot rule for ${domain}/${app}/${stream}.`);
      return {};
    },
  };
}
