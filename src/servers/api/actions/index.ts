/** Every Cloud API action the router serves; each group adds one import and one line to `groups`. */
import type { ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { domainActions } from './domain-actions.ts';
import { authKeyActions } from './auth-key-actions.ts';
import { doctorActions } from './doctor-actions.ts';
import { streamActions } from './stream-actions.ts';
import { recordActions } from './record-actions.ts';
import { serverInfoActions } from './server-info-actions.ts';
import { callbackActions } from './callback-actions.ts';
import { forwardActions } from './forward-actions.ts';
import { certActions } from './cert-actions.ts';
import { recordTemplateActions } from './record-template-actions.ts';
import { recordTaskActions } from './record-task-actions.ts';
import { liveRecordActions } from './live-record-actions.ts';
import { drainActions } from './drain-actions.ts';
import { statsPlayActions } from './stats-play-actions.ts';
import { statsBillActions } from './stats-bill-actions.ts';
import { snapshotTemplateActions } from './snapshot-template-actions.ts';
import { snapshotTaskActions } from './snapshot-task-actions.ts';
import { refererActions } from './referer-actions.ts';
import { playDomainActions } from './play-domain-actions.ts';

/** A group of actions built from the shared dependencies. */
export type ApiActionGroup = (deps: ApiDeps) => ApiActions;

/** The registered groups. */
export const groups: readonly ApiActionGroup[] = [
  domainActions,
  authKeyActions,
  doctorActions,
  streamActions,
  recordActions,
  serverInfoActions,
  callbackActions,
  forwardActions,
  certActions,
  recordTemplateActions,
  recordTaskActions,
  liveRecordActions,
  drainActions,
  statsPlayActions,
  statsBillActions,
  snapshotTemplateActions,
  snapshotTaskActions,
  refererActions,
  playDomainActions,
];

/** Merges groups; an action defined by two groups is a programming error, caught at start-up. */
export function mergeActions(built: readonly ApiActions[]): ApiActions {
  const all: Record<string, ApiActions[string]> = {};
  for (const group of built) {
    for (const [name, handler] of Object.entries(group)) {
      if (Object.hasOwn(all, name)) throw new Error(`Cloud API action ${name} is defined by two groups`);
      all[name] = handler;
    }
  }
  return all;
}

/** Every registered action. */
export function allActions(deps: ApiDeps): ApiActions {
  return mergeActions(groups.map((group) => group(deps)));
}
