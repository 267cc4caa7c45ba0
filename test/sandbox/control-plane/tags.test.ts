/**
 * Tags on every resource kind a tag policy covers (issue 14): ECS clusters, services, task
 * definitions, tasks and capacity providers, and ECR repositories; the tag APIs, the describes that
 * take `include: ['TAGS']`, AWS's limits with its exception names, and old-format ARNs.
 */
import {
  CreateRepositoryCommand,
  ListTagsForResourceCommand as EcrListTagsForResourceCommand,
  TagResourceCommand as EcrTagResourceCommand,
  UntagResourceCommand as EcrUntagResourceCommand,
  InvalidTagParameterException,
  TooManyTagsException,
} from '@aws-sdk/client-ecr';
import {
  ClientException,
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListAccountSettingsCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  type Tag,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import { ACCOUNT, failure, NETWORK, prepareBatchJob, REGION, useControlPlane } from './support';

const harness = useControlPlane();

const ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:`;
const ASG = `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:0f1e2d3c:autoScalingGroupName/batch-asg`;

/** `count` distinct tags `k1=v1`, `k2=v2`, ... */
const manyTags = (count: number, prefix = 'k'): Tag[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i + 1}`, value: `v${i + 1}` }));

/** The tags of an ECS resource, sorted by key. */
async function tagsOf(resourceArn: string): Promise<Tag[]> {
  const out = await harness().ecs.send(new ListTagsForResourceCommand({ resourceArn }));
  return [...(out.tags ?? [])].sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

/** The cluster `batch`, family `job`, a service `api` and a task, each created with `team=core`. */
async function prepareTaggedResources() {
  const { ecs } = harness();
  const team = [{ key: 'team', value: 'core' }];
  await ecs.send(new CreateClusterCommand({ clusterName: 'batch', tags: team }));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'job',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'main', image: 'public.ecr.aws/docker/library/busybox:1' }],
      tags: team,
    }),
  );
  const service = await ecs.send(
    new CreateServiceCommand({
      cluster: 'batch',
      serviceName: 'api',
      taskDefinition: 'job',
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      desiredCount: 0,
      tags: team,
    }),
  );
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: 'batch',
      taskDefinition: 'job',
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      tags: team,
    }),
  );
  const provider = await ecs.send(
    new CreateCapacityProviderCommand({
      name: 'batch-ec2',
      autoScalingGroupProvider: { autoScalingGroupArn: ASG },
      tags: team,
    }),
  );
  return {
    cluster: `${ARN}cluster/batch`,
    taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
    service: service.service?.serviceArn ?? '',
    task: run.tasks?.[0]?.taskArn ?? '',
    capacityProvider: provider.capacityProvider?.capacityProviderArn ?? '',
  };
}

