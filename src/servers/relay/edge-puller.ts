/**
 * Origin/edge relays: the node's puller. It follows the hub's demand (players and HLS segmenters of
 * each stream) and keeps one EdgePull per wanted stream that is not published here, however many
 * local players want it; at most `relay.maxPulls` connect or pull at once. Without `relay.secret` it
 * pulls nothing and says why once. docs/cluster.md "Origin/edge relays".
 */
import type { ErrorCode } from '../../errors.ts';
import type { Coordinator } from '../../cluster/coordinator.ts';
import { RelayTokens } from '../../control/relay-token.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { Stream } from '../../hub/stream.ts';
import { rtmpEdgeDialer, type EdgeDialer } from './edge-dialer.ts';
import { EdgePull, type EdgePullOptions, type EdgePullState, type EdgeTimers } from './edge-pull.ts';

/** What the puller is built from. */
export interface EdgePullerInit {
  readonly hub: Hub;
  readonly coordinator: Pick<Coordinator, 'nodeId' | 'holder'> & Partial<Pick<Coordinator, 'onCommand'>>;
  /** This node's `cluster.advertise` (host:port of its RTMP). */
  readonly selfAdvertise: () => string;
  /** `relay.secret`; empty = no pulls. */
  readonly secret: string;
  readonly maxPulls: number;
  readonly options: EdgePullOptions;
  readonly dial?: EdgeDialer;
  readonly timers?: EdgeTimers;
  readonly now: () => number;
  readonly random?: () => number;
  readonly log: HubLogger;
  readonly countError: (code: ErrorCode) => void;
}

/** Totals for /metrics. */
export interface EdgePullerStats {
  readonly connecting: number;
  readonly pulling: number;
  /** Streams wanted here that are looked up or waited for (nobody holds them, or a retry is due); not those published here. */
  readonly waiting: number;
  /** Pull errors since start, by code. */
  readonly errors: Readonly<Record<string, number>>;
}

const globalTimers: EdgeTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const pullErrorCodes = new Set<ErrorCode>([
  'EDGE_PULLS_FULL',
  'EDGE_PULL_UNREACHABLE',
  'EDGE_PULL_REFUSED',
  'EDGE_PULL_ENDED',
]);

/** One per node: `start()` it with the service, `close()` it before the hub. */
export class EdgePuller {
  readonly #init: EdgePullerInit;
  readonly #tokens: RelayTokens | undefined;
  readonly #pulls = new Map<string, EdgePull>();
  readonly #errors: Record<string, number> = {};
  #slots = 0;
  #offDemand: (() => void) | undefined;
  #offClaim: (() => void) | undefined;
  #offCommand: (() => void) | undefined;
  #noSecretLogged = false;
  #closed = false;

  constructor(init: EdgePullerInit) {
    this.#init = init;
    this.#tokens = init.secret === '' ? undefined : new RelayTokens(init.secret);
  }

  /** Whether this node pulls at all (`relay.secret` set). */
  get enabled(): boolean {
    return this.#tokens !== undefined;
  }

