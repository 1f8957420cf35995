/**
 * The forward targets of `relay.forward`: which apply to a publish (domain and app), the URL each one
 * publishes to, and the marker that keeps a forwarded stream from being forwarded again (a loop).
 */
import { LiveError } from '../../errors.ts';

/** One configured target: every stream published to `domain`/`app` is pushed to `url`. */
export interface ForwardTargetConfig {
  /** The push domain, or `*` for every domain. */
  readonly domain: string;
  /** The app (`live`), or `*` for every app. */
  readonly app: string;
  /** `rtmp://` or `rtmps://`, with `{stream}` and `{app}` placeholders (`rtmp://a.rtmp.youtube.com/live2/KEY`). */
  readonly url: string;
  /** A label for status, metrics and logs; the URL's host when absent. */
  readonly name?: string | undefined;
}

/**
 * The query parameter openlive adds to every forwarded publish. A node that receives a publish carrying
 * it does not forward that stream again, so two clusters forwarding to each other cannot loop.
 * Ingests that reject unknown parameters are rare (YouTube, Twitch and nginx-rtmp ignore them).
 */
export const forwardMarker = 'openliveForwarded';

/** True when a publish's query carries the forward marker (it came from another openlive's forward). */
export function isForwarded(query: string | URLSearchParams): boolean {
  const params =
    typeof query === 'string' ? new URLSearchParams(query.startsWith('?') ? query.slice(1) : query) : query;
  return params.has(forwardMarker);
}

/** The targets that apply to a publish on `domain`/`app`, in configuration order. */
export function matchTargets(
  targets: readonly ForwardTargetConfig[],
  domain: string,
  app: string,
): ForwardTargetConfig[] {
  const d = domain.toLowerCase();
  return targets.filter((t) => (t.domain === '*' || t.domain.toLowerCase() === d) && (t.app === '*' || t.app === app));
}

/**
 * The URL to publish to for one stream: placeholders filled (URL-encoded) and the loop marker added.
 * Throws CONFIG_INVALID for a URL that is not rtmp:// or rtmps://.
 */
export function targetUrl(template: string, app: string, stream: string): string {
  const filled = template
    .replaceAll('{stream}', encodeURIComponent(stream))
    .replaceAll('{app}', encodeURIComponent(app));
  let u: URL;
  try {
    u = new URL(filled);
  } catch (err) {
    throw new LiveError('CONFIG_INVALID', `relay.forward url is not a URL: ${redactUrl(template)}`, { cause: err });
  }
  if (u.protocol !== 'rtmp:' && u.protocol !== 'rtmps:') {
    throw new LiveError('CONFIG_INVALID', `relay.forward url must be rtmp:// or rtmps://: ${redactUrl(template)}`);
  }
  u.searchParams.set(forwardMarker, '1');
  return u.toString();
}

/** The URL without its query and with the last path segment masked: stream keys are secrets. */
export function redactUrl(url: string): string {
  const noQuery = url.split('?')[0] ?? url;
  const m = /^(rtmps?:\/\/[^/]+\/[^/]+\/)(.+)$/.exec(noQuery);
  if (!m) return noQuery;
  const last = m[2]!;
  return last.includes('{') || last.length <= 4 ? `${m[1]}${last}` : `${m[1]}${last.slice(0, 2)}***`;
}

/** The display name of a target: its `name`, else its host. */
export function targetName(target: ForwardTargetConfig): string {
  if (target.name) return target.name;
  try {
    return new URL(target.url.replaceAll(/\{\w+\}/g, 'x')).host;
  } catch {
    return 'target';
  }
}
