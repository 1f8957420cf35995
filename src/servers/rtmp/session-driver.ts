/**
 * Runs one connection's ServerSession calls: writes their output to the socket (under the output cap)
 * and hands their events to the connection in order, pausing the socket while an access decision
 * (publish, play) is asynchronous. Every path ends in `fail`, which closes that one connection with a
 * stable code: nothing a client sends can reach a process-level handler.
 */
import type { Socket } from 'node:net';
import { LiveError } from '../../errors.ts';
import type { ServerSession, ServerSessionEvent } from '../../protocol/rtmp/server-session.ts';
import type { ServerCounters } from '../counters.ts';

/** An event that needs an asynchronous access decision. */
export type DecisionEvent = Extract<ServerSessionEvent, { type: 'publish' | 'play' }>;

/** What the driver calls back on its connection. */
export interface SessionDriverHandlers {
  /** A synchronous event (connect, media, stop...). */
  event(event: ServerSessionEvent): void;
  /** An access decision; the next events wait until it settles. */
  decide(event: DecisionEvent): Promise<void>;
  /** Closes the connection for this error (counted by its code). */
  fail(err: unknown): void;
  /** Whether the connection is closed (nothing more is handled). */
  closed(): boolean;
  /** Bytes that may wait in the socket now: rtmp.maxOutputBytes, plus a player's media allowance. */
  outputAllowance(): number;
}

/** The event pump and output path of one RTMP connection. */
export class SessionDriver {
  readonly #session: ServerSession;
  readonly #socket: Socket;
  readonly #counters: ServerCounters;
  readonly #on: SessionDriverHandlers;
  /** Events not handled yet are `#events[#head..]` (an index, not shift(): a publisher's read holds dozens). */
  #events: ServerSessionEvent[] = [];
  #head = 0;
  #pumping = false;
  #busy = false;

  constructor(session: ServerSession, socket: Socket, counters: ServerCounters, handlers: SessionDriverHandlers) {
    this.#session = session;
    this.#socket = socket;
    this.#counters = counters;
    this.#on = handlers;
  }

  /** True while an access decision is being made. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Runs one session call (receive, or a decision that releases the messages held behind it): writes its
   * output and handles its events in order. Whatever it throws closes the connection with its code.
   */
  run(call: () => ServerSessionEvent[]): void {
    if (this.#on.closed()) return;
    let events: ServerSessionEvent[];
    try {
      events = call();
    } catch (err) {
      return this.#fail(err);
    }
    this.flush();
    if (this.#events.length === 0) this.#events = events;
    else for (const e of events) this.#events.push(e);
    this.#pump();
  }

  /** Runs `fn` (a socket or timer callback); a throw closes the connection instead of reaching the process. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Closes with the error's code; should closing itself throw, the socket goes anyway. */
  #fail(err: unknown): void {
    try {
      this.#on.fail(err);
    } catch {
      this.#socket.destroy();
    }
  }

  /** Forgets the events not handled yet (the connection closed). */
  clear(): void {
    this.#events = [];
    this.#head = 0;
  }

  /**
   * Writes what the session queued (control messages, statuses), unless the peer stopped reading: past
   * the allowance the connection closes with RTMP_OUTPUT_LIMIT rather than buffer more answers to its
   * pings and unknown commands. One check per flush, never per byte.
   */
  flush(): void {
    const out = this.#session.drain();
    const socket = this.#socket;
    if (out.length === 0 || socket.destroyed) return;
    let bytes = 0;
    for (const b of out) bytes += b.length;
    const allowed = this.#on.outputAllowance();
    const waiting = socket.writableLength + bytes;
    if (waiting > allowed) {
      return this.#fail(
        new LiveError('RTMP_OUTPUT_LIMIT', `the peer does not read: ${waiting} bytes would wait, over ${allowed}`),
      );
    }
    this.#counters.bytesOutRtmpControl += bytes;
    if (out.length === 1) {
      socket.write(out[0]!);
      return;
    }
    socket.cork();
    for (const b of out) socket.write(b);
    socket.uncork();
  }

  /** Handles queued events in order until one needs an asynchronous decision (re-entrant calls only queue). */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#busy && !this.#on.closed() && this.#head < this.#events.length) {
        const event = this.#events[this.#head++]!;
        if (this.#head === this.#events.length) this.clear();
        if (event.type === 'publish' || event.type === 'play') this.#decide(event);
        else this.#on.event(event);
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
  }

  /** Starts an access decision: the socket pauses; the decision's end, whatever it is, resumes the pump. */
  #decide(event: DecisionEvent): void {
    this.#busy = true;
    this.#socket.pause();
    this.#on.decide(event).then(
      () => this.#resume(),
      (err: unknown) => {
        this.#fail(err);
        this.#resume();
      },
    );
  }

  #resume(): void {
    this.#busy = false;
    if (this.#on.closed()) return;
    this.guard(() => {
      this.#socket.resume();
      this.#pump();
    });
  }
}
