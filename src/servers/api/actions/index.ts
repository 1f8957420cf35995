/** Every Cloud API action the router serves; each group adds one line here. */
import type { ApiActions } from '../api-action.ts';

/** The action groups, merged; the deps type grows with the groups. */
export function allActions(groups: readonly ApiActions[]): ApiActions {
  return Object.assign({}, ...groups) as ApiActions;
}
