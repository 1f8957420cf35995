/** What the record and snapshot rule actions share (2018-08-01 models): a rule as Describe*Rules lists it, the rule a Delete*Rule names. */
import type { RecordRule } from '../../../store/record-store.ts';
import { optionalString, requiredString } from '../api-params.ts';
import { beijingTime } from './tencent-time.ts';

type Params = Readonly<Record<string, unknown>>;

/** Tencent RuleInfo as DescribeLiveRecordRules / DescribeLiveSnapshotRules answer it. */
export function ruleInfo(rule: RecordRule): Record<string, unknown> {
  return {
    CreateTime: beijingTime(rule.createdAt),
    UpdateTime: beijingTime(rule.updatedAt),
    TemplateId: rule.templateId,
    DomainName: rule.domain,
    AppName: rule.app,
    StreamName: rule.stream,
  };
}

/** The rule a Delete*Rule names: DomainName + AppName + StreamName exactly ('' where one is not given). */
export function ruleTarget(params: Params): { domain: string; app: string; stream: string } {
  const domain = requiredString(params, 'DomainName', 253).toLowerCase();
  // Tencent: DomainName + AppName + StreamName name one rule exactly; an empty AppName is passed as ''.
  const app = optionalString(params, 'AppName') ?? '';
  const stream = optionalString(params, 'StreamName') ?? '';
  return { domain, app, stream };
}
