/**
 * Every fuzz target by name, in the order `npm run fuzz` runs them. Loaded lazily, so a worker holds
 * only its own target's modules and its heap figure is that target's.
 */
import type { FuzzTarget } from '../target.ts';

const loaders: Record<string, () => Promise<FuzzTarget>> = {
  handshake: async () => (await import('./rtmp-bytes.ts')).handshakeTarget,
  chunk: async () => (await import('./rtmp-bytes.ts')).chunkTarget,
  'session-bytes': async () => (await import('./rtmp-bytes.ts')).sessionBytesTarget,
  amf0: async () => (await import('./media-bytes.ts')).amf0Target,
  flv: async () => (await import('./media-bytes.ts')).flvTarget,
  codec: async () => (await import('./media-bytes.ts')).codecTarget,
  tsmux: async () => (await import('./media-bytes.ts')).tsmuxTarget,
  'ex-multitrack': async () => (await import('./enhanced-rtmp.ts')).exMultitrackTarget,
  'enhanced-caps': async () => (await import('./enhanced-rtmp.ts')).enhancedCapsTarget,
  mp4mux: async () => (await import('./mp4-bytes.ts')).mp4muxTarget,
  'ts-demuxer': async () => (await import('./ts-demux.ts')).tsDemuxTarget,
  'rtmp-session': async () => (await import('./rtmp-session.ts')).rtmpSessionTarget,
  'http-parse': async () => (await import('./http.ts')).httpParseTarget,
  'http-routes': async () => (await import('./http.ts')).httpRoutesTarget,
  api: async () => (await import('./api.ts')).apiTarget,
  'srt-packet': async () => (await import('./srt-bytes.ts')).srtPacketTarget,
  'srt-handshake': async () => (await import('./srt-bytes.ts')).srtHandshakeTarget,
  'srt-key-material': async () => (await import('./srt-bytes.ts')).srtKeyMaterialTarget,
};

/** The names of all targets. */
export const targetNames: readonly string[] = Object.keys(loaders);

/** The target called `name`; throws listing the names when there is none. */
export function loadTarget(name: string): Promise<FuzzTarget> {
  const load = loaders[name];
  if (!load) throw new Error(`no fuzz target ${name}; targets: ${targetNames.join(', ')}`);
  return load();
}
