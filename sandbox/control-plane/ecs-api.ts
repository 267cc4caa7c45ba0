/**
 * The Amazon ECS operations of the control plane (target prefix `AmazonEC2ContainerServiceV20141113`):
 * request and response shapes as in the ECS API reference
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/), errors with the codes and, where known,
 * the messages ECS answers with.
 */
import type {
  Attribute,
  CapacityProvider,
  Cluster,
  ContainerDefinition,
  CreateCapacityProviderRequest,
  CreateClusterRequest,
  CreateServiceRequest,
  DeleteClusterRequest,
  DeleteServiceRequest,
  DeregisterTaskDefinitionRequest,
  DescribeCapacityProvidersRequest,
  DescribeClustersRequest,
  DescribeServiceDeploymentsRequest,
  DescribeServiceRevisionsRequest,
  DescribeServicesRequest,
  DescribeTaskDefinitionRequest,
  DescribeTasksRequest,
  Failure,
  ListAccountSettingsRequest,
  ListClustersRequest,
  ListServiceDeploymentsRequest,
  ListServicesRequest,
  ListTagsForResourceRequest,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionsRequest,
  ListTasksRequest,
  PutAccountSettingRequest,
  RegisterTaskDefinitionRequest,
  RunTaskRequest,
  Service,
  ServiceDeployment,
  ServiceDeploymentBrief,
  ServiceRevision,
  ServiceRevisionSummary,
  Setting,
  StartTaskRequest,
  StopServiceDeploymentRequest,
  StopTaskRequest,
  Tag,
  TagResourceRequest,
  Task,
  TaskDefinition,
  UntagResourceRequest,
  UpdateServiceRequest,
} from '@aws-sdk/client-ecs';
import {
  type CallContext,
  copy,
  type OperationTable,
  paginate,
  requireString,
  sameJson,
} from './api-support';
import type { DeploymentController } from './deployments';
import {
  AwsApiError,
  clientException,
  clusterNotFound,
  conflict,
  invalidParameter,
  serviceDeploymentNotFound,
  serviceNotActive,
  serviceNotFound,
} from './errors';
import {
  type ClusterRecord,
  ControlPlaneModel,
  cannotPullReason,
  NO_CAPACITY_REASON,
  ONGOING_SERVICE_DEPLOYMENT_STATUSES,
  type ResolvedContainer,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  type TaskBehaviour,
  type TaskDefinitionRecord,
  type TaskFate,
  type TaskRecord,
} from './model';
import type { IdGenerator } from './random';
import { resolveContainers, type TaskControl } from './tasks';

/** How long ECS remembers a RunTask client token. */
const RUN_TASK_TOKEN_TTL_MS = 24 * 3_600_000;

const PLACEMENT_CONSTRAINTS: ReadonlySet<string> = new Set(['distinctInstance', 'memberOf']);
const PLACEMENT_STRATEGIES: ReadonlySet<string> = new Set(['random', 'spread', 'binpack']);

/**
 * RunTask's placement: at most 10 constraints (`distinctInstance`, `memberOf` with an expression) and
 * 5 strategies (`random`, `spread`, `binpack`); Fargate places tasks itself and takes neither.
 * Accepted placements are kept in the request (and its CloudTrail record) only: the sandbox has no
 * container instances to place on.
 */
function checkPlacement(input: RunTaskRequest, launchType: string): void {
  const constraints = input.placementConstraints ?? [];
  const strategies = input.placementStrategy ?? [];
  if (launchType === 'FARGATE' && (constraints.length > 0 || strategies.length > 0))
    throw invalidParameter(
      'Task placement constraints and strategies are not supported with launch type FARGATE.',
    );
  if (constraints.length > 10) throw invalidParameter('At most 10 placement constraints can be specified.');
  if (strategies.length > 5) throw invalidParameter('At most 5 placement strategies can be specified.');
  for (const constraint of constraints) {
    if (!PLACEMENT_CONSTRAINTS.has(constraint.type ?? ''))
      throw invalidParameter(`Invalid placement constraint type: ${String(constraint.type)}.`);
    if (constraint.type === 'memberOf' && !constraint.expression)
      throw invalidParameter('A memberOf placement constraint requires an expression.');
  }
  for (const strategy of strategies) {
    if (!PLACEMENT_STRATEGIES.has(strategy.type ?? ''))
      throw invalidParameter(`Invalid placement strategy type: ${String(strategy.type)}.`);
  }
}

/** What a fate makes the tasks of a RunTask call do, with the reasons ECS gives. */
function behaviourOfFate(
  fate: TaskFate,
  taskDefinition: TaskDefinitionRecord,
  containers: readonly ResolvedContainer[],
): TaskBehaviour {
  switch (fate.kind) {
    case 'exit':
      return { kind: 'exit', exitCode: fate.exitCode };
    case 'oom':
      return { kind: 'oom' };
    case 'spot':
      return { kind: 'spot-interruption' };
    case 'fail-to-start':
      switch (fate.cause) {
        case 'image': {
          const image = containers[0]?.image ?? 'unknown';
          return { kind: 'fail-to-start', stage: 'PENDING', reason: cannotPullReason(image) };
        }
        case 'capacity':
          return { kind: 'fail-to-start', stage: 'PROVISIONING', reason: NO_CAPACITY_REASON };
        case 'resource-initialization':
          return {
            kind: 'fail-to-start',
            stage: 'PENDING',
            reason: resourceInitializationReason(taskDefinition),
          };
      }
  }
}

/**
 * The `ResourceInitializationError` of a task whose secret cannot be read: its first secret (an SSM
 * parameter or a Secrets Manager secret), else a made-up Secrets Manager one.
 */
function resourceInitializationReason(taskDefinition: TaskDefinitionRecord): string {
  const secret = (taskDefinition.definition.containerDefinitions ?? [])
    .flatMap((c) => c.secrets ?? [])
    .find((s) => s.valueFrom)?.valueFrom;
  const prefix =
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:';
  if (secret?.includes(':ssm:') || secret?.startsWith('/')) {
    const name = secret.includes(':parameter')
      ? secret.slice(secret.indexOf(':parameter') + ':parameter'.length)
      : secret;
    return `${prefix} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: ${name}`;
  }
  const arn =
    secret ?? `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${taskDefinition.family}/missing`;
  return (
    `${prefix} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch ` +
    `secret ${arn} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`
  );
}

/** What the ECS handlers work with. */
export interface EcsApiDeps {
  model: ControlPlaneModel;
  /** RunTask and StopTask. */
  tasks: TaskControl;
  /** CreateService, UpdateService, DeleteService and StopServiceDeployment. */
  deployments: Pick<DeploymentController, 'beginDeployment' | 'requestReconcile' | 'stopServiceDeployment'>;
  now: () => Date;
  /** Seeded ids (the container instances of RunTask failures). */
  ids: IdGenerator;
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;

/** The account settings of the ARN formats. */
const LONG_ARN_SETTINGS: ReadonlySet<string> = new Set([
  'serviceLongArnFormat',
  'taskLongArnFormat',
  'containerInstanceLongArnFormat',
]);
const MAX_TAGS = 50;

/** The `status` values of a service deployment (ListServiceDeployments filter). */
const SERVICE_DEPLOYMENT_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'SUCCESSFUL',
  'STOPPED',
  'STOP_REQUESTED',
  'IN_PROGRESS',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);

/** A wire timestamp (epoch seconds, as the SDK sends `Date`s; an ISO string is accepted too). */
function wireDate(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date =
    typeof value === 'number'
      ? new Date(value * 1000)
      : typeof value === 'string'
        ? new Date(value)
        : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalidParameter(`${name} is not a valid timestamp.`);
  return date;
}

/**
 * The characters a tag key or value may hold (the API reference's pattern for `Tag`): letters,
 * separators (spaces), numbers and `_ . : / = + - @`.
 */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Whether a tag key is AWS's own (`aws:` in any case): reserved, and not counted in the 50. */
export function isAwsTagKey(key: string | undefined): boolean {
  return (key ?? '').toLowerCase().startsWith('aws:');
}

