import 'aws-sdk-client-mock-jest';
import { DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2NetworkInterfaceReader } from '../../shared/adapters/aws/ec2-network-interface-reader';
import { RetryableError } from '../../shared/errors';
import { clientConfig, prepareBatchWorker, useControlPlane } from '../sandbox/control-plane/support';
import { unmodeledAwsError } from '../support/aws-errors';

const ENI = 'eni-0123456789abcdef0';

describe('Ec2NetworkInterfaceReader against EC2 (mocked)', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());
  afterAll(() => ec2.restore());

  it('reads the subnet, the security groups and whether the interface has a public IP', async () => {
    // Prepare
    ec2.on(DescribeNetworkInterfacesCommand, { NetworkInterfaceIds: [ENI] }).resolves({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: ENI,
          SubnetId: 'subnet-0a1b2c3d4e5f60718',
          Groups: [
            { GroupId: 'sg-0a1b', GroupName: 'workers' },
            { GroupId: 'sg-0c2d', GroupName: 'egress' },
          ],
          Association: { PublicIp: '203.0.113.7' },
          Status: 'in-use',
        },
      ],
    });
    const reader = new Ec2NetworkInterfaceReader(new EC2Client({}));

    // Act
    const read = await reader.describeNetworkInterface(ENI);

    // Assess
    expect(read).toEqual({
      networkInterface: {
        subnetId: 'subnet-0a1b2c3d4e5f60718',
        securityGroups: ['sg-0a1b', 'sg-0c2d'],
        publicIp: true,
      },
    });
    expect(ec2).toHaveReceivedCommandTimes(DescribeNetworkInterfacesCommand, 1);
  });

  it.each([
    ['InvalidNetworkInterfaceID.NotFound', 'is gone'],
    ['UnauthorizedOperation', 'could not be read (ec2:DescribeNetworkInterfaces refused)'],
  ])('answers %s as unavailable, so the spec stays unknown', async (code, reason) => {
    // Prepare
    ec2.on(DescribeNetworkInterfacesCommand).rejects(unmodeledAwsError(EC2ServiceException, code, 'no'));
    const reader = new Ec2NetworkInterfaceReader(new EC2Client({}));

    // Act
    const read = await reader.describeNetworkInterface(ENI);

    // Assess
    expect(read).toEqual({ unavailable: reason });
  });

  it('throws a retryable error when EC2 throttles, so the event is delivered again', async () => {
    // Prepare
    ec2
      .on(DescribeNetworkInterfacesCommand)
      .rejects(unmodeledAwsError(EC2ServiceException, 'RequestLimitExceeded', 'Request limit exceeded.'));
    const reader = new Ec2NetworkInterfaceReader(new EC2Client({}));

    // Act
    const read = reader.describeNetworkInterface(ENI);

    // Assess
    await expect(read).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('Ec2NetworkInterfaceReader against the sandbox EC2 endpoint', () => {
  const harness = useControlPlane();

  it("reads a running awsvpc task's interface as RunTask placed it, and none that does not exist", async () => {
    // Prepare
    const { ecs, ecr, plane } = harness();
    await prepareBatchWorker({ ecs, ecr, plane });
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-0c1d2e3f405162738'],
            securityGroups: ['sg-0a1b2c3d4e5f60789', 'sg-0f0e0d0c0b0a09080'],
            assignPublicIp: 'ENABLED',
          },
        },
      }),
    );
    const eni = run.tasks?.[0]?.attachments?.[0]?.details?.find(
      (d) => d.name === 'networkInterfaceId',
    )?.value;
    const reader = new Ec2NetworkInterfaceReader(new EC2Client(clientConfig(plane.ec2Endpoint)));

    // Act
    const read = await reader.describeNetworkInterface(eni ?? '');
    const missing = await reader.describeNetworkInterface('eni-0000000000000000f');

    // Assess
    expect(read).toEqual({
      networkInterface: {
        subnetId: 'subnet-0c1d2e3f405162738',
        securityGroups: ['sg-0a1b2c3d4e5f60789', 'sg-0f0e0d0c0b0a09080'],
        publicIp: true,
      },
    });
    expect(missing).toEqual({ unavailable: 'is gone' });
  });
});
