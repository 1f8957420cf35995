/**
 * WHIP ingest and WHEP playback (RFC 9725 and the WHEP draft) on the HTTP listener: an SDP offer is
 * admitted through the one admission path (the same codes, records, callbacks and one-publisher claim as
 * RTMP), answered 201 with the SDP answer and a `Location` for the session, ended by DELETE or by the
 * ICE/DTLS timeouts. The txSecret/txTime pair comes in the query or as the bearer token
 * (`Authorization: Bearer txSecret=…&txTime=…`, as Tencent's `webrtc://` push URLs carry it).
 */
import { spawn } from 'node:child_process';
import { breakCodes } from '../../control/break-codes.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import { httpStatusOf, LiveError, toLiveError, type ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import type { Log } from '../../log.ts';
import { admitDemuxedPublish, type DemuxedIngestDeps } from '../ingest/demuxed-publish.ts';
import { AacOpusTranscoders, isAacHeader, type TranscodeViewer } from './aac-opus-transcoders.ts';
import { iceCredentials } from '../../protocol/sdp/ice-candidates.ts';
import { tcpMuxOf, type TcpMux, type TcpMuxConfig } from './tcp-mux.ts';
import { UdpMux } from './udp-mux.ts';
import { sessionIce } from './webrtc-patch.ts';
import { answer, applyOffer, createPeer, negotiated, type Answer, type PeerOptions } from './webrtc-peer.ts';
import { WebrtcSessions, type SessionLimits, type WebrtcSession } from './webrtc-sessions.ts';
import { SendPacer } from './send-pacer.ts';
import type { WhepSendStats } from './webrtc-metrics.ts';
import { datagramSender, VideoRtpSender, type DatagramSend } from './video-rtp-sender.ts';
import { WhepSink } from './whep-sink.ts';
import { WhipSession, whipBreakCode } from './whip-session.ts';
import { awaitLiveStream } from './stream-demand.ts';

/** The `webrtc.*` keys the server reads. */
export interface WebrtcServerConfig extends PeerOptions, TcpMuxConfig, Omit<SessionLimits, 'trustedNetworks'> {
  readonly mtu: number;
  /** Queued video older than this behind a new keyframe is dropped (whep-sink.ts). */
  readonly maxSendLagMs: number;
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly keyframeIntervalMs: number;
  readonly maxSdpBytes: number;
  /** One UDP port for every session (udp-mux.ts); false = werift binds one per session. */
  readonly singlePort: boolean;
  readonly port: number;
  readonly maxAddressesPerSession: number;
  readonly silenceTimeoutMs: number;
  readonly udpBufferBytes: number;
  /** AAC → Opus for WHEP (aac-opus-transcoders.ts); `ffmpegPath` is `snapshot.ffmpegPath`. */
  readonly transcodeAac: boolean;
  readonly maxTranscodes: number;
  readonly transcodeBitrateKbps: number;
  readonly transcodeQueueBytes: number;
  readonly transcodeKillTimeoutMs: number;
  readonly transcodeRestartMs: number;
  readonly transcodeRestartMaxMs: number;
  readonly ffmpegPath: string;
}

/** What the WebRTC server is built from. */
export interface WebrtcServerDeps {
  readonly config: WebrtcServerConfig;
  readonly trustedNetworks: readonly string[];
  /** The ingest parts every publish uses (admission, records, publish listeners). */
  readonly ingest: DemuxedIngestDeps;
  readonly plays: PlayAdmitter;
  readonly hub: Hub;
  readonly log: Log;
  /** How long a WHEP offer waits for a stream that is not live here yet (`http.playWaitMs`; 0 = not at all). */
  readonly playWaitMs?: number;
}

/** The answer to a WHIP/WHEP request, before it becomes an HTTP reply. */
export type SignalReply =
  | { readonly status: 201; readonly sdp: string; readonly location: string; readonly etag?: string | undefined }
  | { readonly status: number; readonly error: { code: string; message: string; breakCode?: string } };

/** The path prefix of session URLs (`Location`). */
export const sessionPath = '/webrtc/session/';

/** WHIP and WHEP sessions of this node. */
export class WebrtcServer {
  readonly sessions: WebrtcSessions;
  readonly #d: WebrtcServerDeps;
  readonly #whipByKey = new Map<string, WhipSession>();
  /** WHIP sessions the server is ending itself (drop, forbid, replace: break code 21/1xx). */
  readonly #dropping = new Set<string>();
  readonly #mux: UdpMux | undefined;
  readonly #tcp: TcpMux | undefined;
  /** AAC → Opus for WHEP viewers of AAC streams. */
  readonly transcoders: AacOpusTranscoders;
  /** Shares the sending out among all WHEP viewers of this process, round-robin (send-pacer.ts). */
  readonly #pacer = new SendPacer();
  readonly #whepTally = { skips: 0, skippedFrames: 0 };
  #closed = false;

