import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  ConflictException,
  DescribeServiceDeploymentsCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type ServiceDeployment,
  ServiceDeploymentNotFoundException,
  type ServiceDeploymentStatus,
  ServiceNotFoundException,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { CIRCUIT_BREAKER_REASON, USER_ROLLBACK_REASON } from '../../../sandbox/control-plane/simulator';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import {
  ACCOUNT,
  createFargateService,
  describeService,
  failure,
  type Harness,
  REGION,
  REGISTRY,
  registerFargate,
  useControlPlane,
  waitForRollout,
} from './support';

const SERVICE_DEPLOYMENT_ARN = new RegExp(
  `^arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/api/[A-Za-z0-9_-]{21}$`,
);
const SERVICE_REVISION_ARN = new RegExp(
  `^arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/prod/api/\\d{19}$`,
);

/** The service deployments of prod/api, newest first. */
async function listDeployments(h: Harness, status?: ServiceDeploymentStatus[]) {
  const out = await h.ecs.send(
    new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api', ...(status ? { status } : {}) }),
  );
  return out.serviceDeployments ?? [];
}

/** One service deployment, described. */
async function describeDeployment(h: Harness, arn: string): Promise<ServiceDeployment> {
  const out = await h.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  const found = out.serviceDeployments?.[0];
  if (!found) throw new Error(`service deployment ${arn} not found`);
  return found;
}

/**
 * The statuses a service deployment goes through, sampled whenever the control plane emits an event
 * (so each change is seen at the event it comes with).
 */
function statusTimeline(h: Harness, deploymentId: string): string[] {
  const seen: string[] = [];
  h.plane
    .waitForEvent(() => {
      const status = h.plane.model.serviceDeploymentOf(deploymentId)?.view.status;
      if (status !== undefined && seen.at(-1) !== status) seen.push(status);
      return false;
    }, 10_000)
    .catch(() => undefined);
  return seen;
}

