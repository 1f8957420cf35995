/** Tencent's time strings: UTC ISO to the second, and Beijing time (UTC+8 all year, no daylight saving). */

/** Beijing time's offset from UTC. */
export const beijingOffsetMs = 8 * 3600 * 1000;

/** UTC to the second, Tencent's "UTC format": `2018-06-29T19:00:00Z`. */
export function utcTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Unix ms as Tencent's Beijing-time string `YYYY-MM-DD hh:mm:ss`. */
export function beijingTime(ms: number): string {
  return new Date(ms + beijingOffsetMs).toISOString().slice(0, 19).replace('T', ' ');
}

/** Beijing time as ISO 8601 with its offset (`2019-01-16T20:00:00+08:00`): the same instant, unambiguous to any parser. */
export function beijingIsoTime(ms: number): string {
  return `${utcTime(ms + beijingOffsetMs).slice(0, -1)}+08:00`;
}
