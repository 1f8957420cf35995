/**
 * Domain actions (tencent-css.md §2): AddLiveDomain, DeleteLiveDomain, DescribeLiveDomain,
 * DescribeLiveDomains, EnableLiveDomain, ForbidLiveDomain, with Tencent's fields and limits.
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, paging, requiredInt, requiredString } from '../api-params.ts';
import { maxDomainLength } from '../../../control/domain-name.ts';
import { cnameOrNothing, domainInfo, domainTypeOf } from './domain-info.ts';
import type { Domains } from '../../../control/domains.ts';
import { maxPageSize, type Domain, type DomainQuery } from '../../../store/store.ts';

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
      const playType = optionalInt(params, 'PlayType', 1, 3);
      const miniProgram = optionalInt(params, 'IsMiniProgramLive', 0, 1);
      if (optionalInt(params, 'IsDelayLive', 0, 1) === 1) {
        throw new ApiError(
          'UnsupportedOperation',
          'IsDelayLive 1 (LCB, "slow live") is not supported; openlive serves standard live only.',
        );
      }
      const verify = optionalString(params, 'VerifyOwnerType');
      if (verify !== undefined && !verifyOwnerTypes.includes(verify)) {
        throw new ApiError(
          'InvalidParameterValue',
          `The parameter VerifyOwnerType must be one of ${verifyOwnerTypes.join(', ')}.`,
        );
      }
      if ((await domains.list({ limit: 1 })).total >= domainLimit) {
        throw new ApiError(
          'FailedOperation.HostOutLimit',
          `There are already ${domainLimit} domains; delete one first.`,
        );
      }
      // Kept and answered by DescribeLiveDomain(s), as Tencent does (a push domain's PlayType is stored too).
      const settings = {
        ...(playType !== undefined && { playType }),
        ...(miniProgram !== undefined && { miniProgram: miniProgram === 1 }),
      };
      await domains.add({ name, type, settings });
      return {};
    },

    async DeleteLiveDomain(params) {
      const name = domainName(params);
      const type = domainTypeOf(requiredInt(params, 'DomainType', 0, 1));
      const domain = await domains.get(name);
      if (domain.type !== type) {
        throw new ApiError(
          'InvalidParameterValue',
          `The parameter DomainType is ${type === 'push' ? 0 : 1}, but ${domain.name} is a ${domain.type} domain.`,
        );
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
      // Every openlive domain is standard live (IsDelayLive 0): IsDelayLive 1 matches none. PlayType is kept in the
      // settings JSON, so it is filtered here over every match (at most domainLimit rows) before paging.
      const query = {
        ...(type !== undefined && { type: domainTypeOf(type) }),
        ...(status !== undefined && { enabled: status === 1 }),
        ...(prefix !== undefined && { prefix }),
      };
      let page: { items: Domain[]; total: number };
      if (delay === 1) page = { items: [], total: 0 };
      else if (playType === undefined) page = await domains.list({ ...query, limit, offset });
      else {
        const matching = (await allDomains(domains, query)).filter((d) => (d.settings?.playType ?? 1) === playType);
        page = { items: matching.slice(offset, offset + limit), total: matching.length };
      }
      const cnames = await Promise.all(page.items.map((d) => cnameOrNothing(domains, d.name)));
      const enabledPlay = await allDomains(domains, { type: 'play', enabled: true });
      const all = await domains.list({ limit: 1 });
      return {
        AllCount: page.total,
        DomainList: page.items.map((d, i) => domainInfo(d, cnames[i])),
        CreateLimitCount: Math.max(0, domainLimit - all.total),
        // Enabled play domains by region: mainland, global, outside mainland (openlive has one region).
        PlayTypeCount: [1, 2, 3].map((t) => enabledPlay.filter((d) => (d.settings?.playType ?? 1) === t).length),
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

/** Every domain matching `query`, page by page (at most domainLimit of them). */
async function allDomains(domains: Domains, query: DomainQuery): Promise<Domain[]> {
  const out: Domain[] = [];
  for (let offset = 0; offset < domainLimit; offset += maxPageSize) {
    const page = await domains.list({ ...query, limit: maxPageSize, offset });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) break;
  }
  return out;
}
