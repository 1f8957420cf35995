/** FLV recordings: the FLV header, then every message as the FLV tag HTTP-FLV players get (protocol/flv). */
import { MediaType, type MediaMessage } from '../../../protocol/media.ts';
import { decodeAmf0All } from '../../../protocol/amf0/amf0-decoder.ts';
import { encodeAmf0 } from '../../../protocol/amf0/amf0-encoder.ts';
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
    const tag = encodeFlvTag(msg.type === MediaType.Data ? withoutLength(msg) : msg);
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

/**
 * The metadata without `duration` and `filesize`: an encoder started with a fixed length (`ffmpeg -t 12`)
 * announces the whole push's, which players would take as each piece's; without them they read the tags.
 */
function withoutLength(msg: MediaMessage): MediaMessage {
  try {
    const values = decodeAmf0All(msg.payload);
    const data = values[1];
    if (values[0] !== 'onMetaData' || !(data instanceof Map) || (!data.has('duration') && !data.has('filesize')))
      return msg;
    data.delete('duration');
    data.delete('filesize');
    return { ...msg, payload: encodeAmf0(...values) };
  } catch {
    return msg; // not AMF0 we can read: kept as the encoder sent it
  }
}

/** The FLV format (Tencent `FlvParam`). */
export const flvRecordFormat: RecordFormat = {
  name: 'flv',
  contentType: 'video/x-flv',
  audioOnly: false,
  create: (init) => new FlvWriter(init),
};
