/** SNI name matching for `tls.certificates[].domains` (RFC 6125 §6.4.3: a wildcard covers one leftmost label). */

/** True when `pattern` (`live.example.com` or `*.example.com`) covers the SNI `name`. */
export function matchesServerName(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === n;
  const suffix = p.slice(1);
  if (!n.endsWith(suffix)) return false;
  const label = n.slice(0, n.length - suffix.length);
  return label !== '' && !label.includes('.');
}
