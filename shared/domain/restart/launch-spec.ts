/**
 * The launch spec of a standalone task: what RunTask was asked, which a restart asks again. Read
 * from the CloudTrail record of RunTask / StartTask (exact), or, when that never came, from the
 * task's RUNNING event. The event of an awsvpc task names its subnet and not its security groups:
 * those are read from the task's network interface while it exists, and without it the spec is
 * unknown, never guessed.
 */
import type { LaunchSpec, NetworkInterfaceView } from '../../ports';

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.flatMap((v) => {
        const record = asRecord(v);
        return record ? [record] : [];
      })
    : [];

/** The tags a RunTask request names, in RunTask's shape. */
function tagsOf(value: unknown): { key: string; value: string }[] {
  return records(value).flatMap((t) => {
    const key = asString(t.key);
    return key === undefined ? [] : [{ key, value: typeof t.value === 'string' ? t.value : '' }];
  });
}

/**
 * The launch spec a RunTask or StartTask record asked for (its `requestParameters`), for one of the
 * tasks it started (`clusterArn`: the cluster the task runs in, which a request without `cluster`
 * leaves to be the default). `undefined` when the request names no task definition.
 *
 * @example
 * launchSpecFromRequest({ cluster: 'batch', taskDefinition: 'worker:3', launchType: 'FARGATE', … }, clusterArn)
 */
export function launchSpecFromRequest(
  request: Record<string, unknown>,
  clusterArn: string,
): LaunchSpec | undefined {
  const taskDefinition = asString(request.taskDefinition);
  if (taskDefinition === undefined) return undefined;
  const awsvpc = asRecord(asRecord(request.networkConfiguration)?.awsvpcConfiguration);
  const strategy = records(request.capacityProviderStrategy).flatMap((s) => {
    const capacityProvider = asString(s.capacityProvider);
    return capacityProvider === undefined
      ? []
      : [
          {
            capacityProvider,
            ...(typeof s.weight === 'number' ? { weight: s.weight } : {}),
            ...(typeof s.base === 'number' ? { base: s.base } : {}),
          },
        ];
  });
  const tags = tagsOf(request.tags);
  const spec: LaunchSpec = {
    cluster: clusterArn,
    taskDefinition,
    ...opt('launchType', asString(request.launchType)),
    ...(strategy.length > 0 ? { capacityProviderStrategy: strategy } : {}),
    ...opt('platformVersion', asString(request.platformVersion)),
    ...(awsvpc
      ? {
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: strings(awsvpc.subnets),
              ...(awsvpc.securityGroups !== undefined
                ? { securityGroups: strings(awsvpc.securityGroups) }
                : {}),
              ...opt('assignPublicIp', asString(awsvpc.assignPublicIp)),
            },
          },
        }
      : {}),
    ...opt('overrides', asRecord(request.overrides)),
    ...opt('group', asString(request.group)),
    ...opt('startedBy', asString(request.startedBy)),
    ...(tags.length > 0 ? { tags } : {}),
    ...opt('propagateTags', asString(request.propagateTags)),
    ...(Array.isArray(request.placementConstraints)
      ? { placementConstraints: records(request.placementConstraints) }
      : {}),
    ...(Array.isArray(request.placementStrategy)
      ? { placementStrategy: records(request.placementStrategy) }
      : {}),
    ...(typeof request.enableExecuteCommand === 'boolean'
      ? { enableExecuteCommand: request.enableExecuteCommand }
      : {}),
    ...(typeof request.enableECSManagedTags === 'boolean'
      ? { enableECSManagedTags: request.enableECSManagedTags }
      : {}),
  };
  return spec;
}

/** An attachment of a task state change (`type` `eni` in events, `ElasticNetworkInterface` in DescribeTasks). */
export interface TaskAttachment {
  type?: string;
  details?: readonly { name: string; value?: string | undefined }[];
}

/** What a RUNNING "ECS Task State Change" says about how the task was launched. */
export interface RunningTask {
  clusterArn: string;
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviderName?: string;
  platformVersion?: string;
  group?: string;
  startedBy?: string;
  overrides?: Record<string, unknown>;
  attachments: readonly TaskAttachment[];
}

/**
 * The elastic network interface of an awsvpc task, as its event names it (`networkInterfaceId` and
 * `subnetId` in the attachment's details); `undefined` for a task without one (bridge, host).
 *
 * @example networkInterfaceOf(task) // { networkInterfaceId: 'eni-0123…', subnetId: 'subnet-0a1b…' }
 */
export function networkInterfaceOf(
  task: Pick<RunningTask, 'attachments'>,
): { networkInterfaceId?: string; subnetId?: string } | undefined {
  const eni = task.attachments.find((a) => a.type === 'eni' || a.type === 'ElasticNetworkInterface');
  if (!eni) return undefined;
  const detail = (name: string) => asString(eni.details?.find((d) => d.name === name)?.value);
  return {
    ...opt('networkInterfaceId', detail('networkInterfaceId')),
    ...opt('subnetId', detail('subnetId')),
  };
}

/**
 * The launch spec a RUNNING event shows, or why there is none. An awsvpc task needs the security
 * groups of its network interface (`networkInterface`, read from EC2 while the task runs): without
 * it the spec is unknown, never guessed. The interface gives one subnet, the one the task ran in,
 * where RunTask may have been given several.
 *
 * @example launchSpecFromRunning(task, { subnetId: 'subnet-0a1b', securityGroups: ['sg-0c2d'], publicIp: false })
 */
export function launchSpecFromRunning(
  task: RunningTask,
  networkInterface?: NetworkInterfaceView,
): { spec: LaunchSpec } | { unknown: string } {
  const awsvpc = networkInterfaceOf(task) !== undefined;
  if (awsvpc && networkInterface === undefined) {
    return {
      unknown: 'awsvpc task: its security groups are not in the event and its RunTask record never came',
    };
  }
  // A capacity provider's task is started with it again; ECS refuses launchType with a strategy.
  const placement = task.capacityProviderName
    ? { capacityProviderStrategy: [{ capacityProvider: task.capacityProviderName }] }
    : opt('launchType', task.launchType);
  return {
    spec: {
      cluster: task.clusterArn,
      taskDefinition: task.taskDefinitionArn,
      ...placement,
      ...opt('platformVersion', task.platformVersion),
      ...(awsvpc && networkInterface
        ? {
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: [networkInterface.subnetId],
                securityGroups: [...networkInterface.securityGroups],
                assignPublicIp: networkInterface.publicIp ? 'ENABLED' : 'DISABLED',
              },
            },
          }
        : {}),
      ...opt('group', task.group),
      ...opt('startedBy', task.startedBy),
      ...opt('overrides', task.overrides),
    },
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
