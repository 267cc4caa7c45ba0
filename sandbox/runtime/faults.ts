/**
 * Fault injection in the runtime's servers (DynamoDB, EventBridge, SQS, Parameter Store, Secrets
 * Manager), with the rule language and injector of `sandbox/faults.ts`: what each service answers
 * when it throttles or fails, in the shape its SDK client classifies (throttling is retried with the
 * throttling backoff, 5xx as transient), and the log of faulted calls.
 */
import type { FaultDecision, FaultInjector, FaultKind, FaultRecord, FaultService } from '../faults';

/** What a server of the runtime needs to inject faults. */
export interface RuntimeFaults {
  injector: FaultInjector;
  /** Called for each faulted call (the runtime keeps them in `Runtime.faulted`). */
  record(record: FaultRecord): void;
}

/** An error answer of one service: status, error type and message (and SQS's query error code). */
export interface FaultAnswer {
  status: number;
  /** the error shape; DynamoDB's is prefixed with its namespace on the wire */
  type: string;
  message: string;
  /** `x-amzn-query-error` (SQS, awsQueryCompatible): `Code;Sender` */
  queryError?: string;
}

/** The services of the AWS JSON server, by target prefix. */
const SERVICE_OF_PREFIX: Record<string, FaultService> = {
  DynamoDB_20120810: 'dynamodb',
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  AmazonSSM: 'ssm',
  secretsmanager: 'secretsmanager',
};

/** The service and operation of an `X-Amz-Target` (`AmazonSQS.SendMessage` -> sqs, SendMessage). */
export function callOf(target: unknown): { service: FaultService; operation: string } | undefined {
  if (typeof target !== 'string') return undefined;
  const [prefix = '', operation = ''] = target.split('.');
  const service = SERVICE_OF_PREFIX[prefix];
  return service && operation ? { service, operation } : undefined;
}

/**
 * The answer of `service` to a throttled call or a server fault, as the service sends it:
 * DynamoDB `ProvisionedThroughputExceededException` (400) and `InternalServerError` (500);
 * EventBridge `ThrottlingException` (400) and `InternalException` (500); SQS `RequestThrottled` (403,
 * with its query error code, as the SDK's model has it) and `InternalError` (500); Parameter Store and
 * Secrets Manager `ThrottlingException` (400) and `InternalServerError` / `InternalServiceError` (500).
 */
export function faultAnswer(service: FaultService, kind: 'throttle' | '5xx' | 'lost'): FaultAnswer {
  const failed = kind !== 'throttle';
  switch (service) {
    case 'dynamodb':
      return failed
        ? { status: 500, type: 'InternalServerError', message: 'Internal server error' }
        : {
            status: 400,
            type: 'ProvisionedThroughputExceededException',
            message:
              'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
          };
    case 'events':
      return failed
        ? { status: 500, type: 'InternalException', message: 'Internal service error' }
        : { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    case 'sqs':
      return failed
        ? {
            status: 500,
            type: 'InternalError',
            message: 'We encountered an internal error. Please try again.',
            queryError: 'InternalError;Receiver',
          }
        : {
            status: 403,
            type: 'RequestThrottled',
            message: 'Request is throttled.',
            queryError: 'RequestThrottled;Sender',
          };
    case 'secretsmanager':
      return failed
        ? { status: 500, type: 'InternalServiceError', message: 'An error occurred on the server side.' }
        : { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    default:
      return failed
        ? { status: 500, type: 'InternalServerError', message: 'An error occurred on the server side.' }
        : { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
  }
}

/**
 * Decides the faults of one call and records it when faulted.
 *
 * @returns the decision (no faults when `faults` is undefined)
 */
export function decideFaults(
  faults: RuntimeFaults | undefined,
  service: FaultService,
  operation: string,
): FaultDecision {
  if (!faults) return { latencyMs: 0 };
  const decision = faults.injector.decide(service, operation);
  const fault: FaultKind | undefined = decision.error ?? (decision.latencyMs > 0 ? 'latency' : undefined);
  if (fault) faults.record({ service, operation, fault, at: new Date() });
  return decision;
}

/** Waits `ms` (a `latency` fault). */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
