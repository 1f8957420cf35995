/**
 * The packets a joining subscriber receives after the headers: everything since the last video
 * keyframe, so its first frame is decodable at once (NMS and SRS do the same; nginx-rtmp makes the
 * player wait up to a GOP). Audio-only streams keep a short audio tail instead.
 */
import { MediaType } from '../protocol/media.ts';
import type { GopCacheOptions } from './hub-options.ts';
import type { Packet } from './packet.ts';

/** What the cache holds: an audio tail (no video seen yet), a GOP, or nothing until the next keyframe. */
type GopMode = 'audio-tail' | 'gop' | 'wait-keyframe';

/** A bounded cache of the current GOP (or audio tail); callers push only frames, never headers. */
export class GopCache {
  readonly #limits: Required<GopCacheOptions>;
  /** The hub-wide sum of GOP bytes (memory budget), updated with this cache's. */
  readonly #tally: { gopBytes: number };
  #packets: Packet[] = [];
  #bytes = 0;
  #mode: GopMode = 'audio-tail';
  #enabled: boolean;

  constructor(limits: Required<GopCacheOptions>, tally: { gopBytes: number } = { gopBytes: 0 }) {
    this.#limits = limits;
    this.#tally = tally;
    this.#enabled = limits.enabled;
  }

  /** Whether packets are cached; switching off (a low-latency stream) forgets the current GOP. */
  get enabled(): boolean {
    return this.#enabled;
  }

  set enabled(on: boolean) {
    this.#enabled = on;
    if (!on) this.clear();
  }

  /** The cached packets, oldest first; a GOP starts with its keyframe. */
  get packets(): readonly Packet[] {
    return this.#packets;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds one audio or video frame (not a sequence header, not script data). */
  push(packet: Packet): void {
    if (!this.#enabled) return;
    const msg = packet.message;
    if (packet.keyframe) {
      this.#reset('gop');
      this.#append(packet);
    } else if (msg.type === MediaType.Video) {
      // Video makes the audio tail pointless; inter frames without their keyframe cannot be decoded.
      if (this.#mode === 'audio-tail') this.#reset('wait-keyframe');
      else if (this.#mode === 'gop') this.#append(packet);
    } else if (this.#mode === 'gop') {
      this.#append(packet);
    } else if (this.#mode === 'audio-tail') {
      this.#packets.push(packet);
      this.#bytes += packet.size;
      this.#tally.gopBytes += packet.size;
      this.#trimAudioTail(msg.timestamp);
    }
  }

  /** Forgets everything (the publisher left): the next publisher starts from scratch. */
  clear(): void {
    this.#reset('audio-tail');
  }

  #append(packet: Packet): void {
    this.#packets.push(packet);
    this.#bytes += packet.size;
    this.#tally.gopBytes += packet.size;
    // Past a cap, a partial GOP would start without its keyframe: drop it all until the next one.
    if (this.#bytes > this.#limits.maxBytes || this.#packets.length > this.#limits.maxMessages) {
      this.#reset('wait-keyframe');
    }
  }

  #trimAudioTail(newest: number): void {
    const packets = this.#packets;
    let drop = 0;
    let bytes = this.#bytes;
    while (
      drop < packets.length &&
      (newest - packets[drop]!.timestamp > this.#limits.audioTailMs ||
        packets.length - drop > this.#limits.maxMessages ||
        bytes > this.#limits.maxBytes)
    ) {
      bytes -= packets[drop]!.size;
      drop++;
    }
    if (drop > 0) {
      packets.splice(0, drop);
      this.#tally.gopBytes -= this.#bytes - bytes;
      this.#bytes = bytes;
    }
  }

  #reset(mode: GopMode): void {
    this.#mode = mode;
    this.#packets = [];
    this.#tally.gopBytes -= this.#bytes;
    this.#bytes = 0;
  }
}
