/**
 * An MPEG-TS demuxer (ISO/IEC 13818-1): bytes in, split anywhere (SRT payloads of 1316 bytes, TCP
 * reads), hub media messages out, the same FLV tag bodies an RTMP publisher sends: AVC or Enhanced RTMP
 * HEVC video with decoder configuration records, AAC with its AudioSpecificConfig, and onMetaData.
 * Reads the first program: its first H.264/HEVC stream and its first AAC (or Opus) stream. Bad input is
 * counted by stable code in `stats.errors` and reported to `onError`, never thrown; memory is bounded
 * (one PES buffer per track up to `maxPesSize`, fixed tables otherwise). Pure: no I/O, no clock.
 */
import { LiveError, type ErrorCode } from '../../errors.ts';
import { encodeAmf0 } from '../amf0/amf0-encoder.ts';
import { Amf0EcmaArray } from '../amf0/amf0-value.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { AdtsAudio, type AudioConfigInfo } from './adts-audio.ts';
import { AnnexBVideo, type VideoConfigInfo } from './annexb-video.ts';
import { MpegAudio } from './mpeg-audio.ts';
import { OpusAudio } from './opus-audio.ts';
import { PesAssembler, type PesPacket } from './pes-assembler.ts';
import { readPat, readPmt, SectionAssembler, type PmtEntry } from './psi-reader.ts';
import { newTsDemuxStats, type TsDemuxStats } from './ts-demux-stats.ts';
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-packet.ts';
import { TrackClock, TsTimeline } from './ts-timeline.ts';

/** Limits and hooks of a demuxer. */
export interface TsDemuxerOptions {
  /** Largest PES packet reassembled, in bytes; a larger one is dropped (TS_PES_TOO_LARGE). Default 8 MiB. */
  maxPesSize?: number;
  /** A step of a track's clock larger than this (ms) is a discontinuity, rebased so time stays continuous. Default 10 000. */
  maxJumpMs?: number;
  /** Send onMetaData (Data messages) when a decoder configuration changes. Default true. */
  metadata?: boolean;
  /** Told of every error as it is counted (e.g. to feed ServerCounters.countError); must not throw. */
  onError?: (code: ErrorCode, message: string) => void;
}

/** The PIDs the demuxer reads and what they carry. */
const Kind = { None: 0, Pat: 1, Pmt: 2, Video: 3, Audio: 4 } as const;
const PAT_PID = 0;
const NULL_PID = 0x1fff;
/** stream_type values (ISO/IEC 13818-1 Table 2-34): MPEG-1/2 audio, H.264, HEVC, AAC ADTS, PES private data (Opus with its registration). */
const StreamTypes = {
  Mpeg1Audio: 0x03,
  Mpeg2Audio: 0x04,
  H264: 0x1b,
  Hevc: 0x24,
  AacAdts: 0x0f,
  Private: 0x06,
} as const;

/** One elementary stream being read. */
interface Track {
  readonly pid: number;
  readonly streamType: number;
  readonly pes: PesAssembler;
  readonly clock: TrackClock;
  readonly video: AnnexBVideo | undefined;
  readonly audio: AdtsAudio | OpusAudio | MpegAudio | undefined;
  /** Last unwrapped 90 kHz DTS, for a PES without times. */
  lastTime: number;
}

/** Demuxes one MPEG-TS stream into media messages; one instance per publish. */
export class TsDemuxer {
  /** Counters of what was read, skipped and dropped. */
  readonly stats: TsDemuxStats = newTsDemuxStats();
  private readonly maxPesSize: number;
  private readonly maxJumpMs: number;
  private readonly metadata: boolean;
  private readonly onError: TsDemuxerOptions['onError'];
  private readonly kinds = new Uint8Array(8192);
  private readonly lastCc = new Int8Array(8192).fill(-1);
  private readonly carry = Buffer.allocUnsafe(TS_PACKET_SIZE);
  private carryLen = 0;
  private synced = false;
  private skipping = false;
  private readonly pat: SectionAssembler;
  private readonly pmt: SectionAssembler;
  private pmtPid = -1;
  private videoTrack: Track | undefined;
  private audioTrack: Track | undefined;
  private readonly timeline = new TsTimeline();
  /** One clock per kind, kept when a PMT replaces a track, so video (or audio) times never go back. */
  private readonly videoClock: TrackClock;
  private readonly audioClock: TrackClock;
  private out: MediaMessage[] = [];
  private readonly report = (code: ErrorCode, message: string): void => {
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    this.onError?.(code, message);
  };

