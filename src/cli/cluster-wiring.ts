/**
 * What a node does with the Coordinator's news: each broadcast stream command is carried out on this node's
 * own publisher (StreamPolicy.apply), and a claim the node lost (Redis unreachable for its lease, or found
 * expired) ends the local publisher with 5/0 so its encoder reconnects, to a node that can claim the stream.
 * After an outage, forbids in the store are enforced on the local publishers (their broadcasts were missed).
 */
import type { Coordinator } from '../cluster/coordinator.ts';
import { breakCodes, sentence } from '../control/break-codes.ts';
import type { LivePublishers, StreamPolicy } from '../control/stream-policy.ts';
import type { Log } from '../log.ts';
import type { ServerCounters } from '../servers/counters.ts';
import { streamKey } from '../servers/stream-key.ts';

/** The parts of a node the Coordinator's listeners reach. */
export interface ClusterWiring {
  readonly coordinator: Coordinator;
  readonly streams: StreamPolicy;
  readonly publishers: LivePublishers;
  readonly counters: Pick<ServerCounters, 'countError'>;
  readonly log: Log;
}

/** The sentence a publisher dropped for a lost claim gets (ffmpeg prints it as "Server error: ..."). */
export function leaseLostReason(): string {
  return sentence(
    breakCodes.internalError,
    'this server lost its cluster claim of the stream (coordinator unreachable); publish again',
  );
}

/** Subscribes the node's stream control and publishers to the Coordinator; returns the unsubscribe. */
export function wireCluster(parts: ClusterWiring): () => void {
  const { coordinator, streams, publishers, counters, log } = parts;
  const offCommand = coordinator.onCommand((command) => {
    if (streams.apply(command))
      log.info(
        { command: command.kind, stream: streamKey(command.app, command.stream), from: command.from },
        'applied a stream command',
      );
  });
  const offLost = coordinator.onLost((stream, reason) => {
    counters.countError('COORDINATOR_LEASE_LOST');
    // Another node may hold the stream by now: two publishers of one stream must not both stay live.
    const publisher = publishers.list().find((p) => streamKey(p.app, p.stream) === stream);
    if (publisher) publishers.drop(publisher.app, publisher.stream, breakCodes.internalError, leaseLostReason());
    log.warn(
      { stream, reason, dropped: publisher !== undefined, code: 'COORDINATOR_LEASE_LOST' },
      'lost the cluster claim of a stream',
    );
  });
  // Pub/sub keeps nothing: a forbid broadcast while Redis was out of reach is read back from the store.
  const offReconnect = coordinator.onReconnect(() => {
    streams.enforceForbids().then(
      (dropped) =>
        dropped > 0 && log.info({ dropped }, 'dropped publishers forbidden while the coordinator was unreachable'),
      (err: unknown) => log.warn({ err }, 'could not check live publishers against forbids after a reconnect'),
    );
  });
  return () => {
    offCommand();
    offLost();
    offReconnect();
  };
}
