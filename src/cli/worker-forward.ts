/**
 * WebRTC session requests between workers (docs/webrtc.md "Worker processes"): a DELETE or PATCH that lands
 * on a worker other than the session's owner goes worker -> primary -> owner over the node:cluster channel,
 * and the owner's reply comes back the same way. The primary only routes by index; it holds no session.
 */
import type { IpcPort } from '../cluster/ipc-protocol.ts';
import type { ForwardedReply, ForwardedRequest, SessionForwarder } from '../servers/webrtc/session-owner.ts';
import { isWorkerMessage, type WorkerForward, type WorkerForwarded, type WorkerMessage } from './worker-messages.ts';

/** How long a worker waits for its sibling's reply before handling the request itself (404). */
export const forwardTimeoutMs = 5000;

/** A worker's end: forwards its requests and serves its siblings'. */
export class IpcSessionForwarder implements SessionForwarder {
  readonly self: number;
  readonly #port: IpcPort;
  readonly #pending = new Map<number, (reply: ForwardedReply | undefined) => void>();
  readonly #timeoutMs: number;
  #rid = 0;
  /** Runs a sibling's request here (set once the HTTP routes exist); until then such requests get 503. */
  serve: ((request: ForwardedRequest) => Promise<ForwardedReply>) | undefined;

  constructor(port: IpcPort, self: number, timeoutMs = forwardTimeoutMs) {
    this.#port = port;
    this.self = self;
    this.#timeoutMs = timeoutMs;
    port.on('message', (m) => this.#receive(m));
  }

  forward(to: number, request: ForwardedRequest): Promise<ForwardedReply | undefined> {
    const rid = ++this.#rid;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.#timeoutMs);
      timer.unref();
      const done = (reply: ForwardedReply | undefined): void => {
        clearTimeout(timer);
        this.#pending.delete(rid);
        resolve(reply);
      };
      this.#pending.set(rid, done);
      const m: WorkerForward = { openlive: 'worker', t: 'forward', rid, from: this.self, to, request };
      this.#port.send(m, (err) => err && done(undefined));
    });
  }

  #receive(m: unknown): void {
    if (!isWorkerMessage(m)) return;
    if (m.t === 'forwarded' && m.from === this.self) this.#pending.get(m.rid)?.(m.reply);
    else if (m.t === 'forward' && m.to === this.self) void this.#answer(m);
  }

  async #answer(m: WorkerForward): Promise<void> {
    let reply: ForwardedReply;
    try {
      reply = this.serve
        ? await this.serve(m.request)
        : { status: 503, headers: {}, body: '{"code":"STREAM_CLOSED","message":"the worker is starting"}' };
    } catch {
      reply = { status: 500, headers: {}, body: '{"code":"INTERNAL","message":"the forwarded request failed"}' };
    }
    const back: WorkerForwarded = { openlive: 'worker', t: 'forwarded', rid: m.rid, from: m.from, to: m.to, reply };
    this.#port.send(back, () => undefined);
  }
}

/**
 * The primary's part: passes a forward to its owner and a reply to its requester; a forward to a worker
 * that is not running is answered at once with no reply (the requester then answers it itself).
 */
export function routeForward(m: WorkerMessage, send: (index: number, m: WorkerMessage) => boolean): void {
  if (m.t === 'forward') {
    if (!send(m.to, m)) send(m.from, { openlive: 'worker', t: 'forwarded', rid: m.rid, from: m.from, to: m.to });
  } else if (m.t === 'forwarded') {
    send(m.from, m);
  }
}
