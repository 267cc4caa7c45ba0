/**
 * Errors the control plane answers with. Each becomes an AWS JSON 1.1 error response: the HTTP status,
 * `x-amzn-errortype: <code>` and the body `{"__type": "<code>", "message": "..."}`, which the SDK turns
 * into the matching exception class (`ServiceNotFoundException`, ...).
 */

/** An error answered to the caller with an AWS error code. */
export class AwsApiError extends Error {
  /**
   * @param code - the AWS error code, e.g. `ClusterNotFoundException`
   * @param message - the message, as AWS words it where known
   * @param statusCode - 400 for client errors, 500/503 for server faults
   */
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** ECS `ClientException`: the request is invalid (a missing task definition, a malformed field). */
export const clientException = (message: string) => new AwsApiError('ClientException', message);

/** `InvalidParameterException` (ECS and ECR). */
export const invalidParameter = (message: string) => new AwsApiError('InvalidParameterException', message);

/** ECS `ClusterNotFoundException`, with the message ECS sends. */
export const clusterNotFound = () => new AwsApiError('ClusterNotFoundException', 'Cluster not found.');

/** ECS `ServiceNotFoundException`, with the message ECS sends. */
export const serviceNotFound = () => new AwsApiError('ServiceNotFoundException', 'Service not found.');

/** ECS `ServiceNotActiveException`, with the message ECS sends. */
export const serviceNotActive = () => new AwsApiError('ServiceNotActiveException', 'Service was not ACTIVE.');

/** ECS `ServiceDeploymentNotFoundException`: no service deployment has that ARN. */
export const serviceDeploymentNotFound = () =>
  new AwsApiError('ServiceDeploymentNotFoundException', 'The service deployment does not exist.');

/** ECS `ConflictException`: the resource is not in a state that allows the request. */
export const conflict = (message: string) => new AwsApiError('ConflictException', message);
