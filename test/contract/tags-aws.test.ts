/**
 * The contract of the tag policy's AWS ports (TaggedResourceReader, TagWriter, TagEnforcer), run
 * against the in-memory fakes the domain tests use and against the real adapters (ecs-tags.ts,
 * ecr-tags.ts) talking to the sandbox's control plane on 127.0.0.1 through the unchanged SDK clients:
 * a fake that drifts from what the adapters read and write fails here.
 */
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Tag,
} from '@aws-sdk/client-ecs';
import { EcrTaggedResources, EcrTagWriter } from '../../shared/adapters/aws/ecr-tags';
import { EcsTagEnforcer, EcsTaggedResources, EcsTagWriter } from '../../shared/adapters/aws/ecs-tags';
import type { TagResourceView } from '../../shared/domain/tags/evaluate';
import type { TagEnforcer, TaggedResourceReader, TagWriter } from '../../shared/ports';
import { NETWORK, useControlPlane } from '../sandbox/control-plane/support';
import { aTagWorld } from '../support/in-memory-tags';

type Tags = Record<string, string>;

/** An account to seed and the ports over it. */
interface Subject {
  cluster(name: string, tags: Tags): Promise<string>;
  service(cluster: string, name: string, tags: Tags, options?: { oldFormat?: boolean }): Promise<string>;
  taskDefinition(family: string, tags: Tags): Promise<string>;
  task(cluster: string, taskDefinition: string, tags: Tags): Promise<string>;
  capacityProvider(name: string, tags: Tags): Promise<string>;
  repository(name: string, tags: Tags): Promise<string>;
  readers: TaggedResourceReader[];
  writers: TagWriter[];
  enforcer: TagEnforcer;
  /** the desired count of a service as ECS has it */
  desiredCount(serviceArn: string): Promise<number | undefined>;
  /** resolves once ECS says the task stopped (a stopped task is stopped at once in the fakes) */
  stopped(cluster: string, taskArn: string): Promise<void>;
}

const tagList = (tags: Tags): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

function fakeSubject(): Subject {
  const world = aTagWorld();
  const { account } = world;
  let ids = 0;
  return {
    cluster: async (name, tags) => account.addCluster(name, tags),
    service: async (cluster, name, tags, options = {}) =>
      account.addService(cluster, name, { tags, desiredCount: 0, ...options }),
    taskDefinition: async (family, tags) => account.addTaskDefinition(family, tags),
    task: async (cluster, taskDefinition, tags) =>
      account.addTask(cluster, taskDefinition, { id: `t${++ids}`, tags }),
    capacityProvider: async (name, tags) => account.addCapacityProvider(name, tags),
    repository: async (name, tags) => account.addRepository(name, tags),
    readers: world.readers,
    writers: world.writers,
    enforcer: world.enforcer,
    desiredCount: async (arn) => account.get(arn)?.desiredCount,
    stopped: async () => undefined,
  };
}

const plane = useControlPlane();

