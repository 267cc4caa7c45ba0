/**
 * The sandbox's Amazon SNS: topics in memory and the operations `CreateTopic`, `Publish` and
 * `ListTopics` over the AWS query protocol (served by `startAwsQueryServer`). There are no
 * subscriptions: what is published goes to the listeners of {@link LocalTopics.subscribe} (the
 * sandbox's chat sink, standing in for AWS Chatbot) and stays in {@link LocalTopics.published}.
 *
 * Checked as SNS does: the topic exists (`NotFound`, HTTP 404), a message is not empty and at most
 * 256 KB, a subject at most 100 printable characters, FIFO topics need `MessageGroupId` and a
 * deduplication id (or ContentBasedDeduplication); a FIFO duplicate within five minutes is accepted
 * with the first message's id and not delivered again.
 *
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 * @see https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AwsQueryError,
  type AwsQueryOperation,
  type QueryParameters,
  queryList,
  queryMap,
} from './aws-query-server';

/** The namespace of SNS responses. */
export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** A message attribute of Publish. */
export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A message published to a topic. */
export interface PublishedMessage {
  at: Date;
  messageId: string;
  topicArn: string;
  /** the topic name (the last part of its ARN) */
  topicName: string;
  message: string;
  subject?: string;
  attributes: Record<string, SnsMessageAttribute>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** FIFO topics only */
  sequenceNumber?: string;
}

/** A topic. */
export interface LocalTopic {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  fifo: boolean;
}

/** Sees every message published (it must not throw; errors are swallowed). */
export type PublishListener = (message: PublishedMessage) => void;

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const MAX_MESSAGE_BYTES = 256 * 1024;
const DEDUPLICATION_MS = 5 * 60 * 1000;

function invalidParameter(what: string): AwsQueryError {
  return new AwsQueryError('InvalidParameter', `Invalid parameter: ${what}`);
}

function topicNotFound(): AwsQueryError {
  return new AwsQueryError('NotFound', 'Topic does not exist', { status: 404 });
}

/** The topics of one local account. */
export class LocalTopics {
  private readonly byArn = new Map<string, LocalTopic>();
  private readonly listeners = new Set<PublishListener>();
  private readonly log: PublishedMessage[] = [];
  private readonly deduplication = new Map<
    string,
    { messageId: string; sequenceNumber?: string; at: number }
  >();
  private sequence = 10_000_000_000_000_000_000n;

  /**
   * @param account - the account id in ARNs
   * @param region - the region in ARNs
   */
  constructor(
    readonly account: string,
    readonly region: string,
  ) {}

  /**
   * Creates a topic, or returns the existing one of that name (CreateTopic is idempotent).
   *
   * @throws AwsQueryError InvalidParameter for a malformed name or a `.fifo` name without `FifoTopic`
   * @example
   * topics.create('autopilot-notifications'); // arn:aws:sns:eu-west-1:123456789012:autopilot-notifications
   */
  create(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): LocalTopic {
    if (!TOPIC_NAME.test(name)) throw invalidParameter('Topic Name');
    const fifo = attributes.FifoTopic === 'true';
    if (fifo !== name.endsWith('.fifo')) {
      throw invalidParameter(
        fifo
          ? 'Topic Name: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.'
          : 'Topic Name',
      );
    }
    const arn = `arn:aws:sns:${this.region}:${this.account}:${name}`;
    const existing = this.byArn.get(arn);
    if (existing) return existing;
    const topic: LocalTopic = { name, arn, attributes: { ...attributes }, tags: { ...tags }, fifo };
    this.byArn.set(arn, topic);
    return topic;
  }

  /** The topic of an ARN, if any. */
  get(arn: string): LocalTopic | undefined {
    return this.byArn.get(arn);
  }

  /** Every topic, in creation order. */
  list(): LocalTopic[] {
    return [...this.byArn.values()];
  }

