/** What a Service can be given besides its config: test doubles, and a worker process's role. */
import type { Store } from '../store/store.ts';
import type { Access } from '../control/access.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import type { Stream } from '../hub/stream.ts';
import type { HubTimers } from '../hub/hub-options.ts';
import type { DnsResolver } from '../control/dns-resolver.ts';
import type { TsSinkFactory } from '../servers/srt/ts-payload-sink.ts';
import type { SessionForwarder } from '../servers/webrtc/session-owner.ts';

/** What can be swapped in tests: the clock and timers, the store, the access hook. */
export interface ServiceOverrides {
  readonly now?: () => number;
  /** The timers of the hub and the RTMP listener (its sweep: handshake, connect and idle timeouts); a fake clock in tests. */
  readonly timers?: HubTimers;
  readonly store?: Store;
  /** Answers the domains' CNAME and TXT checks (default: node:dns to `domains.dnsServers`); tests pass a stub. */
  readonly resolver?: DnsResolver;
  readonly access?: Access;
  /** The Coordinator (default: from `cluster.*`, in-process without `cluster.redis`). */
  readonly coordinator?: Coordinator;
  /** Where accepted SRT publishes send their TS bytes (the TS demuxer and the ingest; servers/srt/ts-payload-sink.ts). */
  readonly srtSinks?: TsSinkFactory<Stream>;
  /** This process is one of `--workers N` (cli/worker-process.ts): one node among its sibling workers. */
  readonly worker?: WorkerRole;
}

/** What a worker process changes in its service (docs/cluster.md "Worker processes"). */
export interface WorkerRole {
  /** Where its own RTMP listener binds (ephemeral port): its cluster.advertise for relays between workers. */
  readonly privateRtmpHost: string;
  /** Its own HLS folder: workers must not delete each other's segments. */
  readonly hlsDir: string;
  /**
   * Whether it loads the callbacks a previous run left queued and owed interruptions. SQLite's queue and open
   * pushes carry no node id, so on SQLite only worker 1's first start does (PostgreSQL: every worker, its own).
   */
  readonly recoverCallbacks: boolean;
  /** Its index (1..N): its WebRTC session ids start `w<index>.` (servers/webrtc/session-owner.ts). */
  readonly index?: number;
  /** Where DELETE/PATCH of a sibling's WebRTC session goes (cli/worker-forward.ts). */
  readonly forwarder?: SessionForwarder;
}
