/**
 * Admission of parked HLS requests (LL-HLS blocking reloads, hinted parts, a cold stream's first
 * playlist): a cap in total and per client address, and release the moment the client goes, so
 * requests that disconnect leave nothing behind (no waiter, no timer, no slot).
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { LiveError } from '../../errors.ts';
import { ConnectionGate } from '../connection-gate.ts';
import { holdIdleTimeout } from '../http/http-hardening.ts';
import type { ChangeWaiters } from './change-waiters.ts';

/** The caps (`hls.maxBlockingWaiters`, `hls.maxBlockingWaitersPerIp`, `limits.trustedNetworks`). */
export interface RequestParkingOptions {
  readonly maxTotal: number;
  /** 0 = no per-address cap. */
  readonly maxPerIp: number;
  readonly trusted: readonly string[];
}

/** The request being parked: who asked, its socket, and the response whose `close` means it went away. */
export interface ParkedClient {
  readonly ip: string;
  readonly socket: Socket;
  readonly response: EventEmitter & { readonly closed?: boolean };
}

/** How a parked request ended: its condition held, the wait ran out, or the client left. */
export type ParkResult = 'ready' | 'timeout' | 'gone';

/** One per HLS server; `park` costs O(1) besides the wait itself. */
export class RequestParking {
  readonly #gate: ConnectionGate;

  constructor(options: RequestParkingOptions) {
    this.#gate = new ConnectionGate(options);
  }

  /** Requests parked right now. */
  get parked(): number {
    return this.#gate.open;
  }

  /** Distinct client addresses with a parked request. */
  get addresses(): number {
    return this.#gate.addresses;
  }

  /**
   * Waits on `waiters` until `ready()` (at once when it already holds). Throws HLS_WAITERS_FULL or
   * HLS_WAITERS_PER_IP when the request may not park; the socket's idle timeout is lifted meanwhile
   * (the wait is bounded by `timeoutMs`).
   */
  async park(
    waiters: ChangeWaiters,
    ready: () => boolean,
    timeoutMs: number,
    client: ParkedClient,
  ): Promise<ParkResult> {
    if (ready()) return 'ready';
    if (client.socket.destroyed || client.response.closed) return 'gone';
    if (timeoutMs <= 0) return 'timeout';
    const refused = this.#gate.admit(client.ip);
    if (refused === 'total')
      throw new LiveError(
        'HLS_WAITERS_FULL',
        `the server holds ${this.#gate.open} waiting HLS requests, its limit; retry shortly`,
      );
    if (refused)
      throw new LiveError(
        'HLS_WAITERS_PER_IP',
        `this address already has the most waiting HLS requests allowed; retry shortly`,
      );
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    client.response.once('close', onClose);
    let restoreIdle = (): void => {};
    try {
      restoreIdle = holdIdleTimeout(client.socket);
      const ok = await waiters.wait(ready, timeoutMs, gone.signal);
      return gone.signal.aborted ? 'gone' : ok ? 'ready' : 'timeout';
    } finally {
      this.#gate.release(client.ip);
      client.response.off('close', onClose);
      restoreIdle();
    }
  }
}
