/**
 * What the restart functions' compositions share: the chains, the delay queue, the events, dry run
 * and the clock. Each function has its own composition (`compose-restart-tasks.ts` reads tasks,
 * `compose-restart-due.ts` starts them), so each bundle, and its role (`test/contract/iam.test.ts`),
 * holds only its own ECS call.
 */
import type { RestartEnv } from '../config/env';
import { EventBridgePublisher } from './aws/event-publisher';
import { SqsRestartScheduler } from './aws/restart-delay-queue';
import { DynamoRestartChains } from './state/dynamo-restart-chains';

/** The ports both restart functions use, on AWS. */
export function restartCommonDeps(env: RestartEnv) {
  return {
    chains: new DynamoRestartChains(env.AUTOPILOT_TABLE),
    scheduler: new SqsRestartScheduler(env.AUTOPILOT_RESTART_QUEUE_URL),
    events: new EventBridgePublisher(env.AUTOPILOT_BUS),
    dryRun: env.AUTOPILOT_DRY_RUN,
    now: () => new Date(),
  };
}
