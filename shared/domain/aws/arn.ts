/**
 * Amazon Resource Names of the resources autopilot handles: ECS clusters, services (long and legacy
 * formats), tasks, task definitions and service deployments, and ECR repositories. The one module that
 * reads and writes them: events, the domain, adapters, handlers and the CLI call these functions
 * rather than splitting ARNs on `:service/` or `/`. Parsing never throws; anything that is not such an
 * ARN gives undefined. Pure, imports nothing.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */

/** Where a resource lives: partition (`aws`, `aws-cn`, `aws-us-gov`), region and account. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/** An ECS cluster ARN: `arn:aws:ecs:<region>:<account>:cluster/<cluster>`. */
export interface ClusterArn extends ArnScope {
  cluster: string;
}

/** An ECS service ARN in the long format: `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`. */
export interface ServiceArn extends ClusterArn {
  service: string;
}

/** An ECS task ARN: `…:task/<cluster>/<id>`, or `…:task/<id>` in the legacy format (no cluster). */
export interface TaskArn extends ArnScope {
  cluster?: string;
  taskId: string;
}

/** A task-definition revision: `family:revision`, from its ARN `…:task-definition/<family>:<revision>`. */
export interface TaskDefinitionRef {
  family: string;
  revision: number;
}

/** A service deployment ARN: `…:service-deployment/<cluster>/<service>/<id>`. */
export interface ServiceDeploymentArn extends ServiceArn {
  deploymentId: string;
}

/** An ECR repository ARN: `arn:aws:ecr:<region>:<account>:repository/<name>` (names may hold `/`). */
export interface RepositoryArn extends ArnScope {
  repositoryName: string;
}

// `arn:<partition>:<service>:<region>:<account>:` with the region and account every ECS and ECR
// resource has; the capture groups are partition, region and account.
const scopeOf = (service: string) => String.raw`^arn:(aws[a-z-]*):${service}:([a-z0-9-]+):(\d{12}):`;
const ECS = scopeOf('ecs');
const NAME = '([^/]+)';
// ECS task-definition families: letters, digits, hyphens and underscores, up to 255.
const FAMILY = '([A-Za-z0-9_-]{1,255})';

const CLUSTER_ARN = new RegExp(`${ECS}cluster/${NAME}$`);
/**
 * A long-format ECS service ARN. The event contracts validate `resources[0]` of ECS Deployment State
 * Change with it; {@link parseServiceArn} reads with it.
 */
export const SERVICE_ARN = new RegExp(`${ECS}service/${NAME}/${NAME}$`);
const LEGACY_SERVICE_ARN = new RegExp(`${ECS}service/${NAME}$`);
const TASK_ARN = new RegExp(`${ECS}task/(?:${NAME}/)?${NAME}$`);
const TASK_DEFINITION_ARN = new RegExp(`${ECS}task-definition/${FAMILY}:(\\d+)$`);
const TASK_DEFINITION_SHORT = new RegExp(`^${FAMILY}:(\\d+)$`);
const SERVICE_DEPLOYMENT_ARN = new RegExp(`${ECS}service-deployment/${NAME}/${NAME}/${NAME}$`);
const REPOSITORY_ARN = new RegExp(`${scopeOf('ecr')}repository/(.+)$`);

/** The scope and the remaining groups of a match, or undefined without one. */
function matched(pattern: RegExp, text: string): { scope: ArnScope; parts: string[] } | undefined {
  if (typeof text !== 'string') return undefined;
  const match = pattern.exec(text);
  if (!match) return undefined;
  const [, partition = '', region = '', account = '', ...parts] = match;
  return { scope: { partition, region, account }, parts };
}

/**
 * Reads an ECS cluster ARN.
 *
 * @example parseClusterArn('arn:aws:ecs:eu-west-1:123456789012:cluster/prod')
 * // { partition: 'aws', region: 'eu-west-1', account: '123456789012', cluster: 'prod' }
 */
export function parseClusterArn(arn: string): ClusterArn | undefined {
  const found = matched(CLUSTER_ARN, arn);
  const [cluster] = found?.parts ?? [];
  return found && cluster ? { ...found.scope, cluster } : undefined;
}

/**
 * The cluster name of a cluster reference, which ECS APIs take as a name or an ARN.
 *
 * @example clusterNameOf('arn:aws:ecs:eu-west-1:123456789012:cluster/prod') // 'prod'
 * @example clusterNameOf('prod') // 'prod'
 */
export function clusterNameOf(cluster: string): string {
  return parseClusterArn(cluster)?.cluster ?? cluster;
}

/**
 * Reads a long-format ECS service ARN (the one that names the cluster).
 *
 * @example parseServiceArn('arn:aws:ecs:eu-west-1:123456789012:service/prod/api')?.cluster // 'prod'
 */
