/**
 * What a revision really ran, read from ECS: DescribeServiceRevisions' containerImages (in batches
 * of 20), the services' currentServiceRevisions, and RegisterTaskDefinition of a pinned copy through
 * a client the SDK does not retry.
 */
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsReader } from '../../shared/adapters/aws/ecs-reader';
import { EcsRollbackPlatform } from '../../shared/adapters/aws/ecs-rollback-platform';
import { EcsServiceRevisions } from '../../shared/adapters/aws/ecs-service-revisions';
import { aTaskDefinitionDoc } from '../support/in-memory';

const ecs = mockClient(ECSClient);
const REVISION = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:service-revision/prod/api/${n}`;
const API_7 = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7';

beforeEach(() => ecs.reset());

describe('EcsServiceRevisions', () => {
  it('reads the digests each container ran, 20 revisions per call', async () => {
    // Prepare
    ecs.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
      serviceRevisions: input.serviceRevisionArns.map((arn) => ({
        serviceRevisionArn: arn,
        taskDefinition: API_7,
        containerImages: [
          { containerName: 'app', image: 'repo/api:main', imageDigest: 'sha256:good' },
          { containerName: 'sidecar', image: 'fluent-bit:stable' },
        ],
      })),
    }));
    const arns = Array.from({ length: 21 }, (_, i) => REVISION(i));

    // Act
    const revisions = await new EcsServiceRevisions(new ECSClient({})).describeServiceRevisions(arns);

    // Assess
    expect(
      ecs
        .commandCalls(DescribeServiceRevisionsCommand)
        .map((c) => c.args[0].input.serviceRevisionArns?.length),
    ).toEqual([20, 1]);
    expect(revisions).toHaveLength(21);
    expect(revisions[0]).toEqual({
      arn: REVISION(0),
      taskDefinitionArn: API_7,
      images: [
        { container: 'app', image: 'repo/api:main', digest: 'sha256:good' },
        { container: 'sidecar', image: 'fluent-bit:stable' },
      ],
    });
  });
});

describe('EcsReader', () => {
  it('lists the service revisions running now', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api',
          serviceName: 'api',
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
          currentServiceRevisions: [{ arn: REVISION(1), runningTaskCount: 2 }],
        },
      ],
    });

    // Act
    const [service] = await new EcsReader(new ECSClient({})).describeServices([
      { cluster: 'prod', service: 'api' },
    ]);

    // Assess
    expect(service?.currentServiceRevisions).toEqual([REVISION(1)]);
  });
});

describe('EcsRollbackPlatform', () => {
  it('registers a pinned copy with its tags through the register client', async () => {
    // Prepare
    const registerClient = new ECSClient({});
    const register = mockClient(registerClient);
    register
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: API_7.replace(':7', ':9') } });
    const { definition } = aTaskDefinitionDoc();
    const doc = {
      definition: { family: definition.family, containerDefinitions: definition.containerDefinitions },
      tags: [{ key: 'autopilot:triggered-by', value: 'alarm-1' }],
    };

    // Act
    const arn = await new EcsRollbackPlatform(new ECSClient({}), registerClient).registerTaskDefinition(doc);

    // Assess
    expect(arn).toBe(API_7.replace(':7', ':9'));
    expect(register.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toMatchObject({
      family: 'api',
      tags: [{ key: 'autopilot:triggered-by', value: 'alarm-1' }],
    });
  });
});
