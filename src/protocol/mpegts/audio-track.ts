/**
 * The audio side of the TS muxer: AAC in MPEG-TS is ADTS (stream_type 0x0F, ISO/IEC 13818-7 §6.2), so
 * each raw AAC frame from FLV gets the 7-byte ADTS header that the AudioSpecificConfig implies.
 */
import { ProtocolError } from '../../errors.ts';
import { parseAacAudioSpecificConfig } from '../codec/aac-config.ts';
import { aacCodecString } from './codec-string.ts';
import { StreamType } from './psi-tables.ts';

/** Bytes of an ADTS header without CRC (protection_absent = 1). */
export const ADTS_HEADER_SIZE = 7;
/** frame_length is 13 bits and counts the header too. */
const MAX_ADTS_FRAME = 0x1fff;
/** Audio Object Types with explicit SBR/PS signalling, whose core object type follows (ISO/IEC 14496-3 §1.6.2.1). */
const SBR = 5;
const PS = 29;

/** A configured AAC stream: what the PMT, the playlist and the ADTS headers need. */
export class AudioTrack {
  readonly streamType = StreamType.Aac;
  readonly codecString: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** profile_ObjectType (2 bits), sampling_frequency_index (4) and channel_configuration (3) of the ADTS header. */
  private readonly profile: number;
  private readonly frequencyIndex: number;
  private readonly channelConfig: number;

  /**
   * Parses an AudioSpecificConfig. Throws CODEC_CONFIG_INVALID if it is malformed and TS_MUX_INPUT if ADTS
   * cannot describe it: a core object type past AAC-LTP, an explicit sampling rate, or channel configuration 0.
   */
  constructor(asc: Buffer) {
    const info = parseAacAudioSpecificConfig(asc);
    this.codecString = aacCodecString(info.objectType);
    this.sampleRate = info.sampleRate;
    this.channels = info.channels;
    // ADTS carries the core layer; HE-AAC's SBR (and PS) stay implicit and the decoder finds them in the
    // stream, the way FFmpeg's ADTS muxer writes HE-AAC.
    let objectType = asc[0]! >> 3;
    this.frequencyIndex = ((asc[0]! & 0x07) << 1) | (asc[1]! >> 7);
    this.channelConfig = (asc[1]! >> 3) & 0x0f;
    if (objectType === SBR || objectType === PS) {
      // extensionSamplingFrequencyIndex(4) at bit 13, then the 5-bit core audioObjectType at bit 17.
      const extensionIndex = ((asc[1]! & 0x07) << 1) | ((asc[2] ?? 0) >> 7);
      objectType = asc.length >= 3 && extensionIndex !== 15 ? (asc[2]! >> 2) & 0x1f : 0;
    }
    if (objectType < 1 || objectType > 4) throw unsupported(`AAC object type ${objectType}`);
    if (this.frequencyIndex > 12) throw unsupported('an explicit AAC sampling frequency');
    if (this.channelConfig === 0 || this.channelConfig > 7)
      throw unsupported(`AAC channel configuration ${this.channelConfig}`);
    this.profile = objectType - 1;
  }

  /** Writes the ADTS header for a raw AAC frame of `rawLength` bytes into `out` at `at`. */
  writeAdtsHeader(out: Buffer, at: number, rawLength: number): void {
    const length = rawLength + ADTS_HEADER_SIZE;
    if (length > MAX_ADTS_FRAME)
      throw new ProtocolError('TS_MUX_INPUT', `an AAC frame of ${rawLength} bytes does not fit ADTS`);
    out[at] = 0xff; // syncword 0xFFF
    out[at + 1] = 0xf1; // ID 0 (MPEG-4), layer 00, protection_absent 1
    out[at + 2] = (this.profile << 6) | (this.frequencyIndex << 2) | (this.channelConfig >> 2); // private_bit 0
    // channel_configuration low bits, original_copy, home, copyright bits 0, then frame_length (13 bits).
    out[at + 3] = ((this.channelConfig & 0x03) << 6) | (length >> 11);
    out[at + 4] = (length >> 3) & 0xff;
    out[at + 5] = ((length & 0x07) << 5) | 0x1f; // adts_buffer_fullness 0x7FF: variable bit rate
    out[at + 6] = 0xfc; // the rest of the fullness, number_of_raw_data_blocks_in_frame 0
  }
}

function unsupported(what: string): ProtocolError {
  return new ProtocolError('TS_MUX_INPUT', `${what} cannot be carried in ADTS`);
}
