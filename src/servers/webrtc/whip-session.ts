/**
 * One WHIP publish (RFC 9725): the admitted DemuxedPublish fed from werift's received RTP. H.264 goes
 * through the RFC 6184 depacketizer into FLV AVC messages (SPS/PPS become the decoder configuration
 * record), Opus into Enhanced RTMP `Opus` messages; both reach the hub exactly as an RTMP publish's media
 * does. A loss or a viewer without a cached GOP asks the browser for a keyframe with a PLI (RFC 4585 §6.3.1).
 */
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { breakCodes } from '../../control/break-codes.ts';
import type { ErrorCode } from '../../errors.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { AvcFlvWriter } from '../../protocol/rtp/avc-flv.ts';
import { H264Depacketizer, type H264AccessUnit } from '../../protocol/rtp/h264-depacketizer.ts';
import { opusRtpToMessage, opusSequenceStart } from '../../protocol/rtp/opus-rtp.ts';
import { RtpClock } from '../../protocol/rtp/rtp-clock.ts';
import type { DemuxedPublish } from '../ingest/demuxed-publish.ts';

/** What a WHIP session needs besides its peer and publish. */
export interface WhipSessionOptions {
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  /** PLI at least this often (webrtc.keyframeIntervalMs); 0 = never unasked. */
  readonly keyframeIntervalMs: number;
  readonly now: () => number;
  readonly countError: (code: ErrorCode) => void;
}

/** PLIs at most this often: a browser answers each with a full IDR, which costs bitrate. */
const PLI_INTERVAL_MS = 500;

/** Feeds one WHIP peer's media into its publish; `end()` once when the session closes. */
export class WhipSession {
  readonly publish: DemuxedPublish;
  readonly #pc: RTCPeerConnection;
  readonly #o: WhipSessionOptions;
  readonly #startMs: number;
  readonly #out: MediaMessage[] = [];
  #video: { transceiver: RTCRtpTransceiver; ssrc: number; depack: H264Depacketizer } | undefined;
  #lastPli = -Infinity;
  #lastPacketMs: number;
  #idle: NodeJS.Timeout | undefined;
  #pli: NodeJS.Timeout | undefined;
  #onIdle: (() => void) | undefined;

  constructor(pc: RTCPeerConnection, publish: DemuxedPublish, o: WhipSessionOptions) {
    this.#pc = pc;
    this.publish = publish;
    this.#o = o;
    this.#startMs = o.now();
    this.#lastPacketMs = this.#startMs;
  }

  /** Subscribes to the received tracks; `onIdle` is called when no RTP came for `idleTimeoutMs`. */
  start(onIdle: () => void): void {
    this.#onIdle = onIdle;
    // werift makes the remote tracks of an offer's a=ssrc lines inside setRemoteDescription, before this runs.
    for (const t of this.#pc.getTransceivers()) {
      const seen = new Set<MediaStreamTrack>(t.receiver.tracks);
      for (const track of t.receiver.tracks) this.#track(track, t);
      t.onTrack.subscribe((track) => {
        if (!seen.has(track)) this.#track(track, t);
      });
    }
    const every = Math.max(250, Math.floor(this.#o.idleTimeoutMs / 4));
    this.#idle = setInterval(() => {
      if (this.#o.now() - this.#lastPacketMs >= this.#o.idleTimeoutMs) this.#onIdle?.();
    }, every);
    if (this.#o.keyframeIntervalMs > 0) {
      this.#pli = setInterval(() => this.requestKeyframe(), this.#o.keyframeIntervalMs);
      this.#pli.unref();
    }
    this.#idle.unref();
  }

  #track(track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    if (track.kind === 'video') {
      const depack = new H264Depacketizer({ maxAccessUnitBytes: this.#o.maxFrameBytes, onError: this.#o.countError });
      const writer = new AvcFlvWriter();
      const clock = new RtpClock(90000, this.#o.now() - this.#startMs);
      this.#video = { transceiver, ssrc: track.ssrc ?? 0, depack };
      const aus: H264AccessUnit[] = [];
      track.onReceiveRtp.subscribe((rtp) => {
        this.#lastPacketMs = this.#o.now();
        if (rtp.header.ssrc && this.#video) this.#video.ssrc = rtp.header.ssrc;
        aus.length = 0;
        depack.push(
          {
            payload: rtp.payload,
            timestamp: rtp.header.timestamp,
            sequenceNumber: rtp.header.sequenceNumber,
            marker: rtp.header.marker,
          },
          aus,
        );
        for (const au of aus) {
          this.#out.length = 0;
          writer.push(au, clock.toMs(au.rtpTimestamp), this.#out);
          for (const m of this.#out) this.publish.pushMedia(m);
        }
        if (depack.keyframeWanted) this.requestKeyframe();
      });
      return;
    }
    const clock = new RtpClock(48000, this.#o.now() - this.#startMs);
    let headerSent = false;
    track.onReceiveRtp.subscribe((rtp) => {
      this.#lastPacketMs = this.#o.now();
      const ms = clock.toMs(rtp.header.timestamp);
      if (!headerSent) {
        headerSent = true;
        this.publish.pushMedia(opusSequenceStart(2, ms));
      }
      const m = opusRtpToMessage(rtp.payload, ms);
      if (m) this.publish.pushMedia(m);
    });
  }

  /** Asks the publisher for an IDR (a PLI on its video SSRC), at most every PLI_INTERVAL_MS. */
  requestKeyframe(): void {
    const v = this.#video;
    const now = this.#o.now();
    if (!v || now - this.#lastPli < PLI_INTERVAL_MS) return;
    this.#lastPli = now;
    v.transceiver.receiver.sendRtcpPLI(v.ssrc).catch(() => {});
  }

  /** Ends the publish once with its break code (12/0 for an ICE/DTLS loss, 1/0 for DELETE) and closes the peer. */
  async end(breakCode: string, reason: string): Promise<void> {
    if (this.#idle) clearInterval(this.#idle);
    if (this.#pli) clearInterval(this.#pli);
    this.#idle = undefined;
    this.#onIdle = undefined;
    await this.publish.end(breakCode, reason);
    await this.#pc.close().catch(() => {});
  }
}

/** The break code of a WHIP session ended for `code` (Tencent's interruption codes, control/break-codes.ts). */
export function whipBreakCode(code: ErrorCode | undefined): string {
  if (code === undefined) return breakCodes.clientStopped;
  if (code === 'WEBRTC_ICE_TIMEOUT') return breakCodes.networkError;
  return breakCodes.internalError;
}
