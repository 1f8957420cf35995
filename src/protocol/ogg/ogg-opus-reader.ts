/**
 * Opus in Ogg (RFC 7845): the OpusHead and OpusTags header packets, then one Opus packet per Ogg packet,
 * each timed from its page's granule position (48 kHz samples including the pre-skip, §4) and the packet
 * durations its TOC byte gives (RFC 6716 §3.1). Only the first logical stream is read (ffmpeg writes one).
 */
import { OggPageReader, type OggPage } from './ogg-page-reader.ts';

/** One Opus packet with the 48 kHz PCM sample (pre-skip removed) its first sample plays at. */
export interface TimedOpusPacket {
  readonly packet: Buffer;
  /** PCM time of the packet's start in 48 kHz samples since the encoder's first input sample. */
  readonly startSample: number;
  /** Its duration in 48 kHz samples. */
  readonly samples: number;
}

/** The largest Opus packet RFC 6716 §3.2.5 allows per frame times 48 frames (120 ms of 2.5 ms frames). */
const MAX_OPUS_PACKET = 1275 * 48;

/** The 48 kHz samples of an Opus packet (RFC 6716 §3.1), 0 for one too short to say. */
export function opusPacketSamples(p: Buffer): number {
  if (p.length < 1) return 0;
  const toc = p[0]!;
  const config = toc >> 3;
  // Frame sizes: SILK-only 10/20/40/60 ms, Hybrid 10/20 ms, CELT-only 2.5/5/10/20 ms (Table 2).
  const frame48 =
    config < 12
      ? [480, 960, 1920, 2880][config & 3]!
      : config < 16
        ? [480, 960][config & 1]!
        : [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else if (p.length < 2) return 0;
  else frames = p[1]! & 0x3f;
  return frames * frame48;
}

/** Reads Ogg Opus from ffmpeg's stdout into timed Opus packets. */
export class OggOpusReader {
  readonly pages = new OggPageReader({ maxPacketBytes: MAX_OPUS_PACKET });
  #serial: number | undefined;
  #preSkip: number | undefined;
  #tagsSeen = false;
  readonly #scratch: OggPage[] = [];
  /** Channels the OpusHead announced (0 before it). */
  channels = 0;

  /** Takes bytes; appends the audio packets they complete to `out`. */
  push(chunk: Buffer, out: TimedOpusPacket[]): void {
    const pages = this.#scratch;
    pages.length = 0;
    this.pages.push(chunk, pages);
    for (const page of pages) this.#page(page, out);
  }

  #page(page: OggPage, out: TimedOpusPacket[]): void {
    if (this.#serial === undefined) {
      // RFC 7845 §3: the first packet of the stream, alone on a BOS page, is the OpusHead.
      const head = page.packets[0];
      if (!page.bos || !head || head.length < 19 || head.toString('latin1', 0, 8) !== 'OpusHead') return;
      this.#serial = page.serial;
      this.channels = head[9]!;
      this.#preSkip = head.readUInt16LE(10);
      return;
    }
    if (page.serial !== this.#serial) return;
    let packets = page.packets;
    if (!this.#tagsSeen) {
      if (packets.length === 0) return;
      // The comment header (OpusTags, §5.2) comes next and may span pages; its end completes a packet.
      this.#tagsSeen = true;
      packets = packets.slice(1);
    }
    if (packets.length === 0 || page.granule < 0n) return;
    const durations = packets.map(opusPacketSamples);
    // The granule position is the end of the page's last completed packet (§4); earlier ones end before it.
    let end = Number(page.granule) - this.#preSkip!;
    const timed: TimedOpusPacket[] = [];
    for (let i = packets.length - 1; i >= 0; i--) {
      const samples = durations[i]!;
      if (samples > 0) timed.push({ packet: packets[i]!, startSample: end - samples, samples });
      end -= samples;
    }
    for (let i = timed.length - 1; i >= 0; i--) out.push(timed[i]!);
  }
}
