/**
 * Writes a live media playlist (RFC 8216 §4.3, LL-HLS tags of RFC 8216bis §4.4.3.7–§4.4.5.3) from a
 * plain model: no state, no clock, so every rule is testable on text.
 */

/** A partial segment line (EXT-X-PART). */
export interface PlaylistPart {
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  readonly independent: boolean;
}

/** A media segment: its EXTINF line, the tags before it and, in LL-HLS, its parts. */
export interface PlaylistSegment {
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  readonly discontinuity: boolean;
  /** Unix ms of its first frame (EXT-X-PROGRAM-DATE-TIME). */
  readonly programDateTime?: number;
  /** URI of its fMP4 init segment (EXT-X-MAP, RFC 8216 §4.3.2.5), written whenever it differs from the one before. */
  readonly map?: string;
  /** Parts, listed before the segment's URI (RFC 8216bis §4.4.4.9), for the newest segments only. */
  readonly parts?: readonly PlaylistPart[];
}

/** The LL-HLS part of a playlist. */
export interface LowLatencyPlaylist {
  /** PART-TARGET in seconds: no part is longer. */
  readonly partTarget: number;
  /** PART-HOLD-BACK in seconds: at least twice PART-TARGET (RFC 8216bis §4.4.3.8); three times is advised. */
  readonly partHoldBack: number;
  /** Closed parts of the segment in progress (after the last EXTINF). */
  readonly pendingParts: readonly PlaylistPart[];
  /** If the next part's URI is known, it is hinted (EXT-X-PRELOAD-HINT) so players ask for it early. */
  readonly preloadHint?: string;
  /** A discontinuity before the segment in progress (its parts follow the tag). */
  readonly pendingDiscontinuity?: boolean;
  /** The fMP4 init segment of the segment in progress, written before its parts if it is a new one. */
  readonly pendingMap?: string;
}

/** A media playlist's content. */
export interface MediaPlaylist {
  /** Whole seconds, at least every EXTINF rounded to the nearest integer (RFC 8216 §4.3.3.1). */
  readonly targetDuration: number;
  /** The Media Sequence Number of the first segment (RFC 8216 §4.3.3.2). */
  readonly mediaSequence: number;
  /** The Discontinuity Sequence Number of the first segment (RFC 8216 §4.3.3.3). */
  readonly discontinuitySequence: number;
  readonly segments: readonly PlaylistSegment[];
  /** Every segment starts with a keyframe (RFC 8216 §4.3.5.1). */
  readonly independentSegments: boolean;
  readonly lowLatency?: LowLatencyPlaylist;
  /** The stream is over and the playlist will not change (RFC 8216 §4.3.3.4). */
  readonly endList: boolean;
}

/** The playlist text, lines joined by LF, ending with a newline. */
export function writeMediaPlaylist(p: MediaPlaylist): string {
  const ll = p.lowLatency;
  // RFC 8216 §7: floating-point EXTINF needs version 3, EXT-X-MAP without I-frames-only version 6;
  // LL-HLS playlists follow Apple's examples (6).
  const maps = p.segments.some((s) => s.map !== undefined) || ll?.pendingMap !== undefined;
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${ll || maps ? 6 : 3}`, `#EXT-X-TARGETDURATION:${p.targetDuration}`];
  let map: string | undefined;
  if (ll) {
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(ll.partHoldBack)}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${seconds(ll.partTarget)}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`);
  if (p.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`);
  if (p.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const s of p.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.map !== undefined && s.map !== map) lines.push(`#EXT-X-MAP:URI="${(map = s.map)}"`);
    if (s.programDateTime !== undefined)
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    if (ll && s.parts) for (const part of s.parts) lines.push(partLine(part));
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, s.uri);
  }
  if (ll && !p.endList) {
    const pending = ll.pendingParts.length > 0 || ll.preloadHint !== undefined;
    if (ll.pendingDiscontinuity && pending) lines.push('#EXT-X-DISCONTINUITY');
    if (pending && ll.pendingMap !== undefined && ll.pendingMap !== map)
      lines.push(`#EXT-X-MAP:URI="${ll.pendingMap}"`);
    for (const part of ll.pendingParts) lines.push(partLine(part));
    if (ll.preloadHint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${ll.preloadHint}"`);
  }
  if (p.endList) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

function partLine(part: PlaylistPart): string {
  const independent = part.independent ? ',INDEPENDENT=YES' : '';
  return `#EXT-X-PART:DURATION=${seconds(part.duration)},URI="${part.uri}"${independent}`;
}

/** Seconds with up to five decimals and no trailing zeros (`0.33333`, `1`). */
function seconds(s: number): string {
  return String(Number(s.toFixed(5)));
}
