/**
 * Local Amazon SQS queues (standard queues, in memory) and the SQS operations the project and its
 * tests use, over the AWS JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.<Operation>`) that the AWS SDK
 * for JavaScript v3 speaks to SQS. Checksums are computed as SQS does, because the SDK verifies
 * `MD5OfMessageBody` of SendMessage and `MD5OfBody` of ReceiveMessage.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */
import { createHash, randomUUID } from 'node:crypto';
import { type AwsJsonOperation, AwsServiceError, type JsonObject } from './aws-json-server';

/** A message attribute as the JSON protocol carries it (binary values are base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A message in a local queue. */
export interface QueueMessage {
  messageId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** epoch milliseconds */
  sentAt: number;
  /** how often it was received */
  receiveCount: number;
}

/**
 * A queue's own settings (its `AWS::SQS::Queue` properties): the defaults of VisibilityTimeout and
 * DelaySeconds, and the redrive policy that moves a message received `maxReceiveCount` times to a
 * dead-letter queue instead of delivering it again.
 */
export interface QueueSettings {
  /** seconds; 30 by default, as in SQS */
  visibilityTimeoutSeconds?: number;
  /** seconds every message waits before its first delivery; 0 by default */
  delaySeconds?: number;
  /**
   * how much faster than real time message delays pass (the queue's and each message's DelaySeconds):
   * 60 turns a minute into a second; 1 by default. The sandbox's shortcut, as schedules have theirs.
   */
  delaySpeed?: number;
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
}

interface StoredMessage extends QueueMessage {
  /** not delivered before this time (delay or visibility timeout), epoch milliseconds */
  visibleAt: number;
  receiptHandle?: string;
  firstReceivedAt?: number;
}

/** The hex MD5 of a message body, as `MD5OfMessageBody` / `MD5OfBody`. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * `MD5OfMessageAttributes`: attributes sorted by name, each encoded as name, data type, transport type
 * (1 string/number, 2 binary) and value, with 4-byte big-endian lengths; undefined without attributes.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** One standard queue, in memory. Messages stay until deleted (received ones become invisible). */
export class LocalQueue {
  private stored: StoredMessage[] = [];
  private waiters = new Set<() => void>();
  private closed = false;
  /** the queue's settings (see {@link LocalQueue.configure}) */
  settings: QueueSettings = {};

  /**
   * @param name - the queue name
   * @param url - `http://127.0.0.1:<port>/<account>/<name>`
   * @param arn - `arn:aws:sqs:<region>:<account>:<name>`
   */
  constructor(
    readonly name: string,
    readonly url: string,
    readonly arn: string,
  ) {}

  /** Sets the queue's defaults and redrive policy, as its `AWS::SQS::Queue` properties do. */
  configure(settings: QueueSettings): this {
    this.settings = { ...settings };
    return this;
  }

  /** The visibility timeout a receive without one uses, in seconds. */
  get visibilityTimeoutSeconds(): number {
    return this.settings.visibilityTimeoutSeconds ?? 30;
  }

  /**
   * When the next message not visible now becomes visible (epoch ms), if any: a poller sleeps until
   * then instead of polling.
   */
  nextVisibleAt(): number | undefined {
    const now = Date.now();
    const later = this.stored.filter((m) => m.visibleAt > now).map((m) => m.visibleAt);
    return later.length === 0 ? undefined : Math.min(...later);
  }

