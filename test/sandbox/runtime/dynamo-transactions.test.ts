/**
 * TransactWriteItems in front of dynalite (`sandbox/runtime/dynamo-transactions.ts`), through the
 * real SDK: all items written or none, a cancellation reason per item, ConditionCheck, and the
 * requests DynamoDB refuses.
 */
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { useDynalite } from '../../support/dynalite';

const dynamo = useDynalite();
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(dynamo().client);
  table = dynamo().tableName;
});

const get = async (pk: string, sk: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))).Item;

describe('TransactWriteItems on the sandbox DynamoDB', () => {
  it('writes every item when every condition holds', async () => {
    // Prepare
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'T1', sk: 'old', n: 1 } }));

    // Act
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { pk: 'T1', sk: 'a', v: 'x' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Delete: {
              TableName: table,
              Key: { pk: 'T1', sk: 'old' },
              ConditionExpression: 'n = :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          {
            Update: {
              TableName: table,
              Key: { pk: 'T1', sk: 'b' },
              UpdateExpression: 'SET v = :v',
              ExpressionAttributeValues: { ':v': 'y' },
            },
          },
        ],
      }),
    );

    // Assess
    expect([await get('T1', 'a'), await get('T1', 'old'), await get('T1', 'b')]).toEqual([
      { pk: 'T1', sk: 'a', v: 'x' },
      undefined,
      { pk: 'T1', sk: 'b', v: 'y' },
    ]);
  });

  it('writes nothing when one condition fails, and gives a reason per item', async () => {
    // Prepare
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'T2', sk: 'taken', v: 'first' } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'T2', sk: 'kept', v: 'before' } }));

    // Act
    const error = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: 'T2', sk: 'kept', v: 'after' } } },
            { Put: { TableName: table, Item: { pk: 'T2', sk: 'new', v: 'x' } } },
            {
              Put: {
                TableName: table,
                Item: { pk: 'T2', sk: 'taken', v: 'second' },
                ConditionExpression: 'attribute_not_exists(pk)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      )
      .catch((e: Error & { CancellationReasons?: { Code?: string; Item?: unknown }[] }) => e);

    // Assess
    expect(error).toMatchObject({ name: 'TransactionCanceledException' });
    expect(
      (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.map((r) => r.Code),
    ).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect([await get('T2', 'kept'), await get('T2', 'new'), await get('T2', 'taken')]).toEqual([
      { pk: 'T2', sk: 'kept', v: 'before' },
      undefined,
      { pk: 'T2', sk: 'taken', v: 'first' },
    ]);
  });

  it('checks a condition on an item it does not write (ConditionCheck)', async () => {
    // Prepare
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'T3', sk: 'guard', open: false } }));
    const guarded = (open: boolean) =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: table,
                Key: { pk: 'T3', sk: 'guard' },
                ConditionExpression: '#o = :t',
                ExpressionAttributeNames: { '#o': 'open' },
                ExpressionAttributeValues: { ':t': open },
              },
            },
            { Put: { TableName: table, Item: { pk: 'T3', sk: 'item', open } } },
          ],
        }),
      );

    // Act
    const refused = await guarded(true).catch((e: Error) => e.name);
    await guarded(false);

    // Assess
    expect(refused).toBe('TransactionCanceledException');
    expect([await get('T3', 'guard'), await get('T3', 'item')]).toEqual([
      { pk: 'T3', sk: 'guard', open: false },
      { pk: 'T3', sk: 'item', open: false },
    ]);
  });

  it('refuses two operations on one item, and an empty transaction', async () => {
    // Act
    const twice = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: 'T4', sk: 'a' } } },
            { Delete: { TableName: table, Key: { pk: 'T4', sk: 'a' } } },
          ],
        }),
      )
      .catch((e: Error) => e.name);
    const empty = await doc.send(new TransactWriteCommand({ TransactItems: [] })).catch((e: Error) => e.name);

    // Assess
    expect([twice, empty]).toEqual(['ValidationException', 'ValidationException']);
    expect(await get('T4', 'a')).toBeUndefined();
  });

  it('lets no reader see half a transaction', async () => {
    // Prepare
    const pairs = Array.from({ length: 10 }, (_, i) => `T5#${i}`);
    const partition = async (pk: string) =>
      (
        await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
          }),
        )
      ).Items?.length;

    // Act: transactions write two items of a partition at once while queries of it race them
    const seen = await Promise.all(
      pairs.flatMap((pk) => [
        doc
          .send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName: table, Item: { pk, sk: 'a' } } },
                { Put: { TableName: table, Item: { pk, sk: 'b' } } },
              ],
            }),
          )
          .then(() => 2),
        partition(pk),
      ]),
    );

    // Assess: each query saw none or both
    expect(seen.filter((count) => count !== 0 && count !== 2)).toEqual([]);
  });
});
