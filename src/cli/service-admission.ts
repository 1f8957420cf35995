/** The one admission path of a Service (control/admission.ts) and the publisher claims it takes. */
import type { Log } from '../log.ts';
import { Admission } from '../control/admission.ts';
import type { PublisherClaims } from '../control/publisher-claims.ts';
import { RelayTokens } from '../control/relay-token.ts';
import type { Stream } from '../hub/stream.ts';
import { HubClaims } from '../servers/ingest/claim-stream.ts';
import { ClusterClaims } from '../servers/ingest/cluster-claims.ts';
import type { WorkerRole } from './service-options.ts';
import type { Service } from './service.ts';

/** What admission needs beyond the service's parts: the worker role, the relay log and the store-error hook. */
export interface AdmissionDeps {
  readonly worker: WorkerRole | undefined;
  readonly relayLog: Log;
  readonly onStoreError: (err: unknown) => void;
}

/** Admission over the service's access policy, claims, live publishers, hub capacity and relay tokens. */
export function createAdmission(s: Service, d: AdmissionDeps): Admission<Stream> {
  const { config, now } = s;
  const r = config.relay;
  return new Admission({
    access: s.access,
    claims: publisherClaims(s, d.worker),
    live: s.publishers,
    // With Redis the holder may be another node: it drops its publisher (21/102), bounded by the lease.
    ...((config.cluster.redis !== '' || d.worker !== undefined) && {
      replaceElsewhere: (t, ip) => s.streams.replaceElsewhere(t.app, t.stream, ip, s.coordinator.leaseMs),
    }),
    capacity: s.hub,
    relay: {
      tokens: r.secret === '' ? undefined : new RelayTokens(r.secret),
      maxHops: r.maxHops,
      now,
      onRelayPlay: (req, outcome, detail) =>
        d.relayLog.info(
          { stream: `${req.app}/${req.stream}`, clientIp: req.clientIp, outcome, detail },
          `relay play ${outcome}`,
        ),
    },
    countError: (code) => s.counters.countError(code),
    onRecordError: d.onStoreError,
  });
}

/**
 * This node's hub claims; with Redis, also the cluster lease (a stream live on another node is 18/601 here
 * too). The in-process default keeps the hub's synchronous claim alone: one process, nothing to agree on.
 */
function publisherClaims(s: Service, worker: WorkerRole | undefined): PublisherClaims<Stream> {
  if (s.config.cluster.redis === '' && !worker) return new HubClaims(s.hub);
  const claims = new ClusterClaims(s.hub, s.coordinator, (err) =>
    s.log.warn({ err }, 'could not release a cluster claim'),
  );
  s.publishers.onRemoved = (key) => claims.ended(key);
  return claims;
}