  /** Resolves when the next message is sent to the queue (or moved here), or the queue closes. */
  nextSend(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  /** Whether a message can be received now. */
  hasVisible(): boolean {
    const now = Date.now();
    return this.stored.some((m) => m.visibleAt <= now);
  }

  /**
   * Adds a message, as SendMessage does.
   *
   * @returns the message id and checksums of the SendMessage response
   */
  send(
    body: string,
    attributes: Record<string, MessageAttributeValue> = {},
    delaySeconds = this.settings.delaySeconds ?? 0,
  ): { MessageId: string; MD5OfMessageBody: string; MD5OfMessageAttributes?: string } {
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      attributes,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + (delaySeconds * 1000) / (this.settings.delaySpeed ?? 1),
    };
    this.add(message);
    const md5Attributes = md5OfMessageAttributes(attributes);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: md5OfBody(body),
      ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
    };
  }

  /** Keeps a message moved here by another queue's redrive policy: its id, body, attributes and count. */
  private receiveMoved(message: StoredMessage): void {
    this.add({ ...message, visibleAt: Date.now(), receiptHandle: undefined });
  }

  private add(message: StoredMessage): void {
    this.stored.push(message);
    for (const wake of this.waiters) wake();
  }

  /** Every message not deleted yet, visible or not, oldest first (a copy). */
  messages(): QueueMessage[] {
    return this.stored.map(({ messageId, body, attributes, sentAt, receiveCount }) => ({
      messageId,
      body,
      attributes,
      sentAt,
      receiveCount,
    }));
  }

  /**
   * Takes up to `max` visible messages and hides them for `visibilityTimeoutSeconds`; with
   * `waitSeconds`, waits (long polling) until one arrives or the time is up.
   */
  async receive(
    max = 1,
    visibilityTimeoutSeconds = this.visibilityTimeoutSeconds,
    waitSeconds = 0,
  ): Promise<StoredMessage[]> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const now = Date.now();
      this.redriveExhausted(now);
      const taken = this.stored.filter((m) => m.visibleAt <= now).slice(0, max);
      if (taken.length > 0 || now >= deadline || this.closed) {
        for (const message of taken) {
          message.receiveCount += 1;
          message.firstReceivedAt ??= now;
          message.receiptHandle = `${message.messageId}#${randomUUID()}`;
          message.visibleAt = now + visibilityTimeoutSeconds * 1000;
        }
        return taken.map((m) => ({ ...m }));
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        // Also wakes for delayed or invisible messages that become visible.
        const timer = setTimeout(wake, Math.min(deadline - now, 100));
        this.waiters.add(wake);
      });
    }
  }

  /**
   * The redrive policy: a visible message already received `maxReceiveCount` times moves to the
   * dead-letter queue instead of being received again, as SQS does.
   */
  private redriveExhausted(now: number): void {
    const redrive = this.settings.redrive;
    if (!redrive) return;
    const exhausted = this.stored.filter(
      (m) => m.visibleAt <= now && m.receiveCount >= redrive.maxReceiveCount,
    );
    if (exhausted.length === 0) return;
    this.stored = this.stored.filter((m) => !exhausted.includes(m));
    for (const message of exhausted) redrive.deadLetterQueue.receiveMoved(message);
  }

  /** ChangeMessageVisibility: a received message becomes visible `seconds` from now (0: at once). */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.stored.find((m) => m.receiptHandle === receiptHandle);
    if (!message) return;
    message.visibleAt = Date.now() + seconds * 1000;
    if (seconds <= 0) for (const wake of this.waiters) wake();
  }

  /** Deletes a received message; an unknown receipt handle is ignored, as in SQS. */
  delete(receiptHandle: string): void {
    this.stored = this.stored.filter((m) => m.receiptHandle !== receiptHandle);
  }

  /** Deletes every message. */
  purge(): void {
    this.stored = [];
  }

  /** Ends long polls now (they answer with what is visible); the queue keeps working otherwise. */
  close(): void {
    this.closed = true;
    for (const wake of this.waiters) wake();
  }

  /** Queue attributes of GetQueueAttributes. */
  attributes(): Record<string, string> {
    const now = Date.now();
    const visible = this.stored.filter((m) => m.visibleAt <= now).length;
    // Delayed: not received yet and still waiting its delay; the other invisible ones are in flight.
    const delayed = this.stored.filter((m) => m.visibleAt > now && m.receiveCount === 0).length;
    const redrive = this.settings.redrive;
    return {
      QueueArn: this.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(this.stored.length - visible - delayed),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      DelaySeconds: String(this.settings.delaySeconds ?? 0),
      MessageRetentionPeriod: '1209600',
      VisibilityTimeout: String(this.visibilityTimeoutSeconds),
      ...(redrive
        ? {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: redrive.deadLetterQueue.arn,
              maxReceiveCount: redrive.maxReceiveCount,
            }),
          }
        : {}),
    };
  }
}

/** The queues of one local account, found by URL (any host) or by name. */
export class LocalQueues {
  private readonly byName = new Map<string, LocalQueue>();

  /**
   * @param endpoint - the server the queue URLs point at, e.g. `http://127.0.0.1:4566`
   * @param account - the account id in URLs and ARNs
   * @param region - the region in ARNs
   */
  constructor(
    readonly endpoint: string,
    readonly account: string,
    readonly region: string,
  ) {}

  /** Creates the queue (or returns the existing one of that name). */
  create(name: string): LocalQueue {
    let queue = this.byName.get(name);
    if (!queue) {
      queue = new LocalQueue(
        name,
        `${this.endpoint}/${this.account}/${name}`,
        `arn:aws:sqs:${this.region}:${this.account}:${name}`,
      );
      this.byName.set(name, queue);
    }
    return queue;
  }