/** `team/api:main` (healthy) behind prod/api, 2 tasks, COMPLETED. */
async function healthyService(h: Harness, breaker: { enable: boolean; rollback: boolean }) {
  const { ecs, ecr, plane } = h;
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
  const good = plane.pushImage('team/api', 'main');
  const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
  await createFargateService(ecs, {
    cluster: 'prod',
    service: 'api',
    taskDefinition: td1,
    desiredCount: 2,
    deploymentConfiguration: {
      deploymentCircuitBreaker: breaker,
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
  });
  const first = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
  return { good, td1, firstId: first.deployments?.[0]?.id ?? '' };
}

/** Deploys `team/api@<digest of a new push of main>` with the given behaviour; returns its deployment id. */
async function deployBadImage(h: Harness, kind: 'crash' | 'unhealthy') {
  const bad = h.plane.pushImage('team/api', 'main', { kind });
  const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api@${bad.digest}`);
  const updated = await h.ecs.send(
    new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
  );
  return { bad, td2, badId: updated.service?.deployments?.[0]?.id ?? '' };
}

const deploymentEvent = (name: string, id?: string) => (e: EventBridgeEvent) =>
  e['detail-type'] === 'ECS Deployment State Change' &&
  e.detail.eventName === name &&
  (id === undefined || e.detail.deploymentId === id);

describe('ListServiceDeployments and DescribeServiceDeployments', () => {
  const harness = useControlPlane();

  it('list the service deployments of rolling deployments newest first and describe their revisions', async () => {
    // Prepare
    const h = harness();
    const { firstId } = await healthyService(h, { enable: true, rollback: true });
    const v2 = h.plane.pushImage('team/api', 'main');
    const td2 = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api@${v2.digest}`);
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }),
    );
    const secondId = updated.service?.deployments?.[0]?.id ?? '';
    await waitForRollout(h.ecs, 'prod', 'api', 'COMPLETED');

    // Act
    const listed = await listDeployments(h);
    const [second, first] = listed;
    const described = await describeDeployment(h, second?.serviceDeploymentArn ?? '');
    const service = await describeService(h.ecs, 'prod', 'api');
    const inProgress = await listDeployments(h, ['IN_PROGRESS']);
    const page = await h.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api', maxResults: 1 }),
    );
    const next = await h.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api', nextToken: page.nextToken }),
    );
    const recent = await listDeployments(h);
    const afterSecond = await h.ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: 'prod',
        service: 'api',
        createdAt: { after: new Date((second?.createdAt?.getTime() ?? 0) - 1) },
      }),
    );

    // Assess
    expect(listed).toHaveLength(2);
    for (const brief of listed) {
      expect(brief).toMatchObject({
        serviceDeploymentArn: expect.stringMatching(SERVICE_DEPLOYMENT_ARN),
        serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`,
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        targetServiceRevisionArn: expect.stringMatching(SERVICE_REVISION_ARN),
        status: 'SUCCESSFUL',
      });
      expect(brief.createdAt).toBeInstanceOf(Date);
      expect(brief.startedAt).toBeInstanceOf(Date);
      expect(brief.finishedAt).toBeInstanceOf(Date);
    }
    // The ARN's last segment is its own id, not the ecs-svc deployment id; the model links them.
    expect(second?.serviceDeploymentArn).not.toContain(secondId.replace('ecs-svc/', ''));
    expect(h.plane.model.serviceDeploymentOf(secondId)?.arn).toBe(second?.serviceDeploymentArn);
    expect(h.plane.model.serviceDeploymentOf(firstId)?.arn).toBe(first?.serviceDeploymentArn);
    expect(described).toMatchObject({
      serviceDeploymentArn: second?.serviceDeploymentArn,
      status: 'SUCCESSFUL',
      sourceServiceRevisions: [
        {
          arn: first?.targetServiceRevisionArn,
          requestedTaskCount: 0,
          runningTaskCount: 0,
          pendingTaskCount: 0,
        },
      ],
      targetServiceRevision: {
        arn: second?.targetServiceRevisionArn,
        requestedTaskCount: 2,
        runningTaskCount: 2,
        pendingTaskCount: 0,
      },
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deploymentCircuitBreaker: { status: 'MONITORING_COMPLETE', failureCount: 0, threshold: 3 },
      alarms: { status: 'DISABLED' },
    });
    expect(described.rollback).toBeUndefined();
    expect(service.currentServiceDeployment).toBe(second?.serviceDeploymentArn);
    expect(service.currentServiceRevisions).toEqual([described.targetServiceRevision]);
    expect(inProgress).toEqual([]);
    expect(page.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([
      second?.serviceDeploymentArn,
    ]);
    expect(next.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([
      first?.serviceDeploymentArn,
    ]);
    expect(next.nextToken).toBeUndefined();
    expect(recent).toEqual(listed);
    expect(afterSecond.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([
      second?.serviceDeploymentArn,
    ]);
  });

  it('find the service deployment of a SERVICE_DEPLOYMENT_IN_PROGRESS event among the IN_PROGRESS ones', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { enable: false, rollback: false });
    const { badId } = await deployBadImage(h, 'unhealthy');

    // Act
    const started = await h.plane.waitForEvent(deploymentEvent('SERVICE_DEPLOYMENT_IN_PROGRESS', badId));
    const ongoing = await listDeployments(h, ['IN_PROGRESS']);
    const service = await describeService(h.ecs, 'prod', 'api');

    // Assess
    expect(started.resources).toEqual([service.serviceArn]);
    expect(ongoing).toHaveLength(1);
    expect(ongoing[0]?.serviceDeploymentArn).toBe(service.currentServiceDeployment);
    expect(ongoing[0]?.serviceDeploymentArn).toBe(h.plane.model.serviceDeploymentOf(badId)?.arn);
    const described = await describeDeployment(h, ongoing[0]?.serviceDeploymentArn ?? '');
    expect(described.sourceServiceRevisions?.map((r) => r.requestedTaskCount)).toEqual([2]);
    expect(described.targetServiceRevision?.requestedTaskCount).toBe(2);
  });

  it('answer MISSING, InvalidParameterException and ServiceNotFoundException as ECS does', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { enable: false, rollback: false });
    const unknown = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/api/AAAAAAAAAAAAAAAAAAAAA`;

    // Act
    const missing = await h.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [unknown] }),
    );
    const malformed = await failure(
      h.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: ['ecs-svc/123'] })),
    );
    const badStatus = await failure(
      h.ecs.send(
        new ListServiceDeploymentsCommand({
          cluster: 'prod',
          service: 'api',
          status: ['DONE' as ServiceDeploymentStatus],
        }),
      ),
    );
    const noService = await failure(
      h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'nope' })),
    );

    // Assess
    expect(missing).toMatchObject({
      serviceDeployments: [],
      failures: [{ arn: unknown, reason: 'MISSING' }],
    });
    expect(malformed).toBeInstanceOf(InvalidParameterException);
    expect(badStatus).toBeInstanceOf(InvalidParameterException);
    expect(noService).toBeInstanceOf(ServiceNotFoundException);
  });

  it('stop a service deployment replaced by a newer one before it finished', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { enable: false, rollback: false });
    await deployBadImage(h, 'crash');
    const td3 = await registerFargate(
      h.ecs,
      'api',
      `${REGISTRY}/team/api@${h.plane.pushImage('team/api', 'v3').digest}`,
    );

    // Act
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td3 }));
    await waitForRollout(h.ecs, 'prod', 'api', 'COMPLETED');
    const listed = await listDeployments(h);

    // Assess
    expect(listed.map((d) => d.status)).toEqual(['SUCCESSFUL', 'STOPPED', 'SUCCESSFUL']);
    expect(listed[1]?.statusReason).toBe('Service deployment stopped: a newer service deployment started.');
    const newest = await describeDeployment(h, listed[0]?.serviceDeploymentArn ?? '');
    expect(newest.sourceServiceRevisions?.map((r) => r.arn)).toEqual([
      listed[1]?.targetServiceRevisionArn,
      listed[2]?.targetServiceRevisionArn,
    ]);
  });
});

