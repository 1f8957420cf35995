/**
 * AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): what an FLV/RTMP AAC sequence header carries.
 * Reports what a player outputs: with SBR the doubled rate, with Parametric Stereo two channels.
 */
import { BitReader, invalidConfig } from './bit-reader.ts';

/** What an AAC sequence header says about the stream. */
export interface AacConfig {
  /** Audio Object Type: 2 AAC-LC, 5 HE-AAC (SBR), 29 HE-AACv2 (SBR+PS), ... */
  objectType: number;
  /** The profile as ffprobe prints it: `LC`, `HE-AAC`, `HE-AACv2`, ... */
  profileName: string;
  /** Output sampling rate in Hz (the SBR rate when SBR is present). */
  sampleRate: number;
  /** Output channels; 0 when neither the channel configuration nor a PCE says. */
  channels: number;
}

/** samplingFrequencyIndex to Hz (ISO/IEC 14496-3 Table 1.18); 13 and 14 are reserved, 15 is explicit. */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** channelConfiguration to channel count (Table 1.19 and its amendments); -1 marks reserved values. */
const CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8, -1, -1, -1, 7, 8, 24, 8, -1];

/** Object types whose config is a GASpecificConfig, which may carry a program_config_element. */
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

const SBR = 5;
const PS = 29;

/** Parses an AudioSpecificConfig; throws ProtocolError CODEC_CONFIG_INVALID if it is malformed. */
export function parseAacAudioSpecificConfig(buf: Buffer): AacConfig {
  const r = new BitReader(buf);
  let objectType = readObjectType(r);
  if (objectType === 0) invalidConfig('AAC audio object type 0 is null');
  let sampleRate = readSampleRate(r);
  const channelConfig = r.readBits(4);
  let channels = CHANNELS[channelConfig]!;
  if (channels < 0) invalidConfig(`AAC channelConfiguration ${channelConfig} is reserved`);
  let signalled = objectType;
  if (objectType === SBR || objectType === PS) {
    // Explicit hierarchical signalling: the output rate, then the core (usually LC) object type.
    sampleRate = readSampleRate(r);
    objectType = readObjectType(r);
    if (objectType === 22) r.skipBits(4); // extensionChannelConfiguration (ER BSAC)
  }
  if (GA_TYPES.has(objectType)) {
    const pceChannels = readGaSpecificConfig(r, objectType, channelConfig);
    if (channelConfig === 0) channels = pceChannels;
  }
  if (signalled !== SBR && signalled !== PS) {
    // Backward-compatible signalling (§1.6.5.2) after the core config, as FFmpeg's encoder writes it.
    // After a config we do not parse (not GA) we cannot know where it would start.
    const ext = GA_TYPES.has(objectType) ? readSyncExtension(r) : undefined;
    if (ext) {
      signalled = ext.ps ? PS : SBR;
      sampleRate = ext.sampleRate;
    }
  }
  if (signalled === PS && channels === 1) channels = 2;
  return { objectType: signalled, profileName: aacProfileName(signalled), sampleRate, channels };
}

function readObjectType(r: BitReader): number {
  const aot = r.readBits(5);
  return aot === 31 ? 32 + r.readBits(6) : aot; // 31 escapes to 32 + 6 more bits
}

function readSampleRate(r: BitReader): number {
  const index = r.readBits(4);
  if (index === 15) {
    const rate = r.readBits(24); // explicit samplingFrequency
    if (rate === 0) invalidConfig('AAC explicit sampling frequency is 0');
    return rate;
  }
  const rate = SAMPLE_RATES[index];
  if (rate === undefined) invalidConfig(`AAC samplingFrequencyIndex ${index} is reserved`);
  return rate;
}

/** Reads a GASpecificConfig (§4.4.1) to its end; returns the PCE's channel count, or 0 without a PCE. */
function readGaSpecificConfig(r: BitReader, objectType: number, channelConfig: number): number {
  r.skipBits(1); // frameLengthFlag
  if (r.readBit()) r.skipBits(14); // dependsOnCoreCoder, coreCoderDelay
  const extensionFlag = r.readBit();
  const channels = channelConfig === 0 ? readPceChannels(r) : 0;
  if (objectType === 6 || objectType === 20) r.skipBits(3); // layerNr
  if (extensionFlag) {
    if (objectType === 22) r.skipBits(5 + 11); // numOfSubFrame, layer_length
    // aacSectionDataResilienceFlag, aacScalefactorDataResilienceFlag, aacSpectralDataResilienceFlag
    if (objectType === 17 || objectType === 19 || objectType === 20 || objectType === 23) r.skipBits(3);
    r.skipBits(1); // extensionFlag3
  }
  return channels;
}

/** Walks a program_config_element (§4.4.1.1) and counts the channels it lays out: SCE 1, CPE 2, LFE 1. */
function readPceChannels(r: BitReader): number {
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4);
  const side = r.readBits(4);
  const back = r.readBits(4);
  const lfe = r.readBits(2);
  const assoc = r.readBits(3);
  const cc = r.readBits(4);
  if (r.readBit()) r.skipBits(4); // mono_mixdown
  if (r.readBit()) r.skipBits(4); // stereo_mixdown
  if (r.readBit()) r.skipBits(3); // matrix_mixdown
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readBit() ? 2 : 1; // *_element_is_cpe
    r.skipBits(4); // *_element_tag_select
  }
  r.skipBits(4 * lfe + 4 * assoc + 5 * cc); // their tag selects (and cc_element_is_ind_sw)
  r.byteAlign(); // relative to the start of the AudioSpecificConfig, which starts the buffer
  r.skipBits(8 * r.readBits(8)); // comment_field_bytes
  if (channels === 0) invalidConfig('AAC program config element has no channels');
  return channels;
}

/**
 * Reads an SBR sync extension (syncExtensionType 0x2B7, PS 0x548) if one follows. It is optional
 * trailing data, so anything unexpected there means "no extension", never an error.
 */
function readSyncExtension(r: BitReader): { sampleRate: number; ps: boolean } | undefined {
  if (r.bitsLeft < 16 || r.readBits(11) !== 0x2b7) return undefined;
  try {
    if (readObjectType(r) !== SBR || !r.readBit()) return undefined; // sbrPresentFlag
    const sampleRate = readSampleRate(r);
    const ps = r.bitsLeft >= 12 && r.readBits(11) === 0x548 && r.readBit() === 1;
    return { sampleRate, ps };
  } catch {
    return undefined;
  }
}

function aacProfileName(objectType: number): string {
  switch (objectType) {
    case 1:
      return 'Main';
    case 2:
      return 'LC';
    case 3:
      return 'SSR';
    case 4:
      return 'LTP';
    case SBR:
      return 'HE-AAC';
    case PS:
      return 'HE-AACv2';
    case 23:
      return 'LD';
    case 39:
      return 'ELD';
    case 42:
      return 'xHE-AAC';
    default:
      return `AOT ${objectType}`;
  }
}
