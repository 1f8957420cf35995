/**
 * One line of the troubleshooter's report: a named check of Tencent's publishing-failure checklist
 * (tencent-css.md §6) with its verdict, what it saw and the one thing to do about it.
 */

/** pass: fine (perhaps with a note); warn: works now but will bite; fail: the push is refused or cannot connect. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** The stable names of the checks, in the order they run. */
export const checkNames = [
  'url',
  'domain',
  'cname',
  'port',
  'udp',
  'tls',
  'txTime',
  'txSecret',
  'live',
  'forbidden',
  'admission',
] as const;

/** One of the stable check names. */
export type CheckName = (typeof checkNames)[number];

/** The titles printed for each check. */
export const checkTitles: Readonly<Record<CheckName, string>> = {
  url: 'Push URL',
  domain: 'Push domain',
  cname: 'CNAME',
  port: 'RTMP port',
  udp: 'SRT port (UDP)',
  tls: 'TLS certificate',
  txTime: 'txTime',
  txSecret: 'txSecret',
  live: 'Stream in use',
  forbidden: 'Stream forbidden',
  admission: "Server's answer",
};

/** A check's verdict. `fix` is empty when there is nothing to do; `breakCode` is the refusal the server would send. */
export interface DoctorCheck {
  readonly name: CheckName;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix: string;
  readonly breakCode?: string;
}

/** Builds a check with its title. */
export function check(name: CheckName, status: CheckStatus, detail: string, fix = '', breakCode?: string): DoctorCheck {
  return { name, title: checkTitles[name], status, detail, fix, ...(breakCode !== undefined && { breakCode }) };
}

/** Milliseconds as `2h05m`, `9m30s` or `12s`, for "expires in" and "live for" phrases. */
export function span(ms: number): string {
  const total = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => n.toString().padStart(2, '0');
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  return m > 0 ? `${m}m${two(s)}s` : `${s}s`;
}
