/**
 * Hotlink-protection key actions (tencent-css.md §1.5, §1.6, §3.2): DescribeLivePushAuthKey,
 * ModifyLivePushAuthKey on push domains; DescribeLivePlayAuthKey, ModifyLivePlayAuthKey on play
 * domains. A Modify parameter left out is not changed, as Tencent documents ("不传表示不修改").
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, requiredString } from '../api-params.ts';
import { maxAuthDelta } from '../../../control/domains.ts';
import { maxDomainLength } from '../../../control/domain-name.ts';
import type { AuthSettings } from '../../../store/store.ts';
import { domainOfType } from './domain-info.ts';

type Params = Readonly<Record<string, unknown>>;

/**
 * A key parameter: absent or null leaves the key as it is. A backup key may be "" to remove it; a
 * master key may not, because signed URLs need one (validateAuth in control/domains.ts).
 */
function keyParam(params: Params, name: string, clearable: boolean): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError('InvalidParameterValue', `The parameter ${name} must be a string.`);
  if (value === '' && clearable) return '';
  if (!/^[A-Za-z0-9]{1,64}$/.test(value)) {
    throw new ApiError('InvalidParameterValue', `The parameter ${name} must be 1 to 64 letters and digits.`);
  }
  return value;
}

/** Enable and AuthDelta, shared by both Modify actions. */
function commonPatch(params: Params): Partial<AuthSettings> {
  const enable = optionalInt(params, 'Enable', 0, 1);
  const authDelta = optionalInt(params, 'AuthDelta', 0, maxAuthDelta);
  return { ...(enable !== undefined && { enabled: enable === 1 }), ...(authDelta !== undefined && { authDelta }) };
}

const domainName = (params: Params): string => requiredString(params, 'DomainName', maxDomainLength + 1);

/** The auth-key actions over the Domains service. */
export function authKeyActions(deps: ApiDeps): ApiActions {
  const { domains } = deps;
  return {
    async DescribeLivePushAuthKey(params) {
      const d = await domainOfType(domains, domainName(params), 'push');
      return {
        PushAuthKeyInfo: {
          DomainName: d.name,
          Enable: d.auth.enabled ? 1 : 0,
          MasterAuthKey: d.auth.key,
          BackupAuthKey: d.auth.backupKey,
          AuthDelta: d.auth.authDelta,
          // openlive extension (Tencent's SDKs ignore it): md5 or sha256, so signers pick the right hash.
          Algorithm: d.auth.algorithm,
        },
      };
    },

    async ModifyLivePushAuthKey(params) {
      const d = await domainOfType(domains, domainName(params), 'push');
      const key = keyParam(params, 'MasterAuthKey', false);
      const backupKey = keyParam(params, 'BackupAuthKey', true);
      await domains.setAuth(d.name, {
        ...commonPatch(params),
        ...(key !== undefined && { key }),
        ...(backupKey !== undefined && { backupKey }),
      });
      return {};
    },

    async DescribeLivePlayAuthKey(params) {
      const d = await domainOfType(domains, domainName(params), 'play');
      return {
        PlayAuthKeyInfo: {
          DomainName: d.name,
          Enable: d.auth.enabled ? 1 : 0,
          AuthKey: d.auth.key,
          AuthDelta: d.auth.authDelta,
          AuthBackKey: d.auth.backupKey,
          Algorithm: d.auth.algorithm,
        },
      };
    },

    async ModifyLivePlayAuthKey(params) {
      const d = await domainOfType(domains, domainName(params), 'play');
      const key = keyParam(params, 'AuthKey', false);
      const backupKey = keyParam(params, 'AuthBackKey', true);
      await domains.setAuth(d.name, {
        ...commonPatch(params),
        ...(key !== undefined && { key }),
        ...(backupKey !== undefined && { backupKey }),
      });
      return {};
    },
  };
}
