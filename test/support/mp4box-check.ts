/**
 * MP4Box.js (`mp4box` on npm, GPAC's parser) as a second, independent reader of our MP4 and fMP4
 * output: the movie info it reports and every sample it extracts, counted per track.
 */
import { createFile, MP4BoxBuffer, type Movie } from 'mp4box';

/** What MP4Box.js read: the movie info, parser errors and samples extracted per track id. */
export interface Mp4BoxReport {
  info: Movie;
  errors: string[];
  samples: Map<number, { count: number; sync: number; bytes: number; lastDts: number }>;
}

/** Parses a whole file (progressive or init + fragments) with MP4Box.js and extracts all samples. */
export function mp4boxRead(bytes: Buffer): Mp4BoxReport {
  const file = createFile();
  const errors: string[] = [];
  let info: Movie | undefined;
  const samples: Mp4BoxReport['samples'] = new Map();
  file.onError = (module, message) => errors.push(`${module}: ${message}`);
  file.onReady = (movie) => {
    info = movie;
    for (const t of movie.tracks) {
      samples.set(t.id, { count: 0, sync: 0, bytes: 0, lastDts: -1 });
      file.setExtractionOptions(t.id, undefined, { nbSamples: 1_000_000 });
    }
    file.start();
  };
  file.onSamples = (id, _user, list) => {
    const s = samples.get(id)!;
    for (const x of list) {
      s.count++;
      if (x.is_sync) s.sync++;
      s.bytes += x.size;
      s.lastDts = x.dts;
    }
  };
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(ab, 0));
  file.flush();
  if (!info) throw new Error(`MP4Box.js found no moov (${errors.join('; ')})`);
  return { info, errors, samples };
}
