/** The `openlive_forward_*` metrics of push relays, read from the forwarder at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PushForwarder } from './push-forwarder.ts';
import type { ForwardTotals } from './push-forwarder.ts';

/** Adds the forward metrics to `registry`. */
export function registerForwardMetrics(registry: Registry, forwarder: PushForwarder): void {
  new Gauge({
    name: 'openlive_forward_targets',
    help: 'Live push-relay forwards (stream x target) by state: connecting, forwarding, backing-off',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const [state, n] of Object.entries(forwarder.countByState()))
        if (state !== 'stopped') this.set({ state }, n);
    },
  });
  const counter = (name: string, help: string, key: keyof ForwardTotals): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(forwarder.totals()[key]);
      },
    });
  };
  counter('openlive_forward_bytes_total', 'Bytes written to push-relay targets', 'bytes');
  counter('openlive_forward_reconnects_total', 'Push-relay reconnections after a failure', 'reconnects');
  counter('openlive_forward_refusals_total', 'Push-relay publishes a target refused (FORWARD_REFUSED)', 'refusals');
  counter(
    'openlive_forward_skipped_messages_total',
    'Media messages skipped for push-relay targets slower than the stream',
    'skippedMessages',
  );
  counter(
    'openlive_forward_loops_avoided_total',
    'Publishes not forwarded because they came from an openlive forward',
    'loopsAvoided',
  );
}
