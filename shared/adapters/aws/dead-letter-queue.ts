/**
 * Parks events that can never be processed in the SQS dead-letter queue, with the reason, so that
 * nothing is silently dropped and people can replay them after a fix.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { cachedClient, clientConfig } from './clients';

/** Sends one rejected event with its reason to the queue. */
export class DeadLetterQueue {
  /**
   * @param queueUrl - the queue
   * @param client - the SQS client; the shared traced one by default
   */
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = cachedClient('sqs', () => new SQSClient(clientConfig())),
  ) {}

  /** Parks `event` with `reason`; `source` names the function that rejected it. */
  async park(source: string, reason: string, event: unknown): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ rejectedBy: source, reason, event }),
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } },
      }),
    );
  }
}
