/**
 * The part of Amazon EC2 autopilot reads: DescribeNetworkInterfaces, for the elastic network
 * interfaces the control plane creates for awsvpc tasks (their subnet and RunTask's security groups;
 * `ControlPlaneModel.networkInterfaces`). restart-tasks reads a RUNNING task's security groups there
 * when the task's RunTask record never came. Served on an ec2 query protocol server of its own
 * (`runtime/aws-query-server.ts`, `protocol: 'ec2'`): XML answers the SDK's EC2 client parses.
 * Filters, paging and every other EC2 operation are not simulated.
 */
import {
  AwsQueryError,
  type AwsQueryOperation,
  type QueryParameters,
  queryList,
  type XmlValue,
} from '../runtime/aws-query-server';
import type { ControlPlaneModel, NetworkInterfaceRecord } from './model';

/** The namespace of EC2's answers (API version 2016-11-15, the one the SDK speaks). */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** The sandbox's one VPC. */
const VPC = 'vpc-0a1b2c3d4e5f60718';

/** EC2's operations on `model`. */
export function ec2Operations(model: ControlPlaneModel): Record<string, AwsQueryOperation> {
  return {
    DescribeNetworkInterfaces: (parameters: QueryParameters) => {
      const ids = queryList(parameters, 'NetworkInterfaceId').filter((id) => typeof id === 'string');
      // EC2 names every id it does not know, and answers none of the others.
      const unknown = ids.filter((id) => !model.networkInterfaces.has(id));
      if (unknown.length > 0) {
        throw new AwsQueryError(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID '${unknown.join(',')}' does not exist`,
        );
      }
      const found =
        ids.length > 0
          ? ids.flatMap((id) => model.networkInterfaces.get(id) ?? [])
          : [...model.networkInterfaces.values()];
      return { networkInterfaceSet: found.map((eni) => networkInterfaceXml(model, eni)) };
    },
  };
}

/** A network interface in the shape of EC2's `NetworkInterface` (ECS's description and requester). */
function networkInterfaceXml(model: ControlPlaneModel, eni: NetworkInterfaceRecord): XmlValue {
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: VPC,
    description: `arn:aws:ecs:${model.region}:${model.accountId}:attachment/${eni.attachmentId}`,
    ownerId: model.accountId,
    requesterId: '578734482556',
    requesterManaged: true,
    status: eni.status,
    privateIpAddress: eni.privateIpAddress,
    groupSet: eni.securityGroups.map((groupId) => ({ groupId, groupName: groupId })),
    ...(eni.publicIp
      ? { association: { publicIp: eni.publicIp, ipOwnerId: 'amazon', publicDnsName: '' } }
      : {}),
    interfaceType: 'interface',
  };
}