/**
 * A constraint failure in the words of AWS's request validation (`1 validation error detected:
 * Value '…' at 'tags.1.member.key' failed to satisfy constraint: …`).
 */
function tagConstraint(value: string, at: string, constraint: string): AwsApiError {
  return invalidParameter(
    `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: ${constraint}`,
  );
}

/**
 * Checks ECS tags as ECS does: at most 50 user tags (`aws:` ones not counted), keys 1-128 characters,
 * values up to 256, both of letters, spaces, numbers and `_ . : / = + - @`, and no key with the
 * reserved `aws:` prefix (in any case).
 *
 * @param member - the request member, for the messages (`tags`)
 */
export function validateEcsTags(tags: readonly Tag[] | undefined, member = 'tags'): Tag[] {
  const list = tags ?? [];
  if (list.filter((t) => !isAwsTagKey(t.key)).length > MAX_TAGS)
    throw invalidParameter(`The number of tags exceeds the limit of ${MAX_TAGS}.`);
  list.forEach((tag, index) => {
    const key = tag.key ?? '';
    const value = tag.value ?? '';
    const at = `${member}.${index + 1}.member`;
    if (key.length < 1)
      throw tagConstraint(key, `${at}.key`, 'Member must have length greater than or equal to 1');
    if ([...key].length > 128)
      throw tagConstraint(key, `${at}.key`, 'Member must have length less than or equal to 128');
    if ([...value].length > 256)
      throw tagConstraint(value, `${at}.value`, 'Member must have length less than or equal to 256');
    if (!TAG_CHARACTERS.test(key))
      throw tagConstraint(key, `${at}.key`, `Member must satisfy regular expression pattern: ${TAG_PATTERN}`);
    if (!TAG_CHARACTERS.test(value))
      throw tagConstraint(
        value,
        `${at}.value`,
        `Member must satisfy regular expression pattern: ${TAG_PATTERN}`,
      );
    if (isAwsTagKey(key)) {
      throw invalidParameter(`Tag key '${key}' is invalid: the 'aws:' prefix is reserved for AWS use.`);
    }
  });
  return list.map((t) => ({ key: t.key, value: t.value ?? '' }));
}

/** The pattern as the API reference and the validation messages write it. */
const TAG_PATTERN = '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$';

