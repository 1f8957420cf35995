/**
 * One accepted publish, whatever the ingest protocol: it holds the hub claim, feeds the stream,
 * measures push quality, writes the session record and ends exactly once with a break code.
 */
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';
import type { PublishRecords } from '../../control/publish-records.ts';
import type { LivePublisherInfo } from '../../control/stream-policy.ts';
import { describeMediaMessage, type AudioInfo, type VideoInfo } from '../../protocol/codec/media-info.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { toLiveError } from '../../errors.ts';
import { breakCodes } from '../../control/break-codes.ts';
import type { Log } from '../../log.ts';
import { PushQuality } from './push-quality.ts';

/** Who publishes what, after the access decision. */
export interface PublishSessionInit {
  readonly hub: Hub;
  readonly records: PublishRecords | undefined;
  readonly log: Log;
  readonly now: () => number;
  readonly stream: Stream;
  readonly publisherId: string;
  readonly domain: string;
  readonly app: string;
  readonly name: string;
  readonly clientIp: string;
  /** Closes the publisher's connection; called when the session is ended from outside (drop, forbid, replace). */
  readonly disconnect: () => void;
  /** The push URL's query as the encoder sent it (callbacks' stream_param). */
  readonly query?: string;
  /** The local address the encoder connected to (callbacks' node). */
  readonly serverIp?: string;
  /** Told of the start, every message and the end (event callbacks); the session never waits for it. */
  readonly listener?: PublishListener | undefined;
}

/** What a listener learns when a publish is accepted. */
export interface PublishStart {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly clientIp: string;
  readonly serverIp: string;
  readonly query: string;
  readonly startedAt: number;
}

/** How a publish ended: its break code and sentence, and the picture size its last header declared. */
export interface PublishStop {
  readonly breakCode: string;
  readonly reason: string;
  readonly endedAt: number;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

/** Follows one publish. Called on the ingest path: each call must be O(1), must not throw and must not block. */
export interface PublishObserver {
  /** Every message, after the session learned its codec; `video` is what the last video header declared. */
  onMedia(message: MediaMessage, now: number, video: VideoInfo | undefined): void;
  /** The encoder set its chunk size (RTMP Set Chunk Size; push error type 5 over 8192); RTMP ingest only. */
  onChunkSize?(size: number, now: number): void;
  onEnd(stop: PublishStop): void;
}

/** Observes publishes (event callbacks) without the session knowing who listens. */
export interface PublishListener {
  /** A publish was accepted; the observer follows it, or undefined to ignore it. */
  onPublish(start: PublishStart): PublishObserver | undefined;
}

/** A live publish session from claim to end. */
export class PublishSession {
  readonly startedAt: number;
  lastMediaAt: number;
  bytesIn = 0;
  private readonly init: PublishSessionInit;
  private readonly quality: PushQuality;
  private video: VideoInfo | undefined;
  private audio: AudioInfo | undefined;
  private readonly recordId: Promise<number | undefined>;
  private readonly observer: PublishObserver | undefined;
  private ended = false;

  constructor(init: PublishSessionInit) {
    this.init = init;
    this.startedAt = init.now();
    this.lastMediaAt = this.startedAt;
    this.quality = new PushQuality(this.startedAt);
    const { records, domain, app, name, clientIp } = init;
    // The record is written in the background: the encoder hears Publish.Start without waiting on disk.
    this.recordId = records
      ? records.recordStart({ domain, app, stream: name, clientIp }).catch((err: unknown) => {
          init.log.error({ err: toLiveError(err).message }, 'could not record the publish start');
          return undefined;
        })
      : Promise.resolve(undefined);
    const start = {
      domain,
      app,
      stream: name,
      clientIp,
      serverIp: init.serverIp ?? '',
      query: init.query ?? '',
      startedAt: this.startedAt,
    };
    this.observer = init.listener?.onPublish(start);
  }

  /** The hub key, `app/name`. */
  get key(): string {
    return this.init.stream.key;
  }

  /** Feeds one message from the encoder to the hub. */
  onMedia(message: MediaMessage): void {
    const now = this.init.now();
    this.lastMediaAt = now;
    this.bytesIn += message.payload.length;
    this.quality.add(message, now);
    if (message.sequenceHeader) this.learnCodec(message);
    this.init.stream.publish(message);
    this.observer?.onMedia(message, now, this.video);
  }

