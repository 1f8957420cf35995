/**
 * Referer actions of play domains (live 2018-08-01 DescribeLiveDomainReferer, ModifyLiveDomainReferer,
 * model RefererAuthConfig): the allow/deny list checked on HTTP-FLV, WS-FLV and HLS plays
 * (control/referer-check.ts; a refused play answers 403 REFERER_DENIED).
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalString, requiredInt, requiredString } from '../api-params.ts';
import { maxDomainLength } from '../../../control/domain-name.ts';
import { maxRefererRuleLength, maxRefererRules, parseRefererRules } from '../../../control/referer-check.ts';
import type { Domain, RefererSettings } from '../../../store/store.ts';
import { domainOfType } from './domain-info.ts';

/** A domain without a list answers Tencent's defaults: off, deny list, empty Referer allowed, no rules. */
const noList: RefererSettings = { enabled: false, type: 'deny', allowEmpty: true, rules: [] };

/** The RefererAuthConfig of a domain. */
export function refererAuthConfig(domain: Domain): Record<string, unknown> {
  const r = domain.settings?.referer ?? noList;
  return {
    DomainName: domain.name,
    Enable: r.enabled ? 1 : 0,
    Type: r.type === 'allow' ? 1 : 0,
    AllowEmpty: r.allowEmpty ? 1 : 0,
    Rules: r.rules.join(';'),
  };
}

/** The referer actions over the Domains service. */
export function refererActions(deps: ApiDeps): ApiActions {
  const { domains } = deps;
  return {
    async DescribeLiveDomainReferer(params) {
      const domain = await domainOfType(domains, requiredString(params, 'DomainName', maxDomainLength + 1), 'play');
      return { RefererAuthConfig: refererAuthConfig(domain) };
    },

    async ModifyLiveDomainReferer(params) {
      const domain = await domainOfType(domains, requiredString(params, 'DomainName', maxDomainLength + 1), 'play');
      const enabled = requiredInt(params, 'Enable', 0, 1) === 1;
      const type = requiredInt(params, 'Type', 0, 1) === 1 ? 'allow' : 'deny';
      const allowEmpty = requiredInt(params, 'AllowEmpty', 0, 1) === 1;
      // Tencent requires Rules even when disabling; an empty string is a list of none.
      if (params.Rules === undefined || params.Rules === null)
        throw new ApiError('MissingParameter', 'The parameter Rules is missing.');
      const rules = parseRefererRules(
        optionalString(params, 'Rules', maxRefererRules * (maxRefererRuleLength + 1)) ?? '',
      );
      await domains.setSettings(domain.name, { referer: { enabled, type, allowEmpty, rules } });
      return {};
    },
  };
}