/** The attributes ECS derives from a task definition (what a container instance must support). */
function requiresAttributes(input: RegisterTaskDefinitionRequest, registryHost: string): Attribute[] {
  const names = new Set<string>();
  const containers = input.containerDefinitions ?? [];
  if (input.networkMode === 'awsvpc') names.add('ecs.capability.task-eni');
  if (input.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role');
  for (const c of containers) {
    if (c.image?.includes('.dkr.ecr.')) {
      names.add('com.amazonaws.ecs.capability.ecr-auth');
      if (input.executionRoleArn) names.add('ecs.capability.execution-role-ecr-pull');
    }
    if (c.image?.startsWith(registryHost) && input.executionRoleArn)
      names.add('ecs.capability.execution-role-ecr-pull');
    if (c.logConfiguration?.logDriver === 'awslogs') {
      names.add('com.amazonaws.ecs.capability.logging-driver.awslogs');
      names.add('com.amazonaws.ecs.capability.docker-remote-api.1.19');
      if (input.executionRoleArn) names.add('ecs.capability.execution-role-awslogs');
    }
    if (c.healthCheck) {
      names.add('ecs.capability.container-health-check');
      names.add('com.amazonaws.ecs.capability.docker-remote-api.1.24');
    }
    for (const secret of [...(c.secrets ?? []), ...(c.logConfiguration?.secretOptions ?? [])]) {
      names.add(
        secret.valueFrom?.includes(':secretsmanager:')
          ? 'ecs.capability.secrets.asm.environment-variables'
          : 'ecs.capability.secrets.ssm.environment-variables',
      );
    }
    if (c.dependsOn?.length) names.add('ecs.capability.container-ordering');
    if (c.firelensConfiguration) names.add('ecs.capability.firelens.fluentbit');
  }
  if (input.proxyConfiguration)
    names.add('ecs.capability.task-eni').add('ecs.capability.proxy-configuration');
  if (input.runtimePlatform?.cpuArchitecture === 'ARM64') names.add('ecs.capability.cpu-architecture.arm64');
  if ((input.volumes ?? []).some((v) => v.efsVolumeConfiguration)) names.add('ecs.capability.efsAuth');
  names.add('com.amazonaws.ecs.capability.docker-remote-api.1.18');
  return [...names].sort().map((name) => ({ name }));
}

/** A container definition with the defaults ECS fills in when it registers one. */
function withContainerDefaults(container: ContainerDefinition, awsvpc: boolean): ContainerDefinition {
  return {
    cpu: 0,
    essential: true,
    environment: [],
    mountPoints: [],
    volumesFrom: [],
    systemControls: [],
    ...container,
    portMappings: (container.portMappings ?? []).map((p) => ({
      ...p,
      ...(awsvpc && p.hostPort === undefined && p.containerPort !== undefined
        ? { hostPort: p.containerPort }
        : {}),
      protocol: p.protocol ?? 'tcp',
    })),
  };
}

/**
 * The references of a Describe* call, which ECS takes 1 to `max` at a time.
 *
 * @param name - the request member, as the error messages name it
 * @param empty - the message when there are none (ECS words it differently per operation)
 */
function describedRefs<Ref>(
  refs: unknown,
  name: string,
  max: number,
  empty = `${name} can not be empty.`,
): Ref[] {
  if (!Array.isArray(refs) || refs.length === 0) throw invalidParameter(empty);
  if (refs.length > max) throw invalidParameter(`${name} can have at most ${max} items.`);
  return refs;
}

/**
 * What `find` finds for an ARN of a request (undefined: nothing); anything that is no such ARN, a
 * string or not, is a client error.
 *
 * @param kind - what the ARN names, for the message (`service deployment`)
 */
function byArn<T>(
  arn: unknown,
  find: (arn: string) => T | undefined | 'malformed',
  kind: string,
): T | undefined {
  const found = typeof arn === 'string' ? find(arn) : 'malformed';
  if (found === 'malformed') throw invalidParameter(`Invalid ${kind} ARN: ${String(arn)}.`);
  return found;
}

/**
 * What the Describe* operations answer: the view of each reference found, in request order, and a
 * `MISSING` failure (naming the ARN asked for) for each other one.
 */
function describeEach<Ref, Found, View>(
  refs: readonly Ref[],
  find: (ref: Ref) => Found | undefined,
  view: (found: Found) => View,
  arnOf: (ref: Ref) => string,
): { found: View[]; failures: Failure[] } {
  const found: View[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const record = find(ref);
    if (record) found.push(view(record));
    else failures.push({ arn: arnOf(ref), reason: 'MISSING' });
  }
  return { found, failures };
}

/** The ECS operations over a model, the task lifecycle and the deployment controller. */
export class EcsApi {
  /** @param deps - model, tasks, deployments and clock */
  constructor(private readonly deps: EcsApiDeps) {}

  /** Every operation with its handler; the mutating ones are delivered through CloudTrail. */
  operations(): OperationTable {
    const op = (handler: (input: never, context: CallContext) => unknown, mutating: boolean) => ({
      handler: handler.bind(this) as (input: unknown, context: CallContext) => unknown,
      mutating,
    });
    return {
      CreateCluster: op(this.createCluster, true),
      DescribeClusters: op(this.describeClusters, false),
      ListClusters: op(this.listClusters, false),
      DeleteCluster: op(this.deleteCluster, true),
      RegisterTaskDefinition: op(this.registerTaskDefinition, true),
      DescribeTaskDefinition: op(this.describeTaskDefinition, false),
      ListTaskDefinitions: op(this.listTaskDefinitions, false),
      ListTaskDefinitionFamilies: op(this.listTaskDefinitionFamilies, false),
      DeregisterTaskDefinition: op(this.deregisterTaskDefinition, true),
      CreateService: op(this.createService, true),
      UpdateService: op(this.updateService, true),
      DeleteService: op(this.deleteService, true),
      DescribeServices: op(this.describeServices, false),
      ListServices: op(this.listServices, false),
      RunTask: op(this.runTask, true),
      StartTask: op(this.startTask, true),
      StopTask: op(this.stopTask, true),
      DescribeTasks: op(this.describeTasks, false),
      ListTasks: op(this.listTasks, false),
      ListServiceDeployments: op(this.listServiceDeployments, false),
      DescribeServiceDeployments: op(this.describeServiceDeployments, false),
      DescribeServiceRevisions: op(this.describeServiceRevisions, false),
      StopServiceDeployment: op(this.stopServiceDeployment, true),
      CreateCapacityProvider: op(this.createCapacityProvider, true),
      DescribeCapacityProviders: op(this.describeCapacityProviders, false),
      PutAccountSetting: op(this.putAccountSetting, true),
      ListAccountSettings: op(this.listAccountSettings, false),
      TagResource: op(this.tagResource, true),
      UntagResource: op(this.untagResource, true),
      ListTagsForResource: op(this.listTagsForResource, false),
    };
  }

  // ------------------------------------------------------------- helpers

  private cluster(ref: string | undefined): ClusterRecord {
    const record = this.deps.model.activeCluster(ref);
    if (!record) throw clusterNotFound();
    return record;
  }

  private taskDefinition(
    ref: string | undefined,
    message = 'TaskDefinition not found.',
  ): TaskDefinitionRecord {
    const record = ref ? this.deps.model.findTaskDefinition(ref) : undefined;
    if (!record) throw clientException(message);
    return record;
  }

  private clusterView(record: ClusterRecord, include: readonly string[] = []): Cluster {
    const { model } = this.deps;
    const tasks = model.tasksOfCluster(record.name);
    const view: Cluster = {
      ...copy(record.cluster),
      runningTasksCount: tasks.filter((t) => t.task.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter(
        (t) => t.task.lastStatus === 'PROVISIONING' || t.task.lastStatus === 'PENDING',
      ).length,
      activeServicesCount: model.servicesOf(record.name).filter((s) => s.service.status === 'ACTIVE').length,
      registeredContainerInstancesCount: 0,
    };
    if (include.includes('TAGS')) view.tags = model.tagsOf(record.arn);
    return view;
  }

  private serviceView(record: ServiceRecord, includeTags: boolean): Service {
    const view: Service = copy(record.service);
    if (includeTags) view.tags = this.deps.model.tagsOf(record.arn);
    const current = record.serviceDeployments.at(-1);
    if (current) {
      view.currentServiceDeployment = current.arn;
      const revisions = new Set(
        record.service.deployments
          .map((d) => record.deploymentState.get(d.id ?? '')?.revisionArn)
          .filter((arn): arn is string => arn !== undefined),
      );
      view.currentServiceRevisions = [...revisions].map((arn) => this.revisionSummary(record, arn));
    }
    return view;
  }

  private revisionSummary(
    record: ServiceRecord,
    arn: string,
    frozen?: ServiceDeploymentRecord['finalCounts'],
  ): ServiceRevisionSummary {
    return { arn, ...(frozen?.get(arn) ?? this.deps.model.revisionCounts(record, arn)) };
  }

  /** DescribeServiceDeployments' view: the kept fields in the API reference's order, counts added. */
  private serviceDeploymentView(service: ServiceRecord, record: ServiceDeploymentRecord): ServiceDeployment {
    const v = copy(record.view);
    return {
      serviceDeploymentArn: v.serviceDeploymentArn,
      serviceArn: v.serviceArn,
      clusterArn: v.clusterArn,
      createdAt: v.createdAt,
      startedAt: v.startedAt,
      finishedAt: v.finishedAt,
      stoppedAt: v.stoppedAt,
      updatedAt: v.updatedAt,
      sourceServiceRevisions: record.sourceRevisionArns.map((arn) =>
        this.revisionSummary(service, arn, record.finalCounts),
      ),
      targetServiceRevision: this.revisionSummary(service, record.targetRevisionArn, record.finalCounts),
      status: v.status,
      statusReason: v.statusReason,
      deploymentConfiguration: v.deploymentConfiguration,
      rollback: v.rollback,
      deploymentCircuitBreaker: v.deploymentCircuitBreaker,
      alarms: v.alarms,
    };
  }

  private taskView(record: TaskRecord, includeTags: boolean): Task {
    const view = copy(record.task);
    delete view.tags;
    if (includeTags) view.tags = this.deps.model.tagsOf(record.arn);
    return view;
  }

  /** Launch type / capacity provider strategy checks shared by CreateService and RunTask. */
  private placementFor(
    cluster: ClusterRecord,
    input: Pick<RunTaskRequest, 'launchType' | 'capacityProviderStrategy' | 'networkConfiguration'>,
    taskDefinition: TaskDefinitionRecord,
  ) {
    if (input.launchType && input.capacityProviderStrategy?.length) {
      throw invalidParameter(
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    const clusterDefault = cluster.cluster.defaultCapacityProviderStrategy ?? [];
    const strategy =
      input.capacityProviderStrategy ??
      (input.launchType || clusterDefault.length === 0 ? undefined : clusterDefault);
    for (const item of strategy ?? []) {
      const name = item.capacityProvider ?? '';
      if (!name.startsWith('FARGATE') && !(cluster.cluster.capacityProviders ?? []).includes(name)) {
        throw invalidParameter(
          'The specified capacity provider strategy cannot contain a capacity provider that is not associated ' +
            'with the cluster. Associate the capacity provider with the cluster or specify a valid capacity ' +
            'provider and try again.',
        );
      }
    }
    const placement = ControlPlaneModel.placement(input.launchType, strategy);
    const definition = taskDefinition.definition;
    if (placement.launchType === 'FARGATE' && !(definition.compatibilities ?? []).includes('FARGATE')) {
      throw invalidParameter('Task definition does not support launch_type FARGATE.');
    }
    if (definition.networkMode === 'awsvpc' && !input.networkConfiguration?.awsvpcConfiguration) {
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    return { strategy, placement };
  }

  // ------------------------------------------------------------- clusters

  private createCluster(input: CreateClusterRequest) {
    const { model } = this.deps;
    const name = input.clusterName ?? 'default';
    if (!NAME.test(name)) {
      throw invalidParameter(
        'Cluster name can only contain letters, numbers, hyphens and underscores (1-255).',
      );
    }
    const tags = validateEcsTags(input.tags);
    const existing = model.clusters.get(name);
    // Creating an ACTIVE cluster again is idempotent and answers the existing one.
    if (existing?.cluster.status === 'ACTIVE') return { cluster: this.clusterView(existing, ['TAGS']) };
    const arn = model.clusterArn(name);
    const record: ClusterRecord = {
      name,
      arn,
      cluster: {
        clusterArn: arn,
        clusterName: name,
        status: 'ACTIVE',
        statistics: [],
        settings: input.settings ?? [{ name: 'containerInsights', value: 'disabled' }],
        capacityProviders: input.capacityProviders ?? [],
        defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
        configuration: input.configuration,
        serviceConnectDefaults: input.serviceConnectDefaults?.namespace
          ? { namespace: input.serviceConnectDefaults.namespace }
          : undefined,
      },
    };
    model.clusters.set(name, record);
    model.tags.delete(arn);
    if (tags.length > 0) model.putTags(arn, tags);
    return { cluster: this.clusterView(record, ['TAGS']) };
  }

  private describeClusters(input: DescribeClustersRequest) {
    const { model } = this.deps;
    const refs = input.clusters?.length ? input.clusters : ['default'];
    if (refs.length > 100) throw invalidParameter('clusters can have at most 100 items.');
    const { found: clusters, failures } = describeEach(
      refs,
      (ref) => model.clusters.get(model.clusterNameOf(ref)),
      (record) => this.clusterView(record, input.include ?? []),
      (ref) => (ref.startsWith('arn:') ? ref : model.clusterArn(ref)),
    );
    return { clusters, failures };
  }

  private listClusters(input: ListClustersRequest) {
    const arns = [...this.deps.model.clusters.values()]
      .filter((c) => c.cluster.status === 'ACTIVE')
      .map((c) => c.arn);
    const { page, nextToken } = paginate(arns, input, 100);
    return { clusterArns: page, nextToken };
  }

  private deleteCluster(input: DeleteClusterRequest) {
    const { model } = this.deps;
    const record = this.cluster(requireString(input.cluster, 'cluster'));
    if (model.servicesOf(record.name).some((s) => s.service.status !== 'INACTIVE')) {
      throw new AwsApiError(
        'ClusterContainsServicesException',
        'The Cluster cannot be deleted while Services are active.',
      );
    }
    if (model.tasksOfCluster(record.name).some(ControlPlaneModel.isAlive)) {
      throw new AwsApiError(
        'ClusterContainsTasksException',
        'The Cluster cannot be deleted while Tasks are active.',
      );
    }
    record.cluster.status = 'INACTIVE';
    return { cluster: this.clusterView(record) };
  }

  // ----------------------------------------------------- task definitions

  private registerTaskDefinition(input: RegisterTaskDefinitionRequest, context: CallContext) {
    const { model, now } = this.deps;
    const family = input.family;
    if (typeof family !== 'string' || family.length === 0)
      throw clientException('Family must not be null or empty.');
    if (!NAME.test(family)) {
      throw clientException(
        'Family must be up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.',
      );
    }
    const containers = input.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw clientException('Container definitions must not be null or empty.');
    }
    const names = new Set<string>();
    for (const container of containers) {
      if (!container.name) throw clientException('Container.name should not be null or empty.');
      if (!container.image) throw clientException('Container.image should not be null or empty.');
      if (names.has(container.name)) throw clientException(`Duplicate container name: ${container.name}.`);
      names.add(container.name);
    }
    const fargate = (input.requiresCompatibilities ?? []).includes('FARGATE');
    if (fargate) {
      if (input.networkMode !== 'awsvpc')
        throw clientException("Fargate only supports network mode 'awsvpc'.");
      if (!input.cpu) throw clientException("Fargate requires that 'cpu' be defined at the task level.");
      if (!input.memory)
        throw clientException("Fargate requires that 'memory' be defined at the task level.");
    } else if (!input.memory) {
      const missing = containers.find((c) => c.memory === undefined && c.memoryReservation === undefined);
      if (missing) {
        throw clientException(
          `Invalid setting for container '${missing.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
        );
      }
    }
    if (containers.every((c) => c.essential === false)) {
      throw clientException('Task definition must have at least one essential container.');
    }
    const tags = validateEcsTags(input.tags);
    const revisions = model.taskDefinitions.get(family) ?? [];
    const revision = (revisions.at(-1)?.revision ?? 0) + 1;
    const arn = model.taskDefinitionArn(family, revision);
    const awsvpc = input.networkMode === 'awsvpc';
    const compatibilities: TaskDefinition['compatibilities'] =
      awsvpc && input.cpu && input.memory ? ['EC2', 'FARGATE'] : awsvpc ? ['EC2'] : ['EXTERNAL', 'EC2'];
    const { tags: _tags, ...rest } = input;
    const definition: TaskDefinition = {
      ...copy(rest),
      taskDefinitionArn: arn,
      containerDefinitions: containers.map((c) => withContainerDefaults(copy(c), awsvpc)),
      family,
      revision,
      volumes: copy(input.volumes ?? []),
      status: 'ACTIVE',
      requiresAttributes: requiresAttributes(input, model.registryHost),
      placementConstraints: copy(input.placementConstraints ?? []),
      compatibilities,
      registeredAt: now(),
      registeredBy: context.caller.arn,
    };
    model.taskDefinitions.set(family, [...revisions, { arn, family, revision, definition }]);
    if (tags.length > 0) model.putTags(arn, tags);
    return { taskDefinition: copy(definition), tags };
  }

  private describeTaskDefinition(input: DescribeTaskDefinitionRequest) {
    const record = this.taskDefinition(input.taskDefinition, 'Unable to describe task definition.');
    return {
      taskDefinition: copy(record.definition),
      ...((input.include ?? []).includes('TAGS') ? { tags: this.deps.model.tagsOf(record.arn) } : {}),
    };
  }

  private listTaskDefinitions(input: ListTaskDefinitionsRequest) {
    const status = input.status ?? 'ACTIVE';
    const all = [...this.deps.model.taskDefinitions.values()]
      .flat()
      .filter(
        (r) =>
          (input.familyPrefix === undefined || r.family === input.familyPrefix) &&
          r.definition.status === status,
      )
      .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
    if (input.sort === 'DESC') all.reverse();
    const { page, nextToken } = paginate(
      all.map((r) => r.arn),
      input,
      100,
    );
    return { taskDefinitionArns: page, nextToken };
  }

  private listTaskDefinitionFamilies(input: ListTaskDefinitionFamiliesRequest) {
    const status = input.status ?? 'ACTIVE';
    const families = [...this.deps.model.taskDefinitions.entries()]
      .filter(([family]) => input.familyPrefix === undefined || family.startsWith(input.familyPrefix))
      .filter(([, revisions]) =>
        status === 'ALL'
          ? true
          : status === 'ACTIVE'
            ? revisions.some((r) => r.definition.status === 'ACTIVE')
            : revisions.every((r) => r.definition.status !== 'ACTIVE'),
      )
      .map(([family]) => family)
      .sort();
    const { page, nextToken } = paginate(families, input, 100);
    return { families: page, nextToken };
  }

  private deregisterTaskDefinition(input: DeregisterTaskDefinitionRequest) {
    const ref = requireString(input.taskDefinition, 'taskDefinition', clientException);
    if (!ref.includes(':')) {
      throw clientException(
        'The specified task definition identifier is invalid. Specify a family and revision.',
      );
    }
    const record = this.taskDefinition(ref, 'Unable to describe task definition.');
    if (record.definition.status === 'ACTIVE') {
      record.definition.status = 'INACTIVE';
      record.definition.deregisteredAt = this.deps.now();
    }
    return { taskDefinition: copy(record.definition) };
  }

  // ------------------------------------------------------------- services

  private createService(input: CreateServiceRequest, context: CallContext) {
    const { model, deployments, now } = this.deps;
    const cluster = this.cluster(input.cluster);
    const name = requireString(input.serviceName, 'serviceName');
    if (!NAME.test(name)) {
      throw invalidParameter(
        'Service name can only contain letters, numbers, hyphens and underscores (1-255).',
      );
    }
    const existing = model.findService(cluster.name, name);
    const arn = model.newServiceArn(cluster.name, name);
    const sameName = model.services.get(arn);
    if (sameName && sameName.clusterName !== cluster.name && sameName.service.status !== 'INACTIVE')
      // An old-format ARN leaves the cluster out: the sandbox keeps such names unique in the account.
      throw invalidParameter('Creation of service was not idempotent.');
    if (existing?.service.status === 'ACTIVE')
      throw invalidParameter('Creation of service was not idempotent.');
    if (existing?.service.status === 'DRAINING')
      throw invalidParameter('Unable to Start a service that is still Draining.');
    const controller = input.deploymentController?.type ?? 'ECS';
    // ECS accepts an EXTERNAL service without a task definition; the sandbox always wants one.
    if (!input.taskDefinition) throw invalidParameter('TaskDefinition can not be blank.');
    const taskDefinition = this.taskDefinition(input.taskDefinition);
    if (taskDefinition.definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
    const { strategy, placement } = this.placementFor(cluster, input, taskDefinition);
    const containerNames = (taskDefinition.definition.containerDefinitions ?? []).map((c) => c.name);
    for (const lb of input.loadBalancers ?? []) {
      if (!lb.containerName || !containerNames.includes(lb.containerName)) {
        throw invalidParameter(
          `The container ${lb.containerName ?? ''} does not exist in the task definition.`,
        );
      }
      if (lb.containerPort === undefined) throw invalidParameter('containerPort can not be blank.');
    }
    const tags = validateEcsTags(input.tags);
    if (model.oldArnFormat.services && tags.length > 0)
      throw invalidParameter(
        'The new ARN and resource ID format must be enabled to add tags to the service. Opt in to the new format and try again.',
      );
    if (model.oldArnFormat.services && (input.propagateTags ?? 'NONE') !== 'NONE')
      throw invalidParameter(
        'The new ARN and resource ID format must be enabled to propagate tags. Opt in to the new format and try again.',
      );
    const fargate = placement.launchType === 'FARGATE';
    const schedulingStrategy = input.schedulingStrategy ?? 'REPLICA';
    const service: ServiceRecord['service'] = {
      serviceArn: arn,
      serviceName: name,
      clusterArn: cluster.arn,
      loadBalancers: copy(input.loadBalancers ?? []),
      serviceRegistries: copy(input.serviceRegistries ?? []),
      status: 'ACTIVE',
      desiredCount: schedulingStrategy === 'DAEMON' ? 0 : (input.desiredCount ?? 0),
      runningCount: 0,
      pendingCount: 0,
      launchType: strategy ? undefined : placement.launchType,
      capacityProviderStrategy: copy(strategy),
      platformVersion: fargate ? (input.platformVersion ?? 'LATEST') : undefined,
      platformFamily: fargate ? 'Linux' : undefined,
      taskDefinition: taskDefinition.arn,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: false, rollback: false },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        ...copy(input.deploymentConfiguration ?? {}),
      },
      deployments: [],
      roleArn:
        input.role === undefined || input.role.startsWith('arn:')
          ? input.role
          : `arn:aws:iam::${model.accountId}:role/${input.role}`,
      events: [],
      createdAt: now(),
      placementConstraints: copy(input.placementConstraints ?? []),
      placementStrategy: copy(input.placementStrategy ?? []),
      networkConfiguration: input.networkConfiguration?.awsvpcConfiguration
        ? {
            awsvpcConfiguration: {
              assignPublicIp: 'DISABLED',
              ...copy(input.networkConfiguration.awsvpcConfiguration),
            },
          }
        : undefined,
      healthCheckGracePeriodSeconds:
        input.healthCheckGracePeriodSeconds ?? (input.loadBalancers?.length ? 0 : undefined),
      schedulingStrategy,
      deploymentController: { type: controller },
      createdBy: context.caller.arn,
      enableECSManagedTags: input.enableECSManagedTags ?? false,
      propagateTags: input.propagateTags ?? 'NONE',
      enableExecuteCommand: input.enableExecuteCommand ?? false,
      availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? 'ENABLED',
    };
    const record: ServiceRecord = {
      arn,
      name,
      clusterName: cluster.name,
      service,
      deploymentState: new Map(),
      revisions: new Map(),
      serviceDeployments: [],
      steady: false,
    };
    if (existing) model.services.delete(existing.arn);
    model.services.delete(arn);
    model.services.set(arn, record);
    model.tags.delete(arn);
    if (tags.length > 0) model.putTags(arn, tags);
    deployments.beginDeployment(record, taskDefinition.arn);
    return { service: this.serviceView(record, tags.length > 0) };
  }

  private serviceOf(input: { cluster?: string; service?: string }): ServiceRecord {
    const cluster = this.cluster(input.cluster);
    const record = this.deps.model.findService(cluster.name, requireString(input.service, 'service'));
    if (!record) throw serviceNotFound();
    return record;
  }

  private updateService(input: UpdateServiceRequest) {
    const { deployments } = this.deps;
    const record = this.serviceOf(input);
    const s = record.service;
    if (s.status !== 'ACTIVE') throw serviceNotActive();
    const controller = s.deploymentController?.type ?? 'ECS';
    let redeploy = input.forceNewDeployment === true;
    let taskDefinition = this.deps.model.findTaskDefinition(s.taskDefinition ?? '');
    if (input.taskDefinition !== undefined) {
      if (controller !== 'ECS') {
        throw invalidParameter(
          `Unable to update task definition on services with a ${controller} deployment controller.` +
            (controller === 'CODE_DEPLOY' ? ' Use AWS CodeDeploy to trigger a new deployment.' : ''),
        );
      }
      taskDefinition = this.taskDefinition(input.taskDefinition);
      if (taskDefinition.definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
      if (taskDefinition.arn !== s.taskDefinition) redeploy = true;
    }
    if (input.capacityProviderStrategy !== undefined) {
      const cluster = this.cluster(input.cluster);
      const { strategy, placement } = this.placementFor(
        cluster,
        {
          capacityProviderStrategy: input.capacityProviderStrategy,
          networkConfiguration: input.networkConfiguration ?? s.networkConfiguration,
        },
        taskDefinition ?? this.taskDefinition(s.taskDefinition),
      );
      if (!sameJson(strategy, s.capacityProviderStrategy) || placement.launchType !== s.launchType)
        redeploy = true;
      s.capacityProviderStrategy = copy(strategy);
      s.launchType = strategy ? undefined : placement.launchType;
    } else if (taskDefinition && input.taskDefinition !== undefined) {
      this.placementFor(
        this.cluster(input.cluster),
        {
          launchType: s.launchType,
          capacityProviderStrategy: s.capacityProviderStrategy,
          networkConfiguration: input.networkConfiguration ?? s.networkConfiguration,
        },
        taskDefinition,
      );
    }
    const redeploying = <K extends keyof Service & keyof UpdateServiceRequest>(key: K) => {
      if (input[key] === undefined) return;
      if (!sameJson(input[key], s[key])) redeploy = true;
      (s as unknown as Record<string, unknown>)[key] = copy(input[key]);
    };
    redeploying('networkConfiguration');
    redeploying('platformVersion');
    redeploying('loadBalancers');
    redeploying('serviceRegistries');
    redeploying('placementConstraints');
    redeploying('placementStrategy');
    if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount;
    if (input.deploymentConfiguration !== undefined) {
      s.deploymentConfiguration = { ...s.deploymentConfiguration, ...copy(input.deploymentConfiguration) };
    }
    if (input.healthCheckGracePeriodSeconds !== undefined) {
      s.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    }
    if (input.enableExecuteCommand !== undefined) s.enableExecuteCommand = input.enableExecuteCommand;
    if (input.enableECSManagedTags !== undefined) s.enableECSManagedTags = input.enableECSManagedTags;
    if (input.propagateTags !== undefined) s.propagateTags = input.propagateTags;
    if (input.availabilityZoneRebalancing !== undefined)
      s.availabilityZoneRebalancing = input.availabilityZoneRebalancing;
    if (input.deploymentController !== undefined) s.deploymentController = copy(input.deploymentController);
    if (redeploy && controller === 'ECS') {
      deployments.beginDeployment(record, taskDefinition?.arn ?? s.taskDefinition ?? '');
    } else {
      record.steady = record.steady && input.desiredCount === undefined;
      deployments.requestReconcile(record);
    }
    return { service: this.serviceView(record, false) };
  }

  private deleteService(input: DeleteServiceRequest) {
    const record = this.serviceOf(input);
    const s = record.service;
    if (s.status === 'INACTIVE') throw serviceNotFound();
    if (s.status === 'ACTIVE') {
      if (!input.force && (s.desiredCount ?? 0) > 0 && s.schedulingStrategy !== 'DAEMON') {
        throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
      }
      s.status = 'DRAINING';
      s.desiredCount = 0;
      record.steady = false;
      this.deps.deployments.requestReconcile(record);
    }
    return { service: this.serviceView(record, false) };
  }

  private describeServices(input: DescribeServicesRequest) {
    const { model } = this.deps;
    const cluster = this.cluster(input.cluster);
    const refs = describedRefs<string>(input.services, 'services', 10);
    const includeTags = (input.include ?? []).includes('TAGS');
    const { found: services, failures } = describeEach(
      refs,
      (ref) => model.findService(cluster.name, ref),
      (record) => this.serviceView(record, includeTags),
      (ref) => (ref.startsWith('arn:') ? ref : model.serviceArn(cluster.name, ref)),
    );
    return { services, failures };
  }

  private listServices(input: ListServicesRequest) {
    const cluster = this.cluster(input.cluster);
    const arns = this.deps.model
      .servicesOf(cluster.name)
      .filter((r) => r.service.status !== 'INACTIVE')
      .filter((r) => input.launchType === undefined || r.service.launchType === input.launchType)
      .filter(
        (r) =>
          input.schedulingStrategy === undefined || r.service.schedulingStrategy === input.schedulingStrategy,
      )
      .map((r) => r.arn);
    const { page, nextToken } = paginate(arns, input, 100, 10);
    return { serviceArns: page, nextToken };
  }

  // ---------------------------------------------------------------- tasks

  /**
   * RunTask. A `clientToken` makes it idempotent per cluster, as ECS documents: the same token with
   * the same parameters answers what the first call answered and starts nothing; with other
   * parameters, `ConflictException`; tokens are kept 24 hours. A fate set for the token
   * (`ControlPlane.setTaskFate`) decides what its tasks do.
   */
  private runTask(input: RunTaskRequest) {
    const { model, tasks: lifecycle, now } = this.deps;
    const cluster = this.cluster(input.cluster);
    const token = input.clientToken;
    if (token !== undefined && !/^[\x21-\x7e]{1,64}$/.test(token))
      throw invalidParameter('clientToken must be 1 to 64 ASCII characters in the range 33-126.');
    const { clientToken: _token, ...request } = input;
    const key = `${cluster.name}/${token}`;
    if (token !== undefined) {
      const horizon = now().getTime() - RUN_TASK_TOKEN_TTL_MS;
      for (const [k, seen] of model.runTaskTokens)
        if (seen.at.getTime() < horizon) model.runTaskTokens.delete(k);
      const seen = model.runTaskTokens.get(key);
      if (seen) {
        if (seen.request !== JSON.stringify(request))
          throw conflict(
            'The specified client token has already been used in a request with different parameters.',
          );
        return copy(seen.response);
      }
    }
    const taskDefinition = this.taskDefinition(
      requireString(input.taskDefinition, 'taskDefinition', clientException),
    );
    if (taskDefinition.definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10)
      throw invalidParameter('count must be between 1 and 10.');
    if ((input.startedBy ?? '').length > 128)
      throw invalidParameter('startedBy can be at most 128 characters.');
    if ((input.group ?? '').length > 255) throw invalidParameter('group can be at most 255 characters.');
    const { placement } = this.placementFor(cluster, input, taskDefinition);
    checkPlacement(input, placement.launchType);
    const tags = validateEcsTags(input.tags);
    const propagated =
      input.propagateTags === 'TASK_DEFINITION'
        ? model.tagsOf(taskDefinition.arn).filter((t) => !tags.some((own) => own.key === t.key))
        : [];
    const managed: Tag[] = input.enableECSManagedTags
      ? [{ key: 'aws:ecs:clusterName', value: cluster.name }]
      : [];
    const containers = resolveContainers(model, taskDefinition);
    const fate = token === undefined ? undefined : model.taskFates.get(token);
    if (token !== undefined) model.taskFates.delete(token);
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    if (fate?.kind === 'fail-to-start' && fate.cause === 'capacity' && placement.launchType !== 'FARGATE') {
      // No container instance has room for it: ECS answers a failure per task and starts none.
      for (let i = 0; i < count; i++) {
        failures.push({
          arn: `${model.ecsArnPrefix}container-instance/${cluster.name}/${this.deps.ids.hex(32)}`,
          reason: 'RESOURCE:MEMORY',
        });
      }
    } else {
      const behaviour = fate === undefined ? undefined : behaviourOfFate(fate, taskDefinition, containers);
      for (let i = 0; i < count; i++) {
        const record = lifecycle.launchTask({
          cluster,
          taskDefinition,
          group: input.group ?? `family:${taskDefinition.family}`,
          startedBy: input.startedBy,
          launchType: placement.launchType,
          capacityProviderName: placement.capacityProviderName,
          networkConfiguration: input.networkConfiguration,
          overrides: input.overrides,
          tags: [...tags, ...propagated, ...managed],
          enableExecuteCommand: input.enableExecuteCommand,
          platformVersion: input.platformVersion,
          containers,
          behaviour,
        });
        tasks.push(this.taskView(record, true));
      }
    }
    const response = { tasks, failures };
    if (token !== undefined)
      model.runTaskTokens.set(key, { request: JSON.stringify(request), response: copy(response), at: now() });
    return response;
  }

  private findTask(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    return this.deps.model.findTask(cluster.name, ref);
  }

  private stopTask(input: StopTaskRequest) {
    const cluster = this.cluster(input.cluster);
    const record = this.findTask(cluster, requireString(input.task, 'task'));
    if (!record) throw invalidParameter('The referenced task was not found.');
    if ((input.reason ?? '').length > 255) throw invalidParameter('reason can be at most 255 characters.');
    this.deps.tasks.stopTask(record, 'UserInitiated', input.reason ?? 'Task stopped by user');
    return { task: this.taskView(record, false) };
  }

  /**
   * StartTask: the task definition's tasks on the container instances named, one each (EC2 launch
   * type). The sandbox has no container instances: any ARN or id of the cluster's form is taken as
   * one with room (at most 10, as ECS).
   */
  private startTask(input: StartTaskRequest) {
    const { model, tasks: lifecycle } = this.deps;
    const cluster = this.cluster(input.cluster);
    const instances: unknown = input.containerInstances;
    if (!Array.isArray(instances) || instances.length === 0)
      throw invalidParameter('Container instances can not be empty.');
    if (instances.length > 10) throw invalidParameter('containerInstances can have at most 10 items.');
    const instanceArns = instances.map((ref: unknown) => {
      if (typeof ref !== 'string' || ref.length === 0) throw invalidParameter('Invalid container instance.');
      if (!ref.startsWith('arn:')) return `${model.ecsArnPrefix}container-instance/${cluster.name}/${ref}`;
      if (!ref.startsWith(`${model.ecsArnPrefix}container-instance/`))
        throw invalidParameter(`Invalid container instance ARN: ${ref}.`);
      return ref;
    });
    const taskDefinition = this.taskDefinition(
      requireString(input.taskDefinition, 'taskDefinition', clientException),
    );
    if (taskDefinition.definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
    if ((input.startedBy ?? '').length > 128)
      throw invalidParameter('startedBy can be at most 128 characters.');
    if ((input.group ?? '').length > 255) throw invalidParameter('group can be at most 255 characters.');
    if (
      taskDefinition.definition.networkMode === 'awsvpc' &&
      !input.networkConfiguration?.awsvpcConfiguration
    )
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    const tags = validateEcsTags(input.tags);
    if (model.oldArnFormat.tasks && (tags.length > 0 || input.propagateTags !== undefined))
      throw invalidParameter(
        'The new ARN and resource ID format must be enabled to add tags to the task. Opt in to the new format and try again.',
      );
    const propagated =
      input.propagateTags === 'TASK_DEFINITION'
        ? model.tagsOf(taskDefinition.arn).filter((t) => !tags.some((own) => own.key === t.key))
        : [];
    const managed: Tag[] = input.enableECSManagedTags
      ? [{ key: 'aws:ecs:clusterName', value: cluster.name }]
      : [];
    const containers = resolveContainers(model, taskDefinition);
    const started = instanceArns.map((containerInstanceArn) =>
      lifecycle.launchTask({
        cluster,
        taskDefinition,
        group: input.group ?? `family:${taskDefinition.family}`,
        startedBy: input.startedBy,
        launchType: 'EC2',
        networkConfiguration: input.networkConfiguration,
        overrides: input.overrides,
        tags: [...tags, ...propagated, ...managed],
        enableExecuteCommand: input.enableExecuteCommand,
        containers,
        containerInstanceArn,
      }),
    );
    return { tasks: started.map((record) => this.taskView(record, true)), failures: [] };
  }

  private describeTasks(input: DescribeTasksRequest) {
    const { model } = this.deps;
    const cluster = this.cluster(input.cluster);
    const refs = describedRefs<string>(input.tasks, 'tasks', 100, 'Tasks cannot be empty.');
    const includeTags = (input.include ?? []).includes('TAGS');
    const { found: tasks, failures } = describeEach(
      refs,
      (ref) => this.findTask(cluster, ref),
      (record) => this.taskView(record, includeTags),
      (ref) => (ref.startsWith('arn:') ? ref : model.taskArn(cluster.name, ref)),
    );
    return { tasks, failures };
  }

  private listTasks(input: ListTasksRequest) {
    const { model } = this.deps;
    const cluster = this.cluster(input.cluster);
    let serviceArn: string | undefined;
    if (input.serviceName !== undefined) {
      const service = model.findService(cluster.name, input.serviceName);
      if (!service) throw serviceNotFound();
      serviceArn = service.arn;
    }
    const desired = input.desiredStatus ?? 'RUNNING';
    const arns = model
      .tasksOfCluster(cluster.name)
      .filter((t) => t.task.desiredStatus === desired)
      .filter((t) => serviceArn === undefined || t.serviceArn === serviceArn)
      .filter((t) => input.startedBy === undefined || t.task.startedBy === input.startedBy)
      .filter((t) => input.launchType === undefined || t.task.launchType === input.launchType)
      .filter(
        (t) =>
          input.family === undefined ||
          model.findTaskDefinition(t.task.taskDefinitionArn ?? '')?.family === input.family,
      )
      .map((t) => t.arn);
    const { page, nextToken } = paginate(arns, input, 100);
    return { taskArns: page, nextToken };
  }

  // --------------------------------------------------- service deployments

  private listServiceDeployments(input: ListServiceDeploymentsRequest) {
    const record = this.serviceOf(input);
    if (record.service.status === 'INACTIVE') throw serviceNotFound();
    const statuses: unknown = input.status ?? [];
    if (!Array.isArray(statuses)) throw invalidParameter('status must be a list.');
    for (const status of statuses) {
      if (typeof status !== 'string' || !SERVICE_DEPLOYMENT_STATUSES.has(status)) {
        throw invalidParameter(
          `Invalid status ${String(status)}: valid values are ${[...SERVICE_DEPLOYMENT_STATUSES].join(', ')}.`,
        );
      }
    }
    const createdAt = input.createdAt as { after?: unknown; before?: unknown } | undefined;
    const after = wireDate(createdAt?.after, 'createdAt.after');
    const before = wireDate(createdAt?.before, 'createdAt.before');
    const briefs: ServiceDeploymentBrief[] = [...record.serviceDeployments]
      .reverse()
      .filter((d) => statuses.length === 0 || statuses.includes(d.view.status))
      .filter((d) => after === undefined || d.view.createdAt.getTime() >= after.getTime())
      .filter((d) => before === undefined || d.view.createdAt.getTime() <= before.getTime())
      .map((d) => ({
        serviceDeploymentArn: d.arn,
        serviceArn: d.view.serviceArn,
        clusterArn: d.view.clusterArn,
        startedAt: d.view.startedAt,
        createdAt: d.view.createdAt,
        finishedAt: d.view.finishedAt,
        targetServiceRevisionArn: d.targetRevisionArn,
        status: d.view.status,
        statusReason: d.view.statusReason,
      }));
    const { page, nextToken } = paginate(copy(briefs), input, 100, 20);
    return { serviceDeployments: page, nextToken };
  }

  private describeServiceDeployments(input: DescribeServiceDeploymentsRequest) {
    const { model } = this.deps;
    const { found: serviceDeployments, failures } = describeEach(
      describedRefs<unknown>(input.serviceDeploymentArns, 'serviceDeploymentArns', 20),
      (arn) => byArn(arn, (a) => model.findServiceDeployment(a), 'service deployment'),
      (found) => this.serviceDeploymentView(found.service, found.deployment),
      String,
    );
    return { serviceDeployments, failures };
  }

  /**
   * The revisions' workload configuration; the sandbox keeps the task definition, the creation time
   * and `containerImages`: the digests the revision's images resolved to when its deployment started
   * (no `imageDigest` for an image not resolved yet).
   */
  private describeServiceRevisions(input: DescribeServiceRevisionsRequest) {
    const { model } = this.deps;
    const { found: serviceRevisions, failures } = describeEach(
      describedRefs<unknown>(input.serviceRevisionArns, 'serviceRevisionArns', 20),
      (arn) => byArn(arn, (a) => model.findServiceRevision(a), 'service revision'),
      ({ service, revision }): ServiceRevision => ({
        serviceRevisionArn: revision.arn,
        serviceArn: service.arn,
        clusterArn: service.service.clusterArn,
        taskDefinition: revision.taskDefinition,
        launchType: service.service.launchType,
        capacityProviderStrategy: copy(service.service.capacityProviderStrategy),
        containerImages: (
          service.deploymentState.get(revision.deploymentId)?.resolvedImages ??
          (model.findTaskDefinition(revision.taskDefinition)?.definition.containerDefinitions ?? []).map(
            (c) => ({ name: c.name ?? '', image: c.image ?? '', digest: undefined }),
          )
        ).map((c) => ({ containerName: c.name, imageDigest: c.digest, image: c.image })),
        createdAt: revision.createdAt,
      }),
      String,
    );
    return { serviceRevisions, failures };
  }

  private stopServiceDeployment(input: StopServiceDeploymentRequest) {
    const arn = requireString(input.serviceDeploymentArn, 'serviceDeploymentArn');
    const stopType = input.stopType ?? 'ROLLBACK';
    if (stopType !== 'ROLLBACK') {
      throw invalidParameter(`Unsupported stopType ${String(stopType)}: the valid value is ROLLBACK.`);
    }
    const found = byArn(arn, (a) => this.deps.model.findServiceDeployment(a), 'service deployment');
    if (!found) throw serviceDeploymentNotFound();
    const { service, deployment } = found;
    const status = deployment.view.status ?? 'PENDING';
    if (!ONGOING_SERVICE_DEPLOYMENT_STATUSES.has(status)) {
      throw conflict(
        `The service deployment is ${status}: only an ongoing service deployment can be stopped.`,
      );
    }
    if (service.service.status !== 'ACTIVE') {
      throw conflict(
        `The service is ${service.service.status ?? 'INACTIVE'}: its deployments can not be stopped.`,
      );
    }
    if (!this.deps.deployments.stopServiceDeployment(service, deployment)) {
      throw conflict('The service has no completed service revision to roll back to.');
    }
    return { serviceDeploymentArn: arn };
  }

  // --------------------------------------------------- capacity providers

  /**
   * CreateCapacityProvider: kept with its Auto Scaling group provider and tags, never scaled (the
   * sandbox places no EC2 tasks on instances). Names are 1-255 letters, numbers, hyphens and
   * underscores, not prefixed with `aws`, `ecs` or `fargate` (reserved, as the API reference says).
   */
  private createCapacityProvider(input: CreateCapacityProviderRequest) {
    const { model } = this.deps;
    const name = requireString(input.name, 'name', clientException);
    if (!NAME.test(name))
      throw clientException(
        'The capacity provider name can only contain letters, numbers, hyphens and underscores (1-255).',
      );
    if (/^(aws|ecs|fargate)/i.test(name))
      throw clientException(
        `The capacity provider name ${name} is invalid: names prefixed with "aws", "ecs", or "fargate" are reserved.`,
      );
    if (!input.autoScalingGroupProvider?.autoScalingGroupArn)
      throw clientException('autoScalingGroupProvider.autoScalingGroupArn can not be blank.');
    const tags = validateEcsTags(input.tags);
    if (model.capacityProviders.has(name))
      throw clientException(`A capacity provider with the name ${name} already exists.`);
    const provider: CapacityProvider = {
      capacityProviderArn: model.capacityProviderArn(name),
      name,
      status: 'ACTIVE',
      autoScalingGroupProvider: {
        managedTerminationProtection: 'DISABLED',
        managedDraining: 'ENABLED',
        ...copy(input.autoScalingGroupProvider),
        managedScaling: {
          status: 'DISABLED',
          targetCapacity: 100,
          minimumScalingStepSize: 1,
          maximumScalingStepSize: 10000,
          instanceWarmupPeriod: 300,
          ...copy(input.autoScalingGroupProvider.managedScaling ?? {}),
        },
      },
      updateStatus: undefined,
    };
    model.capacityProviders.set(name, provider);
    model.tags.delete(provider.capacityProviderArn ?? '');
    if (tags.length > 0) model.putTags(provider.capacityProviderArn ?? '', tags);
    return { capacityProvider: { ...copy(provider), tags } };
  }

  /**
   * DescribeCapacityProviders: the ones named (names or ARNs, at most 100; unknown ones are MISSING
   * failures), or all of them 10 a page (`maxResults` 1..10); their tags with `include: ['TAGS']`.
   */
  private describeCapacityProviders(input: DescribeCapacityProvidersRequest) {
    const { model } = this.deps;
    const includeTags = (input.include ?? []).includes('TAGS');
    const view = (provider: CapacityProvider): CapacityProvider => ({
      ...copy(provider),
      ...(includeTags ? { tags: model.tagsOf(provider.capacityProviderArn ?? '') } : {}),
    });
    const nameOf = (ref: string) =>
      ref.startsWith(`${model.ecsArnPrefix}capacity-provider/`) ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    const refs: unknown = input.capacityProviders;
    if (Array.isArray(refs) && refs.length > 0) {
      if (refs.length > 100) throw invalidParameter('capacityProviders can have at most 100 items.');
      const { found, failures } = describeEach(
        refs.map(String),
        (ref) => model.capacityProviders.get(nameOf(ref)),
        view,
        (ref) => (ref.startsWith('arn:') ? ref : model.capacityProviderArn(ref)),
      );
      return { capacityProviders: found, failures };
    }
    const { page, nextToken } = paginate([...model.capacityProviders.values()], input, 10);
    return { capacityProviders: page.map(view), failures: [], nextToken };
  }

  // ----------------------------------------------------- account settings

  /**
   * PutAccountSetting. ECS no longer lets an account turn the long ARN formats off, and answers so;
   * an account that never opted in is the sandbox's switch (`ControlPlane.useOldArnFormat`). Other
   * settings are answered as set, and change nothing.
   */
  private putAccountSetting(input: PutAccountSettingRequest, context: CallContext) {
    const name = requireString(input.name, 'name');
    const value = requireString(input.value, 'value');
    if (LONG_ARN_SETTINGS.has(name) && value === 'disabled')
      throw invalidParameter('You can no longer disable Long Arn settings.');
    const setting: Setting = {
      name: name as Setting['name'],
      value,
      principalArn: input.principalArn ?? context.caller.arn,
      type: 'user',
    };
    this.deps.model.accountSettings.set(name, setting);
    return { setting };
  }

  /** ListAccountSettings: the long ARN settings (as the account holds them) and those put. */
  private listAccountSettings(input: ListAccountSettingsRequest, context: CallContext) {
    const { model } = this.deps;
    const longArn = (name: Setting['name'], old: boolean): Setting => ({
      name,
      value: old ? 'disabled' : 'enabled',
      principalArn: context.caller.arn,
      type: 'aws_managed',
    });
    const settings = [
      longArn('serviceLongArnFormat', model.oldArnFormat.services),
      longArn('taskLongArnFormat', model.oldArnFormat.tasks),
      longArn('containerInstanceLongArnFormat', false),
      ...[...model.accountSettings.values()].filter((s) => !LONG_ARN_SETTINGS.has(s.name ?? '')),
    ].filter((s) => input.name === undefined || s.name === input.name);
    const { page, nextToken } = paginate(copy(settings), input, 10);
    return { settings: page, nextToken };
  }

  // ----------------------------------------------------------------- tags

  /**
   * Throws unless `arn` names an existing ECS resource of this account and region that can be
   * tagged: a cluster, service, task definition revision, task or capacity provider. Old-format
   * service and task ARNs (`service/<name>`, `task/<id>`) cannot be tagged, with the messages ECS
   * gives; neither can a long ARN that names a service or task whose own ARN is the old one.
   */
  private requireResource(arn: string): void {
    const { model } = this.deps;
    if (!arn.startsWith(model.ecsArnPrefix))
      throw invalidParameter('The ARN is not a valid ECS resource ARN.');
    const resource = arn.slice(model.ecsArnPrefix.length);
    const [kind, ...path] = resource.split('/');
    const oldFormat = (kind === 'service' || kind === 'task') && path.length === 1;
    if (oldFormat) throw invalidParameter('Long arn format must be used for tagging operations');
    const exists = (() => {
      switch (kind) {
        case 'cluster':
          return model.clusters.get(path.join('/'))?.cluster.status === 'ACTIVE';
        case 'service': {
          const [cluster = '', name = ''] = path;
          const record = path.length === 2 ? model.findService(cluster, name) : undefined;
          if (record && record.arn !== arn)
            throw invalidParameter(
              'The specified service does not have the longArn format. Only services created after opting in will have the new format.',
            );
          return record !== undefined && record.service.status !== 'INACTIVE';
        }
        case 'task-definition':
          return model.findTaskDefinition(arn) !== undefined && path.join('/').includes(':');
        case 'task': {
          const [cluster = '', id = ''] = path;
          const record = path.length === 2 ? model.findTask(cluster, id) : undefined;
          if (record && record.arn !== arn)
            throw invalidParameter(
              'The specified task does not have the longArn format. Only tasks created after opting in will have the new format.',
            );
          return record !== undefined;
        }
        case 'capacity-provider': {
          const provider = model.capacityProviders.get(path.join('/'));
          // Fargate's own capacity providers belong to AWS: they take no tags.
          if (provider && (provider.name === 'FARGATE' || provider.name === 'FARGATE_SPOT'))
            throw invalidParameter('The specified capacity provider is reserved and cannot be tagged.');
          return provider !== undefined;
        }
        default:
          return false;
      }
    })();
    if (!exists)
      throw new AwsApiError('ResourceNotFoundException', 'The specified resource could not be found.');
  }

  private tagResource(input: TagResourceRequest) {
    const arn = requireString(input.resourceArn, 'resourceArn');
    const tags = validateEcsTags(input.tags);
    if (tags.length === 0) throw invalidParameter('tags can not be empty.');
    this.requireResource(arn);
    const current = this.deps.model.tagsOf(arn);
    const userTags = new Set(current.filter((c) => !isAwsTagKey(c.key)).map((c) => c.key));
    for (const tag of tags) userTags.add(tag.key);
    if (userTags.size > MAX_TAGS)
      throw invalidParameter(`The number of tags exceeds the limit of ${MAX_TAGS}.`);
    this.deps.model.putTags(arn, tags);
    return {};
  }

  private untagResource(input: UntagResourceRequest) {
    const arn = requireString(input.resourceArn, 'resourceArn');
    const keys: unknown = input.tagKeys;
    if (!Array.isArray(keys) || keys.length === 0) throw invalidParameter('tagKeys can not be empty.');
    if (keys.some((key) => typeof key !== 'string' || key.length < 1 || [...key].length > 128))
      throw invalidParameter('Tag keys must be between 1 and 128 characters.');
    const reserved = keys.find((key: string) => isAwsTagKey(key));
    if (reserved !== undefined)
      throw invalidParameter(`Tag key '${reserved}' is invalid: the 'aws:' prefix is reserved for AWS use.`);
    this.requireResource(arn);
    this.deps.model.removeTags(arn, keys);
    return {};
  }

  private listTagsForResource(input: ListTagsForResourceRequest) {
    const arn = requireString(input.resourceArn, 'resourceArn');
    this.requireResource(arn);
    return { tags: this.deps.model.tagsOf(arn) };
  }
}