function realSubject(): Subject {
  const { ecs, ecr } = plane();
  return {
    cluster: async (name, tags) =>
      (await ecs.send(new CreateClusterCommand({ clusterName: name, tags: tagList(tags) }))).cluster
        ?.clusterArn ?? '',
    service: async (cluster, name, tags, options = {}) => {
      plane().plane.useOldArnFormat({ services: options.oldFormat ?? false });
      const out = await ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: name,
          taskDefinition: 'web',
          launchType: 'FARGATE',
          networkConfiguration: NETWORK,
          desiredCount: 0,
          ...(options.oldFormat ? {} : { tags: tagList(tags) }),
        }),
      );
      plane().plane.useOldArnFormat({ services: false });
      return out.service?.serviceArn ?? '';
    },
    taskDefinition: async (family, tags) =>
      (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family,
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [
              { name: 'main', image: 'public.ecr.aws/docker/library/busybox:1', essential: true },
            ],
            tags: tagList(tags),
          }),
        )
      ).taskDefinition?.taskDefinitionArn ?? '',
    task: async (cluster, taskDefinition, tags) =>
      (
        await ecs.send(
          new RunTaskCommand({
            cluster,
            taskDefinition,
            launchType: 'FARGATE',
            networkConfiguration: NETWORK,
            tags: tagList(tags),
          }),
        )
      ).tasks?.[0]?.taskArn ?? '',
    capacityProvider: async (name, tags) =>
      (
        await ecs.send(
          new CreateCapacityProviderCommand({
            name,
            autoScalingGroupProvider: {
              autoScalingGroupArn: `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0f1e2d3c:autoScalingGroupName/${name}`,
            },
            tags: tagList(tags),
          }),
        )
      ).capacityProvider?.capacityProviderArn ?? '',
    repository: async (name, tags) =>
      (
        await ecr.send(
          new CreateRepositoryCommand({
            repositoryName: name,
            tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        )
      ).repository?.repositoryArn ?? '',
    readers: [new EcsTaggedResources(ecs), new EcrTaggedResources(ecr)],
    writers: [new EcsTagWriter(ecs), new EcrTagWriter(ecr)],
    enforcer: new EcsTagEnforcer(ecs),
    desiredCount: async (arn) => {
      const view = await new EcsTaggedResources(ecs).readResource(arn);
      return view?.desiredCount;
    },
    stopped: async (_cluster, taskArn) => {
      await plane().plane.waitForEvent(
        (e) =>
          e['detail-type'] === 'ECS Task State Change' &&
          e.detail.taskArn === taskArn &&
          e.detail.lastStatus === 'STOPPED',
        30_000,
      );
    },
  };
}

/** A view without what differs between accounts (task ids), for comparing. */
const shape = (v: TagResourceView) => ({
  type: v.type,
  name: v.name,
  cluster: v.cluster,
  desiredCount: v.desiredCount,
  tags: v.tags,
  parentTags: v.parentTags,
});

/** Seeds one of each kind; the ARNs made. */
async function seed(subject: Subject) {
  await subject.taskDefinition('web', { owner: 'web-team' });
  const cluster = await subject.cluster('prod', { owner: 'payments' });
  const service = await subject.service('prod', 'api', { env: 'prod' });
  const first = await subject.taskDefinition('etl', { owner: 'etl' });
  const second = await subject.taskDefinition('etl', { owner: 'data' });
  const task = await subject.task('prod', first, { job: 'nightly' });
  const provider = await subject.capacityProvider('batch-ec2', { owner: 'infra' });
  const repository = await subject.repository('team/api', { owner: 'api' });
  return { cluster, service, first, second, task, provider, repository };
}

/** Every page of every reader, in order. */
async function sweepAll(readers: readonly TaggedResourceReader[]): Promise<TagResourceView[]> {
  const views: TagResourceView[] = [];
  for (const reader of readers) {
    let token: string | undefined;
    do {
      const page = await reader.readPage(token);
      views.push(...page.resources);
      token = page.next;
    } while (token);
  }
  return views;
}

