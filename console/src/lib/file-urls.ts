/**
 * Recording and snapshot URLs signed for playback. The server serves `/record/files/...` and
 * `/snapshot/files/...` as plays of the file's stream (docs/recording.md "Playback"): with play auth on for the
 * domain that serves the URL's host, it refuses them without `txSecret`/`txTime`, so the console signs them as it
 * signs the preview's play URLs (lib/stream-urls.ts), valid for one hour.
 */
import type { ApiClient } from './api.ts';
import { allDomains, authOf, type AuthInfo } from './domains.ts';
import { formatTxTime, signedQuery } from './stream-urls.ts';

/** Signs file URLs of a stream; the play domains and their keys are read once per signer. */
export type FileUrlSigner = (url: string, stream: string) => Promise<string>;

/**
 * A signer for one page load. The URL's host picks the play domain (a play domain's own name, else the default
 * play domain, which serves bare addresses and unknown hosts); a domain without play auth leaves URLs as they are.
 */
export function fileUrlSigner(api: ApiClient, defaultPlayDomain: string, nowMs = Date.now()): FileUrlSigner {
  let playDomains: Promise<Set<string>> | undefined;
  const auths = new Map<string, Promise<AuthInfo | undefined>>();
  const txTime = formatTxTime(Math.floor(nowMs / 1000) + 3600);
  return async (url, stream) => {
    if (!url) return url;
    // A failed read signs as for the default domain rather than failing the page (the file may still open).
    playDomains ??= allDomains(api, 1).then(
      (list) => new Set(list.map((d) => d.Name.toLowerCase())),
      () => new Set<string>(),
    );
    const host = new URL(url, location.href).hostname.toLowerCase();
    const domain = (await playDomains).has(host) ? host : defaultPlayDomain;
    if (!domain) return url;
    let auth = auths.get(domain);
    if (!auth) auths.set(domain, (auth = authOf(api, domain, 1).catch(() => undefined)));
    const a = await auth;
    if (!a?.enabled) return url;
    const query = signedQuery(a.key, stream, txTime, a.algorithm);
    return url.includes('?') ? `${url}&${query.slice(1)}` : url + query;
  };
}
