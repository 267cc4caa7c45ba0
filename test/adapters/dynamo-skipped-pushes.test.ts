/**
 * What dynalite cannot show of {@link DynamoSkippedPushes}: BatchWriteItem leaving items unprocessed
 * (throttled), which are sent again a few times after a growing pause, then given up.
 */
import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoSkippedPushes } from '../../shared/adapters/state/dynamo-skipped-pushes';
import { RetryableError } from '../../shared/errors';
import type { SkippedPush } from '../../shared/ports';

const TABLE = 'autopilot';
const NOW = new Date('2026-01-12T10:00:00.000Z');

// The document client the table sends through (BatchWriteItem as the adapter writes it, unmarshalled).
const dynamo = mockClient(DynamoDBDocumentClient);

/** The skip of prod/<name>. */
const skip = (name: string): SkippedPush => ({
  serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/prod/${name}`,
  repository: 'team/api',
  tag: 'main',
  digest: `sha256:${'ab'.repeat(32)}`,
  reason: 'tag main does not match tag:release',
  triggeredBy: 'event-1',
  at: NOW.toISOString(),
});

/** The write request of a skip as the table's call carries it. */
const requestOf = (s: SkippedPush) => ({
  PutRequest: {
    Item: { pk: `SVC#${s.serviceArn}`, sk: 'SKIP', ...s, expiresAt: NOW.getTime() / 1000 + 90 * 86_400 },
  },
});

/** The services named in each BatchWriteItem call made. */
const callsMade = () =>
  dynamo
    .commandCalls(BatchWriteCommand)
    .map((c) =>
      (c.args[0].input.RequestItems?.[TABLE] ?? []).map((r) =>
        String(r.PutRequest?.Item?.serviceArn).split('/').pop(),
      ),
    );

describe('DynamoSkippedPushes', () => {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const pauses: number[] = [];
  const skips = new DynamoSkippedPushes(TABLE, client, () => NOW, {
    pause: async (ms) => {
      pauses.push(ms);
    },
  });

  beforeEach(() => {
    dynamo.reset();
    pauses.length = 0;
  });

  afterAll(() => dynamo.restore());

  it('writes 25 skips a call', async () => {
    // Prepare
    dynamo.on(BatchWriteCommand).resolves({});
    const many = Array.from({ length: 30 }, (_, i) => skip(`api-${i}`));

    // Act
    await skips.recordSkips(many);

    // Assess
    expect(callsMade().map((services) => services.length)).toEqual([25, 5]);
  });

  it('sends what a call left unprocessed again, after a pause, until it is written', async () => {
    // Prepare
    const [api, worker] = [skip('api'), skip('worker')];
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [requestOf(worker)] } })
      .resolves({});

    // Act
    await skips.recordSkips([api, worker]);

    // Assess
    expect(callsMade()).toEqual([['api', 'worker'], ['worker']]);
    expect(pauses).toHaveLength(1);
  });

  it('gives up after four sends, saying how many were not kept, with a growing pause between them', async () => {
    // Prepare
    const worker = skip('worker');
    dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE]: [requestOf(worker)] } });

    // Act
    const recorded = skips.recordSkips([skip('api'), worker]);

    // Assess
    await expect(recorded).rejects.toThrow(
      new RetryableError('BatchWriteItem left 1 of 2 skipped pushes unwritten after 4 rounds'),
    );
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 4);
    expect(pauses).toHaveLength(3);
    // Equal jitter around 50, 100 and 200 ms: at least half of each, at most all of it.
    for (const [i, ms] of pauses.entries()) {
      expect(ms).toBeGreaterThanOrEqual(25 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(50 * 2 ** i);
    }
  });
});
