/**
 * What a CloudTrail record of an ECS or ECR call says to the tag policies: the resources the call
 * touched (each evaluated by itself, seconds after the call), or why it is ignored: it failed, it
 * touched nothing a tag policy reads, or autopilot made it (its own TagResource coming back must not
 * be evaluated again: no loop, no second notification). Pure.
 */
import type { TagResourceType } from './tag-rules';

/** The parts of a CloudTrail record (ECS or ECR) read here. */
export interface CloudTrailCall {
  eventName: string;
  errorCode?: string | undefined;
  requestParameters?: Record<string, unknown> | null | undefined;
  responseElements?: Record<string, unknown> | null | undefined;
  userIdentity: { type?: string | undefined; arn?: string | undefined; [key: string]: unknown };
}

/** The tag policy resource type of each ECS and ECR resource kind an ARN names. */
const TYPE_OF_KIND: Readonly<Record<string, TagResourceType>> = {
  'ecs:cluster': 'ecs:cluster',
  'ecs:service': 'ecs:service',
  'ecs:task': 'ecs:task',
  'ecs:task-definition': 'ecs:task-definition',
  'ecs:capacity-provider': 'ecs:capacity-provider',
  'ecr:repository': 'ecr:repository',
};

/**
 * The tag policy resource type an ARN names, or undefined for another kind (a container instance, a
 * service deployment…) or what is not an ECS or ECR ARN.
 *
 * @example tagResourceTypeOf('arn:aws:ecs:eu-west-1:123456789012:service/prod/api') // 'ecs:service'
 */
export function tagResourceTypeOf(arn: string): TagResourceType | undefined {
  const match = /^arn:[^:]+:(ecs|ecr):[^:]*:[^:]*:([a-z-]+)\//.exec(arn);
  return match ? TYPE_OF_KIND[`${match[1]}:${match[2]}`] : undefined;
}

/** The ECS and ECR calls the tag policies react to (serverless.yml's rules name the same). */
export const TAG_TRIGGER_CALLS = {
  'ecs.amazonaws.com': [
    'CreateCluster',
    'CreateService',
    'UpdateService',
    'RunTask',
    'StartTask',
    'RegisterTaskDefinition',
    'TagResource',
    'UntagResource',
  ],
  'ecr.amazonaws.com': ['CreateRepository', 'TagResource', 'UntagResource'],
} as const;

/** The resources a call touched, or why there are none to evaluate. */
export type TouchedResources = { arns: string[] } | { ignored: string };

/** The longest ARN read from a record (AWS's own are far shorter). */
const MAX_ARN = 2048;

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

const asArn = (value: unknown): string | undefined =>
  typeof value === 'string' && value.startsWith('arn:') && value.length <= MAX_ARN ? value : undefined;

/** `responseElements.<key>.<field>`, an ARN. */
function responseArn(call: CloudTrailCall, key: string, field: string): string[] {
  const arn = asArn(asRecord(asRecord(call.responseElements)?.[key])?.[field]);
  return arn ? [arn] : [];
}

/** The ARNs of a call's resources by its name (the response is authoritative: it names what AWS made). */
function arnsOf(call: CloudTrailCall): string[] {
  switch (call.eventName) {
    case 'CreateCluster':
      return responseArn(call, 'cluster', 'clusterArn');
    case 'CreateService':
    case 'UpdateService':
      return responseArn(call, 'service', 'serviceArn');
    case 'RegisterTaskDefinition':
      return responseArn(call, 'taskDefinition', 'taskDefinitionArn');
    case 'CreateRepository':
      return responseArn(call, 'repository', 'repositoryArn');
    case 'RunTask':
    case 'StartTask': {
      const tasks = asRecord(call.responseElements)?.tasks;
      return (Array.isArray(tasks) ? tasks : [])
        .map((task) => asArn(asRecord(task)?.taskArn))
        .filter((arn): arn is string => arn !== undefined);
    }
    case 'TagResource':
    case 'UntagResource': {
      const arn = asArn(asRecord(call.requestParameters)?.resourceArn);
      return arn ? [arn] : [];
    }
    default:
      return [];
  }
}

/**
 * The role (and the session) of a call made with a role's credentials: `assumed-role/<role>/<session>`
 * of `userIdentity.arn`, or the session issuer's name.
 */
function roleOf(identity: CloudTrailCall['userIdentity']): { role?: string; session?: string } {
  const match = /:assumed-role\/([^/]+)\/(.+)$/.exec(identity.arn ?? '');
  const issuer = asRecord(asRecord(identity.sessionContext)?.sessionIssuer);
  const issuerName = typeof issuer?.userName === 'string' ? issuer.userName : undefined;
  const role = match?.[1] ?? issuerName;
  return { ...(role ? { role } : {}), ...(match?.[2] ? { session: match[2] } : {}) };
}

/** Whether `name` is the stack's (`<service>-<stage>`, or starts with it and a hyphen). */
const ofStack = (name: string | undefined, stack: string) =>
  name !== undefined && (name === stack || name.startsWith(`${stack}-`));

/**
 * Whether autopilot made the call: its functions' roles are named after the stack
 * (`<service>-<stage>-<RoleLogicalId>-<suffix>` when CloudFormation names them), and a Lambda
 * function's session after the function (`<service>-<stage>-<key>`).
 *
 * @param stack - `<service>-<stage>`, e.g. `ecs-autopilot-prod`
 * @example
 * isAutopilotCall({ arn: 'arn:aws:sts::123456789012:assumed-role/ecs-autopilot-prod-TagPoliciesRole-1X2Y/ecs-autopilot-prod-tag-policies' }, 'ecs-autopilot-prod') // true
 */
export function isAutopilotCall(identity: CloudTrailCall['userIdentity'], stack: string): boolean {
  if (identity.type !== 'AssumedRole') return false;
  const { role, session } = roleOf(identity);
  return ofStack(role, stack) || ofStack(session, stack);
}

/**
 * The resources a call touched that the tag policies evaluate, or why none.
 *
 * @param stack - autopilot's `<service>-<stage>`: its own calls are ignored
 * @example
 * touchedResources(event.detail, 'ecs-autopilot-prod')
 * // { arns: ['arn:aws:ecs:eu-west-1:123456789012:service/prod/api'] }
 */
export function touchedResources(call: CloudTrailCall, stack: string): TouchedResources {
  if (call.errorCode !== undefined) return { ignored: `${call.eventName} failed (${call.errorCode})` };
  if (isAutopilotCall(call.userIdentity, stack)) {
    return { ignored: `${call.eventName} was autopilot's own call: its tags were decided already` };
  }
  const arns = [...new Set(arnsOf(call))];
  return arns.length > 0 ? { arns } : { ignored: `${call.eventName} named no resource a tag policy reads` };
}
