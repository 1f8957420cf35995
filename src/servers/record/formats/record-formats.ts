/** The formats this build records, by name. */
import { aacRecordFormat } from './aac-record-format.ts';
import { flvRecordFormat } from './flv-record-format.ts';
import { hlsRecordFormat } from './hls-record-format.ts';
import { mp4RecordFormat } from './mp4-record-format.ts';
import type { RecordFormat, RecordFormatName } from './record-format.ts';

/** Every format that can be recorded now; a template's `Mp3Param` is stored but not recorded. */
export const availableFormats: Partial<Record<RecordFormatName, RecordFormat>> = {
  flv: flvRecordFormat,
  hls: hlsRecordFormat,
  mp4: mp4RecordFormat,
  aac: aacRecordFormat,
};
