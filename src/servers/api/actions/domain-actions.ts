/**
 * Domain actions (tencent-css.md §2): AddLiveDomain, DeleteLiveDomain, DescribeLiveDomain,
 * DescribeLiveDomains, EnableLiveDomain, ForbidLiveDomain, with Tencent's fields and limits.
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, paging, requiredInt, requiredString } from '../api-params.ts';
import { maxDomainLength } from '../../../control/domain-name.ts';
import { cnameOrNothing, domainInfo, domainTypeOf } from './domain-info.ts';

type Params = Readonly<Record<string, unknown>>;

/** How many domains the API lets an operator add (Tencent: FailedOperation.HostOutLimit at its own limit). */
export const domainLimit = 1000;
/** Tencent's VerifyOwnerType values; openlive does not verify ownership, so each is accepted and none checks anything. */
const verifyOwnerTypes = ['dnsCheck', 'fileCheck', 'dbCheck'];

const domainName = (params: Params): string => requiredString(params, 'DomainName', maxDomainLength + 1);

/** The domain actions over the Domains service. */
export function domainActions(deps: ApiDeps): ApiActions {
  const { domains } = deps;
  return {
    async AddLiveDomain(params) {
      const name = domainName(params);
      const type = domainTypeOf(requiredInt(params, 'DomainType', 0, 1));
      optionalInt(params, 'PlayType', 1, 3);
      optionalInt(params, 'IsMiniProgramLive', 0, 1);
      if (optionalInt(params, 'IsDelayLive', 0, 1) === 1) {
        throw new ApiError('UnsupportedOperation', 'IsDelayLive 1 (LCB, "slow live") is not supported; openlive serves standard live only.');
      }
      const verify = optionalString(params, 'VerifyOwnerType');
      if (verify !== undefined && !verifyOwnerTypes.includes(verify)) {
        throw new ApiError('InvalidParameterValue', `The parameter VerifyOwnerType must be one of ${verifyOwnerTypes.join(', ')}.`);
      }
      if ((await domains.list({ limit: 1 })).total >= domainLimit) {
        throw new ApiError('FailedOperation.HostOutLimit', `There are already ${domainLimit} domains; delete one first.`);
      }
      await domains.add({ name, type });
      return {};
    },

    async DeleteLiveDomain(params) {
      const name = domainName(params);
      const type = domainTypeOf(requiredInt(params, 'DomainType', 0, 1));
      const domain = await domains.get(name);
      if (domain.type !== type) {
        throw new ApiError('InvalidParameterValue', `The parameter DomainType is ${type === 'push' ? 0 : 1}, but ${domain.name} is a ${domain.type} domain.`);
      }
      await domains.delete(domain.name);
      return {};
    },

    async DescribeLiveDomain(params) {
      const domain = await domains.get(domainName(params));
      return { DomainInfo: domainInfo(domain, await cnameOrNothing(domains, domain.name)) };
    },

    async DescribeLiveDomains(params) {
      const status = optionalInt(params, 'DomainStatus', 0, 1);
      const type = optionalInt(params, 'DomainType', 0, 1);
      const delay = optionalInt(params, 'IsDelayLive', 0, 1);
      const playType = optionalInt(params, 'PlayType', 1, 3);
      const prefix = optionalString(params, 'DomainPrefix', maxDomainLength)?.toLowerCase();
      const { limit, offset } = paging(params, 10, 10, 100);
      // Every openlive domain is standard live (IsDelayLive 0) with PlayType 1: other values match none.
      const none = delay === 1 || (playType !== undefined && playType !== 1);
      const page = none
        ? { items: [], total: 0 }
        : await domains.list({
            ...(type !== undefined && { type: domainTypeOf(type) }),
            ...(status !== undefined && { enabled: status === 1 }),
            ...(prefix !== undefined && { prefix }),
            limit,
            offset,
          });
      const cnames = await Promise.all(page.items.map((d) => cnameOrNothing(domains, d.name)));
      const enabledPlay = await domains.list({ type: 'play', enabled: true, limit: 1 });
      const all = await domains.list({ limit: 1 });
      return {
        AllCount: page.total,
        DomainList: page.items.map((d, i) => domainInfo(d, cnames[i])),
        CreateLimitCount: Math.max(0, domainLimit - all.total),
        // Enabled play domains by region: mainland, global, outside mainland (openlive has one region).
        PlayTypeCount: [enabledPlay.total, 0, 0],
      };
    },

    async EnableLiveDomain(params) {
      await domains.enable(domainName(params));
      return {};
    },

    async ForbidLiveDomain(params) {
      await domains.disable(domainName(params));
      return {};
    },
  };
}
