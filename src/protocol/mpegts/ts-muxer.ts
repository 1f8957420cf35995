/**
 * A single-program MPEG-TS muxer (ISO/IEC 13818-1) for HLS: FLV/RTMP media messages in, whole 188-byte
 * packets out, one buffer per frame. H.264 and HEVC become Annex-B, AAC becomes ADTS; PTS/DTS come from
 * the FLV timestamp and composition time on one unwrapped 90 kHz timeline. Pure: no I/O, no clock.
 */
import { MediaType, type MediaMessage } from '../media.ts';
import { AudioTrack, ADTS_HEADER_SIZE } from './audio-track.ts';
import { EsPieces } from './es-pieces.ts';
import { readFlvAudio, readFlvVideo } from './flv-media-packet.ts';
import { StreamId, pesPacketCount, writePes, type PesHeader } from './pes-writer.ts';
import { writePat, writePmt, type PmtStream } from './psi-tables.ts';
import { TimestampUnwrapper } from './timestamp-unwrapper.ts';
import { TS_PACKET_SIZE } from './ts-packet.ts';
import { VideoTrack } from './video-track.ts';

/** PIDs of the one program; the defaults are FFmpeg's (`-mpegts_pmt_start_pid`, `-mpegts_start_pid`). */
export interface TsMuxerOptions {
  /** Default 0x100. */
  videoPid?: number;
  /** Default 0x101. */
  audioPid?: number;
  /** Default 0x1000. */
  pmtPid?: number;
}

/** The TS packets of one frame, with its times on the muxer's continuous 90 kHz timeline. */
export interface TsChunk {
  /** Whole 188-byte packets: PAT and PMT first when asked for or at a video keyframe, then the frame's PES. */
  bytes: Buffer;
  /** Presentation time, 90 kHz, unwrapped: it keeps growing past 2^33 (the packets carry it modulo 2^33). */
  pts: number;
  /** Decoding time, 90 kHz, unwrapped. */
  dts: number;
  /** A player can start here: a video keyframe, or any audio frame of a stream without video. */
  keyframe: boolean;
  track: 'video' | 'audio';
}

/** FLV milliseconds to the 90 kHz MPEG clock. */
const TICKS_PER_MS = 90;
/** Both tables fit one packet each. */
const TABLES_SIZE = 2 * TS_PACKET_SIZE;

/** Muxes one stream's media messages into MPEG-TS; one instance per stream and publish (discontinuities start a new one). */
export class TsMuxer {
  private readonly videoPid: number;
  private readonly audioPid: number;
  private readonly pmtPid: number;
  private video: VideoTrack | undefined;
  private audio: AudioTrack | undefined;
  private streams: PmtStream[] = [];
  private pmtVersion = 0;
  /** Whether a PMT with the current version went out; until then a new stream list can keep the version. */
  private pmtWritten = false;
  private readonly clock = new TimestampUnwrapper();
  private readonly es = new EsPieces();
  private readonly adts = Buffer.alloc(ADTS_HEADER_SIZE);
  private patCc = 0;
  private pmtCc = 0;
  private videoCc = 0;
  private audioCc = 0;
  private lastPcr = -Infinity;

  constructor(options: TsMuxerOptions = {}) {
    this.videoPid = options.videoPid ?? 0x100;
    this.audioPid = options.audioPid ?? 0x101;
    this.pmtPid = options.pmtPid ?? 0x1000;
  }

  /** True once an H.264 or HEVC sequence header has configured the video stream. */
  get hasVideo(): boolean {
    return this.video !== undefined;
  }

  /** True once an AAC sequence header has configured the audio stream. */
  get hasAudio(): boolean {
    return this.audio !== undefined;
  }

  /** The displayed video size from the SPS, for the playlist's RESOLUTION attribute. */
  get resolution(): { width: number; height: number } | undefined {
    return this.video && { width: this.video.width, height: this.video.height };
  }

  /** RFC 6381 codec strings for the playlist CODECS attribute, video first, e.g. `['avc1.64001f', 'mp4a.40.2']`. */
  codecs(): string[] {
    const out: string[] = [];
    if (this.video) out.push(this.video.codecString);
    if (this.audio) out.push(this.audio.codecString);
    return out;
  }

  /** PAT and PMT for the streams configured so far, as every segment and part starts. */
  tables(): Buffer {
    const out = Buffer.allocUnsafe(TABLES_SIZE);
    this.writeTables(out);
    return out;
  }

  /**
   * Feeds one media message. Sequence headers configure the muxer and return undefined, as do data
   * messages, codecs MPEG-TS does not carry here (only H.264, HEVC and AAC are muxed) and frames before
   * their sequence header. A frame returns its TS packets, led by PAT and PMT when `withTables` is set
   * or the frame is a video keyframe. Throws ProtocolError TS_MUX_INPUT (or CODEC_CONFIG_INVALID for a
   * bad sequence header) on malformed input; the muxer stays usable for the next message.
   */
  push(msg: MediaMessage, withTables = false): TsChunk | undefined {
    if (msg.type === MediaType.Video) return this.pushVideo(msg, withTables);
    if (msg.type === MediaType.Audio) return this.pushAudio(msg, withTables);
    return undefined;
  }

