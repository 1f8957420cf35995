/** The statistics rows of the in-memory store (tests), with the rules of store/stats-store.ts. */
import { LiveError } from '../errors.ts';
import {
  combineSamples,
  groupForRollUp,
  statsPeriods,
  type StatsQuery,
  type StatsSample,
  type StatsStore,
  type StoredStatsSample,
} from './stats-store.ts';

/** StatsStore in a Map. */
export class MemoryStatsStore implements StatsStore {
  private readonly rows = new Map<string, StoredStatsSample>();
  private readonly nodeId: string;
  private readonly closed: () => boolean;

  constructor(nodeId: string, closed: () => boolean) {
    this.nodeId = nodeId;
    this.closed = closed;
  }

  async addSamples(samples: readonly StatsSample[]): Promise<void> {
    this.check();
    for (const s of samples) this.put(s);
  }

  async querySamples(q: StatsQuery): Promise<StoredStatsSample[]> {
    this.check();
    return [...this.rows.values()]
      .filter((r) => r.period === q.period && r.at >= q.since && r.at < q.before)
      .filter((r) => !q.domains?.length || q.domains.includes(r.domain))
      .filter((r) => (q.app === undefined || r.app === q.app) && (q.stream === undefined || r.stream === q.stream))
      .sort((a, b) => a.at - b.at);
  }

  async rollUp(period: number, since: number, before: number, from: number = statsPeriods.minute): Promise<number> {
    this.check();
    const minutes = [...this.rows.values()].filter(
      (r) => r.nodeId === this.nodeId && r.period === from && r.at >= since && r.at < before,
    );
    const groups = groupForRollUp(minutes, period);
    for (const g of groups.values()) this.put(combineSamples(g.at, period, g.rows));
    return groups.size;
  }

  async pruneSamples(period: number, before: number, batch = 10_000): Promise<number> {
    this.check();
    let n = 0;
    for (const [key, r] of this.rows) {
      if (n >= batch) break;
      if (r.nodeId === this.nodeId && r.period === period && r.at < before) {
        this.rows.delete(key);
        n++;
      }
    }
    return n;
  }

  private put(s: StatsSample): void {
    this.rows.set(`${this.nodeId} ${s.period} ${s.at} ${s.domain} ${s.app}/${s.stream}`, { ...s, nodeId: this.nodeId });
  }

  private check(): void {
    if (this.closed()) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}
