/** Reads one sample from the Prometheus text that /metrics serves, as a monitoring system would. */

/**
 * The Prometheus text without the `node="<id>"` label every series carries (cluster.nodeId), so a parser
 * looking for `name{code="X"} 1` finds it whatever the node is called.
 */
export function withoutNodeLabel(text: string): string {
  return text
    .replace(/\{node="[^"]*"\}/g, '')
    .replace(/,node="[^"]*"/g, '')
    .replace(/\{node="[^"]*",/g, '{');
}

/** The value of `name{labels}` in `GET <httpUrl>/metrics` (the node label ignored unless asked for), or 0 when absent. */
export async function metricValue(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${httpUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return metricIn(await res.text(), name, labels);
}

/** The value of `name{labels}` in Prometheus text (the node label ignored unless asked for), or 0 when absent. */
export function metricIn(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '')
      .split(',')
      .filter((l) => l !== '' && (labels.node !== undefined || !l.startsWith('node=')))
      .sort()
      .join(',');
    if (got === wanted) return Number(m[3]);
  }
  return 0;
}

/** How many connections /metrics says were closed for this error code. */
export function connectionErrors(httpUrl: string, code: string): Promise<number> {
  return metricValue(httpUrl, 'openlive_connection_errors_total', { code });
}
