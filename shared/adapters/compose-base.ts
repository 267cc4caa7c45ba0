/**
 * What the compositions of the deploy, watch and index functions share: their events, the policy
 * file, dry run and the clock, from the validated environment.
 */
import type { BaseEnv } from '../config/env';
import type { PolicyFile } from '../config/policy-file';
import { policyFileFor } from '../config/policy-file-reader';
import type { EventPublisher } from '../ports';
import { EventBridgePublisher } from './aws/event-publisher';

/** The dependencies every use case that publishes autopilot events takes besides its ports. */
export interface BaseDeps {
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/** Events on the autopilot bus, the policy file of the environment, its dry run and the wall clock. */
export function baseDeps(env: BaseEnv): BaseDeps {
  return {
    events: new EventBridgePublisher(env.AUTOPILOT_BUS),
    policyFile: policyFileFor(env),
    dryRun: env.AUTOPILOT_DRY_RUN,
    now: () => new Date(),
  };
}
