/**
 * One WHEP player as a hub subscriber: it reads the shared FLV tags (format `flv`, so nothing new is
 * encoded per message). H.264 is packetized once per stream (rtp-frame-cache.ts: FU-A at `webrtc.mtu`,
 * SPS/PPS before each IDR, 90 kHz from the FLV milliseconds) and sent by this viewer's VideoRtpSender
 * (its own sequence numbers, werift's SRTP, a NACK ring). Video tags wait in the sink's queue for the
 * viewer's turn in the SendPacer (round-robin over all viewers); the queued bytes are `bufferedBytes`, so
 * a viewer the server cannot keep up with is skipped to the next keyframe by the hub like any other
 * subscriber instead of starving the rest. Opus tags go out at once as Opus RTP (48 kHz) through
 * werift's sender; AAC audio comes transcoded through `sendOpus` (docs/webrtc.md "Audio"). Both tracks'
 * RTCP Sender Reports are the sink's (sender-reports.ts: NTP from the media timeline, for lip sync).
 */
import type * as Werift from 'werift';
import type { RTCRtpSender } from 'werift';
import { lazyModule } from '../../lazy-module.ts';
import type { LiveError } from '../../errors.ts';
import type { Stream } from '../../hub/stream.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import { MediaType } from '../../protocol/media.ts';
import { opusPacketOfTag } from '../../protocol/rtp/opus-rtp.ts';
import { rtpOfVideoTag, type AvcParams } from './rtp-frame-cache.ts';
import { SenderReports } from './sender-reports.ts';
import type { Paced, SendPacer } from './send-pacer.ts';
import type { VideoRtpSender } from './video-rtp-sender.ts';
import { encodeRtpPacket } from '../../protocol/rtp/rtp-packet.ts';

/** werift, loaded with the first session (lazy-module.ts). */
const werift = lazyModule<typeof Werift>('werift');

/** Where the sink sends and what it tells its session. */
export interface WhepSinkOptions {
  readonly video: VideoRtpSender | undefined;
  readonly audio: RTCRtpSender | undefined;
  readonly mtu: number;
  /** `webrtc.maxSendLagMs`: a keyframe arriving this far behind the oldest queued frame replaces the queue; 0 = off. */
  readonly maxLagMs: number;
  readonly pacer: SendPacer;
  /** Process-wide tally of lag skips (webrtc-metrics.ts). */
  readonly tally?: { skips: number; skippedFrames: number };
  /** The queue shrank: the hub's subscriber learns the player makes progress (`Subscriber.onDrain`). */
  readonly onDrain: () => void;
  /** The publisher left or the hub gave up on this player: the session ends. */
  readonly onEnd: (reason?: LiveError) => void;
  /** The wall clock of the Sender Reports, Unix ms (default: the process's high-resolution clock). */
  readonly now?: () => number;
}

/** Unix time in ms with sub-millisecond resolution (the NTP fraction of a Sender Report has it). */
const wallClock = (): number => performance.timeOrigin + performance.now();

/** The FLV tag's timestamp at `pos` (FLV 10.1 §E.4.1: 24 bits plus an extension byte), in ms. */
function tagTime(b: Buffer, pos: number): number {
  return (b.readUIntBE(pos + 4, 3) | (b[pos + 7]! << 24)) >>> 0;
}

/** A hub sink that writes RTP to one WHEP peer. */
export class WhepSink implements SubscriberSink, Paced {
  readonly format = 'flv' as const;
  /** Counted as WebRTC in the stats, not as the HTTP-FLV its encoding is (stats-sampler.ts). */
  readonly playProtocol = 'webrtc' as const;
  readonly #o: WhepSinkOptions;
  #params: AvcParams | undefined;
  #audioSeq = Math.floor(Math.random() * 0x10000);
  // Queued video tags: the Buffer the hub shared, the tag's offset in it, and its bytes (FLV framing included).
  #bufs: Buffer[] = [];
  #offsets: number[] = [];
  #head = 0;
  #queuedBytes = 0;
  #closed = false;
  /** The RTCP Sender Reports of both tracks (there is no WHEP play without video). */
  readonly reports: SenderReports | undefined;
  /** Video frames sent, frames dropped by lag skips, and the skips (for stats and tests). */
  framesSent = 0;
  framesSkipped = 0;
  skips = 0;

  constructor(o: WhepSinkOptions) {
    this.#o = o;
    const video = o.video;
    this.reports =
      video &&
      new SenderReports({
        video: video.sender,
        audio: o.audio,
        sendRtcp: (rtcp) => video.sendRtcp(rtcp),
        now: o.now ?? wallClock,
      });
  }

