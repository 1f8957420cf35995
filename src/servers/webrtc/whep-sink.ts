/**
 * One WHEP player as a hub subscriber: it reads the shared FLV tags (format `flv`, so nothing new is
 * encoded per message), and turns H.264 into RTP (protocol/rtp/h264-packetizer.ts: FU-A at `webrtc.mtu`,
 * SPS/PPS before each IDR, 90 kHz from the FLV milliseconds) and Opus tags into Opus RTP (48 kHz). AAC
 * audio comes transcoded through `sendOpus` (docs/webrtc.md "Audio"). werift's sender keeps the last packets for NACKs.
 * UDP never pushes back, so `bufferedBytes` is 0: a viewer that cannot keep up loses packets, NACKs, and
 * recovers at the next IDR (its PLI asks the WHIP publisher for one).
 */
import type * as Werift from 'werift';
import type { RTCRtpSender } from 'werift';
import { lazyModule } from '../../lazy-module.ts';
import type { LiveError } from '../../errors.ts';
import type { Stream } from '../../hub/stream.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import { MediaType } from '../../protocol/media.ts';
import { readAvcTag } from '../../protocol/rtp/avc-flv.ts';
import { packetizeH264, type H264RtpPayload } from '../../protocol/rtp/h264-packetizer.ts';
import { opusPacketOfTag } from '../../protocol/rtp/opus-rtp.ts';
import { encodeRtpPacket } from '../../protocol/rtp/rtp-packet.ts';

/** werift, loaded with the first session (lazy-module.ts). */
const werift = lazyModule<typeof Werift>('werift');

/** Where the sink sends and what it tells its session. */
export interface WhepSinkOptions {
  readonly video: RTCRtpSender | undefined;
  readonly audio: RTCRtpSender | undefined;
  readonly mtu: number;
  /** The publisher left or the hub gave up on this player: the session ends. */
  readonly onEnd: (reason?: LiveError) => void;
}

/** A hub sink that writes RTP to one WHEP peer. */
export class WhepSink implements SubscriberSink {
  readonly format = 'flv' as const;
  readonly bufferedBytes = 0;
  readonly #o: WhepSinkOptions;
  #sps: readonly Buffer[] = [];
  #pps: readonly Buffer[] = [];
  #lengthSize = 4;
  #videoSeq = Math.floor(Math.random() * 0x10000);
  #audioSeq = Math.floor(Math.random() * 0x10000);
  readonly #payloads: H264RtpPayload[] = [];
  /** Video frames sent (for stats and tests). */
  framesSent = 0;

  constructor(o: WhepSinkOptions) {
    this.#o = o;
  }

  /** One batch of FLV tags (FLV 10.1 §E.4.1: 11-byte header, body, PreviousTagSize). */
  write(buffers: Buffer[]): void {
    for (const b of buffers) {
      let pos = 0;
      while (pos + 15 <= b.length) {
        const type = b[pos]! & 0x1f;
        const size = b.readUIntBE(pos + 1, 3);
        const ts = (b.readUIntBE(pos + 4, 3) | (b[pos + 7]! << 24)) >>> 0;
        const body = b.subarray(pos + 11, pos + 11 + size);
        pos += 15 + size;
        if (type === MediaType.Video) this.#video(body, ts);
        else if (type === MediaType.Audio) this.#audio(body, ts);
      }
    }
  }

  #video(body: Buffer, ts: number): void {
    const sender = this.#o.video;
    if (!sender) return;
    let tag;
    try {
      tag = readAvcTag(body, this.#lengthSize);
    } catch {
      return; // a record we cannot read: the frames that follow wait for a good one
    }
    if (!tag) return;
    if (tag.kind === 'config') {
      this.#sps = tag.sps;
      this.#pps = tag.pps;
      this.#lengthSize = tag.lengthSize;
      return;
    }
    if (this.#sps.length === 0) return;
    const out = this.#payloads;
    out.length = 0;
    packetizeH264(tag.nalus, this.#o.mtu, { sps: this.#sps, pps: this.#pps }, out);
    // The presentation time: FLV time is DTS, the composition offset makes it PTS (RFC 6184 §5.1).
    const rtpTs = ((ts + tag.cts) * 90) >>> 0;
    for (const p of out) {
      const header = new (werift().RtpHeader)({
        payloadType: 96,
        sequenceNumber: this.#videoSeq,
        timestamp: rtpTs,
        marker: p.marker,
      });
      this.#videoSeq = (this.#videoSeq + 1) & 0xffff;
      sender.sendRtp(new (werift().RtpPacket)(header, p.payload)).catch(() => {});
    }
    this.framesSent++;
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
  }

  /** The stream is live: media follows (headers and the cached GOP first). */
  publisherStarted(_stream: Stream): void {}

  /** The publisher left: WebRTC has no in-band end, the session ends and the player may post again. */
  publisherEnded(): void {
    this.#o.onEnd();
  }

  /** The hub gave up on this player (or closes). */
  close(reason?: LiveError): void {
    this.#o.onEnd(reason);
  }
}