  constructor(d: WebrtcServerDeps) {
    this.#d = d;
    this.sessions = new WebrtcSessions({ ...d.config, trustedNetworks: d.trustedNetworks });
    this.#mux = d.config.singlePort
      ? new UdpMux({
          host: d.config.host ?? '0.0.0.0',
          port: d.config.port,
          maxAddressesPerSession: d.config.maxAddressesPerSession,
          silenceTimeoutMs: d.config.silenceTimeoutMs,
          bufferBytes: d.config.udpBufferBytes,
          countError: (code) => d.ingest.counters.countError(code),
          now: d.ingest.now,
        })
      : undefined;
    this.#tcp = tcpMuxOf(d.config, (code) => d.ingest.counters.countError(code));
    const c = d.config;
    this.transcoders = new AacOpusTranscoders({
      enabled: c.transcodeAac && c.maxTranscodes > 0,
      maxTranscodes: c.maxTranscodes,
      hub: d.hub,
      ffmpegPath: c.ffmpegPath,
      bitrateKbps: c.transcodeBitrateKbps,
      maxQueueBytes: c.transcodeQueueBytes,
      maxStderrBytes: TRANSCODE_STDERR_BYTES,
      killTimeoutMs: c.transcodeKillTimeoutMs,
      restartMinMs: c.transcodeRestartMs,
      restartMaxMs: c.transcodeRestartMaxMs,
      spawn: (command, args) => spawn(command, args, { stdio: 'pipe', shell: false, windowsHide: true }),
      timers: {
        setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      },
      now: d.ingest.now,
      countError: (code) => d.ingest.counters.countError(code),
      log: d.log,
    });
  }

  /** The single UDP port (after start), 0 with one port per session. */
  get port(): number {
    return this.#mux?.port ?? 0;
  }

  /** The local addresses the single port is bound on (one socket each), [] with one port per session. */
  get localAddresses(): string[] {
    return this.#mux?.localAddresses ?? [];
  }

  /** Sessions registered on the single port (each leaves when its peer connection closes). */
  /** WHEP sending: lag skips so far and viewers waiting for the pacer now (webrtc-metrics.ts). */
  whepSendStats(): WhepSendStats {
    return { ...this.#whepTally, queuedViewers: this.#pacer.pending };
  }

  get muxSessions(): number {
    return this.#mux?.sessions ?? 0;
  }

  /** The ICE-TCP port (after start), 0 without. */
  get tcpPort(): number {
    return this.#tcp?.port ?? 0;
  }

  /** Binds the single UDP port (`webrtc.port`) and the ICE-TCP port (`webrtc.tcpPort`), if there are. */
  async start(): Promise<void> {
    const port = await this.#mux?.start();
    await this.#tcp?.start(port);
  }

  /** What `answer` needs to put session `id` on the mux. */
  #answerContext(id: string, offer: string, serverIp: string) {
    return {
      mux: this.#mux,
      tcp: this.#tcp,
      offer,
      serverIp,
      onSilent: () =>
        void this.sessions.end(
          id,
          'WEBRTC_ICE_TIMEOUT',
          `the client sent nothing for ${this.#d.config.silenceTimeoutMs} ms (webrtc.silenceTimeoutMs)`,
        ),
    };
  }