  constructor(options: TsDemuxerOptions = {}) {
    this.maxPesSize = options.maxPesSize ?? 8 * 1024 * 1024;
    this.maxJumpMs = options.maxJumpMs ?? 10_000;
    this.metadata = options.metadata ?? true;
    this.onError = options.onError;
    this.kinds[PAT_PID] = Kind.Pat;
    this.videoClock = new TrackClock(this.timeline, this.maxJumpMs, this.stats);
    this.audioClock = new TrackClock(this.timeline, this.maxJumpMs, this.stats);
    this.pat = new SectionAssembler((s, end) => this.onPat(s, end), this.report);
    this.pmt = new SectionAssembler((s, end) => this.onPmt(s, end), this.report);
  }

  /** The video configuration last sent (codec and size), once there is one. */
  get video(): VideoConfigInfo | undefined {
    return this.videoTrack?.video?.info;
  }

  /** The audio configuration last sent (codec, rate, channels), once there is one. */
  get audio(): AudioConfigInfo | undefined {
    return this.audioTrack?.audio?.info;
  }

  /** Feeds bytes (any length, cut anywhere); returns the messages they completed, appended to `out`. */
  push(chunk: Buffer, out: MediaMessage[] = []): MediaMessage[] {
    this.out = out;
    this.stats.bytes += chunk.length;
    const len = chunk.length;
    let pos = 0;
    if (this.carryLen > 0) {
      const need = TS_PACKET_SIZE - this.carryLen;
      if (len < need) {
        chunk.copy(this.carry, this.carryLen);
        this.carryLen += len;
        return out;
      }
      chunk.copy(this.carry, this.carryLen, 0, need);
      this.carryLen = 0;
      pos = need;
      // The next packet's sync byte confirms the carried one; without it the carried bytes were garbage.
      if (len === need || chunk[need] === TS_SYNC_BYTE) this.packet(this.carry, 0);
      else this.lose(TS_PACKET_SIZE);
    }
    while (pos < len) {
      if (
        chunk[pos] === TS_SYNC_BYTE &&
        (this.synced || pos + TS_PACKET_SIZE >= len || chunk[pos + TS_PACKET_SIZE] === TS_SYNC_BYTE)
      ) {
        this.synced = true;
        if (pos + TS_PACKET_SIZE > len) {
          chunk.copy(this.carry, 0, pos);
          this.carryLen = len - pos;
          break;
        }
        this.packet(chunk, pos);
        pos += TS_PACKET_SIZE;
        continue;
      }
      // Lost sync: skip to the next sync byte that the one a packet later confirms (checked above).
      let next = chunk.indexOf(TS_SYNC_BYTE, pos + 1);
      if (next < 0) next = len;
      this.lose(next - pos);
      pos = next;
    }
    return out;
  }

  /** The end of the input: hands out the PES packets still open (an unbounded PES ends at the next start). */
  end(out: MediaMessage[] = []): MediaMessage[] {
    this.out = out;
    this.videoTrack?.pes.flush();
    this.audioTrack?.pes.flush();
    return out;
  }

  private lose(bytes: number): void {
    this.synced = false;
    this.stats.skippedBytes += bytes;
    if (!this.skipping) this.report('TS_SYNC_LOST', 'bytes between TS packets that do not start with 0x47');
    this.skipping = true;
  }

