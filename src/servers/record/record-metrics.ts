/** The `openlive_record_*` metrics, read from the recorder at scrape time (failures count by code in openlive_connection_errors_total). */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Recorder } from './recorder.ts';
import type { RecordUploader } from './storage/record-uploader.ts';

/** Adds the recording gauges to `registry`. */
export function registerRecordMetrics(registry: Registry, recorder: Recorder, uploader?: RecordUploader): void {
  if (uploader) {
    new Counter({
      name: 'openlive_record_uploads_total',
      help: 'Recorded files uploaded to S3 (uploaded), upload attempts repeated (retried), files given up (failed: RECORD_UPLOAD_FAILED)',
      labelNames: ['result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const result of ['uploaded', 'retries', 'failed'] as const)
          this.inc({ result: result === 'retries' ? 'retried' : result }, uploader.stats[result]);
      },
    });
    new Gauge({
      name: 'openlive_record_uploads_pending',
      help: 'Recorded files waiting for or in an upload to S3',
      registers: [registry],
      collect() {
        this.set(uploader.pending);
      },
    });
  }
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
