/**
 * The RTCP Sender Reports of one WHEP viewer, sent by openlive instead of werift: werift 0.24's RTCRtpSender
 * pairs a track's last RTP time with the moment it was sent and writes the NTP fraction as the decimal
 * digits of the seconds, so a browser aligning audio and video by them plays transcoded AAC hundreds of ms
 * off. Here both tracks share one MediaClock (protocol/rtp/rtcp-sender-report.ts: NTP = anchor + media time,
 * anchored by the first video frame), so the same media time has the same NTP on both, and each track's SR
 * (with its packet and octet counts and the CNAME) goes out with its first packet and then every
 * `intervalMs`, through the session's SRTCP. werift's own SR loop is switched off per sender.
 */
import type { RTCRtpSender } from 'werift';
import { compactNtp, encodeSenderReport, MediaClock } from '../../protocol/rtp/rtcp-sender-report.ts';

/** How often each track reports (RFC 3550 §6.2 allows any interval for a two-party session; Chrome needs two). */
export const SENDER_REPORT_INTERVAL_MS = 1000;

/** The werift 0.24 `RTCRtpSender` fields read and written (rtpSender.js). */
interface SenderFields {
  ssrc: number;
  cname?: string;
  packetCount: number;
  octetCount: number;
  stopped: boolean;
  /** werift's SR loop runs only while this is false when `runRtcp()` is first called: true keeps it off. */
  rtcpRunning: boolean;
  /** What werift's receiver-report handling matches against LSR to compute the round trip. */
  lastSRtimestamp?: number;
  lastSentSRTimestamp?: number;
}

/** One track of the viewer. */
interface Track {
  readonly sender: SenderFields;
  readonly rate: number;
  lastReportMs: number | undefined;
}

/** What a viewer's reports need: its senders, the SRTCP path and the wall clock (Unix ms). */
export interface SenderReportsOptions {
  readonly video: RTCRtpSender;
  readonly audio: RTCRtpSender | undefined;
  /** Protects one compound RTCP packet with the session's SRTCP and sends it; false when it could not (yet). */
  readonly sendRtcp: (rtcp: Buffer) => boolean;
  readonly now: () => number;
  readonly intervalMs?: number;
}

/** The viewer's SR schedule: call `videoSent`/`audioSent` after each frame or packet goes out. */
export class SenderReports {
  readonly clock = new MediaClock();
  readonly #video: Track;
  readonly #audio: Track | undefined;
  readonly #o: SenderReportsOptions;
  readonly #interval: number;
  /** Reports sent, for tests and stats. */
  sent = 0;

  constructor(o: SenderReportsOptions) {
    this.#o = o;
    this.#interval = o.intervalMs ?? SENDER_REPORT_INTERVAL_MS;
    this.#video = track(o.video, 90_000);
    this.#audio = o.audio && track(o.audio, 48_000);
  }

  /** A video frame whose RTP time is `mediaMs` × 90 (its presentation time) was sent. */
  videoSent(mediaMs: number): void {
    const now = this.#o.now();
    this.clock.sent(now, mediaMs);
    this.#report(this.#video, now);
  }

  /** An audio packet was sent (its RTP time is its media ms × 48, on the clock the video anchored). */
  audioSent(): void {
    if (this.#audio) this.#report(this.#audio, this.#o.now());
  }

  #report(t: Track, now: number): void {
    if (t.lastReportMs !== undefined && now - t.lastReportMs < this.#interval) return;
    const rtp = this.clock.rtpAt(now, t.rate);
    if (rtp === undefined || t.sender.stopped) return;
    const s = t.sender;
    const sent = this.#o.sendRtcp(
      encodeSenderReport({
        ssrc: s.ssrc,
        wallMs: now,
        rtpTimestamp: rtp,
        packetCount: s.packetCount,
        octetCount: s.octetCount,
        cname: s.cname,
      }),
    );
    if (!sent) return;
    t.lastReportMs = now;
    // werift still reads the receiver reports: with these its round-trip estimate stays right.
    s.lastSRtimestamp = compactNtp(now);
    s.lastSentSRTimestamp = now / 1000;
    this.sent++;
  }
}

/** A track of `sender` whose werift SR loop is kept from starting. */
function track(sender: RTCRtpSender, rate: number): Track {
  const s = sender as unknown as SenderFields;
  s.rtcpRunning = true;
  return { sender: s, rate, lastReportMs: undefined };
}
