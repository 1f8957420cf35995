/** The plain types of a stream's API: its publisher, codec facts, unpublish options and stats. */

/** Who publishes a stream; `id` identifies the session for `Hub.release()`. */
export interface PublisherInfo {
  readonly id: string;
  readonly clientIp?: string;
  readonly protocol?: string;
}

/** Codec facts the caller parsed from sequence headers (the hub parses no codec), per track. */
export interface StreamCodecInfo {
  video?: object;
  audio?: object;
}

/** How `unpublish()` ends a publish. */
export interface UnpublishOptions {
  /**
   * false ends the players at once (operator drop or forbid, shutdown); by default they wait
   * `reconnectGraceMs` for the stream to be published again (docs/cluster.md "Reconnect grace").
   */
  readonly grace?: boolean;
}

/** A snapshot of one stream for the API and metrics. */
export interface StreamStats {
  readonly key: string;
  readonly publisher: PublisherInfo | undefined;
  /** When the current publisher claimed the stream (hub clock), or undefined. */
  readonly publishedAt: number | undefined;
  readonly bytesIn: number;
  readonly messagesIn: number;
  /** Viewers: subscribers other than relay plays of other nodes (edges pulling this stream: `relays`). */
  readonly subscribers: number;
  readonly relays: number;
  readonly codecInfo: Readonly<StreamCodecInfo>;
  readonly gopBytes: number;
}