describe('StopServiceDeployment', () => {
  const harness = useControlPlane();

  it('rolls an unhealthy deployment back to the previous revision and its digests, with the events', async () => {
    // Prepare
    const h = harness();
    const { good, td1, firstId } = await healthyService(h, { enable: false, rollback: false });
    const [first] = await listDeployments(h);
    const { badId } = await deployBadImage(h, 'unhealthy');
    await h.plane.waitForEvent(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.startedBy === badId &&
        e.detail.desiredStatus === 'STOPPED',
    );
    const [ongoing] = await listDeployments(h, ['IN_PROGRESS']);
    const arn = ongoing?.serviceDeploymentArn ?? '';
    const timeline = statusTimeline(h, badId);
    const mark = h.events.length;

    // Act
    const stopped = await h.ecs.send(
      new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }),
    );
    const completed = await h.plane.waitForEvent(
      (e) => deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED')(e) && h.events.indexOf(e) >= mark,
    );
    const described = await describeDeployment(h, arn);
    const service = await describeService(h.ecs, 'prod', 'api');
    const listed = await listDeployments(h);

    // Assess
    const rollbackId = String(completed.detail.deploymentId);
    expect(stopped.serviceDeploymentArn).toBe(arn);
    expect(timeline).toEqual([
      'IN_PROGRESS',
      'ROLLBACK_REQUESTED',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_SUCCESSFUL',
    ]);
    expect(described).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      statusReason: USER_ROLLBACK_REASON,
      rollback: { reason: USER_ROLLBACK_REASON, serviceRevisionArn: first?.targetServiceRevisionArn },
      sourceServiceRevisions: [
        {
          arn: first?.targetServiceRevisionArn,
          requestedTaskCount: 2,
          runningTaskCount: 2,
          pendingTaskCount: 0,
        },
      ],
      targetServiceRevision: { requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 },
    });
    expect(described.rollback?.startedAt).toBeInstanceOf(Date);
    expect(described.stoppedAt).toBeInstanceOf(Date);
    expect(described.finishedAt).toBeInstanceOf(Date);
    expect(h.plane.model.serviceDeploymentOf(rollbackId)?.arn).toBe(arn);
    // A rollback is part of the service deployment it stops: no new service deployment or revision.
    expect(listed.map((d) => [d.serviceDeploymentArn, d.status])).toEqual([
      [arn, 'ROLLBACK_SUCCESSFUL'],
      [first?.serviceDeploymentArn, 'SUCCESSFUL'],
    ]);
    expect(service).toMatchObject({ taskDefinition: td1, runningCount: 2, desiredCount: 2 });
    expect(service.deployments?.map((d) => [d.id, d.taskDefinition, d.rolloutState])).toEqual([
      [rollbackId, td1, 'COMPLETED'],
    ]);
    const running = await h.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'api' }));
    const tasks = await h.ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: running.taskArns ?? [] }),
    );
    // `main` now names the bad image: the rollback runs the digest the first deployment resolved.
    expect(tasks.tasks?.map((t) => [t.startedBy, t.containers?.[0]?.imageDigest])).toEqual([
      [rollbackId, good.digest],
      [rollbackId, good.digest],
    ]);
    const after = h.events.slice(mark);
    const trail = after.find((e) => e.detail.eventName === 'StopServiceDeployment');
    expect(trail).toMatchObject({
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ecs',
      detail: {
        eventName: 'StopServiceDeployment',
        requestParameters: { serviceDeploymentArn: arn, stopType: 'ROLLBACK' },
        responseElements: { serviceDeploymentArn: arn },
      },
    });
    const deploymentEvents = after.filter((e) => e['detail-type'] === 'ECS Deployment State Change');
    expect(after.indexOf(deploymentEvents[0] ?? (after[0] as EventBridgeEvent))).toBeGreaterThan(
      after.indexOf(trail as EventBridgeEvent),
    );
    expect(deploymentEvents.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        eventType: 'INFO',
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: rollbackId,
        reason: `ECS deployment rollback requested: rolling back to deploymentId ${firstId}.`,
      }),
      expect.objectContaining({
        eventType: 'INFO',
        eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
        deploymentId: rollbackId,
        reason: `ECS deployment ${rollbackId} completed.`,
      }),
    ]);
    expect(h.events.some(deploymentEvent('SERVICE_DEPLOYMENT_FAILED'))).toBe(false);
  });

  it('refuses to stop a finished service deployment with ConflictException, recorded in CloudTrail', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { enable: false, rollback: false });
    const [done] = await listDeployments(h);
    const arn = done?.serviceDeploymentArn ?? '';

    // Act
    const error = await failure(
      h.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
    );
    const abort = await failure(
      h.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ABORT' })),
    );
    const unknown = await failure(
      h.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: `${arn.slice(0, -1)}0` })),
    );

    // Assess
    expect(error).toBeInstanceOf(ConflictException);
    expect(error).toMatchObject({
      name: 'ConflictException',
      message: 'The service deployment is SUCCESSFUL: only an ongoing service deployment can be stopped.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(abort).toBeInstanceOf(InvalidParameterException);
    expect(unknown).toBeInstanceOf(ServiceDeploymentNotFoundException);
    const trail = h.events.filter((e) => e.detail.eventName === 'StopServiceDeployment');
    expect(trail.map((e) => e.detail.errorCode)).toEqual([
      'ConflictException',
      'InvalidParameterException',
      'ServiceDeploymentNotFoundException',
    ]);
    expect((await listDeployments(h)).map((d) => d.status)).toEqual(['SUCCESSFUL']);
  });

  it('refuses with ConflictException when the service has no completed revision to return to', async () => {
    // Prepare
    const h = harness();
    await h.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    h.plane.pushImage('team/api', 'main', { kind: 'crash' });
    const td = await registerFargate(h.ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(h.ecs, { cluster: 'prod', service: 'api', taskDefinition: td });
    await h.plane.waitForEvent(deploymentEvent('SERVICE_DEPLOYMENT_IN_PROGRESS'));
    const [ongoing] = await listDeployments(h);

    // Act
    const error = await failure(
      h.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: ongoing?.serviceDeploymentArn })),
    );

    // Assess
    expect(ongoing?.status).toBe('IN_PROGRESS');
    expect(error).toBeInstanceOf(ConflictException);
    expect((await listDeployments(h)).map((d) => d.status)).toEqual(['IN_PROGRESS']);
  });
});

