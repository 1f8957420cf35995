/**
 * Enhanced RTMP v2 capability negotiation (veovera enhanced-rtmp v2, "Enhancing NetConnection connect
 * Command"): what a peer announces in its `connect` command object (`fourCcList`, `videoFourCcInfoMap`,
 * `audioFourCcInfoMap`, `capsEx`) and what this server answers in the `_result`.
 */
import type { Amf0Object, Amf0Value } from '../amf0/amf0-value.ts';

/** `capsEx` bits (E-RTMP v2): Reconnect 1, Multitrack 2, ModEx 4, TimestampNanoOffset 8. */
export const CapsEx = { Reconnect: 0x01, Multitrack: 0x02, ModEx: 0x04, TimestampNanoOffset: 0x08 } as const;

/** `*FourCcInfoMap` flags (E-RTMP v2): CanDecode 1, CanEncode 2, CanForward 4. */
export const FourCcInfo = { CanDecode: 0x01, CanEncode: 0x02, CanForward: 0x04 } as const;

/** The video FourCCs E-RTMP v2 (2026-01-31) defines; openlive forwards all of them unchanged. */
export const VideoFourCcs = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1'] as const;
/** The audio FourCCs E-RTMP v2 defines; openlive forwards all of them unchanged. */
export const AudioFourCcs = ['mp4a', '.mp3', 'Opus', 'fLaC', 'ac-3', 'ec-3'] as const;

/** What a peer announced in `connect`; all false/empty for a legacy (v1 or plain) peer. */
export interface EnhancedCapabilities {
  /** The peer sent at least one E-RTMP negotiation property. */
  readonly enhanced: boolean;
  /** capsEx Reconnect: the peer follows `NetConnection.Connect.ReconnectRequest`. */
  readonly reconnect: boolean;
  /** capsEx Multitrack: the peer reads (or sends) Multitrack audio/video packets. */
  readonly multitrack: boolean;
  /** capsEx ModEx: the peer understands ModEx packet prefixes. */
  readonly modEx: boolean;
  /** capsEx TimestampNanoOffset: the peer uses the ModEx TimestampOffsetNano. */
  readonly timestampNanoOffset: boolean;
  /** The raw capsEx bits (0 when absent). */
  readonly capsEx: number;
  /** `fourCcList` (strings of exactly 4 characters, `*` kept), deduplicated, bounded. */
  readonly fourCcs: readonly string[];
  /** `videoFourCcInfoMap`: FourCC (or `*`) to CanDecode/CanEncode/CanForward bits. */
  readonly videoFourCcs: ReadonlyMap<string, number>;
  /** `audioFourCcInfoMap`: FourCC (or `*`) to CanDecode/CanEncode/CanForward bits. */
  readonly audioFourCcs: ReadonlyMap<string, number>;
}

/** At most this many FourCCs are kept from one list or map (v2 defines 12; the AMF0 limits bound the rest). */
const MaxFourCcs = 64;

/** A legacy peer's capabilities: nothing announced. */
export const NoEnhancedCapabilities: EnhancedCapabilities = Object.freeze({
  enhanced: false,
  reconnect: false,
  multitrack: false,
  modEx: false,
  timestampNanoOffset: false,
  capsEx: 0,
  fourCcs: Object.freeze([]) as readonly string[],
  videoFourCcs: new Map<string, number>(),
  audioFourCcs: new Map<string, number>(),
});

function isFourCc(s: unknown): s is string {
  return typeof s === 'string' && (s.length === 4 || s === '*');
}

function fourCcList(v: Amf0Value): string[] {
  // ffmpeg and OBS send a strict array; a Flash-era encoder may send an ECMA array with "0", "1"... keys.
  const values = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : [];
  const out = new Set<string>();
  for (const s of values) {
    if (out.size >= MaxFourCcs) break;
    if (isFourCc(s)) out.add(s);
  }
  return [...out];
}

function infoMap(v: Amf0Value): Map<string, number> {
  const out = new Map<string, number>();
  if (!(v instanceof Map)) return out;
  for (const [key, flags] of v) {
    if (out.size >= MaxFourCcs) break;
    if (isFourCc(key) && typeof flags === 'number' && Number.isFinite(flags)) out.set(key, flags & 0x07);
  }
  return out;
}

/**
 * Reads the E-RTMP v2 negotiation properties of a `connect` command object. Malformed values (a capsEx
 * that is not a number, FourCCs that are not 4 characters) are ignored rather than refused: the spec makes
 * every property optional, and a legacy encoder must still connect.
 */
export function parseEnhancedCapabilities(connect: Amf0Object): EnhancedCapabilities {
  const rawCaps = connect.get('capsEx');
  const rawList = connect.get('fourCcList');
  const rawVideo = connect.get('videoFourCcInfoMap');
  const rawAudio = connect.get('audioFourCcInfoMap');
  const enhanced = rawCaps !== undefined || rawList !== undefined || rawVideo !== undefined || rawAudio !== undefined;
  if (!enhanced) return NoEnhancedCapabilities;
  const capsEx = typeof rawCaps === 'number' && Number.isFinite(rawCaps) ? rawCaps & 0x0f : 0;
  return {
    enhanced,
    reconnect: (capsEx & CapsEx.Reconnect) !== 0,
    multitrack: (capsEx & CapsEx.Multitrack) !== 0,
    modEx: (capsEx & CapsEx.ModEx) !== 0,
    timestampNanoOffset: (capsEx & CapsEx.TimestampNanoOffset) !== 0,
    capsEx,
    fourCcs: fourCcList(rawList),
    videoFourCcs: infoMap(rawVideo),
    audioFourCcs: infoMap(rawAudio),
  };
}

/** The capsEx openlive answers: it sends ReconnectRequest (drain), forwards Multitrack, reads ModEx and nano offsets. */
export const ServerCapsEx = CapsEx.Reconnect | CapsEx.Multitrack | CapsEx.ModEx | CapsEx.TimestampNanoOffset;

const known = new Set<string>([...VideoFourCcs, ...AudioFourCcs]);

/**
 * The E-RTMP properties of the server's connect `_result`: the server's own values, limited to what the
 * peer announced (v2: "the server should reply with its own capabilities"). Empty for a legacy peer, whose
 * `_result` stays byte-for-byte what it was. The server forwards media unchanged, so every FourCC it
 * knows is CanForward; it decodes nothing.
 */
export function enhancedConnectReply(peer: EnhancedCapabilities): Map<string, Amf0Value> {
  const props = new Map<string, Amf0Value>();
  if (!peer.enhanced) return props;
  if (peer.fourCcs.length > 0) {
    const all = peer.fourCcs.includes('*');
    props.set('fourCcList', all ? [...VideoFourCcs, ...AudioFourCcs] : peer.fourCcs.filter((c) => known.has(c)));
  }
  const reply = (asked: ReadonlyMap<string, number>, ours: readonly string[]): Amf0Object => {
    const out: Amf0Object = new Map();
    for (const code of asked.keys()) if (code === '*' || ours.includes(code)) out.set(code, FourCcInfo.CanForward);
    return out;
  };
  if (peer.videoFourCcs.size > 0) props.set('videoFourCcInfoMap', reply(peer.videoFourCcs, VideoFourCcs));
  if (peer.audioFourCcs.size > 0) props.set('audioFourCcInfoMap', reply(peer.audioFourCcs, AudioFourCcs));
  props.set('capsEx', ServerCapsEx);
  return props;
}
