/** FLV recordings: the FLV header, then every message as the FLV tag HTTP-FLV players get (protocol/flv). */
import type { MediaMessage } from '../../../protocol/media.ts';
import { encodeFlvHeader } from '../../../protocol/flv/flv-header.ts';
import { encodeFlvTag } from '../../../protocol/flv/flv-tag.ts';
import type { RecordFormat, RecordFormatInit, RecordFormatWriter, RecordWrite } from './record-format.ts';

class FlvWriter implements RecordFormatWriter {
  readonly mainName: string;
  #header: Buffer | undefined;

  constructor(init: RecordFormatInit) {
    this.mainName = `${init.base}.flv`;
    this.#header = encodeFlvHeader({ audio: init.audio, video: init.video });
  }

  push(msg: MediaMessage): RecordWrite[] {
    const tag = encodeFlvTag(msg);
    const data = this.#header ? Buffer.concat([this.#header, tag]) : tag;
    this.#header = undefined;
    return [{ op: 'append', name: this.mainName, data }];
  }

  finish(): RecordWrite[] {
    const out: RecordWrite[] = [];
    if (this.#header) out.push({ op: 'append', name: this.mainName, data: this.#header });
    out.push({ op: 'close', name: this.mainName });
    return out;
  }
}

/** The FLV format (Tencent `FlvParam`). */
export const flvRecordFormat: RecordFormat = {
  name: 'flv',
  contentType: 'video/x-flv',
  audioOnly: false,
  create: (init) => new FlvWriter(init),
};
