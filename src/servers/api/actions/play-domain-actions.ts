/**
 * ModifyLivePlayDomain (PlayType of a play domain) and AuthenticateDomainOwner (ownership by a TXT record
 * at `cssauth.<main domain>`, control/txt-check.ts), with the live 2018-08-01 SDK's fields.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requiredInt, requiredString } from '../api-params.ts';
import { maxDomainLength, validateDomainName } from '../../../control/domain-name.ts';
import { mainDomainOf, ownerRecordLabel } from '../../../control/txt-check.ts';
import { domainOfType } from './domain-info.ts';

/** Settings keys of a main domain's verification content and of its verification. */
export const ownerTokenSetting = (main: string): string => `owner.token.${main}`;
export const ownerVerifiedSetting = (main: string): string => `owner.verified.${main}`;

/** Tencent's VerifyType values; fileCheck (a web file on the domain) is not offered by openlive. */
const verifyTypes = ['dnsCheck', 'fileCheck', 'dbCheck'];

/** The play-domain and ownership actions. */
export function playDomainActions(deps: ApiDeps): ApiActions {
  const { domains, store } = deps;
  return {
    async ModifyLivePlayDomain(params) {
      const domain = await domainOfType(domains, requiredString(params, 'DomainName', maxDomainLength + 1), 'play');
      const playType = requiredInt(params, 'PlayType', 1, 3);
      await domains.setSettings(domain.name, { playType });
      return {};
    },

    async AuthenticateDomainOwner(params) {
      const name = validateDomainName(requiredString(params, 'DomainName', maxDomainLength + 1));
      const verifyType = requiredString(params, 'VerifyType', 16);
      if (!verifyTypes.includes(verifyType)) {
        throw new ApiError(
          'InvalidParameterValue',
          `The parameter VerifyType must be one of ${verifyTypes.join(', ')}.`,
        );
      }
      if (verifyType === 'fileCheck') {
        throw new ApiError(
          'UnsupportedOperation',
          'VerifyType fileCheck is not supported; use dnsCheck with a TXT record.',
        );
      }
      const main = mainDomainOf(name);
      // One content per main domain, kept so the operator can set the record once and ask again later.
      let content = await store.getSetting(ownerTokenSetting(main));
      if (content === undefined) {
        content = randomBytes(16).toString('hex');
        await store.setSetting(ownerTokenSetting(main), content);
      }
      let verified = (await store.getSetting(ownerVerifiedSetting(main))) !== undefined;
      if (!verified && verifyType === 'dnsCheck' && (await domains.hasTxt(`${ownerRecordLabel}.${main}`, content))) {
        await store.setSetting(ownerVerifiedSetting(main), String(deps.now()));
        verified = true;
      }
      // Tencent: Status >= 0 means verified, < 0 not; every domain under the main domain shares it.
      return { Content: content, Status: verified ? 0 : -1, MainDomain: main };
    },
  };
}
