/**
 * Names the usual mistake behind a txSecret that does not match (tencent-css.md §1.2–§1.4): the key
 * of another domain, the play key used for push, txTime signed in the other hex case or in decimal,
 * AppName or the domain included in the signed string, a key copied with whitespace, the other hash.
 * It recomputes candidates and compares; it never returns a key or a correct txSecret.
 */
import type { Domain, SignAlgorithm } from '../../store/store.ts';
import { parseTxTime, txSecretOf } from '../signing.ts';

/** What a mismatching URL carries and the domains whose keys might have signed it. */
export interface MistakeInput {
  readonly txSecret: string;
  readonly txTime: string;
  readonly app: string;
  readonly stream: string;
  readonly host: string;
  /** The push domain that serves the URL. */
  readonly domain: Domain;
  /** Every other domain, push and play. */
  readonly others: readonly Domain[];
}

/** The mistake found: what happened and what to do, without secrets. */
export interface SignatureMistake {
  readonly detail: string;
  readonly fix: string;
}

interface Variant {
  readonly value: string;
  /** Empty for the correct form. */
  readonly said: string;
  readonly fix: string;
}

const exact = (value: string): Variant => ({ value, said: '', fix: '' });

/** The first explanation that reproduces `txSecret`, or undefined when none does. */
export function findSignatureMistake(input: MistakeInput): SignatureMistake | undefined {
  const wanted = input.txSecret.toLowerCase();
  const own = input.domain.auth.algorithm;
  const algorithms: SignAlgorithm[] = [own, own === 'md5' ? 'sha256' : 'md5'];
  const messages = messageVariants(input);
  for (const key of keyVariants(input)) {
    for (const message of messages) {
      for (const algorithm of algorithms) {
        if (key.said === '' && message.said === '' && algorithm === own) continue; // the plain check already failed
        if (txSecretOf(key.value, '', message.value, algorithm) !== wanted) continue;
        const algo: Variant =
          algorithm === own
            ? exact('')
            : {
                value: '',
                said: `hashed with ${algorithm.toUpperCase()} while ${input.domain.name} uses ${own.toUpperCase()}`,
                fix: `sign with ${own.toUpperCase()}`,
              };
        const parts = [key, message, algo].filter((p) => p.said !== '');
        return {
          detail: `txSecret was made ${parts.map((p) => p.said).join(', and ')}`,
          fix: parts.map((p) => p.fix).join('; '),
        };
      }
    }
  }
  return undefined;
}

/** The domain's keys, those keys with stray whitespace, then every other domain's keys. */
function keyVariants(input: MistakeInput): Variant[] {
  const { domain } = input;
  const own: Variant[] = [];
  const spaced: Variant[] = [];
  for (const [key, label] of [
    [domain.auth.key, 'the key'],
    [domain.auth.backupKey, 'the backup key'],
  ] as const) {
    if (key === '') continue;
    own.push({ value: key, said: label === 'the key' ? '' : `with the backup key of ${domain.name}`, fix: '' });
    const trimmed = key.trim();
    if (trimmed !== key)
      spaced.push({
        value: trimmed,
        said: `with ${label} trimmed, but the stored key has whitespace around it`,
        fix: 'store the key without whitespace (openlive domain auth)',
      });
    for (const [pad, what] of whitespace) {
      spaced.push({
        value: pad.at === 'end' ? key + pad.text : pad.text + key,
        said: `with ${label} copied with ${what}`,
        fix: 'trim the key before signing',
      });
    }
  }
  const others: Variant[] = [];
  for (const d of input.others) {
    if (d.name === domain.name) continue;
    const role = d.type === 'play' ? `the play key of play domain ${d.name}` : `the push key of push domain ${d.name}`;
    const fix =
      d.type === 'play'
        ? `sign push URLs with the push key of ${domain.name}; the play key signs play URLs`
        : `sign with the push key of ${domain.name}, the domain in the URL`;
    for (const [key, which] of [
      [d.auth.key, ''],
      [d.auth.backupKey, ' (its backup key)'],
    ] as const) {
      if (key !== '') others.push({ value: key, said: `with ${role}${which}`, fix });
    }
  }
  return [...own, ...spaced, ...others];
}

const whitespace: ReadonlyArray<readonly [{ text: string; at: 'end' | 'start' }, string]> = [
  [{ text: '\n', at: 'end' }, 'a trailing newline'],
  [{ text: '\r\n', at: 'end' }, 'a trailing CRLF'],
  [{ text: ' ', at: 'end' }, 'a trailing space'],
  [{ text: '\t', at: 'end' }, 'a trailing tab'],
  [{ text: ' ', at: 'start' }, 'a leading space'],
  [{ text: '\n', at: 'start' }, 'a leading newline'],
];

/** StreamName + txTime, and the same with txTime in another form and with AppName or the domain prepended. */
function messageVariants(input: MistakeInput): Variant[] {
  const names = streamVariants(input);
  const times = txTimeVariants(input.txTime);
  const out: Variant[] = [];
  for (const n of names) {
    for (const t of times) {
      const parts = [n, t].filter((p) => p.said !== '');
      out.push({
        value: n.value + t.value,
        said: parts.map((p) => p.said).join(', and '),
        fix: parts.map((p) => p.fix).join('; '),
      });
    }
  }
  return out;
}

function streamVariants({ app, stream, host, domain }: MistakeInput): Variant[] {
  const fix = 'sign only key + StreamName + txTime: AppName and the domain are not part of it';
  const out: Variant[] = [exact(stream)];
  for (const shown of [`${app}/${stream}`, `/${app}/${stream}`, `${app}${stream}`]) {
    out.push({ value: shown, said: `over ${JSON.stringify(shown)}: AppName was included in the signed string`, fix });
  }
  for (const d of new Set([host, domain.name])) {
    for (const shown of [
      `${d}/${app}/${stream}`,
      `${d}${app}${stream}`,
      `/${d}/${app}/${stream}`,
      `rtmp://${d}/${app}/${stream}`,
      `${d}/${stream}`,
    ]) {
      out.push({
        value: shown,
        said: `over ${JSON.stringify(shown)}: the domain was included in the signed string`,
        fix,
      });
    }
  }
  return out;
}

/** The URL's txTime, then the same instant in the other hex case and in the other base. */
function txTimeVariants(txTime: string): Variant[] {
  const seconds = parseTxTime(txTime);
  const out: Variant[] = [exact(txTime)];
  if (seconds === undefined) return out;
  const fix = 'sign the txTime string exactly as the URL carries it';
  const carried = JSON.stringify(txTime);
  const forms: Array<[string, string]> = [
    [seconds.toString(16).toUpperCase(), 'uppercase hex'],
    [seconds.toString(16), 'lowercase hex'],
    [String(seconds), 'decimal'],
  ];
  for (const [value, form] of forms) {
    if (value === txTime) continue;
    out.push({ value, said: `with txTime ${JSON.stringify(value)} (${form}) while the URL carries ${carried}`, fix });
  }
  return out;
}
