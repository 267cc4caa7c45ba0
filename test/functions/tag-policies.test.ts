/**
 * tag-policies fed the samples of events/: the CloudTrail records of ECS and ECR calls evaluate the
 * resources they touched (autopilot's own calls and failed ones are ignored), the schedule sweeps the
 * account from its checkpoint and tells one summary a sweep. ECS, ECR, EventBridge and SQS faked with
 * aws-sdk-client-mock, the table in dynalite on 127.0.0.1, the policy file a JSON file as the build
 * writes it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  TagResourceCommand as EcsTagResourceCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoTagSweep } from '../../shared/adapters/state/dynamo-tag-sweep';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const ACCOUNT = '123456789012';
const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;
const REPOSITORY_ARN = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/jobs/report`;
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-dlq';

/** The policy file: services inherit their owner from the cluster; repositories need one (audit). */
const POLICY_FILE = {
  version: 1,
  tagPolicies: [
    {
      name: 'owner',
      resources: ['ecs:service'],
      required: ['owner'],
      inherit: { from: { 'ecs:service': ['cluster'] } },
      mode: 'remediate',
    },
    { name: 'repository-owner', resources: ['ecr:repository'], required: ['owner', 'cost-centre'] },
  ],
};

const fn = useFunctionUnderTest('tag-policies');
const sweeps = () => new DynamoTagSweep(fn.dynamo.tableName, fn.dynamo.client);

const awsTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

