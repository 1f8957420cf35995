/**
 * Checklist step 1 (tencent-css.md §6): the push domain exists, is enabled (18/300, 18/301, 18/303),
 * and its DNS CNAMEs to the target openlive assigned it, asking DNS what it points to now.
 */
import type { Domain } from '../../store/store.ts';
import { toLiveError } from '../../errors.ts';
import { breakCodes } from '../break-codes.ts';
import type { CnameStatus } from '../cname-check.ts';
import { isBareIp } from '../names.ts';
import { check, type DoctorCheck } from './doctor-check.ts';

/** What the domain checks read: domains (store-backed) and DNS. */
export interface DomainLookup {
  find(name: string): Promise<Domain | undefined>;
  getDefault(type: 'push'): Promise<Domain | undefined>;
  /** The CNAME of an added domain compared with its target; may throw CNAME_LOOKUP_FAILED. */
  cnameStatus(name: string): Promise<CnameStatus>;
}

/** The domain check and the push domain whose keys the later checks use (even a disabled one). */
export interface DomainFinding {
  readonly check: DoctorCheck;
  readonly domain: Domain | undefined;
  /** True when the URL's host is that domain's own name (so its CNAME is worth checking). */
  readonly named: boolean;
}

const addFix = (host: string): string => `add it: openlive domain add ${host} --type push (Cloud API AddLiveDomain)`;

/** Which push domain serves `host`, as the access policy decides it (control/access-policy.ts). */
export async function checkDomain(host: string, domains: DomainLookup, strict: boolean): Promise<DomainFinding> {
  // An SRT stream id without h= names no host: admission serves it like a bare IP (access-policy.ts).
  const bare = isBareIp(host) || host === '';
  const named = bare ? undefined : await domains.find(host);
  if (named?.type === 'play') {
    const text = `${host} is a play domain; pushes to it are refused`;
    return {
      check: check(
        'domain',
        'fail',
        text,
        'push to a push domain; play domains serve players',
        breakCodes.domainUnknown,
      ),
      domain: undefined,
      named: false,
    };
  }
  if (named) return { check: enabledCheck(named, `${host} is a push domain`), domain: named, named: true };
  const code = bare ? breakCodes.bareIp : breakCodes.domainUnknown;
  const what =
    host === ''
      ? 'the stream id names no host (h=)'
      : bare
        ? `${host} is an IP address, not a domain`
        : `${host} is not a push domain here`;
  if (strict) {
    const fix = bare ? 'push to a push domain name (domains.strict refuses IP addresses)' : addFix(host);
    return {
      check: check('domain', 'fail', `${what}; strict mode refuses it`, fix, code),
      domain: undefined,
      named: false,
    };
  }
  const fallback = await domains.getDefault('push');
  if (fallback?.type !== 'push') {
    const fix = bare ? 'push to a push domain name, or set a default push domain' : addFix(host);
    return {
      check: check('domain', 'fail', `${what} and no default push domain is set`, fix, code),
      domain: undefined,
      named: false,
    };
  }
  const served = `${what}; the default push domain ${fallback.name} serves it (non-strict mode)`;
  if (!fallback.enabled) return { check: enabledCheck(fallback, served), domain: fallback, named: false };
  // An IP address reaching the default domain is how a fresh install works; an unknown name is a typo or a missing add.
  return bare
    ? { check: check('domain', 'pass', served), domain: fallback, named: false }
    : { check: check('domain', 'warn', `${served}, with its keys`, addFix(host)), domain: fallback, named: false };
}

function enabledCheck(domain: Domain, said: string): DoctorCheck {
  if (domain.enabled) return check('domain', 'pass', `${said}, enabled`);
  return check(
    'domain',
    'fail',
    `${said}, but push domain ${domain.name} is disabled: every publish is refused`,
    `enable it: openlive domain enable ${domain.name} (Cloud API EnableLiveDomain)`,
    breakCodes.domainDisabled,
  );
}

/** The DNS side: what the host CNAMEs to now; `addresses` resolves A/AAAA when there is no CNAME. */
export async function checkCname(
  host: string,
  finding: DomainFinding,
  domains: DomainLookup,
  addresses?: (host: string) => Promise<string[]>,
): Promise<DoctorCheck> {
  if (host === '') return check('cname', 'pass', 'skipped: the stream id names no host (h=), so no DNS is involved');
  if (isBareIp(host)) return check('cname', 'pass', `skipped: ${host} is an IP address, so no DNS is involved`);
  // RFC 6761 §6.3: .localhost names are loopback by definition; the default domains use them.
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return check(
      'cname',
      'pass',
      `skipped: ${host} is a .localhost name, which resolves to this machine without DNS (RFC 6761)`,
    );
  }
  const domain = finding.domain;
  if (!finding.named || !domain)
    return check(
      'cname',
      'warn',
      `skipped: ${host} is not an added push domain, so it has no CNAME target`,
      addFix(host),
    );
  const record = `${domain.name} CNAME ${domain.cnameTarget}`;
  let status: CnameStatus;
  try {
    status = await domains.cnameStatus(domain.name);
  } catch (err) {
    return check(
      'cname',
      'warn',
      `could not ask DNS for the CNAME of ${domain.name}: ${toLiveError(err).message}`,
      `check the DNS servers (domains.dnsServers), then make sure of the record ${record}`,
    );
  }
  if (status.status === 'configured') return check('cname', 'pass', `${domain.name} CNAMEs to ${status.target}`);
  if (status.status === 'elsewhere') {
    return check(
      'cname',
      'fail',
      `${domain.name} CNAMEs to ${status.current}, not to ${status.target}: encoders reach another server`,
      `change the DNS record to ${record}`,
    );
  }
  const ips = addresses ? await addresses(domain.name).catch(() => []) : [];
  if (ips.length > 0) {
    return check(
      'cname',
      'warn',
      `${domain.name} has no CNAME; it resolves to ${ips.slice(0, 4).join(', ')} directly, which works only while that is this server`,
      `add the DNS record ${record}`,
    );
  }
  return check(
    'cname',
    'fail',
    `${domain.name} has no CNAME (and no address): encoders cannot find the server`,
    `add the DNS record ${record}`,
  );
}
