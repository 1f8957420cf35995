/**
 * What a client may name: AppName and StreamName characters (Tencent's console allows letters,
 * digits and a few symbols; 18/308 and 18/309 otherwise), and the host it addressed.
 */
import { ipVersion } from './ip-address.ts';

/** The characters Tencent allows in AppName and StreamName; the HTTP routes use the same set. */
const namePattern = /^[A-Za-z0-9_\-.~]+$/;
/** The longest AppName or StreamName accepted (the HTTP playback routes allow the same). */
export const maxNameLength = 256;

/** Why `name` cannot be an AppName or StreamName, or undefined if it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > maxNameLength) return `is longer than ${maxNameLength} characters`;
  if (!namePattern.test(name)) return 'has characters other than letters, digits and _ - . ~';
  // "." and ".." would be path segments in HLS output directories and in URLs.
  if (/^\.+$/.test(name)) return 'is only dots';
  return undefined;
}

/** The host of an RTMP tcUrl (`rtmp://host:1935/app`), normalised; empty if the URL has none. */
export function hostOfTcUrl(tcUrl: string): string {
  try {
    return normaliseHost(new URL(tcUrl).hostname);
  } catch {
    return '';
  }
}

/** The host of an HTTP Host header (`example.com:8080`, `[::1]:8080`), normalised. */
export function hostOfHeader(host: string): string {
  const h = host.trim();
  if (h.startsWith('[')) return normaliseHost(h.slice(0, h.indexOf(']') + 1));
  const colon = h.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, not host:port.
  if (colon >= 0 && h.indexOf(':', colon + 1) < 0) return normaliseHost(h.slice(0, colon));
  return normaliseHost(h);
}

/** Lowercase, without IPv6 brackets or a trailing root dot. */
export function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** Whether a normalised host is an IPv4 or IPv6 address rather than a name. */
export function isBareIp(host: string): boolean {
  return ipVersion(host) !== 0;
}
