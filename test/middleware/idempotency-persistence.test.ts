/**
 * The idempotency record's in-progress save when DynamoDB wrote it but its answer was lost: the SDK
 * sends the PutItem again, DynamoDB refuses it (the record exists), and Powertools alone would take
 * this invocation's own record for another invocation's. Against dynalite on 127.0.0.1; the lost
 * answer is a client middleware that lets the first PutItem through, then throws a transient error.
 */

import { IdempotencyConfig, IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { OwnWriteAwarePersistenceLayer } from '../../shared/middleware/idempotency-persistence';
import { useDynalite } from '../support/dynalite';

const dynamo = useDynalite();

/** A client whose first PutItem reaches DynamoDB and whose answer is then lost (the SDK retries). */
function clientLosingFirstPutAnswer(): DynamoDBClient {
  const { endpoint, client } = dynamo();
  const lossy = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDDYNALITE', secretAccessKey: 'dynalite' },
    maxAttempts: 3,
    retryStrategy: undefined,
  });
  void client;
  let lost = false;
  lossy.middlewareStack.add(
    (next, context) => async (args) => {
      const answer = await next(args);
      if (context.commandName === PutItemCommand.name && !lost) {
        lost = true;
        throw Object.assign(new Error('socket hang up'), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      }
      return answer;
    },
    { step: 'deserialize', name: 'loseFirstPutAnswer' },
  );
  return lossy;
}

function layerOf(Layer: typeof DynamoDBPersistenceLayer, client: DynamoDBClient) {
  const layer = new Layer({
    tableName: dynamo().tableName,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: 'IDEMPOTENCY#test',
    expiryAttr: 'expiresAt',
    awsSdkV3Client: client,
  });
  layer.configure({
    config: new IdempotencyConfig({ eventKeyJmesPath: 'id' }),
    keyPrefix: 'IDEMPOTENCY#test',
  });
  return layer;
}

describe('OwnWriteAwarePersistenceLayer', () => {
  it("takes a retried in-progress save refused for its own record as saved (Powertools' layer fails it)", async () => {
    // Prepare
    const ours = layerOf(OwnWriteAwarePersistenceLayer, clientLosingFirstPutAnswer());
    const powertools = layerOf(DynamoDBPersistenceLayer, clientLosingFirstPutAnswer());

    // Act
    const saved = await ours.saveInProgress({ id: 'event-1' }, 30_000).then(
      () => 'saved',
      (error: unknown) => error,
    );
    const refused = await powertools.saveInProgress({ id: 'event-2' }, 30_000).then(
      () => 'saved',
      (error: unknown) => error,
    );

    // Assess
    expect(saved).toBe('saved');
    expect(refused).toBeInstanceOf(IdempotencyItemAlreadyExistsError);
  });

  it('still refuses the record of another invocation running the same event', async () => {
    // Prepare
    const first = layerOf(OwnWriteAwarePersistenceLayer, dynamo().client);
    const second = layerOf(OwnWriteAwarePersistenceLayer, dynamo().client);
    await first.saveInProgress({ id: 'event-3' }, 30_000);

    // Act
    const again = second.saveInProgress({ id: 'event-3' }, 60_000);

    // Assess
    await expect(again).rejects.toBeInstanceOf(IdempotencyItemAlreadyExistsError);
  });
});
