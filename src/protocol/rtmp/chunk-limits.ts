/**
 * The limits of the RTMP chunk decoder (chunk-decoder.ts; docs/security.md "RTMP"): its options and their
 * defaults, the size limit of each message type, and the Set Chunk Size check (RTMP 1.0 §5.4.1) that the
 * control-message parser shares.
 */

import { ProtocolError } from '../../errors.ts';

/** Limits of a ChunkDecoder; the defaults are safe for a public ingest (docs/security.md "RTMP"). */
export interface ChunkDecoderOptions {
  /** Largest audio, video or aggregate message (default 16 MiB, i.e. anything the 24-bit length can say). */
  maxMessageSize?: number;
  /** Largest command, data or shared-object message, and of unknown types (default 64 KiB). */
  maxCommandSize?: number;
  /** Largest protocol control or User Control message, types 1..6 (default 1 KiB; they are 4..10 bytes). */
  maxControlSize?: number;
  /**
   * Most bytes all partial messages of the connection may announce together (default maxMessageSize +
   * 1 MiB: one largest message plus the audio, data and commands interleaved with it).
   */
  maxPartialBytes?: number;
  /** Smallest Set Chunk Size the peer may send (default 128: encoders never go lower; SRS refuses it too). */
  minChunkSize?: number;
  /** Most distinct chunk stream ids a peer may use (default 64). */
  maxChunkStreams?: number;
}

/** The decoder's defaults, also the configuration defaults (docs/config.md). */
export const chunkDecoderDefaults = {
  maxMessageSize: 16 * 1024 * 1024,
  maxCommandSize: 64 * 1024,
  maxControlSize: 1024,
  maxPartialBytes: 17 * 1024 * 1024,
  minChunkSize: 128,
  maxChunkStreams: 64,
} as const;

/** The size tables made so far, by their limits: read-only, so all decoders with the same limits share one. */
const limitTables = new Map<string, Float64Array>();

/** The size limit of each message type id (RTMP 1.0 §5.4, §7.1), one array read per message. */
export function sizeLimits(media: number, command: number, control: number): Float64Array {
  const key = `${media}/${command}/${control}`;
  const known = limitTables.get(key);
  if (known !== undefined) return known;
  const caps = new Float64Array(256).fill(command); // not Uint32: Infinity must stay Infinity
  for (let t = 1; t <= 6; t++) caps[t] = control;
  for (const t of [8, 9, 22]) caps[t] = media; // audio, video, aggregate
  // A process sees a handful of limit sets (the config's, the client's, tests'): the map stays small.
  if (limitTables.size < 64) limitTables.set(key, caps);
  return caps;
}

/** What a size refusal calls a message type, and the key that sets its limit. */
export function typeClass(typeId: number): [kind: string, key: string] {
  if (typeId >= 1 && typeId <= 6) return ['control', 'rtmp.maxControlSize'];
  if (typeId === 8 || typeId === 9 || typeId === 22) return ['media', 'rtmp.maxMessageSize'];
  return ['command', 'rtmp.maxCommandSize'];
}

/** Checks a Set Chunk Size value: 1..0x7FFFFFFF, the MSB must be 0 (RTMP 1.0 §5.4.1). */
export function checkChunkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
    throw new ProtocolError('RTMP_CHUNK_SIZE', `invalid chunk size ${size}: must be 1..2147483647`);
  }
  return size;
}
