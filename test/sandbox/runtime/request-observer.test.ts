/**
 * The request observer of the runtime's servers (what `bench/` counts calls with): every call, by
 * service and operation, told as the real SDK clients make it, faulted ones included.
 */
import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mulberry32 } from '../../../sandbox/control-plane/random';
import { FaultInjector } from '../../../sandbox/faults';
import { startAwsJsonServer } from '../../../sandbox/runtime/aws-json-server';
import { startDynamo } from '../../../sandbox/runtime/dynamo';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };

describe('request observer', () => {
  it('tells each DynamoDB request by operation, a throttled one too', async () => {
    // Prepare
    const seen: string[] = [];
    const injector = new FaultInjector(mulberry32(1));
    const dynamo = await startDynamo({
      observe: ({ service, operation }) => seen.push(`${service}:${operation}`),
      faults: { injector, record: () => undefined },
    });
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'eu-west-1',
      credentials,
      maxAttempts: 1,
    });
    seen.length = 0;

    try {
      // Act
      await client.send(new ListTablesCommand({}));
      await client.send(
        new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      );
      injector.set([{ operation: 'dynamodb:GetItem', kind: 'throttle', rate: 1 }]);
      await expect(
        client.send(
          new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
        ),
      ).rejects.toThrow();

      // Assess
      expect(seen).toEqual(['dynamodb:ListTables', 'dynamodb:GetItem', 'dynamodb:GetItem']);
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  });

  it('tells each call to an AWS JSON operation by service and operation', async () => {
    // Prepare
    const seen: string[] = [];
    const server = await startAwsJsonServer({
      operations: { 'AWSEvents.PutEvents': () => ({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] }) },
      observe: ({ service, operation }) => seen.push(`${service}:${operation}`),
    });
    const client = new EventBridgeClient({ endpoint: server.endpoint, region: 'eu-west-1', credentials });

    try {
      // Act
      await client.send(
        new PutEventsCommand({ Entries: [{ Source: 'autopilot', DetailType: 'x', Detail: '{}' }] }),
      );

      // Assess
      expect(seen).toEqual(['events:PutEvents']);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
