/**
 * The CloudTrail records a tag policy follows (issue 14), as the local account emits them through
 * EventBridge: one per successful call, in the contracts of `shared/events/`, with `userIdentity`
 * telling who called (autopilot's own calls by its role, as a Lambda execution role's show in AWS).
 */
import {
  CreateRepositoryCommand,
  ECRClient,
  TagResourceCommand as EcrTagResourceCommand,
  UntagResourceCommand as EcrUntagResourceCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { assumedRoleIdentity } from '../../../sandbox/control-plane';
import { EcrCloudTrailApiCallEventSchema } from '../../../shared/events/ecr-cloudtrail-api-call';
import { EcsCloudTrailApiCallEventSchema } from '../../../shared/events/ecs-cloudtrail-api-call';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import { ACCOUNT, clientConfig, failure, NETWORK, REGION, useControlPlane } from './support';

/** The access key autopilot's functions call with in this test, and the role CloudTrail shows for it. */
const AUTOPILOT_KEY = 'AKIDAUTOPILOT';
const AUTOPILOT = assumedRoleIdentity(ACCOUNT, 'ecs-autopilot-test', 'ecs-autopilot-tags');

const harness = useControlPlane({ identities: { [AUTOPILOT_KEY]: AUTOPILOT } });

const ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:`;

/** The CloudTrail records emitted so far, as `<source> <eventName>`. */
function records(events: readonly EventBridgeEvent[]): string[] {
  return events
    .filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail')
    .map((e) => `${e.source} ${String(e.detail.eventName)}`);
}

/** The last CloudTrail record of `eventName` from `source`. */
function recordOf(events: readonly EventBridgeEvent[], source: string, eventName: string): EventBridgeEvent {
  const found = events.filter(
    (e) =>
      e['detail-type'] === 'AWS API Call via CloudTrail' &&
      e.source === source &&
      e.detail.eventName === eventName,
  );
  const last = found.at(-1);
  if (!last) throw new Error(`no ${source} ${eventName} record`);
  return last;
}

describe('CloudTrail records of the calls a tag policy follows', () => {
  it('emits one record per successful ECS call, each in the ECS contract, with the request and the answer', async () => {
    // Prepare
    const { ecs, events } = harness();
    const owner = [{ key: 'owner', value: 'data' }];

    // Act
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch', tags: owner }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'job',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'main', image: 'public.ecr.aws/docker/library/busybox:1' }],
        tags: owner,
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'batch',
        serviceName: 'api',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        desiredCount: 0,
      }),
    );
    await ecs.send(new UpdateServiceCommand({ cluster: 'batch', service: 'api', desiredCount: 0 }));
    await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    await ecs.send(
      new StartTaskCommand({
        cluster: 'batch',
        taskDefinition: 'job',
        containerInstances: ['0123456789abcdef0123456789abcdef'],
        networkConfiguration: NETWORK,
      }),
    );
    await ecs.send(new TagResourceCommand({ resourceArn: `${ARN}service/batch/api`, tags: owner }));
    await ecs.send(new UntagResourceCommand({ resourceArn: `${ARN}service/batch/api`, tagKeys: ['owner'] }));
    await ecs.send(new ListTagsForResourceCommand({ resourceArn: `${ARN}service/batch/api` }));

    // Assess
    expect(records(events)).toEqual([
      'aws.ecs CreateCluster',
      'aws.ecs RegisterTaskDefinition',
      'aws.ecs CreateService',
      'aws.ecs UpdateService',
      'aws.ecs RunTask',
      'aws.ecs StartTask',
      'aws.ecs TagResource',
      'aws.ecs UntagResource',
    ]);
    for (const record of events.filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail')) {
      expect(EcsCloudTrailApiCallEventSchema.safeParse(record).error).toBeUndefined();
    }
    expect(recordOf(events, 'aws.ecs', 'CreateCluster').detail).toMatchObject({
      requestParameters: { clusterName: 'batch', tags: owner },
      responseElements: { cluster: { clusterArn: `${ARN}cluster/batch`, tags: owner } },
    });
    expect(recordOf(events, 'aws.ecs', 'RegisterTaskDefinition').detail).toMatchObject({
      responseElements: { taskDefinition: { taskDefinitionArn: `${ARN}task-definition/job:1` }, tags: owner },
    });
    expect(recordOf(events, 'aws.ecs', 'StartTask').detail).toMatchObject({
      responseElements: {
        tasks: [{ launchType: 'EC2', taskArn: expect.stringContaining(`${ARN}task/batch/`) }],
      },
    });
    expect(recordOf(events, 'aws.ecs', 'TagResource').detail).toMatchObject({
      requestParameters: { resourceArn: `${ARN}service/batch/api`, tags: owner },
      responseElements: null,
    });
  });

  it('emits the ECR records in the ECR contract, naming the repository in resources', async () => {
    // Prepare
    const { ecr, events } = harness();
    const repositoryArn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/jobs/report`;

    // Act
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'jobs/report', tags: [{ Key: 'owner', Value: 'data' }] }),
    );
    await ecr.send(
      new EcrTagResourceCommand({ resourceArn: repositoryArn, tags: [{ Key: 'env', Value: 'prod' }] }),
    );
    await ecr.send(new EcrUntagResourceCommand({ resourceArn: repositoryArn, tagKeys: ['owner'] }));

    // Assess
    expect(records(events)).toEqual([
      'aws.ecr CreateRepository',
      'aws.ecr TagResource',
      'aws.ecr UntagResource',
    ]);
    for (const record of events) {
      expect(EcrCloudTrailApiCallEventSchema.safeParse(record).error).toBeUndefined();
      expect(record.detail.resources).toEqual([{ accountId: ACCOUNT, ARN: repositoryArn }]);
    }
    expect(recordOf(events, 'aws.ecr', 'CreateRepository').detail).toMatchObject({
      eventSource: 'ecr.amazonaws.com',
      requestParameters: { repositoryName: 'jobs/report', tags: [{ Key: 'owner', Value: 'data' }] },
      responseElements: { repository: { repositoryArn } },
    });
  });

  it('marks a refused call with its error, and a call refused before it reaches ECS has no record', async () => {
    // Prepare
    const { ecs, events, plane } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
    plane.setFaults([{ operation: 'TagResource', kind: 'throttle', rate: 1 }]);

    // Act
    await failure(
      ecs.send(
        new TagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tags: [{ key: 'owner', value: 'x' }] }),
      ),
    );
    plane.setFaults([]);
    await failure(
      ecs.send(
        new TagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tags: [{ key: 'aws:x', value: 'x' }] }),
      ),
    );

    // Assess
    expect(records(events)).toEqual(['aws.ecs CreateCluster', 'aws.ecs TagResource']);
    expect(recordOf(events, 'aws.ecs', 'TagResource').detail).toMatchObject({
      errorCode: 'InvalidParameterException',
      responseElements: null,
    });
  });
});

