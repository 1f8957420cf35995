/**
 * The SRT listener's sink: each accepted publish's TS bytes go through the MPEG-TS demuxer into a
 * PublishSession (servers/ingest/demuxed-publish.ts), so an SRT stream reaches the hub, records,
 * callbacks, recordings and stream control exactly as an RTMP publish does.
 */
import type { Stream } from '../../hub/stream.ts';
import { startDemuxedPublish, type DemuxedIngestDeps } from '../ingest/demuxed-publish.ts';
import type { TsSinkFactory } from './ts-payload-sink.ts';

/** The reason an SRT encoder's connection is closed with when the server ends its publish (drop, forbid, replace). */
const droppedByServer = 'the server ended this publish';

/** Builds the sink factory the SRT listener calls for every admitted publish. */
export function srtIngest(deps: DemuxedIngestDeps, maxPesSize?: number): TsSinkFactory<Stream> {
  return (p) => {
    const publish = startDemuxedPublish(deps, p, {
      request: p.request,
      publisherId: p.publisherId,
      serverIp: p.serverIp,
      disconnect: () => p.disconnect(droppedByServer),
      demuxer: maxPesSize === undefined ? {} : { maxPesSize },
    });
    return {
      write: (chunk) => publish.pushTs(chunk),
      end: (breakCode, reason) => void publish.end(breakCode, reason),
    };
  };
}