/** ECS holds the cluster prod (owner payments) and its service api with `serviceTags`, nothing else. */
function givenEcs(serviceTags: Record<string, string>) {
  ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_ARN] });
  ecs.on(DescribeClustersCommand).resolves({
    clusters: [
      {
        clusterArn: CLUSTER_ARN,
        clusterName: 'prod',
        status: 'ACTIVE',
        tags: awsTags({ owner: 'payments' }),
      },
    ],
  });
  ecs.on(ListServicesCommand).resolves({ serviceArns: [SERVICE_ARN] });
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'api',
        clusterArn: CLUSTER_ARN,
        status: 'ACTIVE',
        desiredCount: 2,
        taskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`,
        tags: awsTags(serviceTags),
      },
    ],
  });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(ListTaskDefinitionFamiliesCommand).resolves({ families: [] });
  ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [] });
  ecs.on(EcsTagResourceCommand).resolves({});
}

/** ECR holds the repository jobs/report with `tags`. */
function givenRepository(tags: Record<string, string>) {
  ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: [{ repositoryArn: REPOSITORY_ARN, repositoryName: 'jobs/report', registryId: ACCOUNT }],
  });
  ecr.on(ListTagsForResourceCommand).resolves({
    tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
}

/** The autopilot events PutEvents was given, in order. */
function published(): { detailType?: string; detail: Record<string, unknown> }[] {
  return bus.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      detailType: entry.DetailType,
      detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
    })),
  );
}

/** The scheduled sample as the tag sweep's rule fires it, with its own id. */
function sweepEvent(id: string) {
  const event = sampleEvent<{ id: string; resources: string[] }>('scheduled-reconcile');
  event.id = id;
  event.resources = [`arn:aws:events:eu-west-1:${ACCOUNT}:rule/ecs-autopilot-prod-tag-sweep`];
  return event;
}

/** A Lambda context with `remainingMs` left. */
function contextWith(remainingMs: number) {
  return { ...lambdaContext('tag-policies'), getRemainingTimeInMillis: () => remainingMs };
}

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'tag-policies-'));
  const file = join(dir, 'autopilot.json');
  writeFileSync(file, JSON.stringify(POLICY_FILE));
  process.env.AUTOPILOT_CONFIG = file;
  // The samples' stage: autopilot's own calls there come from ecs-autopilot-prod-… roles.
  process.env.AUTOPILOT_STACK = 'ecs-autopilot-prod';
});

afterAll(() => {
  delete process.env.AUTOPILOT_CONFIG;
  delete process.env.AUTOPILOT_STACK;
});

beforeEach(() => {
  ecs.reset();
  ecr.reset();
  bus.reset();
  sqs.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('tag-policies handler', () => {
  it('gives a service created without its owner the owner of its cluster, and tells it', async () => {
    // Prepare
    givenEcs({});

    // Act
    const result = await fn.handler(
      sampleEvent('cloudtrail-ecs-create-service'),
      lambdaContext('tag-policies'),
    );

    // Assess
    expect(result.decisions).toContainEqual(
      expect.objectContaining({ action: 'remediate', arn: SERVICE_ARN, rule: 'owner' }),
    );
    expect(ecs.commandCalls(EcsTagResourceCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: SERVICE_ARN, tags: [{ key: 'owner', value: 'payments' }] },
    ]);
    expect(published()).toEqual([
      expect.objectContaining({
        detailType: 'Tag Policy Remediated',
        detail: expect.objectContaining({ resourceArn: SERVICE_ARN, tags: { owner: 'payments' } }),
      }),
    ]);
  });

  it.each([
    'cloudtrail-ecs-create-service',
    'cloudtrail-ecs-update-service',
    'cloudtrail-ecs-tag-resource',
    'cloudtrail-ecs-untag-resource',
  ])('evaluates the service %s touched, and changes nothing when it complies', async (sample) => {
    // Prepare
    givenEcs({ owner: 'payments' });

    // Act
    const result = await fn.handler(sampleEvent(sample), lambdaContext('tag-policies'));

    // Assess
    expect(result.decisions).toEqual([expect.objectContaining({ action: 'compliant', arn: SERVICE_ARN })]);
    expect(ecs.commandCalls(EcsTagResourceCommand)).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it('announces a repository created without the tags its rule requires, in audit mode without tagging it', async () => {
    // Prepare
    givenRepository({ owner: 'data-team' });

    // Act
    const result = await fn.handler(
      sampleEvent('cloudtrail-ecr-create-repository'),
      lambdaContext('tag-policies'),
    );

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ action: 'violation', arn: REPOSITORY_ARN, rule: 'repository-owner' }),
    ]);
    expect(published().map((e) => e.detailType)).toEqual(['Tag Policy Violation']);
  });

  it("ignores autopilot's own TagResource coming back through CloudTrail: no loop, no second notification", async () => {
    // Prepare
    givenRepository({});

    // Act
    const result = await fn.handler(
      sampleEvent('cloudtrail-ecr-tag-resource'),
      lambdaContext('tag-policies'),
    );

    // Assess
    expect(result).toEqual({ decisions: [], ignored: expect.stringContaining("autopilot's own call") });
    expect(ecr.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it('reads nothing for the tasks RunTask started when no rule covers tasks', async () => {
    // Act
    const result = await fn.handler(sampleEvent('cloudtrail-ecs-run-task'), lambdaContext('tag-policies'));

    // Assess
    expect(result).toEqual({ decisions: [], ignored: expect.stringContaining('no tag policy covers') });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('ignores a call that failed', async () => {
    // Prepare
    const event = sampleEvent<{ detail: Record<string, unknown> }>('cloudtrail-ecs-create-cluster');
    event.detail.errorCode = 'InvalidParameterException';

    // Act
    const result = await fn.handler(event, lambdaContext('tag-policies'));

    // Assess
    expect(result).toEqual({ decisions: [], ignored: expect.stringContaining('failed') });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('sweeps the account from its checkpoint in the next invocation, and tells one summary of the whole sweep', async () => {
    // Prepare
    givenEcs({});
    givenRepository({ owner: 'data-team', 'cost-centre': 'cc-4100' });

    // Act: the first invocation has no time left for a page, the second goes on, the third is early
    const first = await fn.handler(sweepEvent('sweep-1'), contextWith(15_000));
    const second = await fn.handler(sweepEvent('sweep-2'), contextWith(60_000));
    const third = await fn.handler(sweepEvent('sweep-3'), contextWith(60_000));

    // Assess
    expect(first).toMatchObject({ status: 'continues', sweepId: 'sweep-1', pages: 0 });
    expect(second).toMatchObject({ status: 'finished', sweepId: 'sweep-1' });
    expect(third).toMatchObject({ status: 'not-due', sweepId: 'sweep-1' });
    const summaries = published().filter((e) => e.detailType === 'Tag Policy Summary');
    expect(summaries).toEqual([
      {
        detailType: 'Tag Policy Summary',
        detail: expect.objectContaining({
          sweepId: 'sweep-1',
          complete: true,
          dryRun: false,
          rows: [
            expect.objectContaining({
              rule: 'owner',
              resourceType: 'ecs:service',
              compliant: 1,
              remediated: 1,
            }),
            expect.objectContaining({
              rule: 'repository-owner',
              resourceType: 'ecr:repository',
              compliant: 1,
            }),
          ],
        }),
      },
    ]);
    expect(published().map((e) => e.detailType)).toContain('Tag Policy Remediated');
    expect(await sweeps().currentSweep()).toMatchObject({
      sweepId: 'sweep-1',
      finishedAt: expect.any(String),
    });
    expect((await sweeps().currentSweep())?.cursor).toBeUndefined();
  });

  it('changes nothing in a dry run, and tells what it would have done', async () => {
    // Prepare
    givenEcs({});
    process.env.AUTOPILOT_DRY_RUN = 'true';

    // Act
    let result: { decisions: { action: string; dryRun?: boolean }[] };
    try {
      result = await fn.handler(sampleEvent('cloudtrail-ecs-create-service'), lambdaContext('tag-policies'));
    } finally {
      delete process.env.AUTOPILOT_DRY_RUN;
    }

    // Assess
    expect(result.decisions).toContainEqual(expect.objectContaining({ action: 'remediate', dryRun: true }));
    expect(ecs.commandCalls(EcsTagResourceCommand)).toHaveLength(0);
    expect(published()).toEqual([
      expect.objectContaining({
        detailType: 'Tag Policy Remediated',
        detail: expect.objectContaining({ dryRun: true }),
      }),
    ]);
  });

  it('rejects an event it cannot read to the dead-letter queue', async () => {
    // Prepare
    process.env.AUTOPILOT_DLQ_URL = DLQ;
    const event = sampleEvent<{ detail: Record<string, unknown> }>('cloudtrail-ecs-create-cluster');
    delete event.detail.eventTime;

    // Act
    let result: unknown;
    try {
      result = await fn.handler(event, lambdaContext('tag-policies'));
    } finally {
      delete process.env.AUTOPILOT_DLQ_URL;
    }

    // Assess
    expect(result).toMatchObject({ status: 'rejected' });
    const body = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(body).toMatchObject({ rejectedBy: 'tag-policies' });
    expect(ecs.calls()).toHaveLength(0);
  });
});
