import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  ClusterNotFoundException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  paginateListServices,
  ServiceNotActiveException,
  ServiceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { circuitBreakerThreshold } from '../../../sandbox/control-plane/simulator';
import {
  createFargateService,
  describeService,
  failure,
  type Harness,
  label,
  NETWORK,
  REGISTRY,
  registerFargate,
  useControlPlane,
  waitForRollout,
} from './support';

describe('CreateService and UpdateService', () => {
  const harness = useControlPlane();

  it('drive rolling deployments to COMPLETED, emitting the events ECS sends in order', async () => {
    // Prepare
    const { ecs, ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const v1 = plane.pushImage('team/api', 'main');
    const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: td1,
      desiredCount: 2,
    });
    const first = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const v2 = plane.pushImage('team/api', 'main');
    const td2 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api@${v2.digest}`);
    const mark = events.length;

    // Act
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    const done = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    await plane.waitForEvent((e) => e['detail-type'] === 'ECS Service Action' && events.indexOf(e) > mark);

    // Assess
    const firstId = first.deployments?.[0]?.id;
    const secondId = updated.service?.deployments?.[0]?.id;
    expect(updated.service?.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(done).toMatchObject({ taskDefinition: td2, runningCount: 2, pendingCount: 0, desiredCount: 2 });
    expect(done.deployments).toHaveLength(1);
    expect(done.deployments?.[0]).toMatchObject({
      id: secondId,
      status: 'PRIMARY',
      rolloutState: 'COMPLETED',
      rolloutStateReason: `ECS deployment ${secondId} completed.`,
      runningCount: 2,
      failedTasks: 0,
    });
    const deploymentEvents = events
      .filter((e) => e['detail-type'] === 'ECS Deployment State Change')
      .map((e) => [e.detail.eventName, e.detail.deploymentId]);
    expect(deploymentEvents).toEqual([
      ['SERVICE_DEPLOYMENT_IN_PROGRESS', firstId],
      ['SERVICE_DEPLOYMENT_COMPLETED', firstId],
      ['SERVICE_DEPLOYMENT_IN_PROGRESS', secondId],
      ['SERVICE_DEPLOYMENT_COMPLETED', secondId],
    ]);
    const afterUpdate = events.slice(mark).map(label);
    expect(afterUpdate[0]).toBe('AWS API Call via CloudTrail UpdateService');
    expect(afterUpdate[1]).toBe('ECS Deployment State Change SERVICE_DEPLOYMENT_IN_PROGRESS');
    expect(afterUpdate.at(-1)).toBe('ECS Service Action SERVICE_STEADY_STATE');
    // Old tasks are asked to stop only once a new task is running.
    const firstOldStop = events.findIndex(
      (e, i) => i > mark && e.detail.desiredStatus === 'STOPPED' && e.detail.startedBy === firstId,
    );
    const firstNewRunning = events.findIndex(
      (e, i) => i > mark && e.detail.lastStatus === 'RUNNING' && e.detail.startedBy === secondId,
    );
    expect(firstNewRunning).toBeGreaterThan(mark);
    expect(firstOldStop).toBeGreaterThan(firstNewRunning);
    const running = await ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'api' }));
    const tasks = await ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: running.taskArns ?? [] }),
    );
    expect(
      tasks.tasks?.map((t) => [t.lastStatus, t.group, t.startedBy, t.containers?.[0]?.imageDigest]),
    ).toEqual([
      ['RUNNING', 'service:api', secondId, v2.digest],
      ['RUNNING', 'service:api', secondId, v2.digest],
    ]);
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'api', desiredStatus: 'STOPPED' }),
    );
    const old = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: stopped.taskArns ?? [] }));
    expect(
      old.tasks?.map((t) => [t.lastStatus, t.stopCode, t.stoppedReason, t.containers?.[0]?.imageDigest]),
    ).toEqual([
      [
        'STOPPED',
        'ServiceSchedulerInitiated',
        `Scaling activity initiated by (deployment ${secondId})`,
        v1.digest,
      ],
      [
        'STOPPED',
        'ServiceSchedulerInitiated',
        `Scaling activity initiated by (deployment ${secondId})`,
        v1.digest,
      ],
    ]);
  });

  it('pins a deployment to the digest its tag had when it started', async () => {
    // Prepare
    const { ecs, ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const v1 = plane.pushImage('team/api', 'main');
    const td = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    plane.pushImage('team/api', 'main');
    const mark = events.length;

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 3 }));
    await plane.waitForEvent(
      (e) => e.detail.eventName === 'SERVICE_STEADY_STATE' && events.indexOf(e) > mark,
    );

    // Assess
    const digests = [...plane.model.tasks.values()]
      .filter((t) => t.task.lastStatus === 'RUNNING')
      .map((t) => t.task.containers?.[0]?.imageDigest);
    expect(digests).toEqual([v1.digest, v1.digest, v1.digest]);
  });

  it('resolves tags when the deployment starts, not when its first task launches', async () => {
    // Prepare: a deployment with no task to launch yet (desired count 0)
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const v1 = plane.pushImage('team/api', 'main');
    const td = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 0 });
    plane.pushImage('team/api', 'main');

    // Act: its first task launches after the tag moved
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 1 }));
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const service = await describeService(ecs, 'prod', 'api');
    const revisions = await ecs.send(
      new DescribeServiceRevisionsCommand({
        serviceRevisionArns: (service.currentServiceRevisions ?? []).map((r) => r.arn ?? ''),
      }),
    );

    // Assess: on a busy machine the task may be replaced after the rollout (a health check's timer):
    // whichever task runs, it runs what the tag named when the deployment started.
    const runningTasks = () => [...plane.model.tasks.values()].filter((t) => t.task.lastStatus === 'RUNNING');
    while (runningTasks().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runningTasks().map((t) => t.task.containers?.[0]?.imageDigest)).toEqual([v1.digest]);
    expect(revisions.serviceRevisions?.map((r) => r.containerImages)).toEqual([
      [{ containerName: 'app', image: `${REGISTRY}/team/api:main`, imageDigest: v1.digest }],
    ]);
  });

  it('resolves the tags of an older revision again when UpdateService returns to it', async () => {
    // Prepare: api:1 names team/api:main (v1); api:2 pins v2, pushed as main since
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const v1 = plane.pushImage('team/api', 'main');
    const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: td1,
      desiredCount: 1,
    });
    const first = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const v2 = plane.pushImage('team/api', 'main');
    const td2 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api@${v2.digest}`);
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }));
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td1 }));
    const back = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const revisions = await ecs.send(
      new DescribeServiceRevisionsCommand({
        serviceRevisionArns: [
          ...(first.currentServiceRevisions ?? []),
          ...(back.currentServiceRevisions ?? []),
        ].map((r) => r.arn ?? ''),
      }),
    );

    // Assess: the same task definition, run with what its tag points at now
    const running = [...plane.model.tasks.values()].filter((t) => t.task.lastStatus === 'RUNNING');
    expect(running.map((t) => t.task.containers?.[0]?.imageDigest)).toEqual([v2.digest]);
    expect(
      revisions.serviceRevisions?.map((r) => [r.taskDefinition, r.containerImages?.[0]?.imageDigest]),
    ).toEqual([
      [td1, v1.digest],
      [td1, v2.digest],
    ]);
  });

  it('does not start a deployment when the task definition does not change', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    const before = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');

    // Act
    const out = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td }),
    );

    // Assess
    expect(out.service?.deployments?.map((d) => d.id)).toEqual(before.deployments?.map((d) => d.id));
  });

  it('starts a new deployment of the same revision when forced', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    const before = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');

    // Act
    const out = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', forceNewDeployment: true }),
    );

    // Assess
    expect(out.service?.deployments).toHaveLength(2);
    expect(out.service?.deployments?.[1]?.id).toBe(before.deployments?.[0]?.id);
    expect(out.service?.deployments?.[0]?.taskDefinition).toBe(td);
  });
});