describe('service deployments of the deployment circuit breaker', () => {
  const harness = useControlPlane();

  it('show a circuit-breaker rollback as ROLLBACK_SUCCESSFUL of the failed service deployment', async () => {
    // Prepare
    const h = harness();
    const { firstId } = await healthyService(h, { enable: true, rollback: true });
    const { badId } = await deployBadImage(h, 'crash');

    // Act
    await h.plane.waitForEvent(deploymentEvent('SERVICE_DEPLOYMENT_FAILED', badId));
    const rolledBack = await h.plane.waitForEvent(
      (e) => deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED')(e) && e.detail.deploymentId !== firstId,
    );
    const listed = await listDeployments(h);
    const described = await describeDeployment(h, listed[0]?.serviceDeploymentArn ?? '');

    // Assess
    expect(listed.map((d) => [d.status, d.statusReason])).toEqual([
      ['ROLLBACK_SUCCESSFUL', CIRCUIT_BREAKER_REASON],
      ['SUCCESSFUL', undefined],
    ]);
    expect(described).toMatchObject({
      rollback: { reason: CIRCUIT_BREAKER_REASON, serviceRevisionArn: listed[1]?.targetServiceRevisionArn },
      deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
    });
    expect(described.stoppedAt).toBeUndefined();
    expect(h.plane.model.serviceDeploymentOf(badId)?.arn).toBe(described.serviceDeploymentArn);
    expect(h.plane.model.serviceDeploymentOf(String(rolledBack.detail.deploymentId))?.arn).toBe(
      described.serviceDeploymentArn,
    );
  });

  it('stop the service deployment where it failed without the rollback option', async () => {
    // Prepare
    const h = harness();
    await healthyService(h, { enable: true, rollback: false });
    const { badId } = await deployBadImage(h, 'crash');

    // Act
    await h.plane.waitForEvent(deploymentEvent('SERVICE_DEPLOYMENT_FAILED', badId));
    const [failed] = await listDeployments(h);
    const described = await describeDeployment(h, failed?.serviceDeploymentArn ?? '');

    // Assess
    expect(described).toMatchObject({
      status: 'STOPPED',
      statusReason: CIRCUIT_BREAKER_REASON,
      deploymentCircuitBreaker: { status: 'TRIGGERED' },
    });
    expect(described.stoppedAt).toBeInstanceOf(Date);
    expect(described.rollback).toBeUndefined();
  });
});
