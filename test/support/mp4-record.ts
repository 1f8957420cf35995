/**
 * How a recorder uses the MP4 muxer (Mp4Recording), for tests: media messages become a fragmented MP4
 * in memory, and the layout kept alongside turns it into a faststart MP4.
 */
import type { MediaMessage } from '../../src/protocol/media.ts';
import { Mp4Recording } from '../../src/protocol/mp4/mp4-recording.ts';
import type { Mp4Track } from '../../src/protocol/mp4/mp4-track.ts';

/** The fragmented file as written while recording and the faststart file made from it. */
export interface Recorded {
  fmp4: Buffer;
  mp4: Buffer;
  fragments: number;
  video: Mp4Track | undefined;
  audio: Mp4Track | undefined;
}

/** Records `messages` the way the recorder does, all in memory. */
export function recordMp4(messages: readonly MediaMessage[]): Recorded {
  const rec = new Mp4Recording();
  const out: Buffer[] = [];
  let fragments = 0;
  const append = (bufs: Buffer[]): void => {
    if (bufs.length > 1) fragments++;
    out.push(...bufs);
  };
  for (const msg of messages) append(rec.push(msg));
  append(rec.flush());
  const fmp4 = Buffer.concat(out);
  if (fmp4.length !== rec.bytesWritten) throw new Error(`bytesWritten ${rec.bytesWritten}, appended ${fmp4.length}`);
  const layout = rec.finalize()!;
  const mp4 = Buffer.concat([layout.header, ...layout.copies.map((c) => fmp4.subarray(c.offset, c.offset + c.size))]);
  if (mp4.length !== layout.size) throw new Error(`layout says ${layout.size} bytes, got ${mp4.length}`);
  const video = rec.tracks.find((t) => t.kind === 'video');
  const audio = rec.tracks.find((t) => t.kind === 'audio');
  return { fmp4, mp4, fragments, video, audio };
}