describe('service errors', () => {
  const harness = useControlPlane();

  it('maps missing clusters and services to the SDK exception classes', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 0 });

    // Act
    const noService = await failure(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'nope', desiredCount: 1 })),
    );
    const noCluster = await failure(
      ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['api'] })),
    );
    const duplicate = await failure(
      ecs.send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName: 'api',
          taskDefinition: td,
          launchType: 'FARGATE',
          networkConfiguration: NETWORK,
        }),
      ),
    );
    const tooMany = await failure(
      ecs.send(
        new DescribeServicesCommand({
          cluster: 'prod',
          services: Array.from({ length: 11 }, (_, i) => `s${i}`),
        }),
      ),
    );
    const missing = await ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['api', 'ghost'] }),
    );

    // Assess
    expect(noService).toBeInstanceOf(ServiceNotFoundException);
    expect(noService).toMatchObject({ name: 'ServiceNotFoundException', message: 'Service not found.' });
    expect(noCluster).toBeInstanceOf(ClusterNotFoundException);
    expect(duplicate).toBeInstanceOf(InvalidParameterException);
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    expect(missing.services?.map((s) => s.serviceName)).toEqual(['api']);
    expect(missing.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/ghost', reason: 'MISSING' },
    ]);
  });

  it('rejects a Fargate service of a task definition that is not Fargate compatible', async () => {
    // Prepare
    const { ecs, plane } = harness();
    const { RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'ec2',
        containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64 }],
      }),
    );

    // Act
    const attempt = createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: out.taskDefinition?.taskDefinitionArn ?? '',
    });

    // Assess
    await expect(attempt).rejects.toThrow('Task definition does not support launch_type FARGATE.');
    expect(plane.model.services.size).toBe(0);
  });

  it('deletes a service through DRAINING to INACTIVE; an INACTIVE service is not active', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');

    // Act
    const refused = ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'api' }));
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterException);
    const deleted = await ecs.send(
      new DeleteServiceCommand({ cluster: 'prod', service: 'api', force: true }),
    );
    let status = deleted.service?.status;
    while (status !== 'INACTIVE') {
      await new Promise((resolve) => setTimeout(resolve, 5));
      status = (await describeService(ecs, 'prod', 'api')).status;
    }
    const update = await failure(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 1 })),
    );
    const listed = await ecs.send(new ListServicesCommand({ cluster: 'prod' }));

    // Assess
    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    expect(update).toBeInstanceOf(ServiceNotActiveException);
    expect(listed.serviceArns).toEqual([]);
    expect([...harness().plane.model.tasks.values()].every((t) => t.task.lastStatus === 'STOPPED')).toBe(
      true,
    );
  });
});

