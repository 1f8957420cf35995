/**
 * FLV/RTMP media messages to MP4 samples: configures a video track (id 1) and an audio track (id 2)
 * from sequence headers and turns frames into samples on one unwrapped timeline, each sample's duration
 * being the step to the next sample of its track. Pure; the HLS fMP4 segmenter and the recorder feed
 * it and hand what `take()` returns to Fmp4Muxer / ProgressiveMp4Writer.
 */
import { ProtocolError } from '../../errors.ts';
import type { MediaMessage } from '../media.ts';
import { TimestampUnwrapper } from '../mpegts/timestamp-unwrapper.ts';
import { readFlvForMp4 } from './flv-mp4-input.ts';
import type { Mp4Sample, Mp4TrackRun } from './fmp4-muxer.ts';
import { mp4AudioTrack, mp4VideoTrack, type Mp4Track } from './mp4-track.ts';

/** Track ids the muxer gives: video first, as ffmpeg's mov muxer orders them. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

/** What one pushed frame became: enough for a segmenter to decide where to cut. */
export interface PushedSample {
  readonly track: 'video' | 'audio';
  /** Milliseconds of the muxer's timeline: the publisher's, unwrapped, shifted past backward jumps. */
  readonly dtsMs: number;
  readonly ptsMs: number;
  readonly keyframe: boolean;
  readonly size: number;
}

/** A sample whose duration is not known until the next one of its track arrives. */
interface Pending {
  readonly dts: number;
  readonly cts: number;
  readonly keyframe: boolean;
  readonly data: Buffer;
}

/** Per-track state. */
interface Lane {
  track: Mp4Track;
  pending: Pending | undefined;
  done: Mp4Sample[];
  lastDuration: number;
  /** Milliseconds of its newest sample on the muxer's (shifted) timeline. */
  lastMs: number;
}

/** A step back further than this inside a track is a timeline jump (an encoder restarted without unpublishing). */
const MAX_BACKWARD_MS = 1000;

/** Turns one publisher's media messages into MP4 tracks and samples; one per publish. */
export class FlvMp4Muxer {
  #video: Lane | undefined;
  #audio: Lane | undefined;
  #generation = 0;
  readonly #clock = new TimestampUnwrapper();
  /** Added to every timestamp after a backward jump, so decode times keep growing (MP4 durations are unsigned). */
  #shiftMs = 0;

  /** The configured tracks, video first. */
  get tracks(): Mp4Track[] {
    const out: Mp4Track[] = [];
    if (this.#video) out.push(this.#video.track);
    if (this.#audio) out.push(this.#audio.track);
    return out;
  }

  /** The video track, once a sequence header configured it. */
  get video(): Mp4Track | undefined {
    return this.#video?.track;
  }

  /** The audio track, once a sequence header configured it. */
  get audio(): Mp4Track | undefined {
    return this.#audio?.track;
  }

  /** Grows each time the track set or a configuration changes: an init segment made before is stale. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Feeds one message. A sequence header configures (or, when its bytes differ, reconfigures) its track
   * and returns undefined; a frame of a configured track becomes a sample and returns what it was.
   * Data, other codecs and frames before their configuration return undefined. Throws ProtocolError
   * CODEC_CONFIG_INVALID for a configuration that does not parse, MP4_MUX_INPUT for a truncated header;
   * the muxer stays usable either way.
   */
  push(msg: MediaMessage): PushedSample | undefined {
    const p = readFlvForMp4(msg);
    if (p === undefined) return undefined;
    const ms = this.#clock.unwrap(msg.timestamp);
    if (p.kind === 'config') {
      const lane = p.track === 'video' ? this.#video : this.#audio;
      if (lane && lane.track.codec === p.codec && lane.track.config.equals(p.config)) return undefined; // a repeat
      const track =
        p.track === 'video'
          ? mp4VideoTrack(VIDEO_TRACK_ID, p.codec, p.config)
          : mp4AudioTrack(AUDIO_TRACK_ID, p.codec, p.config);
      if (lane) lane.track = track;
      else if (p.track === 'video')
        this.#video = { track, pending: undefined, done: [], lastDuration: 0, lastMs: -Infinity };
      else this.#audio = { track, pending: undefined, done: [], lastDuration: 0, lastMs: -Infinity };
      this.#generation++;
      return undefined;
    }
    const lane = p.track === 'video' ? this.#video : this.#audio;
    if (!lane || lane.track.codec !== p.codec || p.data.length === 0) return undefined;
    const scale = lane.track.timescale;
    let t = ms + this.#shiftMs;
    if (t < lane.lastMs - MAX_BACKWARD_MS) {
      // The timeline jumped back: shift it so this sample follows the newest one by one step.
      const stepMs = Math.max(1, Math.round((lane.lastDuration * 1000) / scale));
      this.#shiftMs += lane.lastMs + stepMs - t;
      t = lane.lastMs + stepMs;
    }
    lane.lastMs = Math.max(lane.lastMs, t);
    // Decode times never step back inside a track (MP4 sample durations are unsigned).
    const prev = lane.pending?.dts ?? -Infinity;
    const dts = Math.max(0, prev, Math.round((t * scale) / 1000));
    const ctsMs = p.track === 'video' ? p.ctsMs : 0;
    const keyframe = p.track === 'audio' || p.keyframe;
    this.#settle(lane, dts);
    lane.pending = { dts, cts: Math.round((ctsMs * scale) / 1000), keyframe, data: p.data };
    return { track: p.track, dtsMs: t, ptsMs: t + ctsMs, keyframe, size: p.data.length };
  }

  /**
   * Takes the samples whose durations are known, per track (video first, empty runs left out). With
   * `final` the last sample of each track is taken too, lasting as long as the one before it.
   */
  take(final = false): Mp4TrackRun[] {
    const runs: Mp4TrackRun[] = [];
    for (const lane of [this.#video, this.#audio]) {
      if (!lane) continue;
      if (final && lane.pending) {
        const fallback =
          lane.track.kind === 'video' ? lane.track.timescale / 25 : lane.track.codec === 'aac' ? 1024 : 960;
        this.#settle(lane, lane.pending.dts + (lane.lastDuration || fallback));
        lane.pending = undefined;
      }
      if (lane.done.length > 0) runs.push({ trackId: lane.track.id, samples: lane.done });
      lane.done = [];
    }
    return runs;
  }

  /** Drops every sample not yet taken except each track's newest one (a segment starts over at it). */
  discardTaken(): void {
    for (const lane of [this.#video, this.#audio]) if (lane) lane.done = [];
  }

  #settle(lane: Lane, nextDts: number): void {
    const p = lane.pending;
    if (!p) return;
    const duration = nextDts - p.dts;
    if (duration > 0xffffffff) throw new ProtocolError('MP4_MUX_INPUT', `a ${duration}-tick sample is too long`);
    lane.lastDuration = duration || lane.lastDuration;
    lane.done.push({ dts: p.dts, duration, cts: p.cts, keyframe: p.keyframe, data: p.data });
  }
}
