/**
 * Property-based fuzzing of every function through its real handler: broken samples of the events
 * it consumes. Every event its contract refuses is a permanent rejection that names what is wrong,
 * is parked in the dead-letter queue once, and changes nothing: no AWS call but the parking (a
 * rejected event never reaches idempotency, so the table is not touched either). No handler throws.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { AutopilotBusEventSchema } from '../../shared/events/autopilot-bus-event';
import { CloudWatchAlarmStateChangeEventSchema } from '../../shared/events/cloudwatch-alarm-state-change';
import { EcrImageActionEventSchema } from '../../shared/events/ecr-image-action';
import { EcrReplicationActionEventSchema } from '../../shared/events/ecr-replication-action';
import { EcsCloudTrailApiCallEventSchema } from '../../shared/events/ecs-cloudtrail-api-call';
import { EcsDeploymentStateChangeEventSchema } from '../../shared/events/ecs-deployment-state-change';
import { EcsTaskStateChangeEventSchema } from '../../shared/events/ecs-task-state-change';
import { ScheduledEventSchema } from '../../shared/events/scheduled-event';
import { lambdaContext, loadHandler, type TestHandler } from '../support/handler';
import { brokenEvent, fuzzRun, samplesOf } from './arbitraries';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBClient);

/** Each function, the contract its handler parses with (as in functions/), and its samples. */
const FUNCTIONS: Array<[string, z.ZodMiniType, string[]]> = [
  [
    'deploy-on-push',
    z.discriminatedUnion('detail-type', [
      EcrImageActionEventSchema,
      EcrReplicationActionEventSchema,
      EcsCloudTrailApiCallEventSchema,
    ]),
    ['ecr-'],
  ],
  ['deploy-due', ScheduledEventSchema, ['scheduled-']],
  ['bake-timer', ScheduledEventSchema, ['scheduled-']],
  [
    'watch-deployments',
    z.discriminatedUnion('detail-type', [
      EcsDeploymentStateChangeEventSchema,
      EcsTaskStateChangeEventSchema,
      CloudWatchAlarmStateChangeEventSchema,
    ]),
    ['ecs-', 'cloudwatch-'],
  ],
  [
    'index-services',
    z.discriminatedUnion('detail-type', [
      EcsCloudTrailApiCallEventSchema,
      EcsDeploymentStateChangeEventSchema,
      ScheduledEventSchema,
    ]),
    ['cloudtrail-', 'ecs-deployment-', 'scheduled-'],
  ],
  [
    'notify',
    z.discriminatedUnion('source', [AutopilotBusEventSchema, ScheduledEventSchema]),
    ['autopilot-', 'scheduled-'],
  ],
];

const handlers = new Map<string, TestHandler>();

beforeAll(async () => {
  process.env.AUTOPILOT_TABLE = 'ecs-autopilot-fuzz';
  process.env.AUTOPILOT_BUS = 'ecs-autopilot-fuzz';
  process.env.AUTOPILOT_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-fuzz-dlq';
  for (const [name] of FUNCTIONS) handlers.set(name, await loadHandler(name));
});

afterAll(() => {
  delete process.env.AUTOPILOT_DLQ_URL;
});

describe.each(FUNCTIONS)('%s, fed broken events', (name, schema, prefixes) => {
  it('rejects every event its contract refuses, parks it once and changes nothing', async () => {
    const handler = handlers.get(name) as TestHandler;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(brokenEvent(samplesOf(...prefixes)), async (event) => {
        // Prepare: only what the contract refuses (an accepted event would go on to the use case).
        if (schema.safeParse(event).success) return;
        for (const client of [ecs, ecr, bus, sqs, dynamo]) client.reset();
        sqs.on(SendMessageCommand).resolves({});

        // Act
        const result = await handler(event, lambdaContext(name));

        // Assess
        rejected++;
        expect(result).toEqual({ status: 'rejected', reason: expect.any(String) });
        expect(result.reason.length).toBeGreaterThan(0);
        const parked = sqs.commandCalls(SendMessageCommand);
        expect(parked).toHaveLength(1);
        expect(JSON.parse(parked[0]?.args[0].input.MessageBody ?? '{}')).toMatchObject({ rejectedBy: name });
        expect([ecs, ecr, bus, dynamo].map((client) => client.calls().length)).toEqual([0, 0, 0, 0]);
      }),
      fuzzRun(150),
    );
    expect(rejected).toBeGreaterThan(50);
  });
});
