/**
 * Sample entries of the stsd box: VisualSampleEntry (ISO/IEC 14496-12 §12.1.3) for `avc1`/`hvc1`
 * (ISO/IEC 14496-15 §5.4.2/§8.4.1) and `av01` (AV1-ISOBMFF §2.2), AudioSampleEntry (§12.2.3) for `mp4a`
 * with its `esds` (ISO/IEC 14496-14 §5.6, 14496-1 §7.2.6.5) and `Opus` with its `dOps` (Opus in ISOBMFF §4.3).
 */
import { ProtocolError } from '../../errors.ts';
import { box, fullBox } from './box-writer.ts';

/** A visual sample entry of `type` whose decoder configuration box `configType` holds `record` verbatim. */
export function visualSampleEntry(
  type: 'avc1' | 'hvc1' | 'av01',
  configType: string,
  record: Buffer,
  width: number,
  height: number,
): Buffer {
  const fields = Buffer.alloc(78);
  fields.writeUInt16BE(1, 6); // data_reference_index: the one `url ` entry of dref
  // pre_defined, reserved and pre_defined[3] stay zero (16 bytes from 8).
  fields.writeUInt16BE(width & 0xffff, 24);
  fields.writeUInt16BE(height & 0xffff, 26);
  fields.writeUInt32BE(0x00480000, 28); // horizresolution 72 dpi
  fields.writeUInt32BE(0x00480000, 32); // vertresolution 72 dpi
  fields.writeUInt16BE(1, 40); // frame_count
  // compressorname[32] stays empty (length byte 0) at 42.
  fields.writeUInt16BE(0x0018, 74); // depth: colour, no alpha
  fields.writeInt16BE(-1, 76); // pre_defined
  return box(type, fields, box(configType, record));
}

/** The AudioSampleEntry fields (§12.2.3.2) for `channels` at `sampleRate` Hz. */
function audioFields(channels: number, sampleRate: number): Buffer {
  const f = Buffer.alloc(28);
  f.writeUInt16BE(1, 6); // data_reference_index
  f.writeUInt16BE(channels, 16);
  f.writeUInt16BE(16, 18); // samplesize
  // samplerate is 16.16 fixed point; rates past 65535 Hz write 0 and leave it to the decoder config.
  f.writeUInt32BE(sampleRate <= 0xffff ? sampleRate * 0x10000 : 0, 24);
  return f;
}

/** `mp4a` with an `esds` whose DecoderSpecificInfo is the AudioSpecificConfig `asc`. */
export function mp4aSampleEntry(asc: Buffer, channels: number, sampleRate: number): Buffer {
  // DecoderConfigDescriptor: objectTypeIndication 0x40 (MPEG-4 Audio), streamType 5 (audio) << 2 | reserved 1,
  // bufferSizeDB, maxBitrate and avgBitrate unknown (0), then DecoderSpecificInfo (tag 5).
  const decoderConfig = descriptor(4, Buffer.from([0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), descriptor(5, asc));
  // ES_Descriptor: ES_ID 0, no stream dependence, URL or OCR; SLConfigDescriptor predefined 2 (MP4).
  const es = descriptor(3, Buffer.from([0, 0, 0]), decoderConfig, descriptor(6, Buffer.from([2])));
  return box('mp4a', audioFields(channels, sampleRate), fullBox('esds', 0, 0, es));
}

/** An MPEG-4 descriptor: tag, a size in 7-bit groups (ISO/IEC 14496-1 §8.3.3), payload. */
function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const size: number[] = [];
  let n = body.length;
  if (n >= 2 ** 28) throw new ProtocolError('MP4_MUX_INPUT', 'an MPEG-4 descriptor is too large');
  do {
    size.unshift(n & 0x7f);
    n >>= 7;
  } while (n > 0);
  for (let i = 0; i < size.length - 1; i++) size[i]! |= 0x80;
  return Buffer.concat([Buffer.from([tag, ...size]), body]);
}

/** What an OpusHead (RFC 7845 §5.1) says, in the order dOps stores it. */
export interface OpusHead {
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  outputGain: number;
  mappingFamily: number;
  /** StreamCount, CoupledCount and the ChannelMapping bytes, for mapping families other than 0. */
  mappingTable: Buffer;
}

/** Parses an OpusHead packet; throws CODEC_CONFIG_INVALID if it is not one. */
export function parseOpusHead(head: Buffer): OpusHead {
  if (head.length < 19 || head.toString('latin1', 0, 8) !== 'OpusHead') {
    throw new ProtocolError('CODEC_CONFIG_INVALID', 'Opus configuration is not an OpusHead');
  }
  if (head[8]! >> 4 !== 0) throw new ProtocolError('CODEC_CONFIG_INVALID', `OpusHead version ${head[8]} is not 0.x`);
  const channels = head[9]!;
  const mappingFamily = head[18]!;
  if (channels === 0) throw new ProtocolError('CODEC_CONFIG_INVALID', 'OpusHead has 0 channels');
  if (mappingFamily === 0 && channels > 2)
    throw new ProtocolError('CODEC_CONFIG_INVALID', 'OpusHead mapping family 0 allows 1 or 2 channels');
  const tableSize = mappingFamily === 0 ? 0 : 2 + channels;
  if (head.length < 19 + tableSize)
    throw new ProtocolError('CODEC_CONFIG_INVALID', 'OpusHead channel mapping table ends early');
  return {
    channels,
    preSkip: head.readUInt16LE(10),
    inputSampleRate: head.readUInt32LE(12),
    outputGain: head.readInt16LE(16),
    mappingFamily,
    mappingTable: head.subarray(19, 19 + tableSize),
  };
}

/** `Opus` with its `dOps` (big-endian, unlike the little-endian OpusHead it comes from); always 48 kHz. */
export function opusSampleEntry(h: OpusHead): Buffer {
  const fields = Buffer.alloc(11);
  fields[0] = 0; // Version
  fields[1] = h.channels;
  fields.writeUInt16BE(h.preSkip, 2);
  fields.writeUInt32BE(h.inputSampleRate, 4);
  fields.writeInt16BE(h.outputGain, 8);
  fields[10] = h.mappingFamily;
  return box('Opus', audioFields(h.channels, 48000), box('dOps', fields, h.mappingTable));
}