  /**
   * Publishes a message, as Publish does, and hands it to the listeners.
   *
   * @returns the message id, and the sequence number on FIFO topics
   * @throws AwsQueryError NotFound (404) for an unknown topic, InvalidParameter for a bad message
   */
  publish(input: {
    topicArn: string;
    message: string;
    subject?: string;
    attributes?: Record<string, SnsMessageAttribute>;
    messageGroupId?: string;
    messageDeduplicationId?: string;
  }): { messageId: string; sequenceNumber?: string } {
    const topic = this.byArn.get(input.topicArn);
    if (!topic) throw topicNotFound();
    if (input.message === '') throw invalidParameter('Empty message');
    if (Buffer.byteLength(input.message) > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    if (input.subject !== undefined) {
      // Subjects: ASCII, no line breaks, 1 to 100 characters.
      if (input.subject === '' || input.subject.length > 100 || !/^[\x20-\x7e]+$/.test(input.subject)) {
        throw invalidParameter('Subject');
      }
    }
    let deduplicationId = input.messageDeduplicationId;
    if (topic.fifo) {
      if (!input.messageGroupId) {
        throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
      }
      if (!deduplicationId && topic.attributes.ContentBasedDeduplication === 'true') {
        deduplicationId = createHash('sha256').update(input.message).digest('hex');
      }
      if (!deduplicationId) {
        throw invalidParameter(
          'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
    } else if (input.messageGroupId !== undefined && input.messageGroupId === '') {
      throw invalidParameter('MessageGroupId');
    }
    const now = Date.now();
    if (topic.fifo && deduplicationId) {
      const key = `${topic.arn}\n${deduplicationId}`;
      const seen = this.deduplication.get(key);
      if (seen && now - seen.at < DEDUPLICATION_MS) {
        return { messageId: seen.messageId, sequenceNumber: seen.sequenceNumber };
      }
    }
    const published: PublishedMessage = {
      at: new Date(now),
      messageId: randomUUID(),
      topicArn: topic.arn,
      topicName: topic.name,
      message: input.message,
      attributes: input.attributes ?? {},
      ...(input.subject === undefined ? {} : { subject: input.subject }),
      ...(input.messageGroupId === undefined ? {} : { messageGroupId: input.messageGroupId }),
      ...(deduplicationId === undefined ? {} : { messageDeduplicationId: deduplicationId }),
    };
    if (topic.fifo) {
      this.sequence += 1n;
      published.sequenceNumber = this.sequence.toString();
      this.deduplication.set(`${topic.arn}\n${deduplicationId}`, {
        messageId: published.messageId,
        sequenceNumber: published.sequenceNumber,
        at: now,
      });
    }
    this.log.push(published);
    for (const listener of this.listeners) {
      try {
        listener(published);
      } catch {
        // A listener's failure is not the publisher's.
      }
    }
    return { messageId: published.messageId, sequenceNumber: published.sequenceNumber };
  }

  /** Every message published so far, oldest first (a copy). */
  published(): PublishedMessage[] {
    return [...this.log];
  }

  /**
   * Calls `listener` with every message published from now on.
   *
   * @returns a function that unsubscribes
   */
  subscribe(listener: PublishListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function messageAttributes(parameters: QueryParameters): Record<string, SnsMessageAttribute> {
  const raw = queryMap(parameters, 'MessageAttributes.entry', 'Name', 'Value');
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, value] of Object.entries(raw)) {
    const fields = typeof value === 'object' ? value : {};
    const dataType = fields.DataType;
    if (!dataType || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(dataType)) {
      throw invalidParameter(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const stringValue = fields.StringValue;
    const binaryValue = fields.BinaryValue;
    if (stringValue === undefined && binaryValue === undefined) {
      throw invalidParameter(
        `The message attribute '${name}' must contain non-empty message attribute value.`,
      );
    }
    attributes[name] = {
      DataType: dataType,
      ...(stringValue === undefined ? {} : { StringValue: stringValue }),
      ...(binaryValue === undefined ? {} : { BinaryValue: binaryValue }),
    };
  }
  return attributes;
}

/** Whether a `MessageStructure: json` message is a JSON object with a string `default`. */
function hasDefaultEntry(message: string): boolean {
  try {
    const parsed: unknown = JSON.parse(message);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { default?: unknown }).default === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * The SNS operations on `topics`, keyed by action for `startAwsQueryServer`.
 *
 * @example
 * startAwsQueryServer({ xmlns: SNS_XMLNS, operations: snsOperations(new LocalTopics(account, region)) });
 */
export function snsOperations(topics: LocalTopics): Record<string, AwsQueryOperation> {
  return {
    CreateTopic: (p) => {
      if (p.Name === undefined) throw invalidParameter('Topic Name');
      const attributes = Object.fromEntries(
        Object.entries(queryMap(p, 'Attributes.entry', 'key', 'value')).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      const tags = Object.fromEntries(
        queryList(p, 'Tags.member').flatMap((tag) =>
          typeof tag === 'object' && tag.Key !== undefined ? [[tag.Key, tag.Value ?? '']] : [],
        ),
      );
      return { TopicArn: topics.create(p.Name, attributes, tags).arn };
    },
    Publish: (p) => {
      if (p.TargetArn !== undefined || p.PhoneNumber !== undefined) {
        // Mobile endpoints and SMS are not part of the sandbox.
        throw invalidParameter('TargetArn and PhoneNumber are not supported by the sandbox; use TopicArn');
      }
      if (p.TopicArn === undefined)
        throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
      if (p.Message === undefined) throw invalidParameter('Empty message');
      if (p.MessageStructure !== undefined) {
        if (p.MessageStructure !== 'json') throw invalidParameter('MessageStructure');
        if (!hasDefaultEntry(p.Message)) {
          throw invalidParameter('Message Structure - No default entry in JSON message body');
        }
      }
      const result = topics.publish({
        topicArn: p.TopicArn,
        message: p.Message,
        subject: p.Subject,
        attributes: messageAttributes(p),
        messageGroupId: p.MessageGroupId,
        messageDeduplicationId: p.MessageDeduplicationId,
      });
      return { MessageId: result.messageId, SequenceNumber: result.sequenceNumber };
    },
    ListTopics: () => ({ Topics: topics.list().map((topic) => ({ TopicArn: topic.arn })) }),
  };
}