  /** Reads one 188-byte packet at `b[at]` (§2.4.3.2). */
  private packet(b: Buffer, at: number): void {
    this.stats.packets++;
    this.skipping = false;
    const b1 = b[at + 1]!;
    const pid = ((b1 & 0x1f) << 8) | b[at + 2]!;
    const kind = this.kinds[pid]!;
    if (kind === Kind.None) return;
    const track = kind === Kind.Video ? this.videoTrack : kind === Kind.Audio ? this.audioTrack : undefined;
    if (b1 & 0x80) {
      // transport_error_indicator: the link layer says this packet is damaged.
      this.report('TS_PACKET_INVALID', `a packet on PID ${pid} with transport_error_indicator set`);
      track?.pes.damage();
      return;
    }
    const b3 = b[at + 3]!;
    const control = (b3 >> 4) & 0x03;
    if (b3 & 0xc0 || control === 0) {
      this.report(
        'TS_PACKET_INVALID',
        b3 & 0xc0 ? `a scrambled packet on PID ${pid}` : `adaptation_field_control 0 on PID ${pid}`,
      );
      track?.pes.damage();
      return;
    }
    let p = at + 4;
    if (control & 0x02) {
      const length = b[p]!;
      if (length > (control === 3 ? 182 : 183)) {
        this.report('TS_PACKET_INVALID', `adaptation_field_length ${length} runs past the packet on PID ${pid}`);
        track?.pes.damage();
        return;
      }
      if (length > 0 && b[p + 1]! & 0x80) {
        // discontinuity_indicator (§2.4.3.5): the counter (and maybe the time base) starts again.
        this.stats.discontinuities++;
        this.lastCc[pid] = -1;
      }
      p += 1 + length;
    }
    if (!(control & 0x01)) return; // no payload: the counter does not move (§2.4.3.3)
    const cc = b3 & 0x0f;
    const last = this.lastCc[pid]!;
    if (last >= 0 && cc !== ((last + 1) & 0x0f)) {
      if (cc === last) return; // a duplicate packet (§2.4.3.3): read once
      this.stats.ccErrors++;
      this.report('TS_CONTINUITY', `continuity_counter ${cc} after ${last} on PID ${pid}`);
      if (track) track.pes.damage();
      else (kind === Kind.Pat ? this.pat : this.pmt).reset();
    }
    this.lastCc[pid] = cc;
    const unitStart = (b1 & 0x40) !== 0;
    const end = at + TS_PACKET_SIZE;
    if (track) track.pes.push(b, p, end, unitStart);
    else if (kind === Kind.Pat) this.pat.push(b, p, end, unitStart);
    else this.pmt.push(b, p, end, unitStart);
  }

  private onPat(s: Buffer, end: number): void {
    const pid = readPat(s, end, this.report);
    if (pid === undefined || pid === this.pmtPid) return;
    if (pid === PAT_PID || pid === NULL_PID)
      return this.report('TS_SECTION_INVALID', `the PAT puts the PMT on PID ${pid}`);
    if (this.pmtPid >= 0) this.kinds[this.pmtPid] = Kind.None;
    // A PMT on a PID a track used (a new program) takes it over.
    if (this.videoTrack?.pid === pid) this.setTrack('video', undefined);
    if (this.audioTrack?.pid === pid) this.setTrack('audio', undefined);
    this.pmtPid = pid;
    this.kinds[pid] = Kind.Pmt;
    this.lastCc[pid] = -1;
    this.pmt.reset();
  }

  private onPmt(s: Buffer, end: number): void {
    const entries = readPmt(s, end, this.report);
    if (entries === undefined) return;
    let video: PmtEntry | undefined;
    let audio: PmtEntry | undefined;
    for (const e of entries) {
      if (e.pid === PAT_PID || e.pid === NULL_PID || e.pid === this.pmtPid) continue;
      if (video === undefined && (e.streamType === StreamTypes.H264 || e.streamType === StreamTypes.Hevc)) video = e;
      else if (audio === undefined && e.pid !== video?.pid && isAudio(e)) audio = e;
    }
    if (audio?.pid === video?.pid) audio = undefined;
    this.setTrack('video', video);
    this.setTrack('audio', audio);
  }