  /** A WHIP offer: admitted, then answered; refusals carry the reason code (e.g. 18/503) in the body. */
  async publish(request: AdmissionRequest, sdp: string, serverIp: string): Promise<SignalReply> {
    return this.#signal(request.clientIp, async (id, release) => {
      const pc = createPeer(this.#d.config, this.#mux);
      try {
        await applyOffer(pc, sdp, this.#mux);
        if (!negotiated(pc).video)
          throw new LiveError('WEBRTC_CODEC_UNSUPPORTED', 'the offer has no H.264 video (packetization-mode 1)');
        const grant = await admitDemuxedPublish(this.#d.ingest, {
          request,
          publisherId: `whip-${id}`,
          serverIp,
          // Drop, forbid or a newer publisher (21/1xx): the publish session already ends itself with that code.
          disconnect: () => {
            this.#dropping.add(id);
            void this.sessions
              .end(id, undefined, 'the server ended this publish')
              .finally(() => this.#dropping.delete(id));
          },
          stillWanted: () => !this.#closed,
        });
        if (grant.kind === 'abandoned') throw new LiveError('STREAM_CLOSED', 'the server is shutting down');
        if (grant.kind === 'refused') {
          const r = grant.refusal;
          return { status: statusOf(r.code), error: { code: r.code, breakCode: r.breakCode, message: r.reason } };
        }
        const key = grant.publish.session.key;
        const whip = new WhipSession(pc, grant.publish, {
          maxFrameBytes: this.#d.config.maxFrameBytes,
          idleTimeoutMs: this.#d.config.idleTimeoutMs,
          keyframeIntervalMs: this.#d.config.keyframeIntervalMs,
          now: this.#d.ingest.now,
          countError: (code) => this.#d.ingest.counters.countError(code),
        });
        const s: WebrtcSession = {
          id,
          kind: 'whip',
          ip: request.clientIp,
          key,
          pc,
          onEnd: async (code, reason) => {
            if (this.#whipByKey.get(key) === whip) this.#whipByKey.delete(key);
            return whip.end(this.#dropping.has(id) ? breakCodes.dropped : whipBreakCode(code), reason);
          },
        };
        whip.start(
          () => void this.sessions.end(id, 'WEBRTC_ICE_TIMEOUT', `no RTP for ${this.#d.config.idleTimeoutMs} ms`),
        );
        let answered: Answer;
        try {
          answered = await answer(pc, this.#d.config, this.#answerContext(id, sdp, serverIp));
        } catch (err) {
          await whip.end(breakCodes.internalError, 'the answer could not be made');
          throw err;
        }
        s.ice = sessionIce(answered, iceCredentials(sdp)!);
        this.#whipByKey.set(key, whip);
        this.sessions.add(s);
        this.#d.log.info({ stream: key, session: id, clientIp: request.clientIp }, 'WHIP session answered');
        return { status: 201, sdp: answered.sdp, location: sessionPath + id, etag: s.ice?.etag };
      } catch (err) {
        await pc.close().catch(() => {});
        release();
        throw err;
      }
    });
  }

  /** A WHEP offer: a play of any live H.264 stream (RTMP, SRT or WHIP source). */
  async play(request: AdmissionRequest, sdp: string, serverIp: string): Promise<SignalReply> {
    return this.#signal(request.clientIp, async (id, release) => {
      const outcome = await this.#d.plays.play(request, { holdsMedia: true });
      if (outcome.kind === 'abandoned') throw new LiveError('STREAM_CLOSED', 'the server is shutting down');
      if (outcome.kind === 'refused') {
        const r = outcome.refusal;
        release();
        return { status: statusOf(r.code), error: { code: r.code, breakCode: r.breakCode, message: r.reason } };
      }
      const key = `${request.app}/${request.stream}`;
      // Held by another worker or node: the wait's demand starts the edge pull (stream-demand.ts).
      const demand = await awaitLiveStream(this.#d.hub, key, this.#d.playWaitMs ?? 0);
      const stream = this.#d.hub.get(key);
      if (!stream?.live) {
        demand.release();
        release();
        throw new LiveError('STREAM_NOT_FOUND', `${key} is not live`);
      }
      const header = stream.videoHeader?.message.payload;
      if (header && (header[0]! & 0x8f) !== 0x07) {
        demand.release();
        release();
        throw new LiveError('WEBRTC_CODEC_UNSUPPORTED', `${key} is not H.264 video; WHEP plays H.264 only`);
      }
      const pc = createPeer(this.#d.config, this.#mux);
      try {
        await applyOffer(pc, sdp, this.#mux);
        if (!negotiated(pc).video)
          throw new LiveError(
            'WEBRTC_CODEC_UNSUPPORTED',
            'the offer cannot receive H.264 video (packetization-mode 1)',
          );
        // werift answers a recvonly m-line of a transceiver without a local track as inactive: WHEP sends.
        for (const t of pc.getTransceivers()) t.setDirection('sendonly');
        const senders = pc.getTransceivers();
        const videoSender = senders.find((t) => t.kind === 'video')?.sender;
        const audio = senders.find((t) => t.kind === 'audio')?.sender;
        // Datagrams go out once the answer has put the session on the shared port (or werift's own).
        let send: DatagramSend = () => {};
        const video = videoSender && new VideoRtpSender(videoSender, (d) => send(d));
        let subscriber: Subscriber | undefined;
        let transcode: TranscodeViewer | undefined;
        const sink = new WhepSink({
          video,
          audio,
          mtu: this.#d.config.mtu,
          maxLagMs: this.#d.config.maxSendLagMs,
          pacer: this.#pacer,
          tally: this.#whepTally,
          onDrain: () => subscriber?.onDrain(),
          onEnd: (reason) => void this.sessions.end(id, reason?.code, reason?.message ?? 'the stream ended'),
        });
        const s: WebrtcSession = {
          id,
          kind: 'whep',
          ip: request.clientIp,
          key,
          pc,
          onEnd: async () => {
            demand.release();
            transcode?.leave();
            transcode = undefined;
            sink.dispose();
            subscriber?.close();
            subscriber = undefined;
          },
        };
        // The hub subscription starts once DTLS is up: werift drops RTP sent before, and the cached GOP must arrive.
        const connected = () => {
          if (subscriber) return;
          const live = this.#d.hub.get(key);
          const hasKeyframe = live?.gopPackets.some((p) => p.keyframe) ?? false;
          if (!hasKeyframe) this.#whipByKey.get(key)?.requestKeyframe();
          subscriber = this.#d.hub.subscribe(key, sink);
          demand.release();
          // WebRTC has no AAC: the stream's transcoder (started by its first WHEP viewer) sends Opus.
          if (audio && isAacHeader(live?.audioHeader?.message.payload))
            transcode = this.transcoders.join(key, (packet, ts) => sink.sendOpus(packet, ts));
        };
        pc.connectionStateChange.subscribe((state) => {
          if (state === 'connected') connected();
        });
        videoSender?.onPictureLossIndication.subscribe(() => this.#whipByKey.get(key)?.requestKeyframe());
        const answered = await answer(pc, this.#d.config, this.#answerContext(id, sdp, serverIp));
        send = datagramSender(pc, answered.mux);
        s.ice = sessionIce(answered, iceCredentials(sdp)!);
        this.sessions.add(s);
        if (pc.connectionState === 'connected') connected();
        return { status: 201, sdp: answered.sdp, location: sessionPath + id, etag: s.ice?.etag };
      } catch (err) {
        demand.release();
        await pc.close().catch(() => {});
        release();
        throw err;
      }
    });
  }

  /**
   * DELETE of a session URL (RFC 9725 §4.2): false when there is no such session. A session the server
   * already ended (its stream ended, ICE timed out) answers true: the client's goal holds, and a player
   * closing after the stream ended should not see an error.
   */
  async delete(id: string): Promise<boolean> {
    return (await this.sessions.end(id, undefined, 'the client sent DELETE')) || this.sessions.endedRecently(id);
  }

  /** Ends every session; later offers are refused. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.sessions.close();
    this.transcoders.close();
    await this.#mux?.close();
    await this.#tcp?.close();
  }

  async #signal(ip: string, run: (id: string, release: () => void) => Promise<SignalReply>): Promise<SignalReply> {
    let place;
    try {
      if (this.#closed) throw new LiveError('STREAM_CLOSED', 'the server is shutting down');
      place = this.sessions.reserve(ip);
    } catch (err) {
      return this.#error(err);
    }
    try {
      return await run(place.id, place.release);
    } catch (err) {
      place.release();
      return this.#error(err);
    }
  }

  #error(err: unknown): SignalReply {
    const e = toLiveError(err);
    this.#d.ingest.counters.countError(e.code);
    if (e.code === 'INTERNAL') this.#d.log.error({ err }, 'WebRTC signalling failed');
    return { status: statusOf(e.code), error: { code: e.code, message: e.message } };
  }
}

/** Bytes of a transcoding ffmpeg's stderr kept for the log (its last lines say why it stopped). */
const TRANSCODE_STDERR_BYTES = 4096;

/** HTTP status of a WHIP/WHEP refusal: a full server is 503 (RFC 9725 §4.6 lets a client retry later). */
export function statusOf(code: ErrorCode): number {
  if (code === 'WEBRTC_SESSION_LIMIT' || code === 'STREAM_CLOSED') return 503;
  // A missing, expired or wrong signature is 401 (RFC 9725 §4.5: the bearer token is the credential);
  // the other refusals (unknown domain, forbidden stream) are 403, 18/601 is 409: their kinds' statuses.
  if (authCodes.has(code)) return 401;
  return httpStatusOf(new LiveError(code, ''));
}

const authCodes = new Set<ErrorCode>([
  'TXTIME_MISSING',
  'TXTIME_INVALID',
  'TXTIME_EXPIRED',
  'TXSECRET_MISSING',
  'SIGNATURE_INVALID',
]);
