// /metrics of every openlive worker: with --workers N each worker answers /metrics with its own series
// (docs/cluster.md "Worker processes"), and the primary hands each new connection to the next worker, so
// GETs on new connections until every node label was seen read them all.
import { request } from 'node:http';
import { metricIn } from '../../test/support/metrics.ts';

/** One GET /metrics on a connection of its own. */
function scrape(httpUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${httpUrl}/metrics`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Each worker's /metrics text by node id (`box-w1`), or what was reached after `workers * 6` tries. */
export async function everyWorkerMetrics(httpUrl: string, workers: number): Promise<Map<string, string>> {
  const byNode = new Map<string, string>();
  for (let i = 0; i < workers * 6 && byNode.size < workers; i++) {
    const text = await scrape(httpUrl);
    byNode.set(/node="([^"]+)"/.exec(text)?.[1] ?? '?', text);
  }
  return byNode;
}

/** `name{labels}` summed over the workers' texts. */
export function summed(texts: Map<string, string>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const t of texts.values()) sum += metricIn(t, name, labels);
  return sum;
}
