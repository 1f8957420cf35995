/** Parses human durations for the CLI: `90s`, `30m`, `24h`, `7d`, or plain seconds. */
import { LiveError } from '../errors.ts';

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a duration such as `24h`; throws CONFIG_INVALID naming the flag when it does not parse. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  if (!match)
    throw new LiveError('CONFIG_INVALID', `--${flag}: "${text}" is not a duration such as 90s, 30m, 24h or 7d`);
  const seconds = Number(match[1]) * (unitSeconds[(match[2] || 's').toLowerCase()] ?? 1);
  return Math.round(seconds);
}