  /** Ends the long polls of every queue, before the server closes. */
  close(): void {
    for (const queue of this.byName.values()) queue.close();
  }

  /** The queue named `name`, if any. */
  get(name: string): LocalQueue | undefined {
    return this.byName.get(name);
  }

  /** The queue of a queue URL; throws the SQS error when there is none. */
  byUrl(queueUrl: unknown): LocalQueue {
    if (typeof queueUrl !== 'string' || queueUrl === '') {
      throw new AwsServiceError('com.amazonaws.sqs#MissingParameter', 'The request must contain QueueUrl.', {
        queryError: 'MissingParameter;Sender',
      });
    }
    const [account, name] = new URL(queueUrl, this.endpoint).pathname.split('/').filter(Boolean).slice(-2);
    const queue = name ? this.byName.get(name) : undefined;
    if (!queue || account !== this.account) throw queueDoesNotExist();
    return queue;
  }
}

function queueDoesNotExist(): AwsServiceError {
  return new AwsServiceError('com.amazonaws.sqs#QueueDoesNotExist', 'The specified queue does not exist.', {
    queryError: 'AWS.SimpleQueueService.NonExistentQueue;Sender',
  });
}

function invalidParameter(message: string): AwsServiceError {
  return new AwsServiceError('com.amazonaws.sqs#InvalidParameterValue', message, {
    queryError: 'InvalidParameterValue;Sender',
  });
}

function integerIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Must be between ${min} and ${max}.`,
    );
  }
  return value;
}

function attributesOf(input: unknown): Record<string, MessageAttributeValue> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object') throw invalidParameter('MessageAttributes must be a map.');
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of Object.entries(input as JsonObject)) {
    const value = raw as Partial<MessageAttributeValue>;
    if (typeof value?.DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(value.DataType)) {
      throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type.`);
    }
    const isBinary = value.DataType.startsWith('Binary');
    const present = isBinary ? value.BinaryValue : value.StringValue;
    if (typeof present !== 'string') {
      throw invalidParameter(
        `The message attribute '${name}' must contain a non-empty message attribute value.`,
      );
    }
    attributes[name] = isBinary
      ? { DataType: value.DataType, BinaryValue: present }
      : { DataType: value.DataType, StringValue: present };
  }
  return attributes;
}

/** Whether `name` is selected by MessageAttributeNames (`All`, `.*`, `prefix.*` or the name). */
function selected(names: readonly string[], name: string): boolean {
  return names.some(
    (n) => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
  );
}

/**
 * The SQS operations (SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, GetQueueUrl,
 * GetQueueAttributes, PurgeQueue) on `queues`, keyed by target for {@link startAwsJsonServer}.
 */
