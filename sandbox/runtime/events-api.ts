/**
 * The Amazon EventBridge API of the sandbox: `AWSEvents.PutEvents` over the AWS JSON 1.1 protocol,
 * putting each entry on the {@link LocalBus} as the envelope EventBridge would build. Entries are
 * checked one by one as EventBridge does: a bad entry fails alone (`FailedEntryCount`, `ErrorCode`),
 * the others go through. An injected `partial` fault fails some entries with `ThrottlingException` or
 * `InternalFailure`, as EventBridge does under load; they are not put on the bus.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import { nestingExceeds } from '../../shared/events/json-bounds';
import { MAX_EVENT_NESTING } from '../../tools/eventbridge/event';
import { type AwsJsonOperation, AwsServiceError } from './aws-json-server';
import { eventTime, type LocalBus } from './bus';

/** Options of {@link eventsOperations}. */
export interface EventsApiOptions {
  /** the buses that exist besides `default` (autopilot's bus) */
  busNames: readonly string[];
  account: string;
  region: string;
}

interface ResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** PutEvents takes up to ten entries of up to 256 KB together. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;

/**
 * The EventBridge operations on `bus`, keyed by target for `startAwsJsonServer`.
 *
 * @example
 * startAwsJsonServer({ operations: { ...eventsOperations(bus, { busNames: ['ecs-autopilot-sandbox'], account, region }) } });
 */
export function eventsOperations(bus: LocalBus, options: EventsApiOptions): Record<string, AwsJsonOperation> {
  const buses = new Set(['default', ...options.busNames]);
  const busName = (value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return 'default';
    if (typeof value !== 'string') return undefined;
    const name = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(value)?.[1] ?? value;
    return buses.has(name) ? name : undefined;
  };
  return {
    'AWSEvents.PutEvents': (input, call) => {
      const entries = input.Entries;
      if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES} and greater than or equal to 1`,
        );
      }
      if (Buffer.byteLength(JSON.stringify(entries)) > MAX_BYTES) {
        throw new AwsServiceError(
          'ValidationException',
          'Total size of the entries in the request is over the limit.',
        );
      }
      // A partially failed call (an injected `partial` fault): these entries fail, the others go through.
      const injected = call.failEntries?.(entries.length) ?? [];
      const results = entries.map((raw, index): ResultEntry => {
        const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        const failure = checkEntry(entry);
        if (failure) return failure;
        const code = injected[index];
        if (code) {
          return {
            ErrorCode: code,
            ErrorMessage: code === 'ThrottlingException' ? 'Rate exceeded' : 'Internal service error',
          };
        }
        const eventBusName = busName(entry.EventBusName);
        if (!eventBusName) {
          return {
            ErrorCode: 'ResourceNotFoundException',
            ErrorMessage: `Event bus ${String(entry.EventBusName)} does not exist.`,
          };
        }
        const { event } = bus.put(
          {
            source: entry.Source as string,
            'detail-type': entry.DetailType as string,
            detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
            resources: (entry.Resources as string[] | undefined) ?? [],
            account: options.account,
            region: options.region,
            time: timeOf(entry.Time),
          },
          { eventBusName, origin: 'put-events' },
        );
        return { EventId: event.id };
      });
      return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
    },
  };
}

function checkEntry(entry: Record<string, unknown>): ResultEntry | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  // EventBridge processes JSON up to 1000 levels deep (the detail is one level below the envelope).
  if (
    typeof detail !== 'object' ||
    detail === null ||
    Array.isArray(detail) ||
    nestingExceeds(detail, MAX_EVENT_NESTING - 1)
  ) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  const resources = entry.Resources;
  if (
    resources !== undefined &&
    (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string'))
  ) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Resources is not valid.' };
  }
  return undefined;
}

/** `Time` is epoch seconds on the JSON protocols; EventBridge uses the time of the call without it. */
function timeOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return eventTime(new Date(value * 1000));
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return eventTime(new Date(value));
  return undefined;
}
