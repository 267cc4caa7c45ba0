/**
 * Starts a failed standalone task again (RunTask with its launch spec, `startedBy` autopilot, the
 * chain's tags and a client token): restart-due only.
 */
import {
  ECSClient,
  type NetworkConfiguration,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { AUTOPILOT_STARTED_BY } from '../../domain/restart/restart-mode';
import type { LaunchSpec, RunTaskResult, TaskStarter } from '../../ports';
import { awsErrorName, classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** RunTask's longest client token. */
const MAX_CLIENT_TOKEN = 64;
/** ECS allows 50 tags on a task; the chain's own go first, so the original's yield when over. */
const MAX_TAGS = 50;

/** The RunTask request of a launch spec, with `startedBy` autopilot and the chain's tags added. */
export function runTaskInput(
  spec: LaunchSpec,
  options: { clientToken: string; tags: Record<string, string> },
): RunTaskCommandInput {
  const own = Object.entries(options.tags).map(([key, value]) => ({ key, value }));
  const kept = (spec.tags ?? []).filter((t) => !(t.key in options.tags) && !t.key.startsWith('aws:'));
  return {
    cluster: spec.cluster,
    taskDefinition: spec.taskDefinition,
    count: 1,
    clientToken: options.clientToken.slice(0, MAX_CLIENT_TOKEN),
    startedBy: AUTOPILOT_STARTED_BY,
    tags: [...own, ...kept].slice(0, MAX_TAGS),
    ...(spec.launchType ? { launchType: spec.launchType as RunTaskCommandInput['launchType'] } : {}),
    ...(spec.capacityProviderStrategy ? { capacityProviderStrategy: spec.capacityProviderStrategy } : {}),
    ...(spec.platformVersion ? { platformVersion: spec.platformVersion } : {}),
    ...(spec.networkConfiguration
      ? { networkConfiguration: spec.networkConfiguration as NetworkConfiguration }
      : {}),
    ...(spec.overrides ? { overrides: spec.overrides as RunTaskCommandInput['overrides'] } : {}),
    ...(spec.group ? { group: spec.group } : {}),
    ...(spec.propagateTags
      ? { propagateTags: spec.propagateTags as RunTaskCommandInput['propagateTags'] }
      : {}),
    ...(spec.placementConstraints
      ? { placementConstraints: spec.placementConstraints as RunTaskCommandInput['placementConstraints'] }
      : {}),
    ...(spec.placementStrategy
      ? { placementStrategy: spec.placementStrategy as RunTaskCommandInput['placementStrategy'] }
      : {}),
    ...(spec.enableExecuteCommand !== undefined ? { enableExecuteCommand: spec.enableExecuteCommand } : {}),
    ...(spec.enableECSManagedTags !== undefined ? { enableECSManagedTags: spec.enableECSManagedTags } : {}),
  };
}

/** Starts a task again: RunTask, idempotent on the client token. */
export class EcsTaskStarter implements TaskStarter {
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async runTask(
    spec: LaunchSpec,
    options: { clientToken: string; tags: Record<string, string> },
  ): Promise<RunTaskResult> {
    try {
      const out = await this.client.send(new RunTaskCommand(runTaskInput(spec, options)));
      const taskArn = out.tasks?.[0]?.taskArn;
      if (taskArn) return { taskArn };
      return {
        failures: (out.failures ?? []).map(
          (f) => [f.reason, f.detail].filter(Boolean).join(': ') || 'unknown',
        ),
      };
    } catch (error) {
      // A request ECS refuses as such (the task definition gone, an invalid spec, a role refused) is
      // a failed attempt, backed off and counted like RunTask's failures[]; throttling and 5xx are
      // retried (the queue delivers the message again; the client token keeps it one task).
      const name = awsErrorName(error);
      if (name && PERMANENT_ECS_ERRORS.includes(name)) {
        return { failures: [`${name}: ${error instanceof Error ? error.message : String(error)}`] };
      }
      throw classifyAwsError(error, 'RunTask', PERMANENT_ECS_ERRORS);
    }
  }
}