  private pushVideo(msg: MediaMessage, withTables: boolean): TsChunk | undefined {
    const ms = this.clock.unwrap(msg.timestamp);
    const packet = readFlvVideo(msg.payload);
    if (packet === undefined) return undefined;
    if (packet.config) {
      const track = new VideoTrack(packet.codec, msg.payload.subarray(packet.offset));
      this.setTracks(track, this.audio);
      return undefined;
    }
    const track = this.video;
    if (track === undefined || track.codec !== packet.codec || packet.offset >= msg.payload.length) return undefined;
    this.es.reset();
    const keyframe = packet.keyframe;
    track.toAnnexB(msg.payload, packet.offset, keyframe, this.es);
    const dts = ms * TICKS_PER_MS + nanoTicks(msg);
    const pts = (ms + packet.cts) * TICKS_PER_MS + nanoTicks(msg);
    const header: PesHeader = { streamId: StreamId.Video, pts, dts, pcr: this.nextPcr(dts), randomAccess: keyframe };
    const bytes = this.emit('video', header, withTables || keyframe);
    return { bytes, pts, dts, keyframe, track: 'video' };
  }

  private pushAudio(msg: MediaMessage, withTables: boolean): TsChunk | undefined {
    const ms = this.clock.unwrap(msg.timestamp);
    const packet = readFlvAudio(msg.payload);
    if (packet === undefined) return undefined;
    if (packet.config) {
      this.setTracks(this.video, new AudioTrack(msg.payload.subarray(packet.offset)));
      return undefined;
    }
    const track = this.audio;
    if (track === undefined || packet.offset >= msg.payload.length) return undefined;
    track.writeAdtsHeader(this.adts, 0, msg.payload.length - packet.offset);
    this.es.reset();
    this.es.add(this.adts);
    this.es.add(msg.payload, packet.offset);
    const pts = ms * TICKS_PER_MS + nanoTicks(msg);
    // Without video every AAC frame is a place to start, and the audio PID carries the PCR.
    const keyframe = this.video === undefined;
    const pcr = keyframe ? this.nextPcr(pts) : undefined;
    const header: PesHeader = { streamId: StreamId.Audio, pts, dts: pts, pcr, randomAccess: keyframe };
    const bytes = this.emit('audio', header, withTables);
    return { bytes, pts, dts: pts, keyframe, track: 'audio' };
  }

  /** One buffer for the tables (if asked) and the PES of the frame now in `this.es`. */
  private emit(track: TsChunk['track'], header: PesHeader, withTables: boolean): Buffer {
    const tablesSize = withTables ? TABLES_SIZE : 0;
    const out = Buffer.allocUnsafe(tablesSize + pesPacketCount(header, this.es.length) * TS_PACKET_SIZE);
    if (withTables) this.writeTables(out);
    if (track === 'video') this.videoCc = writePes(out, tablesSize, this.videoPid, this.videoCc, header, this.es);
    else this.audioCc = writePes(out, tablesSize, this.audioPid, this.audioCc, header, this.es);
    return out;
  }

  /**
   * The PCR for a PES on the PCR PID at decoding time `dts`: the DTS itself, as SRS writes it, never
   * below the previous PCR so the program clock only moves forward even if an encoder's DTS steps back.
   */
  private nextPcr(dts: number): number {
    this.lastPcr = Math.max(this.lastPcr, dts);
    return this.lastPcr;
  }

  private setTracks(video: VideoTrack | undefined, audio: AudioTrack | undefined): void {
    const changed = video?.streamType !== this.video?.streamType || audio?.streamType !== this.audio?.streamType;
    this.video = video;
    this.audio = audio;
    if (!changed) return;
    // A different stream list is a new PMT version (ISO/IEC 13818-1 §2.4.4.9), so demuxers re-read it;
    // the video and audio headers at the start of a stream both land in version 0.
    if (this.pmtWritten) this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    this.pmtWritten = false;
    this.streams = [];
    if (video) this.streams.push({ streamType: video.streamType, pid: this.videoPid });
    if (audio) this.streams.push({ streamType: audio.streamType, pid: this.audioPid });
  }

  private writeTables(out: Buffer): void {
    writePat(out, 0, this.patCc, this.pmtPid);
    this.patCc = (this.patCc + 1) & 0x0f;
    const pcrPid = this.video ? this.videoPid : this.audio ? this.audioPid : undefined;
    writePmt(out, TS_PACKET_SIZE, this.pmtCc, this.pmtPid, pcrPid, this.streams, this.pmtVersion);
    this.pmtCc = (this.pmtCc + 1) & 0x0f;
    this.pmtWritten = true;
  }
}

/** E-RTMP v2 ModEx TimestampOffsetNano in 90 kHz ticks (0..89): the sub-millisecond part TS can keep. */
function nanoTicks(msg: MediaMessage): number {
  return msg.nanoOffset === undefined ? 0 : Math.floor((msg.nanoOffset * 9) / 100_000);
}
