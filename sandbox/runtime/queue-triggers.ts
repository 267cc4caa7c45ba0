/**
 * Lambda's SQS event source mappings of serverless.yml (`events: - sqs: …`): pollers that receive
 * batches from a local queue and invoke the function with the SQS event, as Lambda does:
 *
 * - up to `batchSize` messages per invocation, `maximumConcurrency` batches in flight at once (the
 *   functions still run one at a time in this process: a batch waits for its turn, its messages stay
 *   invisible meanwhile);
 * - a message becomes receivable when its delay (the queue's DelaySeconds, or the message's own) has
 *   passed, on the real clock: the sandbox shortens delays where they are decided (its policy file),
 *   as it does cooldowns; a poller sleeps until the next message is due, it does not spin;
 * - the invocation succeeds: its messages are deleted, except, with `ReportBatchItemFailures`, the
 *   ones named in `batchItemFailures` (an identifier that is not in the batch fails the whole batch);
 *   it throws: none is deleted. What is not deleted comes back after the queue's visibility timeout
 *   (or `retryAfterSeconds` after the invocation: the sandbox's shortcut, as the bus's retry delays are),
 *   and after `maxReceiveCount` receives the queue's redrive policy moves it to its dead-letter queue.
 *
 * Each invocation is told to the bus's subscribers as a delivery record (`function`, the batch's
 * message ids as `eventId`, `ok` or `retry`, and the handler's result), so the timeline and the
 * scenarios see the decisions of queue-triggered functions like the others.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import { randomUUID } from 'node:crypto';
import type { QueueTriggerDefinition } from '../../tools/serverless-config';
import type { DeliveryRecord } from './bus';
import { type LocalQueue, md5OfBody } from './sqs';

/** The SQS event a function receives (`aws-lambda`'s `SQSEvent`, as Lambda sends it). */
export interface SqsEvent {
  Records: SqsRecord[];
}

/** One message of an {@link SqsEvent}. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
  };
  messageAttributes: Record<
    string,
    {
      stringValue?: string;
      binaryValue?: string;
      stringListValues: [];
      binaryListValues: [];
      dataType: string;
    }
  >;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/** Options of {@link QueueTriggers}. */
export interface QueueTriggersOptions {
  /** the mappings, from `readServerlessConfig(...).functions[].queueTriggers` */
  triggers: readonly QueueTriggerDefinition[];
  /** the local queue of a logical id */
  queueOf: (logicalId: string) => LocalQueue | undefined;
  /** runs a function (see `FunctionRunner.invoke`); a rejection is a function error */
  invoke: (functionName: string, event: SqsEvent, invocation: { requestId: string }) => Promise<unknown>;
  /** told of every invocation (the bus's subscribers) */
  tell?: (record: DeliveryRecord) => void;
  account?: string;
  region?: string;
  /**
   * how soon a message not deleted (the function threw, or reported it failed) can be received again,
   * in seconds from the end of its invocation (fractions allowed): the sandbox's shortcut, as the
   * bus's short retry delays are; by default the queue's visibility timeout from the receive, as in AWS
   */
  retryAfterSeconds?: number;
}

/** The batch-level answer of a function with `ReportBatchItemFailures`. */
interface BatchResponse {
  batchItemFailures?: { itemIdentifier?: unknown }[];
}

/** Polls the queues of the event source mappings and invokes their functions. */
export class QueueTriggers {
  private stopped = true;
  private readonly loops: Promise<void>[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: QueueTriggersOptions) {
    for (const trigger of options.triggers) {
      if (!options.queueOf(trigger.queue)) {
        throw new Error(
          `${trigger.functionName}: the sqs event names ${trigger.queue}, which is no queue of the stack`,
        );
      }
    }
  }

