/**
 * A RUNNING awsvpc task's network interface as EC2 describes it (DescribeNetworkInterfaces): its
 * security groups, subnet and public IP, which the task's event does not carry. restart-tasks reads
 * it when the task's RunTask record never came, so the restart asks for the same network.
 */
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { NetworkInterfaceReader, NetworkInterfaceView } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/**
 * EC2 error codes after which the interface will never be read: it is gone (deleted when its task
 * stopped), its id is not one, or the role may not read it. Anything else (throttling, 5xx) throws
 * a retryable error, so the event is delivered again.
 */
const UNAVAILABLE: Record<string, string> = {
  'InvalidNetworkInterfaceID.NotFound': 'is gone',
  'InvalidNetworkInterfaceID.Malformed': 'is not a network interface id',
  UnauthorizedOperation: 'could not be read (ec2:DescribeNetworkInterfaces refused)',
  AccessDenied: 'could not be read (ec2:DescribeNetworkInterfaces refused)',
  AccessDeniedException: 'could not be read (ec2:DescribeNetworkInterfaces refused)',
};

/** Reads one elastic network interface. */
export class Ec2NetworkInterfaceReader implements NetworkInterfaceReader {
  constructor(
    private readonly client: EC2Client = cachedClient('ec2', () => new EC2Client(clientConfig())),
  ) {}

  async describeNetworkInterface(
    networkInterfaceId: string,
  ): Promise<{ networkInterface: NetworkInterfaceView } | { unavailable: string }> {
    try {
      const out = await this.client.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] }),
      );
      const found = out.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === networkInterfaceId);
      // Between the task stopping and EC2 forgetting it, an interface may be listed without a subnet.
      if (!found?.SubnetId) return { unavailable: 'is gone' };
      return {
        networkInterface: {
          subnetId: found.SubnetId,
          securityGroups: (found.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
          publicIp: Boolean(found.Association?.PublicIp),
        },
      };
    } catch (error) {
      const unavailable = UNAVAILABLE[awsErrorName(error) ?? ''];
      if (unavailable) return { unavailable };
      throw classifyAwsError(error, `DescribeNetworkInterfaces ${networkInterfaceId}`, []);
    }
  }
}
