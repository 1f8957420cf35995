/**
 * Sends one callback the way Tencent CSS does (tencent-css.md §4.1): HTTP POST of a JSON body, a fixed
 * timeout, no redirects followed (a 3xx is "not 200" and retried like any other answer). Node's fetch
 * (undici) keeps connections to a receiver alive between callbacks.
 */

/** What the receiver answered. */
export interface CallbackResponse {
  readonly status: number;
  /** The start of the body (at most maxResponseBytes), for the attempt record. */
  readonly body: string;
}

/** Posts `body` to `url`; rejects when no answer arrived (refused, reset, timeout, or `signal` aborted). */
export type CallbackTransport = (
  url: string,
  body: string,
  timeoutMs: number,
  signal: AbortSignal,
) => Promise<CallbackResponse>;

/** How much of a receiver's answer is kept: Tencent's receivers answer `{"code":0}`. */
export const maxResponseBytes = 4096;

/** The real transport: fetch with a timeout that also covers reading the answer. */
export const httpCallbackTransport: CallbackTransport = async (url, body, timeoutMs, signal) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'openlive-callback' },
    body,
    redirect: 'manual',
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  return { status: res.status, body: await readStart(res, maxResponseBytes) };
};

/** The first `limit` bytes of a response body as text; the rest is not read. */
async function readStart(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    // Cancelling drops an unread rest; on a finished body it does nothing.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** Why no answer arrived, for the attempt record: "timeout" or the network error with its code. */
export function describeFailure(err: unknown): { timeout: boolean; message: string } {
  if (err instanceof Error && err.name === 'TimeoutError')
    return { timeout: true, message: 'no response before the timeout' };
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const cause = e?.cause;
  const detail = cause ? ` (${String(cause.code ?? cause.message ?? '')})` : '';
  return { timeout: false, message: `${String(e?.message ?? err)}${detail}` };
}
