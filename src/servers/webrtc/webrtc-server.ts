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
import { LiveError, toLiveError } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Log } from '../../log.ts';
import { admitDemuxedPublish, type DemuxedIngestDeps } from '../ingest/demuxed-publish.ts';
import { AacOpusTranscoders } from './aac-opus-transcoders.ts';
import { iceCredentials } from '../../protocol/sdp/ice-candidates.ts';
import { tcpMuxOf, type TcpMux, type TcpMuxConfig } from './tcp-mux.ts';
import { UdpMux } from './udp-mux.ts';
import { sessionIce } from './webrtc-patch.ts';
import { answer, applyOffer, createPeer, negotiated, type Answer, type PeerOptions } from './webrtc-peer.ts';
import { WebrtcSessions, type SessionLimits, type WebrtcSession } from './webrtc-sessions.ts';
import { SendPacer } from './send-pacer.ts';
import type { WhepSendStats } from './webrtc-metrics.ts';
import { sessionPath, statusOf, type SignalReply } from './signal-reply.ts';
import { playWhep, type WhepPlayContext } from './whep-play.ts';
import { WhipSession, whipBreakCode } from './whip-session.ts';

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
  readonly #whep: WhepPlayContext;
  #closed = false;

  constructor(d: WebrtcServerDeps) {
    this.#d = d;
    this.sessions = new WebrtcSessions({ ...d.config, trustedNetworks: d.trustedNetworks });
    // A session the server ends (timeouts, a stalled viewer) is counted by its code and logged with its id.
    this.sessions.onEnded = (s, code, reason, stats) => {
      if (code) d.ingest.counters.countError(code);
      d.log.info(
        { session: s.id, kind: s.kind, stream: s.key, clientIp: s.ip, code, reason, ...stats },
        'WebRTC session ended',
      );
    };
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
    this.#whep = {
      config: c,
      hub: d.hub,
      plays: d.plays,
      playWaitMs: d.playWaitMs ?? 0,
      sessions: this.sessions,
      mux: this.#mux,
      pacer: this.#pacer,
      tally: this.#whepTally,
      transcoders: this.transcoders,
      requestKeyframe: (key) => this.#whipByKey.get(key)?.requestKeyframe(),
      answerContext: (id, offer, serverIp) => this.#answerContext(id, offer, serverIp),
    };
  }

  /** The single UDP port (after start), 0 with one port per session. */
  get port(): number {
    return this.#mux?.port ?? 0;
  }

  /** The local addresses the single port is bound on (one socket each), [] with one port per session. */
  get localAddresses(): string[] {
    return this.#mux?.localAddresses ?? [];
  }

  /** WHEP sending: lag skips so far and viewers waiting for the pacer now (webrtc-metrics.ts). */
  whepSendStats(): WhepSendStats {
    return { ...this.#whepTally, queuedViewers: this.#pacer.pending };
  }

  /** Sessions registered on the single port (each leaves when its peer connection closes). */
  get muxSessions(): number {
    return this.#mux?.sessions ?? 0;
  }

  /** ICE-TCP connections open now, bound to a session or not yet (0 without ICE-TCP). */
  get tcpConnections(): number {
    return this.#tcp?.connections ?? 0;
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

  /** A WHEP offer (whep-play.ts); `signal` aborts when the client closes the request (it stops a wait). */
  async play(request: AdmissionRequest, sdp: string, serverIp: string, signal?: AbortSignal): Promise<SignalReply> {
    return this.#signal(request.clientIp, (id, release) =>
      playWhep(this.#whep, request, sdp, serverIp, { id, release, signal }),
    );
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
