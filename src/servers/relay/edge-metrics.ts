/** The `openlive_edge_*` and `openlive_relay_plays` metrics of origin/edge relays, read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Hub } from '../../hub/hub.ts';
import type { EdgePuller } from './edge-puller.ts';

/** Adds the edge-pull and relay-play metrics to `registry`. */
export function registerEdgeMetrics(registry: Registry, puller: EdgePuller, hub: Hub): void {
  new Gauge({
    name: 'openlive_edge_pulls',
    help: 'Streams this node pulls from another node, by state: connecting, pulling, waiting (looked up or retried)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = puller.stats();
      this.set({ state: 'connecting' }, s.connecting);
      this.set({ state: 'pulling' }, s.pulling);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  new Counter({
    name: 'openlive_edge_pull_errors_total',
    help: 'Edge pulls that failed or ended, by code (EDGE_PULL_UNREACHABLE, EDGE_PULL_REFUSED, EDGE_PULL_ENDED, EDGE_PULLS_FULL)',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(puller.stats().errors)) this.inc({ code }, n);
    },
  });
  new Gauge({
    name: 'openlive_relay_plays',
    help: 'Relay plays of other nodes (edges pulling from this one); not counted in openlive_subscribers',
    registers: [registry],
    collect() {
      this.set(hub.stats().relaySubscribers);
    },
  });
}