export function sqsOperations(queues: LocalQueues): Record<string, AwsJsonOperation> {
  return {
    'AmazonSQS.SendMessage': (input) => {
      const queue = queues.byUrl(input.QueueUrl);
      if (typeof input.MessageBody !== 'string' || input.MessageBody === '') {
        throw new AwsServiceError(
          'com.amazonaws.sqs#MissingParameter',
          'The request must contain the parameter MessageBody.',
          {
            queryError: 'MissingParameter;Sender',
          },
        );
      }
      if (Buffer.byteLength(input.MessageBody) > 1_048_576) {
        throw invalidParameter(
          'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
        );
      }
      const delay = integerIn(input.DelaySeconds, 'DelaySeconds', 0, 900, queue.settings.delaySeconds ?? 0);
      return queue.send(input.MessageBody, attributesOf(input.MessageAttributes), delay);
    },
    'AmazonSQS.SendMessageBatch': (input) => {
      const queue = queues.byUrl(input.QueueUrl);
      const entries = Array.isArray(input.Entries) ? (input.Entries as JsonObject[]) : [];
      if (entries.length === 0) {
        throw new AwsServiceError(
          'com.amazonaws.sqs#EmptyBatchRequest',
          'There should be at least one SendMessageBatchRequestEntry in the request.',
          { queryError: 'AWS.SimpleQueueService.EmptyBatchRequest;Sender' },
        );
      }
      if (entries.length > 10) {
        throw new AwsServiceError(
          'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
          `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
          { queryError: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender' },
        );
      }
      const ids = entries.map((e) => e.Id);
      if (new Set(ids).size !== ids.length) {
        throw new AwsServiceError(
          'com.amazonaws.sqs#BatchEntryIdsNotDistinct',
          'Two or more batch entries in the request have the same Id.',
          { queryError: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender' },
        );
      }
      const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? '')), 0);
      if (total > 1_048_576) {
        throw new AwsServiceError(
          'com.amazonaws.sqs#BatchRequestTooLong',
          'Batch requests cannot be longer than 1048576 bytes.',
          { queryError: 'AWS.SimpleQueueService.BatchRequestTooLong;Sender' },
        );
      }
      const Successful: JsonObject[] = [];
      const Failed: JsonObject[] = [];
      for (const entry of entries) {
        if (typeof entry.MessageBody !== 'string' || entry.MessageBody === '') {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'MissingParameter',
            Message: 'The request must contain the parameter MessageBody.',
          });
          continue;
        }
        try {
          const delay = integerIn(
            entry.DelaySeconds,
            'DelaySeconds',
            0,
            900,
            queue.settings.delaySeconds ?? 0,
          );
          Successful.push({
            Id: entry.Id,
            ...queue.send(entry.MessageBody, attributesOf(entry.MessageAttributes), delay),
          });
        } catch (error) {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'InvalidParameterValue',
            Message: error instanceof Error ? error.message : String(error),
          });
        }
      }
      return { Successful, Failed };
    },
    'AmazonSQS.ReceiveMessage': async (input) => {
      const queue = queues.byUrl(input.QueueUrl);
      const max = integerIn(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10, 1);
      const visibility = integerIn(
        input.VisibilityTimeout,
        'VisibilityTimeout',
        0,
        43_200,
        queue.visibilityTimeoutSeconds,
      );
      const wait = integerIn(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20, 0);
      const attributeNames = Array.isArray(input.MessageAttributeNames)
        ? (input.MessageAttributeNames as string[])
        : [];
      const systemNames = [
        ...(Array.isArray(input.AttributeNames) ? (input.AttributeNames as string[]) : []),
        ...(Array.isArray(input.MessageSystemAttributeNames)
          ? (input.MessageSystemAttributeNames as string[])
          : []),
      ];
      const received = await queue.receive(max, visibility, wait);
      if (received.length === 0) return {};
      return {
        Messages: received.map((message) => {
          const attributes = Object.fromEntries(
            Object.entries(message.attributes).filter(([name]) => selected(attributeNames, name)),
          );
          const system: Record<string, string> = {
            SenderId: queues.account,
            SentTimestamp: String(message.sentAt),
            ApproximateReceiveCount: String(message.receiveCount),
            ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
          };
          const wanted = Object.fromEntries(
            Object.entries(system).filter(
              ([name]) => systemNames.includes('All') || systemNames.includes(name),
            ),
          );
          const md5Attributes = md5OfMessageAttributes(attributes);
          return {
            MessageId: message.messageId,
            ReceiptHandle: message.receiptHandle,
            MD5OfBody: md5OfBody(message.body),
            Body: message.body,
            ...(Object.keys(wanted).length > 0 ? { Attributes: wanted } : {}),
            ...(md5Attributes
              ? { MessageAttributes: attributes, MD5OfMessageAttributes: md5Attributes }
              : {}),
          };
        }),
      };
    },
    'AmazonSQS.DeleteMessage': (input) => {
      const queue = queues.byUrl(input.QueueUrl);
      if (typeof input.ReceiptHandle !== 'string') {
        throw new AwsServiceError(
          'com.amazonaws.sqs#MissingParameter',
          'The request must contain ReceiptHandle.',
          {
            queryError: 'MissingParameter;Sender',
          },
        );
      }
      queue.delete(input.ReceiptHandle);
      return {};
    },
    'AmazonSQS.GetQueueUrl': (input) => {
      const owner = input.QueueOwnerAWSAccountId;
      const queue = typeof input.QueueName === 'string' ? queues.get(input.QueueName) : undefined;
      if (!queue || (owner !== undefined && owner !== queues.account)) throw queueDoesNotExist();
      return { QueueUrl: queue.url };
    },
    'AmazonSQS.GetQueueAttributes': (input) => {
      const queue = queues.byUrl(input.QueueUrl);
      const names = Array.isArray(input.AttributeNames) ? (input.AttributeNames as string[]) : [];
      const all = queue.attributes();
      return {
        Attributes: Object.fromEntries(
          Object.entries(all).filter(([name]) => names.includes('All') || names.includes(name)),
        ),
      };
    },
    'AmazonSQS.PurgeQueue': (input) => {
      queues.byUrl(input.QueueUrl).purge();
      return {};
    },
  };
}