describe('ListServices', () => {
  const harness = useControlPlane();

  it('pages ten services at a time by default', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    for (let i = 0; i < 12; i++) {
      await createFargateService(ecs, {
        cluster: 'prod',
        service: `svc-${i}`,
        taskDefinition: td,
        desiredCount: 0,
      });
    }

    // Act
    const pages: number[] = [];
    const arns: string[] = [];
    for await (const page of paginateListServices({ client: ecs }, { cluster: 'prod' })) {
      pages.push(page.serviceArns?.length ?? 0);
      arns.push(...(page.serviceArns ?? []));
    }

    // Assess
    expect(pages).toEqual([10, 2]);
    expect(new Set(arns).size).toBe(12);
  });
});

describe('TagResource, UntagResource and ListTagsForResource', () => {
  const harness = useControlPlane();

  it('tag services, task definitions, clusters and tasks', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    const service = await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: td,
      desiredCount: 1,
    });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const [taskArn] = (await ecs.send(new ListTasksCommand({ cluster: 'prod' }))).taskArns ?? [];
    const arns = [service.serviceArn ?? '', td, service.clusterArn ?? '', taskArn ?? ''];

    // Act
    for (const resourceArn of arns) {
      await ecs.send(
        new TagResourceCommand({
          resourceArn,
          tags: [
            { key: 'autopilot:deploy', value: 'tag:main' },
            { key: 'team', value: 'core' },
          ],
        }),
      );
      await ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    }
    const listed = await Promise.all(
      arns.map((resourceArn) => ecs.send(new ListTagsForResourceCommand({ resourceArn }))),
    );
    const described = await describeService(ecs, 'prod', 'api');
    const reserved = await failure(
      ecs.send(new TagResourceCommand({ resourceArn: arns[0], tags: [{ key: 'aws:owner', value: 'me' }] })),
    );
    const unknown = await failure(
      ecs.send(
        new ListTagsForResourceCommand({
          resourceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/ghost',
        }),
      ),
    );

    // Assess
    for (const out of listed) expect(out.tags).toEqual([{ key: 'autopilot:deploy', value: 'tag:main' }]);
    expect(described.tags).toEqual([{ key: 'autopilot:deploy', value: 'tag:main' }]);
    expect(reserved).toBeInstanceOf(InvalidParameterException);
    expect(unknown).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified resource could not be found.',
    });
  });

  it('propagates service tags and ECS managed tags to the tasks of a service', async () => {
    // Prepare
    const { ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');

    // Act
    await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: td,
      desiredCount: 1,
      tags: [{ key: 'team', value: 'core' }],
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
    });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const [taskArn] = (await ecs.send(new ListTasksCommand({ cluster: 'prod' }))).taskArns ?? [];
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: [taskArn ?? ''], include: ['TAGS'] }),
    );

    // Assess
    expect(out.tasks?.[0]?.tags).toEqual([
      { key: 'team', value: 'core' },
      { key: 'aws:ecs:clusterName', value: 'prod' },
      { key: 'aws:ecs:serviceName', value: 'api' },
    ]);
  });
});

