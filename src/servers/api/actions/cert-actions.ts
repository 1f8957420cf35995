/**
 * Tencent's certificate actions where they map onto openlive's TLS certificates (docs/api.md
 * "Certificate actions"): the certificates are the PEM files of `tls.*` (docs/tls.md), so the actions
 * list them, say which one a domain's handshakes get, and bind a domain to one of them or turn its
 * HTTPS rule off. Bindings live in this process until restart (the config file is the truth at start);
 * uploading a key pair through the API is refused: keys stay files the operator controls.
 */
import { basename } from 'node:path';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalString, requiredString } from '../api-params.ts';
import { maxPageSize } from '../../../store/store.ts';
import type { CertificateStore, LoadedCertificate } from '../../tls/certificate-store.ts';
import { matchesServerName } from '../../tls/server-name.ts';
import { utcTime } from './tencent-time.ts';

const off =
  'TLS is off: no certificate is configured (tls.cert/tls.key or tls.certificates with rtmps, https or api.tls on; docs/tls.md).';

/** The certificate actions. */
export function certActions(deps: ApiDeps): ApiActions {
  const store = (): CertificateStore => {
    if (!deps.certificates?.configured) throw new ApiError('FailedOperation', off);
    return deps.certificates;
  };
  const domainNames = async (): Promise<string[]> =>
    (await deps.store.listDomains({ limit: maxPageSize })).items.map((d) => d.name);
  return {
    DescribeLiveCerts: async () => {
      const certs = deps.certificates?.configured ? deps.certificates : undefined;
      if (!certs) return { CertInfoSet: [] };
      const names = await domainNames();
      return {
        CertInfoSet: certs.list().map((c) => ({
          ...certFields(c),
          // The push and play domains whose handshakes get this certificate now.
          DomainList: names.filter((n) => certs.certificateFor(n).id === c.id),
        })),
      };
    },
    DescribeLiveDomainCert: async (params) => {
      const name = requiredString(params, 'DomainName', 255);
      const certs = store();
      await deps.domains.get(name);
      const c = certs.certificateFor(name);
      return {
        DomainCertInfo: {
          ...certFields(c),
          DomainName: name,
          Status: certs.binding(name)?.enabled === false ? 0 : 1,
          CertDomains: [...c.names],
          CloudCertId: String(c.id),
        },
      };
    },
    ModifyLiveDomainCertBindings: async (params) => {
      const certs = store();
      if (params.CertificatePublicKey !== undefined || params.CertificatePrivateKey !== undefined) {
        throw new ApiError(
          'UnsupportedOperation',
          'openlive does not take keys through the API: put the PEM files in tls.certificates (docs/tls.md); they reload without a restart.',
        );
      }
      const infos = domainInfos(params.DomainInfos);
      const cloudId = optionalString(params, 'CloudCertId', 64);
      const chosen = cloudId === undefined ? undefined : certs.list().find((c) => String(c.id) === cloudId);
      if (cloudId !== undefined && !chosen)
        throw new ApiError(
          'InvalidParameterValue',
          `CloudCertId ${cloudId} is not one of DescribeLiveCerts's CertIds.`,
        );
      const known = new Set(await domainNames());
      const mismatched: string[] = [];
      const errors: { DomainName: string; Code: string; Message: string }[] = [];
      for (const { name, status } of infos) {
        if (!known.has(name)) {
          errors.push({
            DomainName: name,
            Code: 'ResourceNotFound.DomainNotExist',
            Message: `${name} is not a domain of this server.`,
          });
          continue;
        }
        const cert =
          chosen ?? certs.list().find((c) => c.id === certs.binding(name)?.certId) ?? certs.certificateFor(name);
        if (!cert.names.some((n) => matchesServerName(n, name))) {
          mismatched.push(name);
          errors.push({
            DomainName: name,
            Code: 'InvalidParameterValue.CrtDomainNotMatch',
            Message: `certificate ${cert.id} names ${cert.names.join(', ')}, not ${name}.`,
          });
          continue;
        }
        const enabled = status === -1 ? (certs.binding(name)?.enabled ?? true) : status === 1;
        certs.bind(name, cert.id, enabled);
      }
      return { MismatchedDomainNames: mismatched, Errors: errors };
    },
    UnBindLiveDomainCert: async (params) => {
      const name = requiredString(params, 'DomainName', 255);
      const type = optionalString(params, 'Type', 16) ?? 'formal';
      if (type !== 'formal' && type !== 'gray')
        throw new ApiError('InvalidParameterValue', 'Type must be formal or gray.');
      const certs = store();
      await deps.domains.get(name);
      // openlive has no gray (staged) rules: unbinding one is a no-op.
      if (type === 'formal') certs.unbind(name);
      return {};
    },
  };
}

function certFields(c: LoadedCertificate): Record<string, unknown> {
  return {
    CertId: c.id,
    CertName: basename(c.certFile),
    Description: c.subject.replace(/\n/g, ', '),
    CreateTime: utcTime(c.loadedAt),
    HttpsCrt: c.pem,
    // 0: the user's own certificate (Tencent's 1, a Tencent-managed one, has no counterpart here).
    CertType: 0,
    CertExpireTime: utcTime(c.notAfter),
  };
}

function domainInfos(value: unknown): { name: string; status: number }[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new ApiError('MissingParameter', 'The parameter DomainInfos is missing.');
  if (value.length > 100) throw new ApiError('InvalidParameterValue', 'DomainInfos takes at most 100 domains.');
  return value.map((v, i) => {
    const o = (v ?? {}) as { DomainName?: unknown; Status?: unknown };
    if (typeof o.DomainName !== 'string' || o.DomainName === '' || o.DomainName.length > 255) {
      throw new ApiError('InvalidParameterValue', `DomainInfos.${i}.DomainName must be a domain name.`);
    }
    if (o.Status !== 1 && o.Status !== 0 && o.Status !== -1)
      throw new ApiError('InvalidParameterValue', `DomainInfos.${i}.Status must be 1, 0 or -1.`);
    return { name: o.DomainName.toLowerCase(), status: o.Status };
  });
}
