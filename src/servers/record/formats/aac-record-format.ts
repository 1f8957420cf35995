/**
 * AAC audio-only recordings (Tencent `AacParam`): an ADTS stream (ISO/IEC 13818-7 §6.2), each raw AAC frame
 * behind the 7-byte header its AudioSpecificConfig implies, as the TS muxer writes them; video is ignored.
 */
import { Buffer } from 'node:buffer';
import { MediaType, type MediaMessage } from '../../../protocol/media.ts';
import { ADTS_HEADER_SIZE, AudioTrack } from '../../../protocol/mpegts/audio-track.ts';
import { readFlvAudio } from '../../../protocol/mpegts/flv-media-packet.ts';
import type { RecordFormat, RecordFormatInit, RecordFormatWriter, RecordWrite } from './record-format.ts';

class AacWriter implements RecordFormatWriter {
  readonly mainName: string;
  #track: AudioTrack | undefined;

  constructor(init: RecordFormatInit) {
    this.mainName = `${init.base}.aac`;
  }

  push(msg: MediaMessage): RecordWrite[] {
    if (msg.type !== MediaType.Audio) return [];
    const packet = readFlvAudio(msg.payload);
    if (packet === undefined) return [];
    if (packet.config) {
      this.#track = new AudioTrack(msg.payload.subarray(packet.offset));
      return [];
    }
    if (!this.#track || packet.offset >= msg.payload.length) return [];
    const raw = msg.payload.length - packet.offset;
    const data = Buffer.allocUnsafe(ADTS_HEADER_SIZE + raw);
    this.#track.writeAdtsHeader(data, 0, raw);
    msg.payload.copy(data, ADTS_HEADER_SIZE, packet.offset);
    return [{ op: 'append', name: this.mainName, data }];
  }

  finish(): RecordWrite[] {
    return [{ op: 'close', name: this.mainName }];
  }
}

/** The AAC (ADTS) format. */
export const aacRecordFormat: RecordFormat = {
  name: 'aac',
  contentType: 'audio/aac',
  audioOnly: true,
  create: (init) => new AacWriter(init),
};
