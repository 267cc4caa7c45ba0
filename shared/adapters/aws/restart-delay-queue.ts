/**
 * The restart delay queue (`ecs-autopilot-<stage>-restart-delay`): one message per restart attempt,
 * delivered to restart-due once its backoff (`DelaySeconds`, at most 900) has passed.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_DELAY_SECONDS } from '../../domain/restart/backoff';
import { RESTART_MESSAGE_VERSION, type RestartDueMessage } from '../../events/restart-delay-message';
import type { RestartScheduler } from '../../ports';
import { classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** Sends restart attempts to the delay queue. */
export class SqsRestartScheduler implements RestartScheduler {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = cachedClient('sqs', () => new SQSClient(clientConfig())),
  ) {}

  async schedule(message: Omit<RestartDueMessage, 'version'>, delaySeconds: number): Promise<void> {
    const body: RestartDueMessage = { version: RESTART_MESSAGE_VERSION, ...message };
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(body),
          DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds))),
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, 'SendMessage (restart delay queue)', []);
    }
  }
}