  /** Follows the hub's demand from now on. */
  start(): void {
    if (this.#offDemand || this.#closed) return;
    this.#offDemand = this.#init.hub.onDemand((stream) => this.#demand(stream));
    // A local encoder that takes a pulled stream over (cluster-claims.ts) makes its pull step aside.
    this.#offClaim = this.#init.hub.onClaim((stream) => this.#pulls.get(stream.key)?.yielded());
    // An operator drop or forbid ends the origin's players at once (no grace): the edge's players too.
    this.#offCommand = this.#init.coordinator.onCommand?.((command) => {
      if (command.kind === 'drop' || command.kind === 'forbid')
        this.#pulls.get(`${command.app}/${command.stream}`)?.cut(command.kind);
    });
  }

  /**
   * Whether `key` is worth waiting for here: published here, pulled already, or held by another node
   * (HLS asks before it starts a segmenter for a stream that is not live, so made-up names cost nothing).
   */
  async canPull(key: string): Promise<boolean> {
    if (this.#closed || !this.#tokens) return false;
    if (this.#pulls.get(key)?.state === 'pulling') return true;
    const holder = await this.#init.coordinator.holder(key).catch(() => undefined);
    return (
      holder !== undefined &&
      holder.nodeId !== this.#init.coordinator.nodeId &&
      holder.advertise !== this.#init.selfAdvertise()
    );
  }

  /** The pull of `key`, if one runs (tests, status). */
  pull(key: string): EdgePull | undefined {
    return this.#pulls.get(key);
  }

  /** Totals for /metrics. */
  stats(): EdgePullerStats {
    let connecting = 0;
    let pulling = 0;
    let waiting = 0;
    for (const pull of this.#pulls.values()) {
      const s: EdgePullState = pull.state;
      if (s === 'connecting') connecting++;
      else if (s === 'pulling') pulling++;
      else if (s !== 'stopped' && s !== 'local') waiting++;
    }
    return { connecting, pulling, waiting, errors: { ...this.#errors } };
  }

  /** Stops every pull (their local streams end at once) and stops following the hub; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#offDemand?.();
    this.#offClaim?.();
    this.#offCommand?.();
    for (const pull of [...this.#pulls.values()]) pull.stop();
  }

  #demand(stream: Stream): void {
    if (this.#closed) return;
    const n = stream.demand;
    const running = this.#pulls.get(stream.key);
    if (running) return running.demand(n);
    if (n === 0) return;
    // Published here too (an origin's own players): the pull only watches, without asking the registry,
    // so that when the encoder leaves and reconnects to another node within the grace it follows it there.
    if (!this.#tokens) return stream.live ? undefined : this.#explainNoSecret(stream.key);
    this.#startPull(stream.key, this.#tokens);
  }

  #startPull(key: string, tokens: RelayTokens): void {
    const init = this.#init;
    const pull = new EdgePull(key, {
      hub: init.hub,
      nodeId: init.coordinator.nodeId,
      selfAdvertise: init.selfAdvertise,
      holder: (k) => init.coordinator.holder(k),
      url: (advertise, k, hops) => relayUrl(advertise, k, tokens.mint(k, hops, init.now())),
      dial: init.dial ?? rtmpEdgeDialer,
      options: init.options,
      timers: init.timers ?? globalTimers,
      now: init.now,
      random: init.random,
      log: init.log,
      acquireSlot: () => {
        if (this.#slots >= init.maxPulls) return false;
        this.#slots++;
        return true;
      },
      releaseSlot: () => {
        this.#slots--;
      },
      countError: (code) => {
        if (pullErrorCodes.has(code)) this.#errors[code] = (this.#errors[code] ?? 0) + 1;
        init.countError(code);
      },
      onStopped: (p) => {
        if (this.#pulls.get(p.key) === p) this.#pulls.delete(p.key);
      },
    });
    this.#pulls.set(key, pull);
    pull.start();
  }

  /** Once per node: a stream that another node may hold is wanted here, but nothing can be pulled. */
  #explainNoSecret(key: string): void {
    if (this.#noSecretLogged) return;
    void this.#init.coordinator.holder(key).then(
      (holder) => {
        if (!holder || holder.nodeId === this.#init.coordinator.nodeId || this.#noSecretLogged) return;
        this.#noSecretLogged = true;
        this.#init.log.warn(
          { stream: key, origin: holder.nodeId, code: 'RELAY_NO_SECRET' },
          'a stream published on another node is wanted here, but relay.secret is empty: this node pulls no streams (docs/cluster.md "Origin/edge relays")',
        );
      },
      () => undefined,
    );
  }
}

/** `rtmp://advertise/app/stream?openliveRelay=…`: the relay play of `key` (app/stream) at a node. */
export function relayUrl(advertise: string, key: string, params: Record<string, string>): string {
  const slash = key.indexOf('/');
  const app = key.slice(0, slash);
  const stream = key.slice(slash + 1);
  const path = [app, ...stream.split('/')].map(encodeURIComponent).join('/');
  return `rtmp://${advertise}/${path}?${new URLSearchParams(params).toString()}`;
}
