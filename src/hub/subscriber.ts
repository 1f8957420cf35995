/**
 * One player of a stream. Never lets a reader hold the publisher or memory hostage (design.md): the
 * queue is bounded in bytes and media time together with the sink's unflushed bytes; on overflow it
 * skips to the next keyframe (SRS, mediamtx), and a sink that stops draining is closed.
 */
import { LiveError, toLiveError } from '../errors.ts';
import { MediaType } from '../protocol/media.ts';
import type { HubContext } from './hub-context.ts';
import type { OutputFormat, Packet } from './packet.ts';
import type { Stream } from './stream.ts';
import { SubscriberQueue } from './subscriber-queue.ts';
import type { SubscriberSink } from './subscriber-sink.ts';
import type { Flushable } from './write-scheduler.ts';
import { PublisherWaiters } from './publisher-waiters.ts';

/** Why frames are being skipped: none, a join without a cached GOP (not counted), or an overflow. */
type Skip = 'none' | 'join' | 'overflow';

// Drops are logged per subscriber at most this often, with the count since the last line.
const dropLogIntervalMs = 10_000;

/** A stream's reader: a sink plus its bounded queue; created by `Hub.subscribe()`. */
export class Subscriber implements Flushable {
  readonly stream: Stream;
  readonly sink: SubscriberSink;
  readonly format: OutputFormat;
  readonly #ctx: HubContext;
  readonly #queue: SubscriberQueue;
  readonly #waiters: PublisherWaiters;
  #closed = false;
  /** Between `start()` and `end()`: the sink was told a publisher is live. */
  #started = false;
  /** A publisher returned within the reconnect grace: its video starts at its first keyframe. */
  #awaitKeyframe = false;
  #dirty = false;
  #skip: Skip = 'none';
  #resync = false;
  /** A header is among the pending buffers (so an overflow drops it). */
  #headersPending = false;
  // The headers this sink last received, to resend changed ones after a skip.
  #sentMetadata: Packet | undefined;
  #sentVideoHeader: Packet | undefined;
  #sentAudioHeader: Packet | undefined;
  #lastBuffered = 0;
  #lastProgressAt: number;
  #bytesOut = 0;
  #dropped = 0;
  #unloggedDrops = 0;
  #lastDropLogAt = -Infinity;

  constructor(stream: Stream, sink: SubscriberSink, ctx: HubContext) {
    this.stream = stream;
    this.sink = sink;
    this.format = sink.format;
    this.#ctx = ctx;
    this.#queue = new SubscriberQueue(ctx.options.subscriber, ctx.counters);
    this.#waiters = new PublisherWaiters(ctx.options.timers);
    this.#lastProgressAt = ctx.options.now();
  }

  /** True once closed (by the glue, a stall, or the hub). */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal Whether the sink was told of a publisher that has not ended for it (the stream uses it on a reconnect). */
  get started(): boolean {
    return this.#started;
  }

  /** Bytes handed to the sink. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** Messages dropped because this reader fell behind. */
  get droppedMessages(): number {
    return this.#dropped;
  }

  /** Bytes waiting in the hub for the next merged write. */
  get pendingBytes(): number {
    return this.#queue.bytes;
  }

  /** The glue calls this on the socket's 'drain': the reader is making progress. */
  onDrain(): void {
    if (this.#closed) return;
    this.#lastProgressAt = this.#ctx.options.now();
    this.#setBuffered(this.sink.bufferedBytes);
  }

  /**
   * Resolves true once the stream has a publisher (at once if it has one), false after `timeoutMs`,
   * on abort, or when the subscriber closes. The glue answers false with StreamNotFound or a 404.
   */
  waitForPublisher(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.stream.live) return Promise.resolve(true);
    return this.#waiters.wait(timeoutMs, signal);
  }

