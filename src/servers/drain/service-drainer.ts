/** Builds a Service's Drainer from its parts (kept out of cli/service.ts, which wires one line of it). */
import type { Coordinator } from '../../cluster/coordinator.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Log } from '../../log.ts';
import type { ServerCounters } from '../counters.ts';
import type { LivePublisherRegistry } from '../ingest/live-publishers.ts';
import type { RtmpServer } from '../rtmp/rtmp-server.ts';
import type { TlsListeners } from '../tls/tls-listeners.ts';
import type { FastifyInstance } from 'fastify';
import { Drainer } from './drainer.ts';
import { installDrainGate } from './http-drain-gate.ts';

export type { Drainer } from './drainer.ts';

/** The parts a drain acts on. */
export interface ServiceDrainParts {
  readonly log: Log;
  readonly nodeId: string;
  readonly waitMs: number;
  readonly rtmp: RtmpServer;
  readonly tls: TlsListeners;
  readonly hub: Hub;
  readonly publishers: LivePublisherRegistry;
  readonly coordinator: Coordinator;
  readonly counters: ServerCounters;
  /** The playback app: its drain gate is installed here (/healthz 503 draining, plays 503 SERVER_DRAINING). */
  readonly http: FastifyInstance;
}

/** The drain of a running service: RTMP and RTMPS listeners close, the registry names the target, the hub's players end. */
export function serviceDrainer(p: ServiceDrainParts): Drainer {
  const drainer = new Drainer({
    log: p.log.child({ part: 'drain' }),
    nodeId: p.nodeId,
    waitMs: p.waitMs,
    stopAccepting: () => {
      p.rtmp.stopAccepting();
      // Only RTMPS: HTTPS keeps answering /healthz (503 draining), the admin API keeps serving the operator.
      void p.tls.rtmps?.stopAccepting();
    },
    nodes: () => p.coordinator.nodes(),
    publishers: () => p.rtmp.publishingConnections(),
    releaseClaim: (key) => p.coordinator.release(key),
    endOthers: (breakCode, reason) => p.publishers.endAll(breakCode, reason),
    endPlayers: (reason) => {
      let ended = 0;
      // RTMP players (relay plays of other nodes too) lose their connection, HTTP-FLV players reach the end of their body.
      for (const stream of [...p.hub.streams()]) {
        for (const subscriber of [...stream.subscribers]) {
          subscriber.terminate(reason);
          ended++;
        }
      }
      return ended;
    },
    countError: (code) => p.counters.countError(code),
  });
  installDrainGate(p.http, drainer);
  return drainer;
}
