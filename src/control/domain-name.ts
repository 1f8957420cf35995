/** Domain-name validation with errors that say what to fix (RFC 1035 §2.3.1, RFC 1123 §2.1, RFC 3696 §2). */
import { LiveError } from '../errors.ts';
import { isBareIp } from './names.ts';

/** The longest domain name in text form (RFC 1035 §2.3.4: 255 octets on the wire). */
export const maxDomainLength = 253;
/** The longest label (RFC 1035 §2.3.4). */
export const maxLabelLength = 63;

const labelPattern = /^[a-z0-9-]+$/;

/** The lowercase form of a valid domain name; throws DOMAIN_NAME_INVALID naming the problem. */
export function validateDomainName(raw: string): string {
  const fail = (why: string): never => {
    throw new LiveError('DOMAIN_NAME_INVALID', `domain name ${JSON.stringify(raw.slice(0, 300))} ${why}`);
  };
  // One trailing dot is the fully qualified spelling of the same name.
  const name = raw.endsWith('.') ? raw.slice(0, -1).toLowerCase() : raw.toLowerCase();
  if (name === '') fail('is empty');
  if (name.length > maxDomainLength) fail(`is longer than ${maxDomainLength} characters`);
  if (isBareIp(name)) fail('is an IP address; add a domain name that points to this server');
  const labels = name.split('.');
  if (labels.length < 2) fail('needs at least one dot (e.g. push.example.com)');
  for (const label of labels) {
    if (label === '') fail('has an empty label (two dots in a row, or a leading dot)');
    if (label.length > maxLabelLength) fail(`has a label longer than ${maxLabelLength} characters`);
    if (!labelPattern.test(label)) {
      // eslint-disable-next-line no-control-regex -- the range is all of ASCII (\u0000 included): anything outside is non-ASCII.
      const hint = /[^\u0000-\u007f]/.test(label) ? '; write an international name in its punycode (xn--) form' : '';
      fail(`has characters other than a-z, 0-9 and - in "${label}"${hint}`);
    }
    if (label.startsWith('-') || label.endsWith('-'))
      fail(`has a label that starts or ends with a hyphen ("${label}")`);
  }
  // RFC 3696 §2: a top-level domain is never all-numeric.
  if (/^[0-9]+$/.test(labels.at(-1) ?? '')) fail('ends in an all-numeric label, which no top-level domain is');
  return name;
}
