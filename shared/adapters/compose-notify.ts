/**
 * Builds the ports of the notifier from the validated environment (kept apart from the other
 * compositions so the notifier's bundle holds only the clients it uses).
 */
import type { BaseEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file-reader';
import type { NotificationMessage } from '../domain/notify/message';
import type { NotifyDeps } from '../domain/notify/notify';
import type { UndeliveredSink } from '../ports';
import { DeadLetterQueue } from './aws/dead-letter-queue';
import { EcsServiceTags } from './aws/ecs-service-tags';
import { HttpChatSender } from './chat/chat-sender';
import { HttpPoster } from './chat/http-poster';
import { ParametersSecretSource } from './secrets/parameters-secret-source';
import { DynamoNotificationStore } from './state/dynamo-notification-store';
import { DynamoServiceHistory } from './state/dynamo-service-history';

/** Parks undeliverable messages in the dead-letter queue (the message holds no secret). */
export class DeadLetterUndeliveredSink implements UndeliveredSink {
  /** @param queue - the dead-letter queue; without one (the CLI) the failure is reported, not parked */
  constructor(private readonly queue: DeadLetterQueue | undefined) {}

  async park(entry: { channel: string; message: NotificationMessage; error: string }): Promise<void> {
    const reason = entry.error.startsWith(`channel ${entry.channel}`)
      ? entry.error
      : `channel ${entry.channel}: ${entry.error}`;
    if (!this.queue) throw new Error(reason);
    // `rejectedBy: notify-delivery` tells these apart from rejected events: not an event to replay.
    await this.queue.park('notify-delivery', `undelivered notification: ${reason}`, entry);
  }
}

/** Everything the notifier needs, on AWS. */
export function makeNotifyDeps(env: BaseEnv): NotifyDeps {
  const services = new EcsServiceTags();
  return {
    notifications: policyFileFor(env).notifications,
    sender: new HttpChatSender({
      secrets: new ParametersSecretSource(),
      poster: new HttpPoster({ allowLoopback: env.AUTOPILOT_SANDBOX }),
    }),
    store: new DynamoNotificationStore(env.AUTOPILOT_TABLE),
    history: new DynamoServiceHistory(env.AUTOPILOT_TABLE),
    undelivered: new DeadLetterUndeliveredSink(
      env.AUTOPILOT_DLQ_URL ? new DeadLetterQueue(env.AUTOPILOT_DLQ_URL) : undefined,
    ),
    tagsOf: (cluster, service) => services.tagsOf(cluster, service),
    dryRun: env.AUTOPILOT_DRY_RUN,
    now: () => new Date(),
  };
}
