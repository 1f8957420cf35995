/**
 * First start: a default push domain and a default play domain that serve bare-IP and unknown
 * hosts (non-strict mode), push authentication on with a generated key, so that
 * `rtmp://127.0.0.1/live/demo?txSecret=...` works out of the box and the banner can print it.
 * Runs once: a settings flag remembers it, and a start that crashed half-way finishes the job.
 */
import type { Domain, DomainType, Store } from '../store/store.ts';
import { Domains, type NewDomain } from './domains.ts';
import { streamUrls, type StreamUrls } from './stream-urls.ts';

/** The settings key set once bootstrapping has finished. */
export const bootstrapSetting = 'bootstrap.done';

/** How the first start names its domains; `.localhost` names are reserved for loopback (RFC 6761 §6.3). */
export interface BootstrapOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly pushDomain?: string;
  readonly playDomain?: string;
  readonly cnameSuffix?: string;
  readonly generateKey?: () => string;
}

/** The default domains after bootstrapping; undefined if an operator deleted one since. */
export interface Bootstrapped {
  /** True only on the start that created the defaults. */
  readonly created: boolean;
  readonly push: Domain | undefined;
  readonly play: Domain | undefined;
}

/** Creates the default domains once; later calls return them as they are now. */
export async function bootstrap(options: BootstrapOptions): Promise<Bootstrapped> {
  const { store } = options;
  const domains = new Domains({
    store,
    now: options.now,
    ...(options.cnameSuffix !== undefined && { cnameSuffix: options.cnameSuffix }),
    ...(options.generateKey !== undefined && { generateKey: options.generateKey }),
  });
  if ((await store.getSetting(bootstrapSetting)) !== undefined) {
    return { created: false, push: await domains.getDefault('push'), play: await domains.getDefault('play') };
  }
  const push = await ensure(domains, { name: options.pushDomain ?? 'push.localhost', type: 'push' });
  const play = await ensure(domains, { name: options.playDomain ?? 'play.localhost', type: 'play' });
  await domains.setDefault('push', push.name);
  await domains.setDefault('play', play.name);
  // Written last: a start that dies before this line runs the whole (idempotent) bootstrap again.
  await store.setSetting(bootstrapSetting, new Date(options.now()).toISOString());
  return { created: true, push, play };
}

/** The domain of that name and type, added if missing (a half-finished earlier start may have added it). */
async function ensure(domains: Domains, input: NewDomain & { type: DomainType }): Promise<Domain> {
  const existing = await domains.find(input.name);
  if (existing?.type === input.type) return existing;
  return domains.add(input);
}

/** Where the banner's URLs point: the address clients use and the bound ports. */
export interface BannerEndpoints {
  readonly host: string;
  readonly rtmpPort: number;
  readonly httpPort: number;
  /** 0 or absent while RTMPS / HTTPS are off. */
  readonly rtmpsPort?: number;
  readonly httpsPort?: number;
}

/** The banner's signed demo URLs (push valid `validSeconds`, 24 h by default), or undefined without a push domain. */
export function demoUrls(
  b: Bootstrapped,
  endpoints: BannerEndpoints,
  nowMs: number,
  options: { app?: string; stream?: string; validSeconds?: number } = {},
): StreamUrls | undefined {
  if (!b.push) return undefined;
  return streamUrls({
    app: options.app ?? 'live',
    stream: options.stream ?? 'demo',
    expiresAt: Math.floor(nowMs / 1000) + (options.validSeconds ?? 24 * 3600),
    // Bare-IP URLs reach the default domains in non-strict mode; that is what a fresh install runs.
    push: { host: endpoints.host, auth: b.push.auth },
    ...(b.play && { play: { host: endpoints.host, auth: b.play.auth } }),
    rtmpPort: endpoints.rtmpPort,
    httpPort: endpoints.httpPort,
    rtmpsPort: endpoints.rtmpsPort ?? 0,
    httpsPort: endpoints.httpsPort ?? 0,
  });
}
