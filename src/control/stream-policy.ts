/**
 * Operator control of streams (Tencent DropLiveStream, ForbidLiveStream, ResumeLiveStream,
 * DescribeLiveForbidStreamList, DescribeLiveStreamState, DescribeLiveStreamOnlineList): the
 * decisions live here; the hub carries them out through the LivePublishers interface.
 */
import { Buffer } from 'node:buffer';
import { LiveError } from '../errors.ts';
import {
  streamClaimKey,
  type StreamCommand,
  type StreamCommandInput,
  type StreamHolder,
} from '../cluster/coordinator.ts';
import type { ForbiddenQuery, ForbiddenStream, Page, Store } from '../store/store.ts';
import { breakCodes } from './break-codes.ts';
import { nameProblem } from './names.ts';
import { findForbiddenName, forbidsOfName } from './forbid-lookup.ts';
import { droppedReason, forbiddenDropReason, replacedReason } from './reasons.ts';

/** A live publisher and its push quality, as the hub reports it. */
export interface LivePublisherInfo {
  readonly app: string;
  readonly stream: string;
  /** The push domain the access decision attributed it to. */
  readonly domain: string;
  readonly clientIp: string;
  readonly startedAt: number;
  readonly bytesIn: number;
  readonly videoCodec?: string;
  readonly audioCodec?: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Bits per second over the last few seconds. */
  readonly videoBitrate?: number;
  readonly audioBitrate?: number;
}

/** What stream control needs from the hub; the server implements it over its live streams. */
export interface LivePublishers {
  isLive(app: string, stream: string): boolean;
  /** Disconnects the publisher, ending its record with `breakCode` and `reason`; false if none was live. */
  drop(app: string, stream: string, breakCode: string, reason: string): boolean;
  list(): LivePublisherInfo[];
}

/** Tencent DescribeLiveStreamState: publishing now, not publishing, or forbidden. */
export type StreamState = 'active' | 'inactive' | 'forbid';

/** Forbid defaults and limits (Tencent: ResumeTime at most 90 days ahead, default 7 days; Reason ≤ 2048 bytes). */
export const forbidLimits = { defaultDays: 7, maxDays: 90, maxReasonBytes: 2048 } as const;
const day = 24 * 3600 * 1000;

/** A forbid request; `domain` empty or absent means every domain, `until` defaults to 7 days ahead. */
export interface ForbidInput {
  readonly app: string;
  readonly stream: string;
  readonly domain?: string;
  readonly until?: number;
  readonly reason?: string;
}

/** What stream control needs of the Coordinator: the broadcast to every node and the registry. */
export interface StreamCluster {
  /** This node's id (an entry of the registry with it is this node's own publisher). */
  readonly nodeId?: string;
  broadcast(command: StreamCommandInput): Promise<void>;
  holder(stream: string): Promise<StreamHolder | undefined>;
  /** Every claimed stream of the cluster with its holder (the cluster-wide online list). */
  holders?(): Promise<Map<string, StreamHolder>>;
}

/** A stream live somewhere in the cluster: this node's publishers, and other nodes' from the registry. */
export interface OnlineStream {
  readonly app: string;
  readonly stream: string;
  /** The push domain; '' when the holder did not record one (a node of an older version). */
  readonly domain: string;
  /** When the publish started (the holder's clock). */
  readonly startedAt: number;
  /** The node that holds it ('' without a cluster). */
  readonly nodeId: string;
}