describe('who called, in userIdentity', () => {
  it("shows autopilot's own calls as its assumed role, and a person's as the IAM user they are", async () => {
    // Prepare
    const { plane, ecs: person, events } = harness();
    const autopilot = new ECSClient({
      ...clientConfig(plane.endpoint),
      credentials: { accessKeyId: AUTOPILOT_KEY, secretAccessKey: 'sandbox' },
    });
    const autopilotEcr = new ECRClient({
      ...clientConfig(plane.endpoint),
      credentials: { accessKeyId: AUTOPILOT_KEY, secretAccessKey: 'sandbox' },
    });

    // Act
    await person.send(new CreateClusterCommand({ clusterName: 'batch' }));
    await autopilot.send(
      new TagResourceCommand({ resourceArn: `${ARN}cluster/batch`, tags: [{ key: 'owner', value: 'data' }] }),
    );
    await autopilotEcr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/report' }));
    autopilot.destroy();
    autopilotEcr.destroy();

    // Assess
    expect(recordOf(events, 'aws.ecs', 'CreateCluster').detail.userIdentity).toMatchObject({
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/sandbox`,
    });
    const role = {
      type: 'AssumedRole',
      principalId: 'AROASANDBOXROLE00001:ecs-autopilot-tags',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ecs-autopilot-test/ecs-autopilot-tags`,
      accountId: ACCOUNT,
      accessKeyId: AUTOPILOT_KEY,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${ACCOUNT}:role/ecs-autopilot-test`,
          userName: 'ecs-autopilot-test',
        },
      },
    };
    expect(recordOf(events, 'aws.ecs', 'TagResource').detail.userIdentity).toMatchObject(role);
    expect(recordOf(events, 'aws.ecr', 'CreateRepository').detail.userIdentity).toMatchObject(role);
  });
});
