/**
 * Keeps one stream's timestamps rising across a publisher's return within the reconnect grace. A
 * returning encoder starts again at 0; players that stayed connected would see time jump back,
 * which ffmpeg/ffplay (non-monotonic DTS), flv.js/mpegts.js and MSE buffers do not survive. So the
 * new publisher's timestamps get one offset per stream that puts its first message just after the
 * last one sent (one frame interval later), and keeps it for the rest of that publish.
 */
import { MediaType, type MediaMessage } from '../protocol/media.ts';

// A frame interval longer than this is a gap in the source, not a frame rate to continue with.
const maxStepMs = 1000;
const twoTo32 = 0x1_0000_0000;

/** One stream's timeline: what was sent last, and the offset applied to a returned publisher. */
export class StreamTimeline {
  #maxTs = -1;
  #lastVideo = -1;
  #videoStep = 0;
  #lastAudio = -1;
  #audioStep = 0;
  #offset = 0;
  #pending = false;
  /** True once a publisher returned within the grace: its messages go through `rebase()`. */
  rebasing = false;

  /** Notes one message as it goes to players (after any rebase). O(1), no allocation. */
  note(msg: MediaMessage): void {
    const ts = msg.timestamp;
    if (ts > this.#maxTs) this.#maxTs = ts;
    if (msg.sequenceHeader || msg.type === MediaType.Data) return;
    if (msg.type === MediaType.Video) {
      const step = ts - this.#lastVideo;
      if (this.#lastVideo >= 0 && step > 0 && step <= maxStepMs) this.#videoStep = step;
      this.#lastVideo = ts;
    } else {
      const step = ts - this.#lastAudio;
      if (this.#lastAudio >= 0 && step > 0 && step <= maxStepMs) this.#audioStep = step;
      this.#lastAudio = ts;
    }
  }

  /** A publisher returned within the grace: its first message sets the offset. */
  resume(): void {
    if (this.#maxTs < 0) return;
    this.#pending = true;
    this.rebasing = true;
  }

  /**
   * The message on the continued timeline. The first one after `resume()` lands one frame interval
   * (the longer of the audio and video ones seen, at least 1 ms) after the last timestamp sent, so
   * every track stays strictly increasing and the last old audio frame is not overlapped.
   */
  rebase(msg: MediaMessage): MediaMessage {
    // Script data (onMetaData) keeps its own time, 0 from every encoder: ffmpeg's FLV demuxer reads a
    // script tag at any other time as a data packet and shows players an extra `text` stream.
    if (msg.type === MediaType.Data) return msg;
    if (this.#pending) {
      this.#pending = false;
      const step = Math.max(1, this.#videoStep, this.#audioStep);
      this.#offset = this.#maxTs + step - msg.timestamp;
      this.#lastVideo = this.#lastAudio = -1;
    }
    if (this.#offset === 0) return msg;
    let ts = msg.timestamp + this.#offset;
    // RTMP and FLV timestamps are 32 bits and wrap (RTMP 1.0 §5.3.1.3); a message from before the
    // first one (audio a few ms ahead of video) is clamped at 0 rather than made negative.
    if (ts < 0) ts = 0;
    else if (ts >= twoTo32) ts -= twoTo32;
    return { ...msg, timestamp: ts };
  }

  /** The stream ended for its players: the next publisher starts a fresh timeline. */
  reset(): void {
    this.#maxTs = this.#lastVideo = this.#lastAudio = -1;
    this.#videoStep = this.#audioStep = this.#offset = 0;
    this.#pending = this.rebasing = false;
  }
}
