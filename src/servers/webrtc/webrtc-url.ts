/**
 * Tencent-style `webrtc://domain/app/stream?txSecret=…&txTime=…` push and play URLs mapped onto the WHIP and
 * WHEP endpoints: the same domain, AppName, StreamName and signature, so a URL the address generator
 * signs for RTMP is valid here too (admission reads the same query).
 */

/** The WHIP (`publish`) or WHEP (`play`) endpoint for a `webrtc://` URL; undefined if it names no app and stream. */
export function webrtcEndpoint(
  webrtcUrl: string,
  mode: 'publish' | 'play',
  base: { readonly scheme: 'http' | 'https'; readonly port: number },
): string | undefined {
  if (!webrtcUrl.startsWith('webrtc://')) return undefined;
  let u: URL;
  try {
    u = new URL(`http://${webrtcUrl.slice('webrtc://'.length)}`);
  } catch {
    return undefined;
  }
  const segments = u.pathname.split('/').filter((s) => s !== '');
  if (segments.length < 2) return undefined;
  const defaultPort = base.scheme === 'https' ? 443 : 80;
  const host = base.port === defaultPort ? u.hostname : `${u.hostname}:${base.port}`;
  return `${base.scheme}://${host}/${segments.join('/')}/${mode === 'publish' ? 'whip' : 'whep'}${u.search}`;
}
