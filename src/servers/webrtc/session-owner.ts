/**
 * WebRTC sessions across `--workers N` (docs/webrtc.md "Worker processes"): a session lives in the worker that
 * answered its POST, and its id says which (`w2.<random>`), so a DELETE or PATCH that the round-robin HTTP
 * listener hands to another worker is forwarded to the owner, which runs it through its own routes
 * (`app.inject`) and whose reply goes back unchanged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A session request as forwarded to its owner. */
export interface ForwardedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** The owner's reply, sent back as it is. */
export interface ForwardedReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** How a worker reaches its siblings (cli/worker-forward.ts, over the node:cluster channel). */
export interface SessionForwarder {
  /** This worker's index (1..N). */
  readonly self: number;
  /** Runs `request` on worker `to`; undefined when that worker is not running (or did not answer in time). */
  forward(to: number, request: ForwardedRequest): Promise<ForwardedReply | undefined>;
}

/** Marks a forwarded request: the owner never forwards it again. */
export const forwardedHeader = 'x-openlive-forwarded';

/** The id prefix of worker `index`'s sessions (`.` never occurs in the base64url rest). */
export function sessionIdPrefix(index: number): string {
  return `w${index}.`;
}

/** The worker an id names, or undefined (an id of a single process, or no id at all). */
export function ownerOf(id: string): number | undefined {
  const m = /^w([1-9]\d{0,3})\./.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** Hop-by-hop and length headers, which the other side sets for itself. */
const notForwarded = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'date']);

function plainHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || notForwarded.has(k.toLowerCase())) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * A fastify preHandler for the session routes: a request for another worker's session is answered with that
 * worker's reply; anything else (its own, a single process's, an owner that is gone) goes on to the route.
 */
export function forwardToOwner(forwarder: SessionForwarder) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const id = (req.params as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || req.headers[forwardedHeader] !== undefined) return;
    const owner = ownerOf(id);
    if (owner === undefined || owner === forwarder.self) return;
    const answer = await forwarder.forward(owner, {
      method: req.method,
      url: req.raw.url ?? '',
      headers: { ...plainHeaders(req.headers), [forwardedHeader]: String(forwarder.self) },
      body: typeof req.body === 'string' ? req.body : undefined,
    });
    if (!answer) return;
    await reply.code(answer.status).headers(answer.headers).send(answer.body);
  };
}

/** The owner's side: runs a forwarded request through this worker's own HTTP routes. */
export async function serveForwarded(app: FastifyInstance, request: ForwardedRequest): Promise<ForwardedReply> {
  const r = await app.inject({
    method: request.method as 'DELETE',
    url: request.url,
    headers: request.headers,
    ...(request.body !== undefined && { payload: request.body }),
  });
  return { status: r.statusCode, headers: plainHeaders(r.headers), body: r.body };
}
