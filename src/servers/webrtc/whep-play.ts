/**
 * One WHEP offer (the WHEP draft): a play of any live H.264 stream (RTMP, SRT or WHIP source), admitted
 * through the one play admission, waited for when another worker or node holds it (stream-demand.ts), and
 * answered with a session that subscribes to the hub once ICE + DTLS are up (webrtc-server.ts signals it).
 */
import type { PlayAdmitter } from '../../control/admission-play.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import { LiveError } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import { iceCredentials } from '../../protocol/sdp/ice-candidates.ts';
import { isAacHeader, type AacOpusTranscoders, type TranscodeViewer } from './aac-opus-transcoders.ts';
import type { SendPacer } from './send-pacer.ts';
import { sessionPath, statusOf, type SignalReply } from './signal-reply.ts';
import { awaitLiveStream } from './stream-demand.ts';
import type { UdpMux } from './udp-mux.ts';
import { sessionIce } from './webrtc-patch.ts';
import { answer, applyOffer, createPeer, negotiated, type AnswerContext, type PeerOptions } from './webrtc-peer.ts';
import type { WebrtcSession, WebrtcSessions } from './webrtc-sessions.ts';
import { datagramSender, VideoRtpSender, type DatagramSend } from './video-rtp-sender.ts';
import { WhepSink } from './whep-sink.ts';

/** What a WHEP play uses of its server. */
export interface WhepPlayContext {
  readonly config: PeerOptions & { readonly mtu: number; readonly maxSendLagMs: number };
  readonly hub: Hub;
  readonly plays: PlayAdmitter;
  /** How long an offer waits for a stream that is not live here yet (`http.playWaitMs`). */
  readonly playWaitMs: number;
  readonly sessions: WebrtcSessions;
  readonly mux: UdpMux | undefined;
  readonly pacer: SendPacer;
  readonly tally: { skips: number; skippedFrames: number };
  readonly transcoders: AacOpusTranscoders;
  /** Asks the stream's WHIP publisher, if it has one here, for a keyframe. */
  requestKeyframe(key: string): void;
  answerContext(id: string, offer: string, serverIp: string): AnswerContext;
}

/** One offer's place: its session id, the release of its reservation, and the client's leaving. */
export interface WhepOffer {
  readonly id: string;
  readonly release: () => void;
  /** Aborted when the client closes the HTTP request. */
  readonly signal?: AbortSignal | undefined;
}

/** Admits, waits for and answers one WHEP offer; throws LiveError for the refusals that have a code. */
export async function playWhep(
  c: WhepPlayContext,
  request: AdmissionRequest,
  sdp: string,
  serverIp: string,
  { id, release, signal }: WhepOffer,
): Promise<SignalReply> {
  const outcome = await c.plays.play(request, { holdsMedia: true });
  if (outcome.kind === 'abandoned') throw new LiveError('STREAM_CLOSED', 'the server is shutting down');
  if (outcome.kind === 'refused') {
    const r = outcome.refusal;
    release();
    return { status: statusOf(r.code), error: { code: r.code, breakCode: r.breakCode, message: r.reason } };
  }
  const key = `${request.app}/${request.stream}`;
  // Held by another worker or node: the wait's demand starts the edge pull (stream-demand.ts).
  const demand = await awaitLiveStream(c.hub, key, c.playWaitMs, { signal });
  if (demand.aborted) {
    // Nobody reads the reply: no error is counted, the reservation and the tap are free again.
    release();
    return { status: 404, error: { code: 'STREAM_NOT_FOUND', message: 'the client left during the wait' } };
  }
  const stream = c.hub.get(key);
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
  const pc = createPeer(c.config, c.mux);
  try {
    await applyOffer(pc, sdp, c.mux);
    if (!negotiated(pc).video)
      throw new LiveError('WEBRTC_CODEC_UNSUPPORTED', 'the offer cannot receive H.264 video (packetization-mode 1)');
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
      mtu: c.config.mtu,
      maxLagMs: c.config.maxSendLagMs,
      pacer: c.pacer,
      tally: c.tally,
      onDrain: () => subscriber?.onDrain(),
      onEnd: (reason) => void c.sessions.end(id, reason?.code, reason?.message ?? 'the stream ended'),
    });
    const unsent = { unsent: 0 };
    const s: WebrtcSession = {
      id,
      kind: 'whep',
      ip: request.clientIp,
      key,
      pc,
      // Why a viewer saw nothing: what was sent, skipped or could not go out, and its DTLS and ICE state.
      stats: () => ({
        framesSent: sink.framesSent,
        framesSkipped: sink.framesSkipped,
        lagSkips: sink.skips,
        packetsSent: video?.packetsSent ?? 0,
        retransmitted: video?.retransmitted ?? 0,
        resendsHeldBack: video?.resendsHeldBack ?? 0,
        nextSeq: video?.index.seq ?? -1,
        rolloverCount: video?.index.roc ?? 0,
        framesNotReady: video?.framesNotReady ?? 0,
        datagramsWithoutPair: unsent.unsent,
        lastSentMsAgo: video?.lastSentAt ? Math.round(performance.now() - video.lastSentAt) : -1,
        queuedBytes: sink.bufferedBytes,
        subscribed: subscriber !== undefined,
        droppedMessages: subscriber?.droppedMessages ?? 0,
        dtls: pc.dtlsTransports[0]?.state ?? 'none',
        ice: pc.iceConnectionState,
      }),
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
      const live = c.hub.get(key);
      const hasKeyframe = live?.gopPackets.some((p) => p.keyframe) ?? false;
      if (!hasKeyframe) c.requestKeyframe(key);
      subscriber = c.hub.subscribe(key, sink);
      demand.release();
      // WebRTC has no AAC: the stream's transcoder (started by its first WHEP viewer) sends Opus.
      if (audio && isAacHeader(live?.audioHeader?.message.payload))
        transcode = c.transcoders.join(key, (packet, ts) => sink.sendOpus(packet, ts));
    };
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') connected();
    });
    videoSender?.onPictureLossIndication.subscribe(() => c.requestKeyframe(key));
    const answered = await answer(pc, c.config, c.answerContext(id, sdp, serverIp));
    send = datagramSender(pc, answered.mux, unsent);
    s.ice = sessionIce(answered, iceCredentials(sdp)!);
    c.sessions.add(s);
    if (pc.connectionState === 'connected') connected();
    return { status: 201, sdp: answered.sdp, location: sessionPath + id, etag: s.ice?.etag };
  } catch (err) {
    demand.release();
    await pc.close().catch(() => {});
    release();
    throw err;
  }
}
