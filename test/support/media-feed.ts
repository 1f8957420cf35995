/** Real H.264/AAC media from an ffmpeg-made FLV fixture, fed to a publisher in real time and looped. */
import { FlvDemuxer } from '../../src/protocol/flv/flv-demuxer.ts';
import { mediaMessage, type MediaMessage } from '../../src/protocol/media.ts';
import { fixture } from '../fixtures/fixture.ts';

/** The fixture's tags in order: onMetaData, the sequence headers, then about a second of frames. */
export function fixtureMedia(): MediaMessage[] {
  return new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'));
}

/** Sends media as a live encoder would: headers once, then frames paced by their timestamps, looping. */
export class MediaFeed {
  private readonly headers: MediaMessage[];
  private readonly frames: MediaMessage[];
  private readonly loopMs: number;
  private readonly send: (msg: MediaMessage) => void;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private next = 0;
  /** Messages sent so far. */
  sent = 0;

  /** `send` gets each message; it must not throw once the connection is gone (tests stop the feed first). */
  constructor(send: (msg: MediaMessage) => void) {
    const all = fixtureMedia();
    this.headers = all.filter((m) => m.type === 18 || m.sequenceHeader);
    // ffmpeg ends the file with an AVC end-of-sequence tag (AVCPacketType 2), which must not go out mid-stream.
    const endOfSequence = (m: MediaMessage): boolean => m.type === 9 && m.payload[1] === 2;
    this.frames = all.filter((m) => !(m.type === 18 || m.sequenceHeader || endOfSequence(m)));
    this.loopMs = Math.max(...this.frames.map((m) => m.timestamp)) + 40;
    this.send = send;
  }

  /** Sends the headers and starts the frames; the first frame is the fixture's first keyframe. */
  start(): this {
    for (const m of this.headers) this.emit(m);
    this.startedAt = Date.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), 20);
    return this;
  }

  /** Stops sending (idempotent). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const elapsed = Date.now() - this.startedAt;
    for (;;) {
      const loop = Math.floor(this.next / this.frames.length);
      const frame = this.frames[this.next % this.frames.length]!;
      const at = loop * this.loopMs + frame.timestamp;
      if (at > elapsed) return;
      this.emit(mediaMessage(frame.type, at, frame.payload));
      this.next++;
    }
  }

  private emit(msg: MediaMessage): void {
    this.send(msg);
    this.sent++;
  }
}