  /** Starts `maximumConcurrency` pollers per enabled mapping (2 without one: the fewest Lambda scales to). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const trigger of this.options.triggers) {
      if (!trigger.enabled) continue;
      const pollers = Math.max(1, trigger.maximumConcurrency ?? 2);
      for (let i = 0; i < pollers; i++) this.loops.push(this.poll(trigger));
    }
  }

  /** Stops polling; batches being processed finish first. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    await Promise.all(this.loops.splice(0));
  }

  /**
   * Resolves when no batch is being processed and no message is receivable now. Messages still
   * waiting their delay are not waited for (a restart due in five minutes is not "busy").
   */
  async idle(): Promise<void> {
    for (;;) {
      const receivable = this.options.triggers.some(
        (t) => t.enabled && this.options.queueOf(t.queue)?.hasVisible(),
      );
      if (this.inFlight === 0 && (!receivable || this.stopped)) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Whether a batch is being processed. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  private async poll(trigger: QueueTriggerDefinition): Promise<void> {
    const queue = this.options.queueOf(trigger.queue) as LocalQueue;
    while (!this.stopped) {
      if (!queue.hasVisible()) {
        this.wakeIdle();
        await this.sleepUntilDue(queue);
        continue;
      }
      if (trigger.maximumBatchingWindowSeconds > 0)
        await this.sleep(trigger.maximumBatchingWindowSeconds * 1000);
      const batch = await queue.receive(trigger.batchSize, queue.visibilityTimeoutSeconds, 0);
      if (batch.length === 0) continue;
      this.inFlight++;
      try {
        await this.deliver(trigger, queue, batch);
      } finally {
        this.inFlight--;
        this.wakeIdle();
      }
    }
  }

  /** Sleeps until a message is sent or the next delayed or invisible one is due. */
  private async sleepUntilDue(queue: LocalQueue): Promise<void> {
    const due = queue.nextVisibleAt();
    const sent = queue.nextSend();
    await Promise.race([sent, this.sleep(due === undefined ? 60_000 : Math.max(0, due - Date.now()))]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }

  private async deliver(
    trigger: QueueTriggerDefinition,
    queue: LocalQueue,
    batch: Awaited<ReturnType<LocalQueue['receive']>>,
  ): Promise<void> {
    const region = this.options.region ?? 'eu-west-1';
    const event: SqsEvent = {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle ?? '',
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          SenderId: this.options.account ?? '123456789012',
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [
            name,
            {
              ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
              ...(value.BinaryValue === undefined ? {} : { binaryValue: value.BinaryValue }),
              stringListValues: [],
              binaryListValues: [],
              dataType: value.DataType,
            },
          ]),
        ),
        md5OfBody: md5OfBody(message.body),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: region,
      })),
    };
    const requestId = randomUUID();
    const started = Date.now();
    const record = (fields: Pick<DeliveryRecord, 'outcome' | 'result' | 'error'>): DeliveryRecord => ({
      kind: 'delivery',
      function: trigger.functionName,
      eventId: batch.map((m) => m.messageId).join(','),
      attempt: Math.max(...batch.map((m) => m.receiveCount)),
      requestId,
      durationMs: Date.now() - started,
      ...fields,
    });
    let result: unknown;
    try {
      result = await this.options.invoke(trigger.functionName, event, { requestId });
    } catch (thrown) {
      // Nothing is deleted: the whole batch comes back after the visibility timeout.
      const error =
        thrown instanceof Error
          ? { name: thrown.name, message: thrown.message, stack: thrown.stack }
          : { name: 'Error', message: String(thrown) };
      this.comeBackSooner(queue, batch);
      this.options.tell?.(record({ outcome: 'retry', error }));
      return;
    }
    const failed = failedMessages(trigger, batch, result);
    for (const message of batch) {
      if (!failed.has(message.messageId) && message.receiptHandle) queue.delete(message.receiptHandle);
    }
    this.comeBackSooner(
      queue,
      batch.filter((m) => failed.has(m.messageId)),
    );
    this.options.tell?.(
      record(
        failed.size === 0
          ? { outcome: 'ok', result }
          : {
              outcome: 'retry',
              result,
              error: {
                name: 'BatchItemFailures',
                message: `${failed.size} of ${batch.length} messages failed`,
              },
            },
      ),
    );
  }

  /** With `retryAfterSeconds`, the messages given back are visible again that soon after the invocation. */
  private comeBackSooner(queue: LocalQueue, messages: readonly { receiptHandle?: string }[]): void {
    const after = this.options.retryAfterSeconds;
    if (after === undefined) return;
    for (const message of messages)
      if (message.receiptHandle) queue.changeVisibility(message.receiptHandle, after);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The messages of a batch that failed: none without `ReportBatchItemFailures` (the function
 * returned); with it, the ones named in `batchItemFailures`, or the whole batch when an identifier is
 * empty or not in the batch, as Lambda treats it.
 */
function failedMessages(
  trigger: QueueTriggerDefinition,
  batch: readonly { messageId: string }[],
  result: unknown,
): Set<string> {
  if (!trigger.reportBatchItemFailures) return new Set();
  const failures = (result as BatchResponse | undefined)?.batchItemFailures;
  if (!Array.isArray(failures)) return new Set();
  const ids = new Set(batch.map((m) => m.messageId));
  const named = failures.map((f) => f?.itemIdentifier);
  if (named.some((id) => typeof id !== 'string' || !ids.has(id))) return ids;
  return new Set(named as string[]);
}
