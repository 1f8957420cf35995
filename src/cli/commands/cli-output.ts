/**
 * What the operator commands share: the context they run in, flag checks that name the flag, and
 * the text formats (aligned columns, times, durations, byte counts, masked keys).
 */
import type { Config } from '../../config/config-schema.ts';
import type { Store } from '../../store/store.ts';
import { LiveError } from '../../errors.ts';
import { isoSeconds } from '../../control/break-codes.ts';
import type { DnsResolver } from '../../control/dns-resolver.ts';

/** Where an operator command runs: the loaded configuration, the opened store and the time it started. */
export interface CliContext {
  readonly config: Config;
  readonly store: Store;
  readonly nowMs: number;
  /** Makes new auth keys (`domain auth --rotate`); tests fix it. */
  readonly generateKey?: () => string;
  /** Answers `domain cname` (tests stub it); default node:dns to `domains.dnsServers`. */
  readonly resolver?: DnsResolver;
}

/** Command options as parsed (camelCase names, "true" for a flag without a value). */
export type CliFlags = Readonly<Record<string, string>>;

/** `backupKey` back to the `--backup-key` the operator typed. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A CONFIG_INVALID error for a mistyped command line. */
export function usageError(message: string): LiveError {
  return new LiveError('CONFIG_INVALID', message);
}

/** Throws CONFIG_INVALID for the first option the command does not know. */
export function checkFlags(flags: CliFlags, allowed: readonly string[], command: string): void {
  const unknown = Object.keys(flags).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw usageError(`${command} does not take ${flagName(unknown)}`);
}

/** A true/false option; a value other than those (often a positional after the flag) is an error. */
export function boolFlag(flags: CliFlags, key: string): boolean | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw usageError(`${flagName(key)} is true or false, not "${value}" (put NAME before the options)`);
}

/** A whole-number option within [min, max]. */
export function intFlag(flags: CliFlags, key: string, min: number, max: number): number | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw usageError(`${flagName(key)} is a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

/** The positional at `index`, or CONFIG_INVALID saying what was expected. */
export function positional(args: readonly string[], index: number, what: string, usage: string): string {
  const value = args[index];
  if (value === undefined || value === '') throw usageError(`missing ${what}; usage: ${usage}`);
  return value;
}

/** Rows under a header, each column padded to its widest cell; the last column is never padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/** `label  value` lines with the labels aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return `${pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n')}\n`;
}

/** Pretty JSON with a final newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A Unix-ms time as `2026-11-25T10:00:00Z`. */
export function time(ms: number): string {
  return isoSeconds(ms);
}

/** Milliseconds as `1h02m03s`, `4m05s` or `7s`. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => n.toString().padStart(2, '0');
  if (h > 0) return `${h}h${two(m)}m${two(s)}s`;
  return m > 0 ? `${m}m${two(s)}s` : `${s}s`;
}

/** A byte count as `512 B`, `12.3 KB`, `4.6 MB` or `1.2 GB` (powers of 1000, like bitrates). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A key with all but its first four characters hidden; empty stays empty. */
export function maskKey(key: string): string {
  if (key === '') return '';
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 4)}${'*'.repeat(key.length - 4)}`;
}
