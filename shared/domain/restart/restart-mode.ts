/**
 * Whether a standalone task is restarted when it stops: the `autopilot:restart` tag on the task (set
 * at RunTask, or propagated from its task definition): `on-failure`, `always` or `off`.
 */

/** The tag a task opts in with. */
export const RESTART_TAG = 'autopilot:restart';
/** Tags autopilot puts on a task it started again: the chain, the attempt, the caller's startedBy. */
export const RESTART_OF_TAG = 'autopilot:restart-of';
export const ATTEMPT_TAG = 'autopilot:attempt';
export const STARTED_BY_TAG = 'autopilot:started-by';
/** The `startedBy` of the tasks autopilot starts. */
export const AUTOPILOT_STARTED_BY = 'autopilot';

export { RESTART_MODES, type RestartMode } from '../policy/restart-policy';

import { RESTART_MODES, type RestartMode } from '../policy/restart-policy';

/**
 * The mode a tag value names, or why it names none (case and surrounding spaces ignored).
 *
 * @example parseRestartMode(' On-Failure ') // { mode: 'on-failure' }
 * @example parseRestartMode('yes') // { invalid: 'autopilot:restart value "yes" is not on-failure, always or off' }
 */
export function parseRestartMode(value: string): { mode: RestartMode } | { invalid: string } {
  const normal = value.trim().toLowerCase();
  const mode = RESTART_MODES.find((m) => m === normal);
  return mode ? { mode } : { invalid: `${RESTART_TAG} value "${value}" is not on-failure, always or off` };
}