  /** Keeps the track when the PMT still lists the same PID and type (a new version for another reason), else replaces it. */
  private setTrack(which: 'video' | 'audio', entry: PmtEntry | undefined): void {
    const old = which === 'video' ? this.videoTrack : this.audioTrack;
    if (old && entry && old.pid === entry.pid && old.streamType === entry.streamType) return;
    if (old) {
      old.pes.flush();
      this.kinds[old.pid] = Kind.None;
    }
    let track: Track | undefined;
    if (entry) {
      const video =
        which === 'video'
          ? new AnnexBVideo(entry.streamType === StreamTypes.Hevc ? 'hevc' : 'avc', this.stats, this.report)
          : undefined;
      const audio = which === 'audio' ? this.newAudio(entry) : undefined;
      // Small at first: a PMT that keeps changing must not make every new track cost much (the buffer doubles as needed).
      const initial = which === 'video' ? 32 * 1024 : 4 * 1024;
      const t: Track = {
        pid: entry.pid,
        streamType: entry.streamType,
        clock: which === 'video' ? this.videoClock : this.audioClock,
        video,
        audio,
        lastTime: 0,
        pes: new PesAssembler(
          this.maxPesSize,
          initial,
          this.stats,
          this.report,
          (pes) => this.onPes(t, pes),
          which === 'video',
        ),
      };
      if (audio instanceof AdtsAudio || audio instanceof MpegAudio) t.pes.onDrop = () => audio.reset();
      track = t;
      this.kinds[entry.pid] = which === 'video' ? Kind.Video : Kind.Audio;
      this.lastCc[entry.pid] = -1;
    }
    if (which === 'video') this.videoTrack = track;
    else this.audioTrack = track;
  }

  private newAudio(entry: PmtEntry): AdtsAudio | OpusAudio | MpegAudio {
    if (entry.streamType === StreamTypes.AacAdts) return new AdtsAudio(this.stats, this.report);
    if (entry.streamType === StreamTypes.Private) return new OpusAudio(entry.opusChannels, this.stats, this.report);
    return new MpegAudio(this.stats, this.report);
  }

  private onPes(track: Track, pes: PesPacket): void {
    const tl = this.timeline;
    const dts = pes.dts >= 0 ? tl.unwrap(pes.dts) : track.audio ? track.audio.nextTime : track.lastTime;
    const pts = pes.pts >= 0 ? tl.unwrap(pes.pts) : dts;
    track.lastTime = dts;
    const out = this.out;
    let configured: boolean;
    try {
      if (track.video) {
        const cts = Math.min(0x7fffff, Math.max(0, Math.round((pts - dts) / 90)));
        configured = track.video.push(pes.data, pes.start, pes.end, track.clock.next(dts), cts, out);
      } else {
        configured = track.audio!.push(pes.data, pes.start, pes.end, pts, (t) => track.clock.next(t), out);
      }
    } catch (err) {
      // The codec parsers throw only coded errors; anything else is our bug and still must not escape.
      const e = err instanceof LiveError ? err : undefined;
      this.report(e?.code ?? 'INTERNAL', e?.message ?? String(err));
      return;
    }
    if (configured && this.metadata) this.sendMetadata(out);
  }

  /** onMetaData as ffmpeg's FLV muxer writes it, from what the configurations say. */
  private sendMetadata(out: MediaMessage[]): void {
    const v = this.video;
    const a = this.audio;
    const meta = new Amf0EcmaArray();
    if (v) {
      meta.set('width', v.width);
      meta.set('height', v.height);
      // Enhanced RTMP names HEVC by its FourCC as a number; legacy AVC keeps CodecID 7.
      meta.set('videocodecid', v.codec === 'avc' ? 7 : fourCc('hvc1'));
    }
    if (a) {
      meta.set('audiocodecid', a.codec === 'aac' ? 10 : a.codec === 'mp3' ? 2 : fourCc('Opus'));
      meta.set('audiosamplerate', a.sampleRate);
      meta.set('audiochannels', a.channels);
      meta.set('stereo', a.channels === 2);
    }
    meta.set('encoder', 'openlive TS demuxer');
    // At time 0 whenever it comes: FFmpeg's FLV demuxer takes an onMetaData at any other time for a packet
    // of a data stream (flvdec.c), and ffprobe then lists a `text` stream.
    out.push(mediaMessage(MediaType.Data, 0, encodeAmf0('onMetaData', meta)));
  }
}

function isAudio(e: PmtEntry): boolean {
  const t = e.streamType;
  return (
    t === StreamTypes.AacAdts ||
    t === StreamTypes.Mpeg1Audio ||
    t === StreamTypes.Mpeg2Audio ||
    (t === StreamTypes.Private && e.registration === 'Opus')
  );
}

function fourCc(s: string): number {
  return Buffer.from(s, 'latin1').readUInt32BE(0);
}
