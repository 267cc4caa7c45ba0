/**
 * A RUNNING awsvpc task's network interface as EC2 describes it (DescribeNetworkInterfaces): its
 * security groups, subnet and public IP, which the task's event does not carry. restart-tasks reads
 * it when the task's RunTask record never came, so the restart asks for the same network.
 *
 * The EC2 client is loaded when first needed, not bundled: its schemas (about 600 KB minified, which
 * esbuild cannot tree-shake) would more than double restart-tasks' bundle and every cold start, for
 * a read only a lost RunTask record needs. Lambda's Node.js runtimes carry the AWS SDK v3, so the
 * build leaves `@aws-sdk/client-ec2` external (scripts/build.ts); locally it comes from node_modules.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
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
  /** @param client - the EC2 client; by default the process's cached one, created on first use */
  constructor(private readonly client?: EC2Client) {}

  async describeNetworkInterface(
    networkInterfaceId: string,
  ): Promise<{ networkInterface: NetworkInterfaceView } | { unavailable: string }> {
    const { DescribeNetworkInterfacesCommand, EC2Client } = await import('@aws-sdk/client-ec2');
    const client = this.client ?? cachedClient('ec2', () => new EC2Client(clientConfig()));
    try {
      const out = await client.send(
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