function describeTagPortsContract(name: string, make: () => Subject): void {
  describe(`tag policy AWS ports contract (${name})`, () => {
    it('sweeps every kind once with its tags and its parents, and leaves out what AWS owns', async () => {
      // Prepare
      const subject = make();
      await seed(subject);

      // Act
      const views = await sweepAll(subject.readers);

      // Assess
      const byName = (type: string, n: string) =>
        views.filter((v) => v.type === type && v.name === n).map(shape);
      expect(views).toHaveLength(8);
      expect(byName('ecs:cluster', 'prod')).toEqual([
        shape({ type: 'ecs:cluster', arn: '', name: 'prod', tags: { owner: 'payments' }, parentTags: {} }),
      ]);
      expect(byName('ecs:service', 'api')).toEqual([
        {
          type: 'ecs:service',
          name: 'api',
          cluster: 'prod',
          desiredCount: 0,
          tags: { env: 'prod' },
          parentTags: { cluster: { owner: 'payments' } },
        },
      ]);
      expect(byName('ecs:task', 'etl')).toEqual([
        {
          type: 'ecs:task',
          name: 'etl',
          cluster: 'prod',
          desiredCount: undefined,
          tags: { job: 'nightly' },
          parentTags: { cluster: { owner: 'payments' }, taskDefinition: { owner: 'etl' } },
        },
      ]);
      expect(byName('ecs:task-definition', 'etl').map((v) => [v.tags, v.parentTags])).toEqual([
        [{ owner: 'etl' }, { family: { owner: 'data' } }],
        [{ owner: 'data' }, { family: { owner: 'etl' } }],
      ]);
      expect(byName('ecs:capacity-provider', 'batch-ec2').map((v) => v.tags)).toEqual([{ owner: 'infra' }]);
      expect(byName('ecr:repository', 'team/api').map((v) => v.tags)).toEqual([{ owner: 'api' }]);
    });

    it('reads one resource by ARN as the sweep reads it, and nothing for one that is gone', async () => {
      // Prepare
      const subject = make();
      const arns = await seed(subject);
      const swept = await sweepAll(subject.readers);

      // Act
      const read = await Promise.all(
        Object.values(arns).map((arn) => subject.readers.find((r) => r.reads(arn))?.readResource(arn)),
      );
      const gone = await subject.readers[0]?.readResource(
        'arn:aws:ecs:eu-west-1:123456789012:service/prod/gone',
      );

      // Assess
      const sweptOf = (arn: string) => swept.find((v) => v.arn === arn);
      expect(read).toEqual(Object.values(arns).map(sweptOf));
      expect(gone).toBeUndefined();
    });

    it('tags and untags ECS and ECR resources, and answers a refusal for an old-format ARN', async () => {
      // Prepare
      const subject = make();
      const { service, repository } = await seed(subject);
      const legacy = await subject.service('prod', 'legacy', {}, { oldFormat: true });
      const writerOf = (arn: string) => subject.writers.find((w) => w.writes(arn));

      // Act
      const results = [
        await writerOf(service)?.tagResource(service, {
          owner: 'payments',
          'autopilot:violation': 'env@2026-12-11T01:45Z',
        }),
        await writerOf(service)?.untagResource(service, ['autopilot:violation']),
        await writerOf(repository)?.tagResource(repository, { env: 'prod' }),
        await writerOf(legacy)?.tagResource(legacy, { owner: 'payments' }),
      ];
      const after = await Promise.all(
        [service, repository].map((arn) => subject.readers.find((r) => r.reads(arn))?.readResource(arn)),
      );

      // Assess
      expect(results.slice(0, 3)).toEqual(['done', 'done', 'done']);
      expect(results[3]).toEqual({
        refused: expect.stringMatching(/Long arn format must be used for tagging operations/),
      });
      expect(after.map((v) => v?.tags)).toEqual([
        { env: 'prod', owner: 'payments' },
        { owner: 'api', env: 'prod' },
      ]);
    });

    it('stops a task once and scales a service to a desired count and back', async () => {
      // Prepare
      const subject = make();
      const { task, service } = await seed(subject);

      // Act
      const stopped = await subject.enforcer.stopTask('prod', task, 'autopilot: tag policy owner');
      // ECS stops a task after its containers did: asked again once it has, it is gone.
      await subject.stopped('prod', task);
      const again = await subject.enforcer.stopTask('prod', task, 'autopilot: tag policy owner');
      const up = await subject.enforcer.setDesiredCount('prod', service, 2);
      const count = await subject.desiredCount(service);
      const missing = await subject.enforcer.setDesiredCount(
        'prod',
        'arn:aws:ecs:eu-west-1:123456789012:service/prod/gone',
        0,
      );

      // Assess
      expect([stopped, up, count]).toEqual(['done', 'done', 2]);
      expect(again).toEqual({ gone: expect.stringContaining(task) });
      expect(missing).toEqual({ gone: expect.any(String) });
    });
  });
}

describeTagPortsContract('in-memory fakes', fakeSubject);
describeTagPortsContract('ecs-tags.ts and ecr-tags.ts on the control plane', realSubject);