  /** Video bytes queued for the pacer: what the hub counts against this player's limits. */
  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  /** One batch of FLV tags (FLV 10.1 §E.4.1: 11-byte header, body, PreviousTagSize). */
  write(buffers: Buffer[]): void {
    if (this.#closed) return;
    let queued = false;
    for (const b of buffers) {
      let pos = 0;
      while (pos + 15 <= b.length) {
        const type = b[pos]! & 0x1f;
        const size = b.readUIntBE(pos + 1, 3);
        if (type === MediaType.Video && this.#o.video) {
          if (this.#o.maxLagMs > 0 && this.#head < this.#bufs.length && b[pos + 11] === 0x17 && b[pos + 12] === 1) {
            this.#skipIfBehind(tagTime(b, pos));
          }
          this.#bufs.push(b);
          this.#offsets.push(pos);
          this.#queuedBytes += 15 + size;
          queued = true;
        } else if (type === MediaType.Audio) {
          this.#audio(b.subarray(pos + 11, pos + 11 + size), tagTime(b, pos));
        }
        pos += 15 + size;
      }
    }
    if (queued) this.#o.pacer.wake(this);
  }

  /** The pacer's turn: the queued tags up to and including the next frame go out; true while more wait. */
  sendNext(): boolean {
    const video = this.#o.video;
    if (this.#closed || !video) return false;
    while (this.#head < this.#bufs.length) {
      const b = this.#bufs[this.#head]!;
      const pos = this.#offsets[this.#head]!;
      this.#bufs[this.#head] = undefined as unknown as Buffer; // let the hub's Buffer go
      this.#head++;
      const size = b.readUIntBE(pos + 1, 3);
      this.#queuedBytes -= 15 + size;
      const ts = tagTime(b, pos);
      const alone = pos === 0 && b.length === 15 + size;
      const r = rtpOfVideoTag(
        alone ? b : undefined,
        b.subarray(pos + 11, pos + 11 + size),
        ts,
        this.#params,
        this.#o.mtu,
      );
      if (r?.kind === 'config') this.#params = r.params;
      else if (r?.kind === 'frame') {
        if (video.sendFrame(r.frame) > 0) this.reports?.videoSent(r.frame.timeMs);
        this.framesSent++;
        break;
      }
    }
    if (this.#head >= this.#bufs.length) this.#clearQueue();
    else if (this.#head > 256 && this.#head * 2 > this.#bufs.length) {
      this.#bufs = this.#bufs.slice(this.#head);
      this.#offsets = this.#offsets.slice(this.#head);
      this.#head = 0;
    }
    this.#o.onDrain();
    return this.#head < this.#bufs.length;
  }

  /**
   * A keyframe at `ts` came while the queue still holds frames from more than `maxLagMs` before it: the
   * pacer cannot keep this viewer in time, so it skips to this keyframe (sequence headers are kept).
   */
  #skipIfBehind(ts: number): void {
    // The oldest queued frame: sequence headers carry old timestamps and say nothing about lag.
    let oldest = -1;
    for (let i = this.#head; i < this.#bufs.length && oldest < 0; i++) {
      if (this.#bufs[i]![this.#offsets[i]! + 12] !== 0) oldest = tagTime(this.#bufs[i]!, this.#offsets[i]!);
    }
    if (oldest < 0 || ts - oldest <= this.#o.maxLagMs) return;
    const bufs: Buffer[] = [];
    const offsets: number[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#bufs.length; i++) {
      const q = this.#bufs[i]!;
      const pos = this.#offsets[i]!;
      if (q[pos + 12] !== 0) {
        this.framesSkipped++;
        if (this.#o.tally) this.#o.tally.skippedFrames++;
        continue;
      }
      bufs.push(q);
      offsets.push(pos);
      bytes += 15 + q.readUIntBE(pos + 1, 3);
    }
    this.#bufs = bufs;
    this.#offsets = offsets;
    this.#head = 0;
    this.#queuedBytes = bytes;
    this.skips++;
    if (this.#o.tally) this.#o.tally.skips++;
  }

  #clearQueue(): void {
    this.#bufs = [];
    this.#offsets = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #audio(body: Buffer, ts: number): void {
    const sender = this.#o.audio;
    const packet = sender && opusPacketOfTag(body);
    if (!packet) return;
    const header = new (werift().RtpHeader)({
      payloadType: 111,
      sequenceNumber: this.#audioSeq,
      timestamp: (ts * 48) >>> 0,
      marker: false,
    });
    this.#audioSeq = (this.#audioSeq + 1) & 0xffff;
    sender.sendRtp(new (werift().RtpPacket)(header, packet)).catch(() => {});
    this.reports?.audioSent();
  }

  /**
   * One Opus packet at a 48 kHz RTP time from the stream's AAC transcoder (aac-opus-transcoder.ts), on the
   * same audio sequence as the Opus tags above; werift sets the SSRC and payload type.
   */
  sendOpus(packet: Buffer, rtpTimestamp: number): void {
    const sender = this.#o.audio;
    if (!sender) return;
    const rtp = encodeRtpPacket(
      { payloadType: 111, sequenceNumber: this.#audioSeq, timestamp: rtpTimestamp, ssrc: 0, marker: false },
      packet,
    );
    this.#audioSeq = (this.#audioSeq + 1) & 0xffff;
    sender.sendRtp(rtp).catch(() => {});
    this.reports?.audioSent();
  }

  /** The stream is live: media follows (headers and the cached GOP first). */
  publisherStarted(_stream: Stream): void {}

  /** The publisher left: WebRTC has no in-band end, the session ends and the player may post again. */
  publisherEnded(): void {
    this.dispose();
    this.#o.onEnd();
  }

  /** The hub gave up on this player (or closes). */
  close(reason?: LiveError): void {
    this.dispose();
    this.#o.onEnd(reason);
  }

  /** Drops the queue and leaves the pacer (the session ended); idempotent. */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearQueue();
    this.#o.pacer.remove(this);
    this.#o.video?.close();
  }
}
