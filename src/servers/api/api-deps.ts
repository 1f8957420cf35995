/** What Cloud API actions may use: the control services and the live state of this node. */
import type { Config } from '../../cli/config-schema.ts';
import type { Store } from '../../store/store.ts';
import type { Domains } from '../../control/domains.ts';
import type { StreamPolicy } from '../../control/stream-policy.ts';
import type { PublishRecords } from '../../control/publish-records.ts';
import type { Hub } from '../../hub/hub.ts';
import type { LivePublisherRegistry } from '../ingest/live-publishers.ts';
import type { Log } from '../../log.ts';

/** Dependencies handed to every action group (`xxxActions(deps): ApiActions`). */
export interface ApiDeps {
  readonly config: Config;
  readonly store: Store;
  readonly domains: Domains;
  readonly streams: StreamPolicy;
  readonly records: PublishRecords;
  readonly publishers: LivePublisherRegistry;
  readonly hub: Hub;
  readonly log: Log;
  readonly now: () => number;
}
