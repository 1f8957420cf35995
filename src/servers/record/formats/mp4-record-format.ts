/**
 * MP4 recordings (Tencent `Mp4Param`) from protocol/mp4's Mp4Recording: while the file is written it is a
 * fragmented MP4 (an init segment, then a moof/mdat at each keyframe), so a kill -9 leaves a file players
 * read up to its last whole fragment; when it ends (interval split, publisher gone, task stopped) it is
 * rewritten in place as a faststart progressive MP4 (ftyp, moov, one mdat) whose payloads are copied from the
 * fragments it was, never held in memory (docs/mp4.md "Recording").
 */
import { ProtocolError } from '../../../errors.ts';
import type { MediaMessage } from '../../../protocol/media.ts';
import { Mp4Recording } from '../../../protocol/mp4/mp4-recording.ts';
import type { RecordFormat, RecordFormatInit, RecordFormatWriter, RecordWrite } from './record-format.ts';

class Mp4Writer implements RecordFormatWriter {
  readonly mainName: string;
  readonly #mp4 = new Mp4Recording();
  /** Messages the muxer refused (a bad configuration record): not recorded, the file goes on. */
  refused = 0;

  constructor(init: RecordFormatInit) {
    this.mainName = `${init.base}.mp4`;
  }

  push(msg: MediaMessage): RecordWrite[] {
    let out: Buffer[];
    try {
      out = this.#mp4.push(msg);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.refused++;
      return [];
    }
    return out.map((data) => ({ op: 'append', name: this.mainName, data }));
  }

  finish(): RecordWrite[] {
    const out: RecordWrite[] = this.#mp4.flush().map((data) => ({ op: 'append', name: this.mainName, data }));
    const layout = this.#mp4.finalize();
    // Without a sample the file is at most an init segment: left as it is (nothing to lay out).
    if (out.length === 0 && !layout) return [{ op: 'close', name: this.mainName }];
    out.push({ op: 'close', name: this.mainName });
    if (layout) out.push({ op: 'rewrite', name: this.mainName, data: layout.header, copies: layout.copies });
    return out;
  }
}

/** The MP4 format: fragmented while writing, faststart progressive once finished. */
export const mp4RecordFormat: RecordFormat = {
  name: 'mp4',
  contentType: 'video/mp4',
  audioOnly: false,
  create: (init) => new Mp4Writer(init),
};
