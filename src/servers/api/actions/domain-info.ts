/**
 * Tencent's DomainInfo for a stored domain (tencent-css.md §2, live_models DomainInfo): type and
 * status as 0/1, CreateTime in Beijing time, and BCName/CurrentCName from a real CNAME query.
 */
import { beijingTime } from './tencent-time.ts';
import type { Domain, DomainType } from '../../../store/store.ts';
import type { Domains } from '../../../control/domains.ts';
import type { CnameStatus } from '../../../control/cname-check.ts';
import { ApiError } from '../api-action.ts';

/** A listing waits this long for DNS before it reports "no CNAME" (BCName 0) for a domain. */
export const cnameWaitMs = 2000;

/** Tencent's DomainType / Type number of a domain type. */
export function tencentDomainType(type: DomainType): 0 | 1 {
  return type === 'push' ? 0 : 1;
}

/** A 0/1 DomainType parameter as openlive's type. */
export function domainTypeOf(value: number): DomainType {
  return value === 0 ? 'push' : 'play';
}

/**
 * The CNAME status, or undefined when DNS fails or is slow: a listing must not fail because one
 * domain's DNS does not answer, it reports BCName 0 for it instead.
 */
export async function cnameOrNothing(
  domains: Domains,
  name: string,
  waitMs = cnameWaitMs,
): Promise<CnameStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
    timer.unref();
  });
  try {
    return await Promise.race([domains.cnameStatus(name).catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The DomainInfo fields of a domain and its CNAME status. */
export function domainInfo(domain: Domain, cname: CnameStatus | undefined): Record<string, unknown> {
  return {
    Name: domain.name,
    Type: tencentDomainType(domain.type),
    Status: domain.enabled ? 1 : 0,
    CreateTime: beijingTime(domain.createdAt),
    BCName: cname?.status === 'configured' ? 1 : 0,
    TargetDomain: domain.cnameTarget,
    CurrentCName: cname?.current ?? '',
    // Stored as given (AddLiveDomain, ModifyLivePlayDomain); openlive serves every region the same way. No LCB ("slow live").
    PlayType: domain.settings?.playType ?? 1,
    IsDelayLive: 0,
    IsMiniProgramLive: domain.settings?.miniProgram ? 1 : 0,
    // Disused by Tencent; kept so the shape matches its examples.
    RentTag: 0,
    RentExpireTime: beijingTime(0),
  };
}

/** The domain, which must be of `type`; a domain of the other type is an InvalidParameterValue naming the parameter. */
export async function domainOfType(
  domains: Domains,
  name: string,
  type: DomainType,
  param = 'DomainName',
): Promise<Domain> {
  const domain = await domains.get(name);
  if (domain.type !== type) {
    throw new ApiError(
      'InvalidParameterValue',
      `The parameter ${param} names ${domain.type} domain ${domain.name}; this action is for ${type} domains.`,
    );
  }
  return domain;
}
