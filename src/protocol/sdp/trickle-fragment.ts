/**
 * `application/trickle-ice-sdpfrag` (RFC 8840 §9) as WHIP and WHEP PATCH carry it (RFC 9725 §4.3): the
 * client's ICE credentials, its media section identification and its new candidates, or (ICE restart)
 * new credentials; and the answer fragment the server sends back after a restart.
 */

/** What a PATCH fragment says. */
export interface TrickleFragment {
  readonly ufrag: string;
  readonly pwd: string;
  /** The `a=mid` values of its media sections. */
  readonly mids: string[];
  /** Its `a=candidate` lines (a lite server does not use them, but they must parse). */
  readonly candidates: string[];
  readonly endOfCandidates: boolean;
}

/** `a=candidate:` foundation component transport priority address port `typ` type … (RFC 8839 §5.1). */
const candidateLine =
  /^a=candidate:[A-Za-z0-9+/]{1,32} \d{1,3} (udp|tcp) \d{1,10} \S+ \d{1,5} typ (host|srflx|prflx|relay)( .*)?$/i;
/** ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/"; ufrag 4..256, pwd 22..256. */
const ufragValue = /^[A-Za-z0-9+/]{4,256}$/;
const pwdValue = /^[A-Za-z0-9+/]{22,256}$/;

/**
 * Parses a fragment; `undefined` when malformed: a line that is not `x=…`, no (or two different)
 * `a=ice-ufrag`/`a=ice-pwd`, a credential that is not ice-chars of the RFC's length, or a candidate line
 * that does not parse.
 */
export function parseTrickleFragment(text: string): TrickleFragment | undefined {
  let ufrag: string | undefined;
  let pwd: string | undefined;
  const mids: string[] = [];
  const candidates: string[] = [];
  let endOfCandidates = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (!/^[a-z]=/.test(line)) return undefined;
    if (line.startsWith('a=ice-ufrag:')) {
      const v = line.slice(12);
      if (!ufragValue.test(v) || (ufrag !== undefined && ufrag !== v)) return undefined;
      ufrag = v;
    } else if (line.startsWith('a=ice-pwd:')) {
      const v = line.slice(10);
      if (!pwdValue.test(v) || (pwd !== undefined && pwd !== v)) return undefined;
      pwd = v;
    } else if (line.startsWith('a=mid:')) {
      mids.push(line.slice(6));
    } else if (line.startsWith('a=candidate:')) {
      if (!candidateLine.test(line)) return undefined;
      candidates.push(line);
    } else if (line === 'a=end-of-candidates') {
      endOfCandidates = true;
    }
  }
  if (ufrag === undefined || pwd === undefined) return undefined;
  return { ufrag, pwd, mids, candidates, endOfCandidates };
}

/** The answer fragment of an ICE restart (RFC 9725 §4.3.2): lite, the new credentials, the first media section and every candidate. */
export function answerFragment(a: {
  readonly ufrag: string;
  readonly pwd: string;
  readonly mid: string;
  readonly candidates: readonly string[];
}): string {
  return [
    'a=ice-lite',
    `a=ice-ufrag:${a.ufrag}`,
    `a=ice-pwd:${a.pwd}`,
    `a=mid:${a.mid}`,
    ...a.candidates,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}
