/**
 * The Overview's history: the console samples OpenLiveDescribeServerInfo every 5 s while signed in
 * (on any page) and keeps the last hour in this tab's sessionStorage, so a reload keeps the charts.
 * Bandwidth is the growth of the hub's cumulative byte counters between two samples.
 */
import type { ApiClient } from './api.ts';
import { serverInfo } from './server-info.ts';
import type { Point } from '../ui/chart.ts';

/** One sample of the hub's counters. */
export interface Sample {
  readonly t: number;
  readonly streams: number;
  readonly viewers: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** How often the console samples, and how much history it keeps. */
export const sampleEveryMs = 5000;
export const historyMs = 3600_000;
const storageKey = 'openlive.samples';

let samples: Sample[] = load();
let timer: ReturnType<typeof setInterval> | undefined;
const listeners = new Set<() => void>();

function load(): Sample[] {
  try {
    const raw = sessionStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Sample[]).filter((s) => typeof s.t === 'number') : [];
  } catch {
    return [];
  }
}

async function take(api: ApiClient): Promise<void> {
  const info = await serverInfo(api);
  const now = Date.now();
  samples.push({ t: now, streams: info.LiveStreams, viewers: info.Subscribers, bytesIn: info.BytesIn, bytesOut: info.BytesOut });
  samples = samples.filter((s) => s.t >= now - historyMs);
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(samples));
  } catch {
    // A full sessionStorage only costs the history across reloads.
  }
  for (const listener of listeners) listener();
}

/** Starts sampling with `api` (idempotent); a failed sample is skipped. */
export function startSampling(api: ApiClient): void {
  if (timer !== undefined) return;
  const tick = (): void => void take(api).catch(() => undefined);
  tick();
  timer = setInterval(tick, sampleEveryMs);
}

/** Stops sampling and forgets the history (sign out). */
export function stopSampling(): void {
  clearInterval(timer);
  timer = undefined;
  samples = [];
}

/** The samples of the last hour, oldest first. */
export function history(): readonly Sample[] {
  return samples;
}

/** Calls `fn` after every new sample; returns the unsubscriber. */
export function onSample(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A gauge over time (streams, viewers). */
export function gauge(pick: (s: Sample) => number): Point[] {
  return samples.map((s) => ({ t: s.t, v: pick(s) }));
}

/** Bits per second between consecutive samples; a counter that went down (server restart) starts over. */
export function rate(pick: (s: Sample) => number): Point[] {
  const points: Point[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const bytes = pick(b) - pick(a);
    const seconds = (b.t - a.t) / 1000;
    if (bytes >= 0 && seconds > 0 && seconds < 60) points.push({ t: b.t, v: (bytes * 8) / seconds });
  }
  return points;
}
