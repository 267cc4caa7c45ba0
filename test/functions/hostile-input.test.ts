/**
 * Hostile and broken events through the real handlers: each is a permanent rejection that names the
 * field, is parked in the dead-letter queue, and changes nothing (no AWS call but the parking).
 * Nothing here reaches the table: a rejected event never gets as far as idempotency.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_DETAIL_DEPTH } from '../../shared/events/json-bounds';
import { lambdaContext, loadHandler, sampleEvent, type TestHandler } from '../support/handler';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

type Event = { id: string; detail: Record<string, unknown> };

const handlers = new Map<string, TestHandler>();

beforeAll(async () => {
  process.env.AUTOPILOT_TABLE = 'ecs-autopilot-test';
  process.env.AUTOPILOT_BUS = 'ecs-autopilot-test';
  process.env.AUTOPILOT_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-dlq';
  for (const name of ['deploy-on-push', 'deploy-due', 'watch-deployments', 'index-services', 'notify']) {
    handlers.set(name, await loadHandler(name));
  }
});

afterAll(() => {
  delete process.env.AUTOPILOT_DLQ_URL;
});

beforeEach(() => {
  for (const client of [ecs, ecr, bus, sqs, dynamo]) client.reset();
  sqs.on(SendMessageCommand).resolves({});
});

async function invoke(name: string, event: unknown) {
  const handler = handlers.get(name);
  if (!handler) throw new Error(`no handler ${name}`);
  return handler(event, lambdaContext(name));
}

/** What was parked, parsed. */
function parked(): Record<string, unknown>[] {
  return sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}'));
}

/** No AWS call but the parking. */
function changedNothing(): void {
  expect([ecs, ecr, bus, dynamo].map((client) => client.calls().length)).toEqual([0, 0, 0, 0]);
}

describe('hostile input to the handlers', () => {
  it.each(['sha256:abc', 'not-a-digest', `sha256:${'g'.repeat(64)}`])(
    'rejects a push whose image-digest is %j, naming the field, instead of retrying a RangeError',
    async (digest) => {
      // Prepare
      const event = sampleEvent<Event>('ecr-image-push');
      event.detail['image-digest'] = digest;

      // Act
      const result = await invoke('deploy-on-push', event);

      // Assess
      expect(result).toEqual({
        status: 'rejected',
        reason: expect.stringContaining('detail.image-digest: '),
      });
      expect(parked()).toEqual([expect.objectContaining({ rejectedBy: 'deploy-on-push', event })]);
      changedNothing();
    },
  );

  it.each([
    ['deploy-on-push', 'ecr-image-push'],
    ['watch-deployments', 'ecs-task-stopped-crash'],
    ['index-services', 'cloudtrail-ecs-update-service'],
    ['notify', 'autopilot-deployment-started'],
  ])('%s rejects a detail nested 10,000 deep and parks it with the nesting cut', async (name, file) => {
    // Prepare
    const event = sampleEvent<Event>(file);
    event.detail.hostile = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);

    // Act
    const result = await invoke(name, event);

    // Assess
    expect(result).toEqual({
      status: 'rejected',
      reason: `event does not match the expected schema: nested deeper than ${MAX_DETAIL_DEPTH + 1} levels`,
    });
    const [body] = parked();
    expect(body).toMatchObject({ rejectedBy: name, event: { id: event.id } });
    expect(JSON.stringify(body)).toContain('[nested deeper than');
    changedNothing();
  });

  it.each([
    ['deploy-due', 'scheduled-reconcile'],
    ['notify', 'autopilot-rollback-failed'],
  ])(
    '%s rejects an envelope field nested 5,000 deep (the logger copies the id) instead of a RangeError',
    async (name, file) => {
      // Prepare: found by test/fuzz/handlers.test.ts.
      const event = sampleEvent<Event & { id: unknown }>(file);
      event.id = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`);

      // Act
      const result = await invoke(name, event);

      // Assess
      expect(result).toMatchObject({
        status: 'rejected',
        reason: expect.stringContaining('nested deeper than'),
      });
      expect(parked()).toHaveLength(1);
      changedNothing();
    },
  );

  it('names at most ten problems of an event that fails thousands of checks', async () => {
    // Prepare
    const event = sampleEvent<Event & { resources: unknown[] }>('ecs-deployment-failed');
    event.resources = ['arn:aws:ecs:eu-west-1:123456789012:service/prod/api', ...Array(5000).fill(1)];

    // Act
    const result = await invoke('watch-deployments', event);

    // Assess
    expect(result.status).toBe('rejected');
    expect(result.reason).toMatch(/; and 4990 more$/);
    changedNothing();
  });
});
