/**
 * DynamoDB's TransactWriteItems in front of dynalite, which does not implement transactions.
 *
 * Every request reaches dynalite in process, through a gate: ordinary requests share it, and a
 * transaction holds it alone while it runs, so no other request sees part of one. A transaction
 * carries out its items one by one on dynalite (each with its own condition, remembering the item it
 * replaced); when any condition fails, the items already written are put back as they were and the
 * answer is `TransactionCanceledException` with one cancellation reason per item, in order (`None`
 * or `ConditionalCheckFailed`), as DynamoDB answers. A `ConditionCheck` is a write of the item as it
 * is (or, for a missing item, a delete that deletes nothing) under its condition.
 *
 * Faults (`options.faults`, rules addressed to `dynamodb`) are injected here, in front of every
 * operation: throttling and 5xx before the request reaches dynalite, lost answers and lost
 * connections after it was carried out (see `sandbox/faults.ts`).
 *
 * `ClientRequestToken` idempotency as DynamoDB has it for ten minutes: a transaction sent again with the
 * token of one that succeeded succeeds without writing (the SDK fills a token in and keeps it across
 * its retries, so a retried lost answer does not fail its own conditions). Not simulated: a token
 * sent again with other items (`IdempotentParameterMismatchException`), `TransactionConflictException` (the gate makes
 * transactions serial), binary (`B`, `BS`) attributes in transaction items, TransactGetItems.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { callOf, decideFaults, delay, faultAnswer, type RuntimeFaults } from './faults';
import { type RequestObserver, readBody, serveLocal } from './local-http';

type AttributeMap = Record<string, AttributeValue>;

/** One item of a TransactWriteItems request, as it comes on the wire. */
interface TransactItem {
  Put?: { TableName: string; Item: AttributeMap } & ConditionParts;
  Update?: { TableName: string; Key: AttributeMap; UpdateExpression: string } & ConditionParts;
  Delete?: { TableName: string; Key: AttributeMap } & ConditionParts;
  ConditionCheck?: { TableName: string; Key: AttributeMap } & ConditionParts;
}

interface ConditionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}

/** DynamoDB allows up to 100 items per transaction. */
const MAX_ITEMS = 100;

/** Shared for ordinary requests, exclusive for a transaction. */
class Gate {
  private sharing = 0;
  private held: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async share(): Promise<() => void> {
    while (this.held) await this.held;
    this.sharing += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.sharing -= 1;
      if (this.sharing === 0) this.drained?.();
    };
  }

  async hold(): Promise<() => void> {
    while (this.held) await this.held;
    let release = () => {};
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    while (this.sharing > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    this.drained = undefined;
    return () => {
      this.held = undefined;
      release();
    };
  }
}

/** A DynamoDB error answer, as the SDK reads it. */
class DynamoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const conditionOf = (parts: ConditionParts) => ({
  ...(parts.ConditionExpression ? { ConditionExpression: parts.ConditionExpression } : {}),
  ...(parts.ExpressionAttributeNames ? { ExpressionAttributeNames: parts.ExpressionAttributeNames } : {}),
  ...(parts.ExpressionAttributeValues ? { ExpressionAttributeValues: parts.ExpressionAttributeValues } : {}),
});

/**
 * Carries out TransactWriteItems on the dynalite at `endpoint` (its client signs the calls).
 */
class Transactions {
  private readonly keys = new Map<string, string[]>();

  constructor(private readonly client: DynamoDBClient) {}

  /** The key attribute names of a table. */
  private async keyNames(table: string): Promise<string[]> {
    let names = this.keys.get(table);
    if (!names) {
      const out = await this.client.send(new DescribeTableCommand({ TableName: table }));
      names = (out.Table?.KeySchema ?? []).map((k) => k.AttributeName ?? '');
      this.keys.set(table, names);
    }
    return names;
  }

  private async target(item: TransactItem): Promise<{ table: string; key: AttributeMap }> {
    const operation = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
    if (!operation || [item.Put, item.Update, item.Delete, item.ConditionCheck].filter(Boolean).length !== 1)
      throw new DynamoError(
        'ValidationException',
        'A transaction item holds exactly one of Put, Update, Delete, ConditionCheck',
      );
    const table = operation.TableName;
    if (item.Put) {
      const names = await this.keyNames(table);
      const key = Object.fromEntries(names.map((name) => [name, item.Put?.Item[name] as AttributeValue]));
      if (names.some((name) => item.Put?.Item[name] === undefined))
        throw new DynamoError(
          'ValidationException',
          'One or more parameter values were invalid: Missing the key in the item',
        );
      return { table, key };
    }
    return { table, key: (operation as { Key: AttributeMap }).Key };
  }

