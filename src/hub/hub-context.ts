/** What a hub shares with its streams and subscribers: options, encoders, the write timer, counters. */
import type { ResolvedHubOptions } from './hub-options.ts';
import type { PacketEncoders } from './packet.ts';
import type { Stream } from './stream.ts';
import type { WriteScheduler } from './write-scheduler.ts';

/** Hub-wide totals; plain fields so the media path pays one addition per update. */
export interface HubCounters {
  publishers: number;
  subscribers: number;
  /** Subscribers that are relay plays of another node (counted in `subscribers` too; not viewers). */
  relaySubscribers: number;
  bytesIn: number;
  messagesIn: number;
  bytesOut: number;
  /** Writes handed to subscriber sinks (one per merged batch): the fan-out cost is per write. */
  playerWrites: number;
  droppedMessages: number;
  stalledCloses: number;
  /** Publishers that took over a stream in its reconnect grace (players kept). */
  reconnects: number;
  /** Reconnect graces that ended without a publisher (players ended then). */
  graceExpiries: number;
  /** Codec changes a muxed output (TS/fMP4 HLS, MP4 recording) cannot carry, per output (hub/tracks.ts). */
  codecsLeftOut: number;
  /** Memory budget: bytes in subscriber queues waiting for the next merged write. */
  queuedBytes: number;
  /** Memory budget: bytes the sinks last reported unflushed (socket writableLength), summed over subscribers. */
  sinkBytes: number;
  /** Memory budget: payload bytes held by all GOP caches (audio tails included). */
  gopBytes: number;
}

/** The dependencies a Stream and its Subscribers get from their Hub. */
export interface HubContext {
  readonly options: ResolvedHubOptions;
  readonly encoders: PacketEncoders;
  readonly scheduler: WriteScheduler;
  readonly counters: HubCounters;
  /** Called when a stream has neither publisher nor subscribers, so the hub forgets it. */
  readonly streamIdle: (stream: Stream) => void;
  /** Called when a stream's demand (subscribers plus viewer taps) changed: edge pulls follow it. */
  readonly demandChanged: (stream: Stream) => void;
}

/** Fresh zeroed counters. */
export function newHubCounters(): HubCounters {
  return {
    publishers: 0,
    subscribers: 0,
    relaySubscribers: 0,
    bytesIn: 0,
    messagesIn: 0,
    bytesOut: 0,
    playerWrites: 0,
    droppedMessages: 0,
    stalledCloses: 0,
    reconnects: 0,
    graceExpiries: 0,
    codecsLeftOut: 0,
    queuedBytes: 0,
    sinkBytes: 0,
    gopBytes: 0,
  };
}