export function parseServiceArn(arn: string): ServiceArn | undefined {
  const found = matched(SERVICE_ARN, arn);
  const [cluster, service] = found?.parts ?? [];
  return found && cluster && service ? { ...found.scope, cluster, service } : undefined;
}

/**
 * Reads a legacy short-format ECS service ARN, which names no cluster: `…:service/<service>`.
 *
 * @example parseLegacyServiceArn('arn:aws:ecs:us-east-1:123456789012:service/api')?.service // 'api'
 */
export function parseLegacyServiceArn(arn: string): (ArnScope & { service: string }) | undefined {
  const found = matched(LEGACY_SERVICE_ARN, arn);
  const [service] = found?.parts ?? [];
  return found && service ? { ...found.scope, service } : undefined;
}

/**
 * The cluster name of a long-format service ARN.
 *
 * @example clusterOfServiceArn('arn:aws:ecs:eu-west-1:123456789012:service/prod/api') // 'prod'
 */
export function clusterOfServiceArn(arn: string): string | undefined {
  return parseServiceArn(arn)?.cluster;
}

/**
 * The ARN of a service in a cluster (the long format ECS uses for every new service).
 *
 * @example serviceArnIn(parseClusterArn('arn:aws:ecs:eu-west-1:123456789012:cluster/prod'), 'api')
 * // 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api'
 */
export function serviceArnIn(cluster: ClusterArn, service: string): string {
  return `arn:${cluster.partition}:ecs:${cluster.region}:${cluster.account}:service/${cluster.cluster}/${service}`;
}

/**
 * Reads an ECS task ARN, long (`task/<cluster>/<id>`) or legacy (`task/<id>`).
 *
 * @example parseTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/prod/6f0c2d8e41b9')?.taskId // '6f0c2d8e41b9'
 */
export function parseTaskArn(arn: string): TaskArn | undefined {
  const found = matched(TASK_ARN, arn);
  const [cluster, taskId] = found?.parts ?? [];
  if (!found || !taskId) return undefined;
  return cluster ? { ...found.scope, cluster, taskId } : { ...found.scope, taskId };
}

/**
 * Reads a task-definition ARN, or the `family:revision` short form ECS also accepts.
 *
 * @example parseTaskDefinition('arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8') // { family: 'api', revision: 8 }
 * @example parseTaskDefinition('api:8') // { family: 'api', revision: 8 }
 * @example parseTaskDefinition('api') // undefined: a family without revision names no revision
 */
export function parseTaskDefinition(value: string): TaskDefinitionRef | undefined {
  const fromArn = matched(TASK_DEFINITION_ARN, value)?.parts;
  const [family, revision] = fromArn ?? TASK_DEFINITION_SHORT.exec(value)?.slice(1) ?? [];
  return family && revision ? { family, revision: Number(revision) } : undefined;
}

/**
 * The `family:revision` short form of a task definition; anything else is returned as is.
 *
 * @example shortTaskDefinition('arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8') // 'api:8'
 */
export function shortTaskDefinition(value: string): string {
  const parsed = parseTaskDefinition(value);
  return parsed ? `${parsed.family}:${parsed.revision}` : value;
}

/**
 * The ARN of a task-definition revision in a scope (e.g. the scope of the service that runs it).
 *
 * @example taskDefinitionArn(parseServiceArn(serviceArn), { family: 'api', revision: 7 })
 * // 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7'
 */
export function taskDefinitionArn(scope: ArnScope, revision: TaskDefinitionRef): string {
  return `arn:${scope.partition}:ecs:${scope.region}:${scope.account}:task-definition/${revision.family}:${revision.revision}`;
}

/**
 * Reads an ECS service deployment ARN (ListServiceDeployments, StopServiceDeployment).
 *
 * @example parseServiceDeploymentArn('arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/api/abc')?.deploymentId // 'abc'
 */
export function parseServiceDeploymentArn(arn: string): ServiceDeploymentArn | undefined {
  const found = matched(SERVICE_DEPLOYMENT_ARN, arn);
  const [cluster, service, deploymentId] = found?.parts ?? [];
  return found && cluster && service && deploymentId
    ? { ...found.scope, cluster, service, deploymentId }
    : undefined;
}

/**
 * Reads an ECR repository ARN.
 *
 * @example parseRepositoryArn('arn:aws:ecr:eu-west-1:123456789012:repository/team/api')?.repositoryName // 'team/api'
 */
export function parseRepositoryArn(arn: string): RepositoryArn | undefined {
  const found = matched(REPOSITORY_ARN, arn);
  const [repositoryName] = found?.parts ?? [];
  return found && repositoryName ? { ...found.scope, repositoryName } : undefined;
}
