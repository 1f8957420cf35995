/** The formats this build records, by name; MP4 joins when protocol/mp4 lands (engineer `mp4`, issue 11). */
import { aacRecordFormat } from './aac-record-format.ts';
import { flvRecordFormat } from './flv-record-format.ts';
import { hlsRecordFormat } from './hls-record-format.ts';
import type { RecordFormat, RecordFormatName } from './record-format.ts';

/** Every format that can be recorded now; a template's `Mp4Param` is stored but not yet recorded. */
export const availableFormats: Partial<Record<RecordFormatName, RecordFormat>> = {
  flv: flvRecordFormat,
  hls: hlsRecordFormat,
  aac: aacRecordFormat,
};