  /** The encoder's chunk size, when its protocol has one: on every change, and once at the start if it set one before. */
  onChunkSize(size: number): void {
    this.observer?.onChunkSize?.(size, this.init.now());
  }

  private learnCodec(message: MediaMessage): void {
    try {
      const info = describeMediaMessage(message);
      if (!info) return;
      if (info.kind === 'video') this.video = info;
      else this.audio = info;
      this.init.stream.setCodecInfo(info);
    } catch (err) {
      // A config we cannot parse still plays through: players' decoders may know better.
      this.init.log.warn({ code: toLiveError(err).code, err: (err as Error).message }, 'unparsable codec config');
    }
  }

  /** What the API lists for this publisher. */
  info(): LivePublisherInfo {
    const rates = this.quality.rates(this.init.now());
    const { app, name, domain, clientIp } = this.init;
    return {
      app,
      stream: name,
      domain,
      clientIp,
      startedAt: this.startedAt,
      bytesIn: this.bytesIn,
      ...(this.video && { videoCodec: describeVideo(this.video) }),
      ...(this.audio && { audioCodec: describeAudio(this.audio) }),
      ...(this.video?.width !== undefined && { width: this.video.width, height: this.video.height ?? 0 }),
      fps: rates.fps,
      videoBitrate: rates.videoBitrate,
      audioBitrate: rates.audioBitrate,
    };
  }

  /** Ends from outside (drop, forbid, replace): records why, then closes the publisher's connection. */
  kick(breakCode: string, reason: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    const recorded = this.end(breakCode, reason);
    this.init.disconnect();
    return recorded;
  }

  /**
   * Ends once: the hub tells the players, the stream is claimable again, the record gets its end.
   * Resolves when the record is written (never rejects: a failed write is logged).
   */
  end(breakCode: string, reason: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    const { hub, stream, publisherId, records, log } = this.init;
    hub.release(stream, publisherId, { grace: keepsPlayers(breakCode) });
    log.info({ stream: this.key, breakCode, reason, bytesIn: this.bytesIn }, 'publish ended');
    try {
      this.observer?.onEnd({
        breakCode,
        reason,
        endedAt: this.init.now(),
        width: this.video?.width,
        height: this.video?.height,
      });
    } catch (err) {
      // An observer must not throw; if it does, the record still gets its end and the caller (a socket
      // event, the sweep timer) never sees it.
      log.error({ code: toLiveError(err).code, err: toLiveError(err).message }, 'publish observer failed at the end');
    }
    if (!records) return Promise.resolve();
    const end = {
      breakCode,
      reason,
      bytesIn: this.bytesIn,
      width: this.video?.width,
      height: this.video?.height,
      videoCodec: this.video && describeVideo(this.video),
      audioCodec: this.audio && describeAudio(this.audio),
    };
    return this.recordId
      .then((id) => (id === undefined ? false : records.recordEnd(id, end)))
      .then(
        () => undefined,
        (err: unknown) => log.error({ err: toLiveError(err).message }, 'could not record the publish end'),
      );
  }
}

/**
 * Whether the players wait for the encoder to return (fanout.reconnectGraceMs, docs/cluster.md): yes
 * when the encoder left (stopped, network, no data, a protocol error) or a newcomer replaced it (the
 * hand-over is seamless); no when the operator dropped or forbade the stream or the server stops.
 */
function keepsPlayers(breakCode: string): boolean {
  return (
    breakCode !== breakCodes.dropped && breakCode !== breakCodes.forbidden && breakCode !== breakCodes.serverStopped
  );
}

/** 'H264 High 3.1' */
function describeVideo(v: VideoInfo): string {
  return [v.codec, v.profile, v.level].filter((x) => x !== undefined && x !== '').join(' ');
}

/** 'AAC LC 44100 Hz 2 ch' */
function describeAudio(a: AudioInfo): string {
  const parts: Array<string | number | undefined> = [a.codec, a.profile];
  if (a.sampleRate) parts.push(`${a.sampleRate} Hz`);
  if (a.channels) parts.push(`${a.channels} ch`);
  return parts.filter((x) => x !== undefined && x !== '').join(' ');
}