/** How stream control is built. */
export interface StreamPolicyOptions {
  readonly store: Store;
  readonly live: LivePublishers;
  readonly now: () => number;
  /**
   * With a cluster, drop/forbid/resume are broadcast and every node (this one too) acts on its own publisher
   * in `apply`; without one (the CLI without cluster.redis, unit tests) they act on `live` directly.
   */
  readonly cluster?: StreamCluster;
  /** Waits between looks at the registry during a cross-node replace (tests: no real sleep). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How often a cross-node replace looks whether the holder gave the claim back. */
const replacePollMs = 25;

/** Drop, forbid, resume and state of streams. */
export class StreamPolicy {
  private readonly store: Store;
  private readonly live: LivePublishers;
  private readonly now: () => number;
  private readonly cluster: StreamCluster | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: StreamPolicyOptions) {
    this.store = options.store;
    this.live = options.live;
    this.now = options.now;
    this.cluster = options.cluster;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Kicks the publisher (21/100) on whichever node holds it; it may reconnect at once. Throws STREAM_NOT_LIVE if none is live. */
  async drop(app: string, stream: string, domain = ''): Promise<void> {
    const notLive = (): LiveError => new LiveError('STREAM_NOT_LIVE', `${app}/${stream} is not being published`);
    if (!this.cluster) {
      if (!this.liveOn(app, stream, domain) || !this.live.drop(app, stream, breakCodes.dropped, droppedReason()))
        throw notLive();
      return;
    }
    if (!this.liveOn(app, stream, domain) && !(await this.heldOn(app, stream, domain))) throw notLive();
    await this.tell({ kind: 'drop', app, stream, domain });
  }

  /**
   * Carries out a broadcast stream command on this node's own publisher (the Coordinator's subscriber
   * calls it on every node); true when it dropped one. A resume needs nothing here: forbids are read from
   * the store at each publish.
   */
  apply(command: StreamCommand): boolean {
    if (command.kind === 'resume') return false;
    if (command.kind === 'forbid')
      return this.dropName(command.stream, command.domain, forbiddenDropReason(command.until, command.reason));
    if (!this.liveOn(command.app, command.stream, command.domain)) return false;
    if (command.kind === 'drop')
      return this.live.drop(command.app, command.stream, breakCodes.dropped, droppedReason());
    if (command.kind === 'replace') {
      // The sender's own newcomer is not live yet; anything live here under its name is what it replaces,
      // unless the sender is this node (it dropped its own publisher itself before asking).
      if (command.from !== '' && command.from === this.cluster?.nodeId) return false;
      return this.live.drop(command.app, command.stream, breakCodes.replaced, replacedReason(command.clientIp));
    }
    return false;
  }

  /** A forbid holds for the stream name under every AppName (Tencent's key): drops each such publisher here. */
  private dropName(stream: string, domain: string, reason: string): boolean {
    let dropped = false;
    for (const p of this.live.list()) {
      if (
        p.stream === stream &&
        (domain === '' || p.domain === domain) &&
        this.live.drop(p.app, p.stream, breakCodes.forbidden, reason)
      )
        dropped = true;
    }
    return dropped;
  }

  /** Forbids publishing until a time; a live publisher is dropped at once (21/101), later publishes get 18/305. */
  async forbid(input: ForbidInput): Promise<ForbiddenStream> {
    checkNames(input.app, input.stream);
    const now = this.now();
    const entry: ForbiddenStream = {
      app: input.app,
      stream: input.stream,
      domain: await this.pushDomainName(input.domain ?? ''),
      until: input.until ?? now + forbidLimits.defaultDays * day,
      reason: input.reason ?? '',
      createdAt: now,
    };
    if (!Number.isFinite(entry.until) || entry.until <= now)
      throw new LiveError('FORBID_INVALID', 'the forbid must end in the future');
    if (entry.until > now + forbidLimits.maxDays * day) {
      throw new LiveError('FORBID_INVALID', `a forbid lasts at most ${forbidLimits.maxDays} days`);
    }
    if (Buffer.byteLength(entry.reason) > forbidLimits.maxReasonBytes) {
      throw new LiveError('FORBID_INVALID', `the reason is longer than ${forbidLimits.maxReasonBytes} bytes`);
    }
    await this.store.forbidStream(entry);
    const command = {
      kind: 'forbid',
      app: entry.app,
      stream: entry.stream,
      domain: entry.domain,
      until: entry.until,
      reason: entry.reason,
    } as const;
    if (this.cluster) await this.tell(command);
    else this.apply({ ...command, from: '' });
    return entry;
  }

  /**
   * Drops (21/101) this node's live publishers that a forbid in the store covers: after a Coordinator
   * outage, whose broadcasts were missed. Returns how many were dropped.
   */
  async enforceForbids(): Promise<number> {
    const now = this.now();
    let dropped = 0;
    for (const p of this.live.list()) {
      const forbid = await findForbiddenName(this.store, p.stream, p.domain, now);
      if (
        forbid &&
        this.apply({
          kind: 'forbid',
          app: p.app,
          stream: p.stream,
          domain: p.domain,
          until: forbid.until,
          reason: forbid.reason,
          from: '',
        })
      )
        dropped++;
    }
    return dropped;
  }

  /**
   * The replace policy when another node holds the stream: asks it to drop its publisher (21/102, a
   * `replace` broadcast), then waits up to `waitMs` (the lease: a dead holder's claim is gone by then too)
   * for the registry to show the claim given back. True when the newcomer may claim now; false when no
   * other node holds the stream, or it did not let go in time (the newcomer then gets 18/601).
   */
  async replaceElsewhere(app: string, stream: string, clientIp: string, waitMs: number): Promise<boolean> {
    const cluster = this.cluster;
    if (!cluster) return false;
    const key = streamClaimKey(app, stream);
    const holder = await cluster.holder(key);
    if (!holder || holder.nodeId === cluster.nodeId) return false;
    // Every domain: the claim is per app/stream, and a local replace drops the holder whatever its domain.
    await cluster.broadcast({ kind: 'replace', app, stream, domain: '', clientIp });
    for (let waited = 0; waited <= waitMs; waited += replacePollMs) {
      const now = await cluster.holder(key);
      if (now === undefined || now.nodeId !== holder.nodeId) return now === undefined;
      await this.sleep(replacePollMs);
    }
    return false;
  }

  /** Lifts a forbid now; false if there was none for (app, stream, domain). */
  async resume(app: string, stream: string, domain = ''): Promise<boolean> {
    // Keyed on the stream name as the forbid is: the forbids of this name on this domain go, whatever their AppName.
    let resumed = await this.store.resumeStream(app, stream, domain.toLowerCase());
    for (const f of await forbidsOfName(this.store, stream, domain.toLowerCase(), this.now())) {
      if (await this.store.resumeStream(f.app, f.stream, f.domain)) resumed = true;
    }
    // Only news for the other nodes (nothing to drop): a failed broadcast does not undo the resume.
    if (resumed)
      await this.cluster
        ?.broadcast({ kind: 'resume', app, stream, domain: domain.toLowerCase() })
        .catch(() => undefined);
    return resumed;
  }

  /** Forbids still in force, latest end first. */
  listForbidden(query: Omit<ForbiddenQuery, 'activeAt'> = {}): Promise<Page<ForbiddenStream>> {
    return this.store.listForbidden({ ...query, activeAt: this.now() });
  }

  /** Forbidden wins over live: a forbid drops the publisher, so both at once is only a moment. */
  async state(app: string, stream: string, domain = ''): Promise<StreamState> {
    const now = this.now();
    const forbidden = domain
      ? (await findForbiddenName(this.store, stream, domain.toLowerCase(), now)) !== undefined
      : (await this.store.listForbidden({ stream, activeAt: now, limit: 1 })).total > 0;
    if (forbidden) return 'forbid';
    if (this.liveOn(app, stream, domain)) return 'active';
    // Any node answers for the whole cluster: a stream held by another node is live too.
    return this.cluster && (await this.heldOn(app, stream, domain).catch(() => false)) ? 'active' : 'inactive';
  }

  /**
   * The live streams of the whole cluster, oldest first: this node's publishers, then what the registry
   * says the other nodes hold (Coordinator.holders). When the registry cannot be read, this node's alone.
   */
  async listOnline(filter: { domain?: string; app?: string; stream?: string } = {}): Promise<OnlineStream[]> {
    const self = this.cluster?.nodeId ?? '';
    const local = this.listLive(filter)
      .filter((p) => filter.stream === undefined || p.stream === filter.stream)
      .map((p): OnlineStream => ({
        app: p.app,
        stream: p.stream,
        domain: p.domain,
        startedAt: p.startedAt,
        nodeId: self,
      }));
    const holders = this.cluster?.holders
      ? await this.cluster.holders().catch(() => new Map<string, StreamHolder>())
      : new Map<string, StreamHolder>();
    const seen = new Set(local.map((p) => streamClaimKey(p.app, p.stream)));
    const remote: OnlineStream[] = [];
    for (const [key, holder] of holders) {
      if (seen.has(key) || holder.nodeId === self) continue;
      const slash = key.indexOf('/');
      const entry = {
        app: key.slice(0, slash),
        stream: key.slice(slash + 1),
        domain: holder.domain ?? '',
        startedAt: holder.since,
        nodeId: holder.nodeId,
      };
      if (
        slash <= 0 ||
        (filter.app !== undefined && entry.app !== filter.app) ||
        (filter.stream !== undefined && entry.stream !== filter.stream)
      )
        continue;
      if (filter.domain !== undefined && entry.domain !== filter.domain) continue;
      remote.push(entry);
    }
    return [...local, ...remote].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Live publishers with their push quality, optionally of one domain or app, oldest first. */
  listLive(filter: { domain?: string; app?: string } = {}): LivePublisherInfo[] {
    return this.live
      .list()
      .filter(
        (p) =>
          (filter.domain === undefined || p.domain === filter.domain) &&
          (filter.app === undefined || p.app === filter.app),
      )
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  /**
   * Broadcasts a command; when the Coordinator cannot be reached, carries it out here at least and says
   * that the other nodes were not told (COORDINATOR_UNAVAILABLE), the stored forbid staying in force.
   */
  private async tell(command: StreamCommandInput): Promise<void> {
    try {
      await this.cluster!.broadcast(command);
    } catch (err) {
      this.apply({ ...command, from: '' } as StreamCommand);
      const stored = command.kind === 'forbid' ? 'the forbid is stored and ' : '';
      throw new LiveError(
        'COORDINATOR_UNAVAILABLE',
        `${command.app}/${command.stream}: ${stored}this node applied the ${command.kind}, but other nodes could not be told (${(err as Error).message})`,
        { cause: err },
      );
    }
  }

  /** Claimed by some node (the cluster's registry), on `domain` when one is named and the claim recorded one. */
  private async heldOn(app: string, stream: string, domain: string): Promise<boolean> {
    const holder = await this.cluster!.holder(streamClaimKey(app, stream));
    return holder !== undefined && (domain === '' || holder.domain === undefined || holder.domain === domain);
  }

  /** Live, and on `domain` when one is named. */
  private liveOn(app: string, stream: string, domain: string): boolean {
    if (!this.live.isLive(app, stream)) return false;
    return domain === '' || this.live.list().some((p) => p.app === app && p.stream === stream && p.domain === domain);
  }

  /** The lowercase name of an existing push domain, or '' for every domain. */
  private async pushDomainName(name: string): Promise<string> {
    if (name === '') return '';
    const domain = await this.store.getDomain(name.toLowerCase());
    if (!domain) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
    if (domain.type !== 'push')
      throw new LiveError('DOMAIN_TYPE_MISMATCH', `${domain.name} is a play domain; forbid on its push domain`);
    return domain.name;
  }
}

function checkNames(app: string, stream: string): void {
  const appProblem = nameProblem(app);
  if (appProblem) throw new LiveError('APP_NAME_INVALID', `AppName ${JSON.stringify(app.slice(0, 64))} ${appProblem}`);
  const streamProblem = nameProblem(stream);
  if (streamProblem)
    throw new LiveError('STREAM_NAME_INVALID', `StreamName ${JSON.stringify(stream.slice(0, 64))} ${streamProblem}`);
}