  /**
   * The glue is done with this player (socket closed, closeStream, wait timed out): detaches it from
   * the stream and ends pending waits. The sink is not called back. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.drop();
    this.#setBuffered(0);
    this.#waiters.settle(false);
    this.#logDrops(true);
    this.stream.detach(this);
  }

  /** @internal The hub gives up on this player (stalled, sink error, hub closing): close, then `sink.close()`. */
  terminate(reason?: LiveError): void {
    if (this.#closed) return;
    this.close();
    try {
      this.sink.close(reason);
    } catch (err) {
      this.#ctx.options.logger.warn({ stream: this.stream.key, err: toLiveError(err).message }, 'sink close threw');
    }
  }

  /** @internal The stream went live (or is live on join): headers, then the GOP, then live packets. */
  start(): void {
    if (this.#closed) return;
    this.#skip = 'none';
    try {
      this.sink.publisherStarted(this.stream);
      if (this.#closed) return;
      this.#started = true;
      this.#waiters.settle(true);
      this.#resendHeaders();
      const gop = this.stream.gopPackets;
      const now = this.#ctx.options.now();
      for (let i = 0; i < gop.length; i++) this.#admit(gop[i]!, now, this.sink.bufferedBytes);
      // Inter frames without their keyframe are useless to a decoder: wait for the next one.
      if (gop.length === 0 && this.stream.hasVideo) this.#skip = 'join';
    } catch (err) {
      return this.terminate(toLiveError(err));
    }
    this.flush();
  }

  /**
   * @internal One live packet from the publisher. Never blocks and never throws to the publisher: a
   * sink or encoder error (an FLV tag over 16 MiB) closes only this subscriber.
   */
  offer(packet: Packet, now: number): void {
    if (this.#closed) return;
    try {
      const buffered = this.sink.bufferedBytes;
      if (this.#stalled(buffered, now)) return;
      if (this.#admit(packet, now, buffered) && !this.#dirty) {
        this.#dirty = true;
        this.#ctx.scheduler.schedule(this);
      }
    } catch (err) {
      this.terminate(toLiveError(err));
    }
  }

  /** @internal The stream's stall check while it has no publisher: closes this player if it stalled. */
  checkStalled(now: number): void {
    if (this.#closed) return;
    try {
      this.#stalled(this.sink.bufferedBytes, now);
    } catch (err) {
      this.terminate(toLiveError(err));
    }
  }

  /**
   * @internal The publisher left and the stream waits for it (reconnect grace): write what it sent;
   * the sink is told nothing, so its connection and timeline continue.
   */
  pause(): void {
    if (this.#closed) return;
    this.flush();
    this.#skip = 'none';
    this.#resync = false;
  }

  /**
   * @internal A publisher took over within the grace. Nothing is sent now: its headers arrive as it
   * publishes them; inter frames before its first keyframe are skipped (a relay may join mid-GOP),
   * and headers this sink did not get yet go out before that keyframe.
   */
  resume(): void {
    if (this.#closed) return;
    this.#awaitKeyframe = true;
  }

  /** @internal The publisher left: write what it sent, then tell the sink. */
  end(): void {
    if (this.#closed) return;
    this.flush();
    this.#started = false;
    this.#awaitKeyframe = false;
    this.#skip = 'none';
    this.#resync = false;
    this.#sentMetadata = this.#sentVideoHeader = this.#sentAudioHeader = undefined;
    this.#queue.forgetWritten();
    try {
      this.sink.publisherEnded();
    } catch (err) {
      this.terminate(toLiveError(err));
    }
  }

  /** @internal Hands all pending buffers to the sink in one write. */
  flush(): void {
    this.#dirty = false;
    if (this.#closed || this.#queue.length === 0) return;
    const bytes = this.#queue.bytes;
    const buffers = this.#queue.take();
    this.#headersPending = false;
    this.#bytesOut += bytes;
    this.#ctx.counters.bytesOut += bytes;
    this.#ctx.counters.playerWrites++;
    try {
      this.sink.write(
        buffers.length > 1 && this.sink.writesJoined === true ? this.#ctx.scheduler.joined(buffers) : buffers,
      );
    } catch (err) {
      this.terminate(toLiveError(err));
      return;
    }
    this.#setBuffered(this.sink.bufferedBytes);
  }

  /** Remembers the sink's unflushed bytes, keeping the hub-wide sum (memory budget) in step. */
  #setBuffered(bytes: number): void {
    this.#ctx.counters.sinkBytes += bytes - this.#lastBuffered;
    this.#lastBuffered = bytes;
  }

  /** Queues `packet` if the limits allow; on overflow drops everything pending and skips. */
  #admit(packet: Packet, now: number, buffered: number): boolean {
    if (this.#awaitKeyframe && packet.frame && packet.message.type === MediaType.Video) {
      if (!packet.keyframe) return false;
      this.#awaitKeyframe = false;
      this.#resendHeaders();
    }
    if (this.#skip !== 'none' && !packet.keyframe) return this.#drop(1, now);
    const buf = packet.bytes(this.format);
    if (!this.#queue.fits(buf.length, packet.timestamp, packet.frame, buffered)) {
      this.#overflow(now);
      if (this.#skip !== 'none' && !packet.keyframe) return this.#drop(1, now);
      if (!this.#queue.fits(buf.length, packet.timestamp, packet.frame, buffered)) return this.#drop(1, now);
    }
    if (this.#skip !== 'none') {
      this.#skip = 'none';
      this.#logDrops(false, now);
      this.#resync = true;
    }
    // Headers may have been dropped with a backlog or changed while skipping (SRS resends them too).
    if (this.#resync) this.#resendHeaders();
    this.#push(packet, buf);
    return true;
  }

  /** Drops the backlog; with video, nothing more is queued until the next keyframe. */
  #overflow(now: number): void {
    // Audio-only streams have no keyframes to wait for: dropping the backlog is enough.
    if (this.stream.hasVideo) this.#skip = 'overflow';
    this.#drop(this.#queue.drop(), now);
    // Headers dropped with the backlog must be sent again; those already written need not be.
    if (this.#headersPending) this.#sentMetadata = this.#sentVideoHeader = this.#sentAudioHeader = undefined;
    this.#headersPending = false;
    this.#resync = true;
  }

  #push(packet: Packet, buf: Buffer): void {
    this.#queue.push(buf, packet.frame ? packet.timestamp : -1);
    if (packet.frame) return;
    this.#headersPending = true;
    if (packet === this.stream.metadata) this.#sentMetadata = packet;
    else if (packet.message.type === MediaType.Video) this.#sentVideoHeader = packet;
    else if (packet.message.type === MediaType.Audio) this.#sentAudioHeader = packet;
  }

  /** Queues the stream's current metadata and sequence headers that this sink has not received. */
  #resendHeaders(): void {
    this.#resync = false;
    const { metadata, videoHeader, audioHeader } = this.stream;
    if (metadata && metadata !== this.#sentMetadata) this.#push(metadata, metadata.bytes(this.format));
    if (videoHeader && videoHeader !== this.#sentVideoHeader) this.#push(videoHeader, videoHeader.bytes(this.format));
    if (audioHeader && audioHeader !== this.#sentAudioHeader) this.#push(audioHeader, audioHeader.bytes(this.format));
  }

  /** Counts `n` dropped messages (not while merely waiting for a first keyframe); returns false. */
  #drop(n: number, now: number): false {
    if (n === 0 || this.#skip === 'join') return false;
    this.#dropped += n;
    this.#unloggedDrops += n;
    this.#ctx.counters.droppedMessages += n;
    if (this.#skip === 'none') this.#logDrops(false, now);
    return false;
  }

  /** One aggregate line per reader and interval, never one per frame. */
  #logDrops(final: boolean, now = this.#ctx.options.now()): void {
    if (this.#unloggedDrops === 0 || (!final && now - this.#lastDropLogAt < dropLogIntervalMs)) return;
    this.#ctx.options.logger.warn(
      { stream: this.stream.key, format: this.format, dropped: this.#unloggedDrops, droppedTotal: this.#dropped },
      'subscriber too slow: dropped messages and skipped to the next keyframe',
    );
    this.#unloggedDrops = 0;
    this.#lastDropLogAt = now;
  }

  /**
   * Closes the subscriber if its sink has held unflushed bytes without progress for too long. Checked
   * as packets arrive (no timer per subscriber): a reader stuck while the stream has no publisher
   * holds at most its limits until media flows again or the glue's socket timeouts end it.
   */
  #stalled(buffered: number, now: number): boolean {
    if (buffered === 0 || buffered < this.#lastBuffered) this.#lastProgressAt = now;
    this.#setBuffered(buffered);
    const limit = this.#ctx.options.subscriber.stallTimeoutMs;
    if (buffered === 0 || now - this.#lastProgressAt < limit) return false;
    this.#ctx.counters.stalledCloses++;
    this.#ctx.options.logger.warn(
      { stream: this.stream.key, format: this.format, bufferedBytes: buffered, stalledMs: now - this.#lastProgressAt },
      'subscriber stalled: closing',
    );
    this.terminate(new LiveError('SUBSCRIBER_STALLED', `the player took no data for ${limit} ms`));
    return true;
  }
}
