/** The `openlive_record_*` metrics, read from the recorder at scrape time (failures count by code in openlive_connection_errors_total). */
import { Gauge, type Registry } from 'prom-client';
import type { Recorder } from './recorder.ts';

/** Adds the recording gauges to `registry`. */
export function registerRecordMetrics(registry: Registry, recorder: Recorder): void {
  new Gauge({
    name: 'openlive_record_active',
    help: 'Recordings running now (one per stream and format)',
    registers: [registry],
    collect() {
      this.set(recorder.active);
    },
  });
  new Gauge({
    name: 'openlive_record_queued_bytes',
    help: 'Bytes of recordings waiting for the disk (each recording is bounded by record.maxQueueBytes)',
    registers: [registry],
    collect() {
      this.set(recorder.queuedBytes());
    },
  });
}
