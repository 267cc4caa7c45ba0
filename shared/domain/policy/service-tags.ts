/**
 * The service tags autopilot reads. ECS tag values allow letters, digits, spaces and `+ - = . _ : / @`
 * only, so anything richer lives in the policy file and a tag names it (`autopilot:policy`).
 */

/** Opts a service into deploy on push: `tag:<name>`, `semver:major|minor|patch`, `match` or `off`. */
export const DEPLOY_TAG = 'autopilot:deploy';
/** Names a policy of the policy file; without it, the cluster's policy or the defaults apply. */
export const POLICY_TAG = 'autopilot:policy';
/** `on` watches a service that does not deploy on push, `off` opts out of rollback. */
export const ROLLBACK_TAG = 'autopilot:rollback';
/** CloudWatch alarm names (separated by spaces) that mean unhealthy. */
export const ALARMS_TAG = 'autopilot:alarms';