/** A healthy service `api` on `team/api:<tag>` (COMPLETED), with the given deployment configuration. */
async function healthyService(
  h: Harness,
  options: { rollback: boolean; enable?: boolean; loadBalanced?: boolean },
) {
  const { ecs, ecr, plane } = h;
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
  plane.pushImage('team/api', 'v1');
  const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:v1`);
  await createFargateService(ecs, {
    cluster: 'prod',
    service: 'api',
    taskDefinition: td1,
    desiredCount: 2,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: options.enable ?? true, rollback: options.rollback },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    ...(options.loadBalanced
      ? {
          loadBalancers: [
            {
              targetGroupArn:
                'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef',
              containerName: 'app',
              containerPort: 8080,
            },
          ],
        }
      : {}),
  });
  const first = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
  return { td1, firstId: first.deployments?.[0]?.id ?? '' };
}

/** The stopped tasks of a deployment, described. */
async function stoppedTasksOf(h: Harness, deploymentId: string) {
  const listed = await h.ecs.send(
    new ListTasksCommand({ cluster: 'prod', startedBy: deploymentId, desiredStatus: 'STOPPED' }),
  );
  if (!listed.taskArns?.length) return [];
  const out = await h.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: listed.taskArns }));
  return out.tasks ?? [];
}

describe('deployment circuit breaker', () => {
  const harness = useControlPlane();

  it('fails a deployment of a crashing image and rolls back to the last completed one', async () => {
    // Prepare
    const h = harness();
    const { td1, firstId } = await healthyService(h, { rollback: true });
    h.plane.pushImage('team/api', 'v2', { kind: 'crash', exitCode: 137 });
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:v2`);

    // Act
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    const badId = updated.service?.deployments?.[0]?.id ?? '';
    const failed = await h.plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    const rolledBack = await h.plane.waitForEvent(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED' && e.detail.deploymentId !== firstId,
    );
    const service = await describeService(h.ecs, 'prod', 'api');

    // Assess
    expect(failed.detail).toMatchObject({
      eventType: 'ERROR',
      deploymentId: badId,
      reason: 'ECS deployment circuit breaker: task failed to start.',
    });
    const rollbackStart = h.events.find(
      (e) =>
        e.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS' &&
        e.detail.deploymentId === rolledBack.detail.deploymentId,
    );
    expect(rollbackStart?.detail.reason).toBe(
      `ECS deployment circuit breaker: rolling back to deploymentId ${firstId}.`,
    );
    expect(h.events.indexOf(rollbackStart ?? failed)).toBeGreaterThan(h.events.indexOf(failed));
    expect(service).toMatchObject({ taskDefinition: td1, runningCount: 2, desiredCount: 2 });
    expect(service.deployments?.map((d) => [d.id, d.taskDefinition, d.rolloutState])).toEqual([
      [rolledBack.detail.deploymentId, td1, 'COMPLETED'],
    ]);
    const crashed = await stoppedTasksOf(h, badId);
    expect(crashed.length).toBeGreaterThanOrEqual(3);
    const byCrash = crashed.filter((t) => t.stopCode === 'EssentialContainerExited');
    expect(byCrash.length).toBeGreaterThanOrEqual(3);
    expect(byCrash[0]).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ name: 'app', exitCode: 137, lastStatus: 'STOPPED' })],
    });
    expect(byCrash[0]?.stoppedAt).toBeInstanceOf(Date);
  });

  it('leaves a failed deployment FAILED without rollback, and keeps the old tasks running', async () => {
    // Prepare
    const h = harness();
    const { firstId } = await healthyService(h, { rollback: false });
    h.plane.pushImage('team/api', 'v2', { kind: 'crash' });
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:v2`);

    // Act
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }));
    await h.plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const service = await describeService(h.ecs, 'prod', 'api');

    // Assess
    expect(service.taskDefinition).toBe(td2);
    expect(service.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'FAILED'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(service.deployments?.[0]?.rolloutStateReason).toBe(
      'ECS deployment circuit breaker: task failed to start.',
    );
    expect(service.deployments?.[1]).toMatchObject({ id: firstId, runningCount: 2 });
    expect(h.events.filter((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS')).toHaveLength(2);
  });

  it('keeps replacing crashing tasks without a circuit breaker and reports the impaired start', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { rollback: false, enable: false });
    h.plane.pushImage('team/api', 'v2', { kind: 'exit', exitCode: 2 });
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:v2`);

    // Act
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    const impaired = await h.plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_TASK_START_IMPAIRED');
    const badId = updated.service?.deployments?.[0]?.id ?? '';
    await h.plane.waitForEvent(
      () => h.plane.model.tasksOfService(updated.service?.serviceArn ?? '').length >= 9,
    );
    const service = await describeService(h.ecs, 'prod', 'api');

    // Assess
    expect(impaired).toMatchObject({ 'detail-type': 'ECS Service Action', detail: { eventType: 'WARN' } });
    expect(service.deployments?.[0]).toMatchObject({ id: badId, rolloutState: 'IN_PROGRESS' });
    expect(service.deployments?.[0]?.failedTasks).toBeGreaterThanOrEqual(3);
    expect(h.events.some((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED')).toBe(false);
    const exits = (await stoppedTasksOf(h, badId)).map((t) => t.containers?.[0]?.exitCode);
    expect(exits.length).toBeGreaterThanOrEqual(3);
    expect(new Set(exits)).toEqual(new Set([2]));
  });
  it('rolls back to the digests the completed deployment ran, even when its tag has moved since', async () => {
    // Prepare
    const h = harness();
    const { ecs, ecr, plane } = h;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const good = plane.pushImage('team/api', 'main');
    const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: td1,
      desiredCount: 1,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const bad = plane.pushImage('team/api', 'main', { kind: 'crash' });
    const td2 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api@${bad.digest}`);

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }));
    await plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    const service = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');

    // Assess
    expect(service.taskDefinition).toBe(td1);
    const running = [...plane.model.tasks.values()].filter((t) => t.task.lastStatus === 'RUNNING');
    expect(running.map((t) => t.task.containers?.[0]?.imageDigest)).toEqual([good.digest]);
  });
});

describe('health checks', () => {
  const harness = useControlPlane();

  it('stops tasks of a load-balanced service that fail ELB health checks', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { rollback: true, loadBalanced: true });
    h.plane.pushImage('team/api', 'v2', { kind: 'unhealthy' });
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:v2`);

    // Act
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    await h.plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    const stopped = await stoppedTasksOf(h, updated.service?.deployments?.[0]?.id ?? '');

    // Assess
    expect(stopped[0]).toMatchObject({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason:
        'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef)',
    });
  });

  it('stops service tasks whose container health check fails', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { rollback: true });
    h.plane.pushImage('team/api', 'v2', { kind: 'unhealthy' });
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:v2`);

    // Act
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    await h.plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    const stopped = await stoppedTasksOf(h, updated.service?.deployments?.[0]?.id ?? '');

    // Assess
    expect(stopped[0]).toMatchObject({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
      healthStatus: 'UNHEALTHY',
    });
  });
});

describe('circuitBreakerThreshold', () => {
  it.each([
    [undefined, 2, 3],
    [undefined, 10, 5],
    [undefined, 1000, 200],
    [{ enable: true, rollback: true, thresholdConfiguration: { type: 'COUNT' as const, value: 1 } }, 10, 1],
    [
      {
        enable: true,
        rollback: true,
        thresholdConfiguration: { type: 'UNBOUNDED_PERCENT' as const, value: 10 },
      },
      4,
      1,
    ],
  ])('is %j for %i desired tasks: %i', (breaker, desired, expected) => {
    // Act
    const threshold = circuitBreakerThreshold(breaker, desired);

    // Assess
    expect(threshold).toBe(expected);
  });
});