  /** Runs a request's items; the caller holds the gate. */
  async run(body: { TransactItems?: TransactItem[] }): Promise<Record<string, unknown>> {
    const items = body.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_ITEMS) {
      throw new DynamoError(
        'ValidationException',
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_ITEMS}`,
      );
    }
    const targets = await Promise.all(items.map((item) => this.target(item)));
    const ids = targets.map(({ table, key }) => `${table}|${JSON.stringify(Object.entries(key).sort())}`);
    if (new Set(ids).size !== ids.length) {
      throw new DynamoError(
        'ValidationException',
        'Transaction request cannot include multiple operations on one item',
      );
    }
    const written: { table: string; key: AttributeMap; before: AttributeMap | undefined }[] = [];
    const reasons: Record<string, unknown>[] = [];
    try {
      for (const [index, item] of items.entries()) {
        const { table, key } = targets[index] as { table: string; key: AttributeMap };
        const before = (
          await this.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))
        ).Item;
        try {
          await this.apply(item, before, key);
          written.push({ table, key, before });
          reasons.push({ Code: 'None' });
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
          const parts: ConditionParts = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck ?? {};
          reasons.push({
            Code: 'ConditionalCheckFailed',
            Message: 'The conditional request failed',
            ...(parts.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && before ? { Item: before } : {}),
          });
        }
      }
    } catch (error) {
      await this.undo(written);
      throw error;
    }
    if (reasons.every((r) => r.Code === 'None')) return {};
    await this.undo(written);
    throw new DynamoError(
      'TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      { CancellationReasons: reasons },
    );
  }

  private async apply(
    item: TransactItem,
    before: AttributeMap | undefined,
    key: AttributeMap,
  ): Promise<void> {
    if (item.Put) {
      const { TableName, Item } = item.Put;
      await this.client.send(new PutItemCommand({ TableName, Item, ...conditionOf(item.Put) }));
    } else if (item.Update) {
      const { TableName, Key, UpdateExpression } = item.Update;
      await this.client.send(
        new UpdateItemCommand({ TableName, Key, UpdateExpression, ...conditionOf(item.Update) }),
      );
    } else if (item.Delete) {
      const { TableName, Key } = item.Delete;
      await this.client.send(new DeleteItemCommand({ TableName, Key, ...conditionOf(item.Delete) }));
    } else if (item.ConditionCheck) {
      // The item written as it is (a missing one: deleted, which deletes nothing) under the condition.
      const { TableName } = item.ConditionCheck;
      const condition = conditionOf(item.ConditionCheck);
      if (before) await this.client.send(new PutItemCommand({ TableName, Item: before, ...condition }));
      else await this.client.send(new DeleteItemCommand({ TableName, Key: key, ...condition }));
    }
  }

  /** Puts the items written back as they were, the last one first. */
  private async undo(written: { table: string; key: AttributeMap; before: AttributeMap | undefined }[]) {
    for (const { table, key, before } of written.reverse()) {
      if (before) await this.client.send(new PutItemCommand({ TableName: table, Item: before }));
      else await this.client.send(new DeleteItemCommand({ TableName: table, Key: key }));
    }
  }
}

/** A running dynalite with TransactWriteItems in front. */
export interface TransactionalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** Options of {@link serveWithTransactions}. */
export interface TransactionalDynamoOptions {
  /**
   * Faults to inject (rules addressed to `dynamodb`, every operation, TransactWriteItems included):
   * throttling and 5xx before the call reaches the table, `lost` and `timeout` after it was carried out.
   */
  faults?: RuntimeFaults;
  /**
   * Told of every request the front receives (service `dynamodb`, the operation of its
   * `X-Amz-Target`), faulted ones included; the transactions' own calls to dynalite are not requests
   * of the front and are not told.
   */
  observe?: RequestObserver;
}

/** An answer of the front, before it is sent (or lost). */
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const DYNAMO_ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** How long DynamoDB remembers a transaction's ClientRequestToken. */
const IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;

/**
 * Serves `dynalite` (its server, not listening yet) on 127.0.0.1 with TransactWriteItems added, and
 * faults injected when `options.faults` says so.
 *
 * @example
 * const dynamo = await serveWithTransactions(dynalite({ createTableMs: 0 }));
 * // AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint
 */
export async function serveWithTransactions(
  dynalite: Server,
  options: TransactionalDynamoOptions = {},
): Promise<TransactionalDynamo> {
  const inner = await serveLocal(dynalite);
  const client = new DynamoDBClient({
    endpoint: inner.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTRANSACTIONS', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  const transactions = new Transactions(client);
  const gate = new Gate();
  const answer = (response: ServerResponse, { status, body }: Answer) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      ...(status >= 400 && typeof body.__type === 'string'
        ? { 'x-amzn-errortype': body.__type.replace(DYNAMO_ERROR_PREFIX, '') }
        : {}),
    });
    response.end(text);
  };
  // Successful transactions by ClientRequestToken (the SDK fills one in and sends it again on retry).
  const done = new Map<string, number>();
  const transact = async (text: string): Promise<Answer> => {
    let body: { TransactItems?: TransactItem[]; ClientRequestToken?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } };
    }
    const token = typeof body.ClientRequestToken === 'string' ? body.ClientRequestToken : undefined;
    const release = await gate.hold();
    try {
      const now = Date.now();
      for (const [seen, at] of done) if (now - at > IDEMPOTENCY_WINDOW_MS) done.delete(seen);
      // A retry of a transaction that succeeded (its answer lost) succeeds again without writing.
      if (token !== undefined && done.has(token)) return { status: 200, body: {} };
      const out = await transactions.run(body);
      if (token !== undefined) done.set(token, now);
      return { status: 200, body: out };
    } catch (error) {
      if (error instanceof DynamoError) {
        return {
          status: 400,
          body: { __type: `${DYNAMO_ERROR_PREFIX}${error.type}`, message: error.message, ...error.extra },
        };
      }
      return {
        status: 500,
        body: { __type: `${DYNAMO_ERROR_PREFIX}InternalServerError`, message: (error as Error).message },
      };
    } finally {
      release();
    }
  };
  // An ordinary request carried out on dynalite through its own port, its answer kept here (to be lost).
  const forward = async (request: IncomingMessage, text: string): Promise<void> => {
    const release = await gate.share();
    try {
      await new Promise<void>((resolve, reject) => {
        const out = httpRequest(
          `${inner.endpoint}/`,
          { method: 'POST', headers: { ...request.headers, 'content-length': Buffer.byteLength(text) } },
          (reply) => {
            reply.resume();
            reply.on('end', resolve);
            reply.on('error', reject);
          },
        );
        out.on('error', reject);
        out.end(text);
      });
    } finally {
      release();
    }
  };
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const isTransaction = target.endsWith('.TransactWriteItems');
    const call = callOf(target);
    if (call) options.observe?.(call);
    const faults = call ? decideFaults(options.faults, call.service, call.operation) : { latencyMs: 0 };
    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    if (faults.error === 'throttle' || faults.error === '5xx') {
      // Refused before it reaches the table: nothing is written.
      await readBody(request);
      const refusal = faultAnswer('dynamodb', faults.error);
      answer(response, {
        status: refusal.status,
        body: { __type: `${DYNAMO_ERROR_PREFIX}${refusal.type}`, message: refusal.message },
      });
      return;
    }
    if (faults.error === 'lost' || faults.error === 'timeout') {
      // Carried out, then the answer is lost (500) or the connection is (no answer at all).
      const text = await readBody(request);
      if (isTransaction) await transact(text);
      else await forward(request, text);
      if (faults.error === 'timeout') {
        request.socket.destroy();
        return;
      }
      const lost = faultAnswer('dynamodb', 'lost');
      answer(response, {
        status: lost.status,
        body: { __type: `${DYNAMO_ERROR_PREFIX}${lost.type}`, message: lost.message },
      });
      return;
    }
    if (isTransaction) {
      answer(response, await transact(await readBody(request)));
      return;
    }
    const release = await gate.share();
    response.once('close', release);
    dynalite.emit('request', request, response);
  };
  const outer = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        answer(response, {
          status: 500,
          body: { __type: `${DYNAMO_ERROR_PREFIX}InternalServerError`, message: String(error) },
        });
      }
    });
  });
  const front = await serveLocal(outer);
  return {
    endpoint: front.endpoint,
    close: async () => {
      client.destroy();
      await front.close();
      await inner.close();
    },
  };
}
