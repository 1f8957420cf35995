/**
 * How a recorder uses the MP4 muxer, for tests: media messages become a fragmented MP4 (init, then a
 * fragment at each video keyframe), and the sample table kept alongside turns it into a faststart MP4.
 */
import type { MediaMessage } from '../../src/protocol/media.ts';
import { FlvMp4Muxer } from '../../src/protocol/mp4/flv-mp4-muxer.ts';
import { Fmp4Muxer, fragmentBytes } from '../../src/protocol/mp4/fmp4-muxer.ts';
import { ProgressiveMp4Writer } from '../../src/protocol/mp4/progressive-mp4-writer.ts';

/** The fragmented file as written while recording and the faststart file made from it. */
export interface Recorded {
  fmp4: Buffer;
  mp4: Buffer;
  fragments: number;
  source: FlvMp4Muxer;
}

/** Records `messages` the way the recorder does, all in memory. */
export function recordMp4(messages: readonly MediaMessage[]): Recorded {
  const source = new FlvMp4Muxer();
  let muxer: Fmp4Muxer | undefined;
  let writer: ProgressiveMp4Writer | undefined;
  const out: Buffer[] = [];
  let position = 0;
  let fragments = 0;
  const flush = (final: boolean): void => {
    const runs = source.take(final);
    if (runs.length === 0) return;
    if (!muxer || !writer) {
      muxer = new Fmp4Muxer(source.tracks);
      writer = new ProgressiveMp4Writer(source.tracks);
      const init = muxer.init();
      out.push(init);
      position += init.length;
    }
    const fragment = muxer.fragment(runs);
    writer.addFragment(fragment, position);
    const bytes = fragmentBytes(fragment);
    out.push(bytes);
    position += bytes.length;
    fragments++;
  };
  for (const msg of messages) {
    const pushed = source.push(msg);
    if (pushed?.keyframe && (pushed.track === 'video' || !source.video)) flush(false);
  }
  flush(true);
  const fmp4 = Buffer.concat(out);
  const layout = writer!.finalize();
  const mp4 = Buffer.concat([layout.header, ...layout.copies.map((c) => fmp4.subarray(c.offset, c.offset + c.size))]);
  if (mp4.length !== layout.size) throw new Error(`layout says ${layout.size} bytes, got ${mp4.length}`);
  return { fmp4, mp4, fragments, source };
}
