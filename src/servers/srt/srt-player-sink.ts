/**
 * The hub's view of an SRT player (`m=request`, docs/srt.md "Playback"): it subscribes to the shared FLV
 * tags like an HTTP-FLV player, remuxes them into MPEG-TS with the HLS muxer (H.264, HEVC, AAC) and sends
 * the TS as SRT live payloads of 7 × 188 bytes (libsrt's and ffmpeg's SRT payload, 1316 bytes). What the
 * receiver has not acknowledged is its backlog: the hub skips to the next keyframe when it grows (slow
 * receiver) and the sender's bounded buffer drops the oldest rather than grow.
 */
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import { mediaMessage, type MediaType } from '../../protocol/media.ts';
import { FLV_TAG_HEADER_SIZE } from '../../protocol/flv/flv-tag.ts';
import { TsMuxer } from '../../protocol/mpegts/ts-muxer.ts';

/** One SRT live payload: 7 TS packets (SRT's default payload size, SRTO_PAYLOADSIZE 1316). */
export const srtTsPayloadSize = 7 * 188;

/** What the sink needs from its SRT connection. */
export interface SrtPlayOut {
  /** Sends one payload as one data packet. */
  send(payload: Buffer): void;
  /** Packets sent but not acknowledged yet. */
  readonly unacknowledged: number;
  /** Ends the SRT connection (the publisher left, or the hub gave up on this player). */
  end(reason?: LiveError): void;
}

/** Muxes one player's media into TS and sends it over its SRT connection. */
export class SrtPlayerSink implements SubscriberSink {
  readonly format = 'flv' as const;
  readonly #out: SrtPlayOut;
  #muxer = new TsMuxer();
  /** TS bytes not yet filling a whole payload (the rest of a frame waits for the next one). */
  #pending: Buffer = Buffer.alloc(0);
  #tables = true;
  /** Frames the muxer refused (malformed input); the player continues with the next one. */
  muxErrors = 0;
  /** The player's address (SubscriberSink.clientIp), set by the play. */
  clientIp: string | undefined;

  constructor(out: SrtPlayOut) {
    this.#out = out;
  }

  /** The receiver's backlog: unacknowledged packets in bytes. */
  get bufferedBytes(): number {
    return this.#out.unacknowledged * srtTsPayloadSize;
  }

  /** One merged write of shared FLV tags (each one whole tag plus its PreviousTagSize, flv-tag.ts). */
  write(buffers: Buffer[]): void {
    const parts: Buffer[] = this.#pending.length > 0 ? [this.#pending] : [];
    for (const tag of buffers) {
      if (tag.length < FLV_TAG_HEADER_SIZE) continue;
      const size = tag.readUIntBE(1, 3);
      const timestamp = (tag.readUIntBE(4, 3) | (tag[7]! << 24)) >>> 0;
      const msg = mediaMessage(
        tag[0]! as MediaType,
        timestamp,
        tag.subarray(FLV_TAG_HEADER_SIZE, FLV_TAG_HEADER_SIZE + size),
      );
      try {
        const chunk = this.#muxer.push(msg, this.#tables);
        if (chunk) {
          this.#tables = false;
          parts.push(chunk.bytes);
        }
      } catch {
        this.muxErrors++;
      }
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    let at = 0;
    for (; at + srtTsPayloadSize <= all.length; at += srtTsPayloadSize)
      this.#out.send(all.subarray(at, at + srtTsPayloadSize));
    this.#pending = all.subarray(at);
  }

  /** Sends what is left of the last frame (a payload may be shorter than 1316 bytes; libsrt takes any size). */
  flushTail(): void {
    if (this.#pending.length === 0) return;
    this.#out.send(this.#pending);
    this.#pending = Buffer.alloc(0);
  }

  /** A publisher is live: a new TS timeline (fresh muxer, tables first). */
  publisherStarted(): void {
    this.#muxer = new TsMuxer();
    this.#tables = true;
    this.#pending = Buffer.alloc(0);
  }

  /** The publisher left: the player's TS ends with it (as an HTTP-FLV body does); it reconnects for the next. */
  publisherEnded(): void {
    this.flushTail();
    this.#out.end();
  }

  /** The hub gave up on this player (stalled, or shutting down). */
  close(reason?: LiveError): void {
    this.#out.end(reason);
  }
}
