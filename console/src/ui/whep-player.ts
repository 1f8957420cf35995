/**
 * The WHEP side of the preview: a receive-only RTCPeerConnection whose offer is POSTed to the stream's
 * `/whep` URL (docs/webrtc.md), the answer applied, the tracks played in the `<video>`; DELETE of the
 * session's `Location` when the preview closes. Its latency figure comes from `getStats()` (see
 * `latencyOf`). A failure before the first decoded frame is reported to `onFail` so the caller can fall
 * back to HTTP-FLV.
 */

/** What the preview shows of a WHEP session, sampled once a second from getStats(). */
export interface WhepSample {
  readonly framesDecoded: number;
  readonly width: number;
  readonly height: number;
  readonly codec: string;
  readonly latency: WhepLatency | undefined;
}

/** The receive-side latency: half the round trip, the jitter buffer's wait and the decode, in ms. */
export interface WhepLatency {
  readonly totalMs: number;
  readonly networkMs: number;
  readonly jitterBufferMs: number;
  readonly decodeMs: number;
  readonly rttMs: number;
}

/** Callbacks of a WHEP session. */
export interface WhepEvents {
  /** Every second while connected. */
  sample(s: WhepSample): void;
  /** Before any frame was decoded: the caller may fall back. `reason` is shown to the user. */
  fail(reason: string): void;
  /** After frames were decoded, the connection ended (the stream ended or the server dropped it). */
  ended(): void;
}

/** A running WHEP session; `close()` sends DELETE and closes the peer connection. Idempotent. */
export interface WhepPlayback {
  close(): void;
}

/** Whether this browser has WebRTC at all (some locked-down or embedded browsers do not). */
export function canPlayWhep(): boolean {
  return typeof RTCPeerConnection === 'function';
}

/** No decoded frame this long after the offer: fall back (e.g. UDP blocked between browser and server). */
const firstFrameTimeoutMs = 8_000;
/** Non-trickle (the server answers with every candidate, and PATCH is 405): wait for gathering, at most this. */
const gatheringTimeoutMs = 3_000;

/** Starts playing `url` (a WHEP endpoint) into `video`. */
export function playWhep(video: HTMLVideoElement, url: string, events: WhepEvents): WhepPlayback {
  const pc = new RTCPeerConnection();
  let sessionUrl: string | undefined;
  let closed = false;
  let playing = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const prev: Counters = { at: 0, jitterDelay: 0, emitted: 0, decodeTime: 0, decoded: 0 };

  const stop = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    clearTimeout(firstFrame);
    // keepalive: the DELETE still goes out when the preview closes because the page is being left.
    if (sessionUrl) void fetch(sessionUrl, { method: 'DELETE', keepalive: true }).catch(() => undefined);
    pc.close();
    video.srcObject = null;
  };
  const fail = (reason: string): void => {
    if (closed) return;
    stop();
    if (playing) events.ended();
    else events.fail(reason);
  };
  const firstFrame = setTimeout(
    () => fail(`no video frame within ${firstFrameTimeoutMs / 1000} s`),
    firstFrameTimeoutMs,
  );

  const media = new MediaStream();
  pc.ontrack = (ev) => {
    media.addTrack(ev.track);
    if (video.srcObject !== media) video.srcObject = media;
    void video.play().catch(() => undefined);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') fail('the WebRTC connection failed');
  };
  pc.addTransceiver('video', { direction: 'recvonly' });
  // Opus from WHIP and SRT sources; an RTMP source's AAC is not sent over WebRTC (docs/webrtc.md).
  pc.addTransceiver('audio', { direction: 'recvonly' });

  const poll = async (): Promise<void> => {
    const s = sampleOf(await pc.getStats(), prev);
    if (closed) return;
    if (s.framesDecoded > 0 && !playing) {
      playing = true;
      clearTimeout(firstFrame);
    }
    if (playing) events.sample(s);
  };

  void (async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    });
    const body = await res.text();
    if (res.status !== 201) return fail(`WHEP answered ${res.status} ${refusalOf(body)}`);
    const location = res.headers.get('location');
    // The Location is relative to the WHEP URL (another origin than the console's: the public HTTP port).
    if (location) sessionUrl = new URL(location, url).href;
    if (closed) return stop();
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    timer = setInterval(() => void poll().catch(() => undefined), 1000);
  })().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

  return { close: stop };
}

/** The code of a refusal body (`{"code":…,"breakCode":…}`), or its first characters. */
function refusalOf(body: string): string {
  try {
    const j = JSON.parse(body) as { code?: string; breakCode?: string };
    return [j.code, j.breakCode].filter(Boolean).join(' ');
  } catch {
    return body.slice(0, 80);
  }
}

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, gatheringTimeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(t);
      resolve();
    });
  });
}

/** The cumulative getStats() counters of the last sample (start with zeros). */
export interface Counters {
  at: number;
  jitterDelay: number;
  emitted: number;
  decodeTime: number;
  decoded: number;
}

/**
 * The figures of one getStats() report; `prev` holds the cumulative counters of the last one so the
 * latency is that of the last second, not the average since the start.
 *
 * Latency shown = RTT/2 (the selected candidate pair's currentRoundTripTime: the server-to-browser transit)
 * + jitterBufferDelay/jitterBufferEmittedCount (how long a frame waited from its first packet's arrival
 * until it went to the decoder) + totalDecodeTime/framesDecoded. That is the time from the server sending a
 * frame to the browser having it decoded; the publisher's encoder and upload come on top and are not
 * visible to a player (bench/whep.ts measures glass to glass).
 */
export function sampleOf(report: RTCStatsReport, prev: Counters): WhepSample {
  let video: Record<string, number | string | undefined> | undefined;
  let pairId: string | undefined;
  const pairs: Record<string, number | string | boolean | undefined>[] = [];
  const mimeTypes = new Map<string, string>();
  report.forEach((s: Record<string, number | string | boolean | undefined>) => {
    if (s.type === 'codec' && typeof s.id === 'string') mimeTypes.set(s.id, String(s.mimeType ?? ''));
    if (s.type === 'inbound-rtp' && s.kind === 'video') video = s as Record<string, number | string | undefined>;
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
    if (s.type === 'candidate-pair') pairs.push(s);
  });
  const pair = pairs.find((p) => p.id === pairId) ?? pairs.find((p) => p.nominated && p.state === 'succeeded');
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const codecId = video?.codecId;
  const codec = typeof codecId === 'string' ? (mimeTypes.get(codecId) ?? '').replace('video/', '') : '';
  const now: Counters = {
    at: num(video?.timestamp),
    jitterDelay: num(video?.jitterBufferDelay),
    emitted: num(video?.jitterBufferEmittedCount),
    decodeTime: num(video?.totalDecodeTime),
    decoded: num(video?.framesDecoded),
  };
  const emitted = now.emitted - prev.emitted;
  const decoded = now.decoded - prev.decoded;
  const rttMs = num(pair?.currentRoundTripTime) * 1000;
  let latency: WhepLatency | undefined;
  if (emitted > 0 && decoded > 0) {
    const jitterBufferMs = ((now.jitterDelay - prev.jitterDelay) / emitted) * 1000;
    const decodeMs = ((now.decodeTime - prev.decodeTime) / decoded) * 1000;
    const networkMs = rttMs / 2;
    latency = { totalMs: networkMs + jitterBufferMs + decodeMs, networkMs, jitterBufferMs, decodeMs, rttMs };
  }
  Object.assign(prev, now);
  return {
    framesDecoded: now.decoded,
    width: num(video?.frameWidth),
    height: num(video?.frameHeight),
    codec,
    latency,
  };
}
