/**
 * Messages that arrive while the server session waits for the caller's decision on a connect, a publish
 * or a play. Players and encoders that pipeline (connect, createStream and play in one write, without
 * waiting for each `_result`; nginx-rtmp, SRS and node-media-server serve them) must be answered in order,
 * so later commands wait here until the decision is made. Bounded in count and bytes.
 */
import { ProtocolError } from '../../errors.ts';
import type { RtmpMessage } from './chunk-decoder.ts';

/** What the session waits for: the connect, or the publish/play on one message stream. */
export type PendingDecision = { kind: 'connect' } | { kind: 'publish' | 'play'; streamId: number };

/** Default: a pipelining client sends a handful of commands; 64 leaves room for a burst of early media. */
export const DefaultMaxQueuedMessages = 64;
/** Default bytes held: a few early media frames of an encoder that does not wait for Publish.Start. */
export const DefaultMaxQueuedBytes = 1024 * 1024;

/** A FIFO of held messages; `push` throws RTMP_COMMAND_QUEUE_LIMIT past either bound. */
export class DecisionQueue {
  #messages: RtmpMessage[] = [];
  #head = 0;
  #bytes = 0;
  readonly #maxMessages: number;
  readonly #maxBytes: number;

  constructor(maxMessages = DefaultMaxQueuedMessages, maxBytes = DefaultMaxQueuedBytes) {
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
  }

  /** Messages held. */
  get length(): number {
    return this.#messages.length - this.#head;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Holds one message; a peer that keeps sending while a decision is pending is refused, not buffered. */
  push(msg: RtmpMessage): void {
    if (this.length >= this.#maxMessages || this.#bytes + msg.payload.length > this.#maxBytes) {
      throw new ProtocolError(
        'RTMP_COMMAND_QUEUE_LIMIT',
        `more than ${this.#maxMessages} messages or ${this.#maxBytes} bytes sent while a decision was pending`,
      );
    }
    this.#messages.push(msg);
    this.#bytes += msg.payload.length;
  }

  /** Takes the oldest held message. */
  shift(): RtmpMessage | undefined {
    if (this.#head >= this.#messages.length) return undefined;
    const msg = this.#messages[this.#head]!;
    this.#messages[this.#head++] = undefined as never;
    this.#bytes -= msg.payload.length;
    if (this.#head === this.#messages.length) this.clear();
    return msg;
  }

  /** Forgets everything held (the session closed). */
  clear(): void {
    this.#messages = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