describe('ECS tags on every resource kind', () => {
  it('keeps the tags each kind was created with, and TagResource / UntagResource change them', async () => {
    // Prepare
    const arns = await prepareTaggedResources();
    const { ecs } = harness();

    // Act
    for (const resourceArn of Object.values(arns)) {
      await ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'owner', value: 'payments' }] }));
      await ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    }
    const after = await Promise.all(Object.values(arns).map(tagsOf));

    // Assess
    expect(arns.capacityProvider).toBe(`${ARN}capacity-provider/batch-ec2`);
    expect(after).toEqual(Object.values(arns).map(() => [{ key: 'owner', value: 'payments' }]));
  });

  it('answers the tags with include TAGS: DescribeClusters, DescribeServices, DescribeTasks, DescribeTaskDefinition, DescribeCapacityProviders', async () => {
    // Prepare
    const arns = await prepareTaggedResources();
    const { ecs } = harness();
    const team = [{ key: 'team', value: 'core' }];

    // Act
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['batch'], include: ['TAGS'] }));
    const services = await ecs.send(
      new DescribeServicesCommand({ cluster: 'batch', services: ['api'], include: ['TAGS'] }),
    );
    const tasks = await ecs.send(
      new DescribeTasksCommand({ cluster: 'batch', tasks: [arns.task], include: ['TAGS'] }),
    );
    const definition = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'job:1', include: ['TAGS'] }),
    );
    const providers = await ecs.send(
      new DescribeCapacityProvidersCommand({ capacityProviders: ['batch-ec2'], include: ['TAGS'] }),
    );
    const withoutTags = await ecs.send(new DescribeServicesCommand({ cluster: 'batch', services: ['api'] }));

    // Assess
    expect(clusters.clusters?.[0]?.tags).toEqual(team);
    expect(services.services?.[0]?.tags).toEqual(team);
    expect(tasks.tasks?.[0]?.tags).toEqual(team);
    expect(definition.tags).toEqual(team);
    expect(providers.capacityProviders?.[0]?.tags).toEqual(team);
    expect(withoutTags.services?.[0]?.tags).toBeUndefined();
  });

  it('answers ResourceNotFoundException for an ARN of this account that names nothing', async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const error = await failure(
      ecs.send(new ListTagsForResourceCommand({ resourceArn: `${ARN}cluster/nowhere` })),
    );

    // Assess
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('ECS tag limits, as ECS enforces them', () => {
  it('refuses a 51st user tag, and a call past the limit changes nothing', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'full', tags: manyTags(49) }));
    const resourceArn = `${ARN}cluster/full`;

    // Act
    const created = await failure(
      ecs.send(new CreateClusterCommand({ clusterName: 'over', tags: manyTags(51) })),
    );
    const tagged = await failure(
      ecs.send(new TagResourceCommand({ resourceArn, tags: manyTags(2, 'extra') })),
    );
    await ecs.send(
      new TagResourceCommand({ resourceArn, tags: [{ key: 'k1', value: 'replaced' }, ...manyTags(1, 'x')] }),
    );
    const tags = await tagsOf(resourceArn);

    // Assess
    expect(created).toBeInstanceOf(InvalidParameterException);
    expect(tagged).toBeInstanceOf(InvalidParameterException);
    expect((tagged as Error).message).toBe('The number of tags exceeds the limit of 50.');
    expect(tags).toHaveLength(50);
    expect(tags.find((t) => t.key === 'k1')?.value).toBe('replaced');
  });

  it("does not count AWS's own aws: tags: a task with 50 tags of its own also gets aws:ecs:clusterName", async () => {
    // Prepare
    const { ecs } = harness();
    await prepareBatchJob(ecs);

    // Act
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        tags: manyTags(50),
        enableECSManagedTags: true,
      }),
    );
    const tags = await tagsOf(run.tasks?.[0]?.taskArn ?? '');

    // Assess
    expect(tags).toHaveLength(51);
    expect(tags).toContainEqual({ key: 'aws:ecs:clusterName', value: 'batch' });
  });

  it.each([
    [
      'a key longer than 128 characters',
      { key: 'k'.repeat(129), value: 'v' },
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
    ],
    [
      'a value longer than 256 characters',
      { key: 'k', value: 'v'.repeat(257) },
      `1 validation error detected: Value '${'v'.repeat(257)}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
    ],
    [
      'a key with a character tags may not hold',
      { key: 'cost#centre', value: 'v' },
      "1 validation error detected: Value 'cost#centre' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    ],
    [
      'a value with a character tags may not hold',
      { key: 'owner', value: 'a,b' },
      "1 validation error detected: Value 'a,b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    ],
    [
      'a key with the reserved aws: prefix, in any case',
      { key: 'AWS:owner', value: 'v' },
      "Tag key 'AWS:owner' is invalid: the 'aws:' prefix is reserved for AWS use.",
    ],
  ])('refuses %s with InvalidParameterException', async (_what, tag, message) => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));

    // Act
    const error = await failure(
      ecs.send(new TagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tags: [tag] })),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toBe(message);
    expect(await tagsOf(`${ARN}cluster/batch`)).toEqual([]);
  });

  it('takes letters of any script, spaces and _ . : / = + - @', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
    const tag = { key: 'Kostenstelle/Équipe 1', value: 'a_b.c:d/e=f+g-h@i' };

    // Act
    await ecs.send(new TagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tags: [tag] }));

    // Assess
    expect(await tagsOf(`${ARN}cluster/batch`)).toEqual([tag]);
  });

  it("refuses to remove AWS's aws: tags with UntagResource", async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));

    // Act
    const error = await failure(
      ecs.send(
        new UntagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tagKeys: ['aws:ecs:clusterName'] }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});

describe('capacity providers', () => {
  it("lists Fargate's two with the ones created, pages them, and reports unknown names MISSING", async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(
      new CreateCapacityProviderCommand({
        name: 'batch-ec2',
        autoScalingGroupProvider: { autoScalingGroupArn: ASG },
      }),
    );

    // Act
    const first = await ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 2 }));
    const second = await ecs.send(new DescribeCapacityProvidersCommand({ nextToken: first.nextToken }));
    const named = await ecs.send(
      new DescribeCapacityProvidersCommand({
        capacityProviders: [`${ARN}capacity-provider/FARGATE`, 'gone'],
      }),
    );

    // Assess
    expect(
      [...(first.capacityProviders ?? []), ...(second.capacityProviders ?? [])].map((p) => p.name),
    ).toEqual(['FARGATE', 'FARGATE_SPOT', 'batch-ec2']);
    expect(second.capacityProviders?.[0]).toMatchObject({
      status: 'ACTIVE',
      autoScalingGroupProvider: { autoScalingGroupArn: ASG, managedScaling: { status: 'DISABLED' } },
    });
    expect(named.capacityProviders?.map((p) => p.name)).toEqual(['FARGATE']);
    expect(named.failures).toEqual([{ arn: `${ARN}capacity-provider/gone`, reason: 'MISSING' }]);
  });

  it.each([
    [
      'a name prefixed with fargate',
      { name: 'fargate-ours', autoScalingGroupProvider: { autoScalingGroupArn: ASG } },
    ],
    ['a name prefixed with ecs', { name: 'ECSpool', autoScalingGroupProvider: { autoScalingGroupArn: ASG } }],
    ['no Auto Scaling group', { name: 'pool' }],
  ])('refuses %s with ClientException', async (_what, input) => {
    // Prepare
    const { ecs } = harness();

    // Act
    const error = await failure(ecs.send(new CreateCapacityProviderCommand(input)));

    // Assess
    expect(error).toBeInstanceOf(ClientException);
  });

  it("refuses to tag Fargate's own capacity providers", async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const error = await failure(
      ecs.send(
        new TagResourceCommand({
          resourceArn: `${ARN}capacity-provider/FARGATE_SPOT`,
          tags: [{ key: 'owner', value: 'x' }],
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});

describe('old-format ARNs', () => {
  it('gives services and tasks old-format ARNs while the switch is on, and ECS refuses to tag them', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepareBatchJob(ecs);
    plane.useOldArnFormat({ services: true, tasks: true });

    // Act
    const service = await ecs.send(
      new CreateServiceCommand({
        cluster: 'batch',
        serviceName: 'legacy',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        desiredCount: 0,
      }),
    );
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    const taskId = taskArn.split('/').at(-1) ?? '';
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'batch', services: ['legacy'] }));
    const byId = await ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: [taskId] }));
    const tag = [{ key: 'owner', value: 'x' }];
    const oldService = await failure(
      ecs.send(new TagResourceCommand({ resourceArn: service.service?.serviceArn, tags: tag })),
    );
    const longService = await failure(
      ecs.send(new TagResourceCommand({ resourceArn: `${ARN}service/batch/legacy`, tags: tag })),
    );
    const oldTask = await failure(ecs.send(new TagResourceCommand({ resourceArn: taskArn, tags: tag })));
    const longTask = await failure(
      ecs.send(new TagResourceCommand({ resourceArn: `${ARN}task/batch/${taskId}`, tags: tag })),
    );

    // Assess
    expect(service.service?.serviceArn).toBe(`${ARN}service/legacy`);
    expect(taskArn).toBe(`${ARN}task/${taskId}`);
    expect(described.services?.[0]?.serviceArn).toBe(`${ARN}service/legacy`);
    expect(byId.tasks?.[0]?.taskArn).toBe(taskArn);
    for (const error of [oldService, oldTask]) {
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect((error as Error).message).toBe('Long arn format must be used for tagging operations');
    }
    expect((longService as Error).message).toBe(
      'The specified service does not have the longArn format. Only services created after opting in will have the new format.',
    );
    expect((longTask as Error).message).toMatch(/^The specified task does not have the longArn format/);
  });

  it('refuses tags on a service created with the old format, and long ARNs come back when the switch is off', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepareBatchJob(ecs);
    plane.useOldArnFormat({ services: true });
    const input = {
      cluster: 'batch',
      taskDefinition: 'job',
      launchType: 'FARGATE' as const,
      networkConfiguration: NETWORK,
      desiredCount: 0,
    };

    // Act
    const tagged = await failure(
      ecs.send(
        new CreateServiceCommand({ ...input, serviceName: 'a', tags: [{ key: 'owner', value: 'x' }] }),
      ),
    );
    plane.useOldArnFormat({ services: false });
    const later = await ecs.send(new CreateServiceCommand({ ...input, serviceName: 'b' }));

    // Assess
    expect(tagged).toBeInstanceOf(InvalidParameterException);
    expect((tagged as Error).message).toMatch(/^The new ARN and resource ID format must be enabled/);
    expect(later.service?.serviceArn).toBe(`${ARN}service/batch/b`);
  });

  it('answers PutAccountSetting disabling a long ARN format as ECS does now, and ListAccountSettings tells the formats', async () => {
    // Prepare
    const { ecs, plane } = harness();
    plane.useOldArnFormat({ tasks: true });

    // Act
    const error = await failure(
      ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' })),
    );
    const listed = await ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true }));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toBe('You can no longer disable Long Arn settings.');
    expect(listed.settings?.map((s) => [s.name, s.value])).toEqual([
      ['serviceLongArnFormat', 'enabled'],
      ['taskLongArnFormat', 'disabled'],
      ['containerInstanceLongArnFormat', 'enabled'],
    ]);
  });
});

describe('StartTask', () => {
  it('starts one EC2 task per container instance named, with its tags', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'nightly',
        containerDefinitions: [
          { name: 'main', image: 'public.ecr.aws/docker/library/busybox:1', memory: 128 },
        ],
      }),
    );
    const instance = `${ARN}container-instance/batch/0123456789abcdef0123456789abcdef`;

    // Act
    const out = await ecs.send(
      new StartTaskCommand({
        cluster: 'batch',
        taskDefinition: 'nightly',
        containerInstances: [instance, 'fedcba9876543210fedcba9876543210'],
        startedBy: 'scheduler',
        tags: [{ key: 'owner', value: 'data' }],
      }),
    );

    // Assess
    expect(out.failures).toEqual([]);
    expect(out.tasks?.map((t) => [t.launchType, t.containerInstanceArn, t.startedBy])).toEqual([
      ['EC2', instance, 'scheduler'],
      ['EC2', `${ARN}container-instance/batch/fedcba9876543210fedcba9876543210`, 'scheduler'],
    ]);
    expect(out.tasks?.[0]?.tags).toEqual([{ key: 'owner', value: 'data' }]);
  });

  it('refuses a call without container instances', async () => {
    // Prepare
    const { ecs } = harness();
    await prepareBatchJob(ecs);

    // Act
    const error = await failure(
      ecs.send(new StartTaskCommand({ cluster: 'batch', taskDefinition: 'job', containerInstances: [] })),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});

describe('ECR repository tags', () => {
  it('keeps the tags a repository was created with, and TagResource / UntagResource change them', async () => {
    // Prepare
    const { ecr } = harness();
    const created = await ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'team/api', tags: [{ Key: 'team', Value: 'core' }] }),
    );
    const resourceArn = created.repository?.repositoryArn;

    // Act
    const initial = await ecr.send(new EcrListTagsForResourceCommand({ resourceArn }));
    await ecr.send(new EcrTagResourceCommand({ resourceArn, tags: [{ Key: 'owner', Value: 'payments' }] }));
    await ecr.send(new EcrUntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    const after = await ecr.send(new EcrListTagsForResourceCommand({ resourceArn }));

    // Assess
    expect(initial.tags).toEqual([{ Key: 'team', Value: 'core' }]);
    expect(after.tags).toEqual([{ Key: 'owner', Value: 'payments' }]);
  });

  it('refuses a 51st tag with TooManyTagsException and changes nothing', async () => {
    // Prepare
    const { ecr } = harness();
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api', tags: fifty }));
    const resourceArn = created.repository?.repositoryArn;

    // Act
    const error = await failure(
      ecr.send(
        new EcrTagResourceCommand({
          resourceArn,
          tags: [
            { Key: 'k0', Value: 'changed' },
            { Key: 'one-more', Value: 'v' },
          ],
        }),
      ),
    );
    const after = await ecr.send(new EcrListTagsForResourceCommand({ resourceArn }));

    // Assess
    expect(error).toBeInstanceOf(TooManyTagsException);
    expect((error as Error).message).toBe(
      'The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a repository is 50.',
    );
    expect(after.tags).toEqual(fifty);
  });

  it.each([
    ['a reserved aws: key', { Key: 'aws:owner', Value: 'v' }],
    ['a key longer than 128 characters', { Key: 'k'.repeat(129), Value: 'v' }],
    ['a value longer than 256 characters', { Key: 'k', Value: 'v'.repeat(257) }],
    ['a character tags may not hold', { Key: 'cost#centre', Value: 'v' }],
  ])('refuses %s with InvalidTagParameterException', async (_what, tag) => {
    // Prepare
    const { ecr } = harness();
    const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));

    // Act
    const onCreate = await failure(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/web', tags: [tag] })),
    );
    const onTag = await failure(
      ecr.send(new EcrTagResourceCommand({ resourceArn: created.repository?.repositoryArn, tags: [tag] })),
    );

    // Assess
    expect(onCreate).toBeInstanceOf(InvalidTagParameterException);
    expect(onTag).toBeInstanceOf(InvalidTagParameterException);
    expect((onTag as Error).message).toBe(
      'An invalid parameter has been specified. Tag keys can have a maximum character length of 128 characters, and tag values can have a maximum length of 256 characters.',
    );
  });
});
