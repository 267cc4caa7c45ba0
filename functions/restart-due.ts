/**
 * restart-due: starts a failed standalone task again once its backoff has passed (issue 13).
 * Triggered by the restart delay queue (SQS event source mapping, batches of 10, at most 2 at a
 * time). Each message is one attempt, carried out one after the other (RunTask's rate stays low);
 * a message that fails is answered in `batchItemFailures` and comes back after the visibility
 * timeout, the others are done (ReportBatchItemFailures): nothing of a batch is lost or redone.
 */
import { makeRestartDueDeps } from '../shared/adapters/compose-restart-due';
import { RestartEnvSchema } from '../shared/config/env';
import type { RestartDecision } from '../shared/domain/restart/restart-plan';
import { restartDue } from '../shared/domain/restart/restart-tasks';
import { isPermanent } from '../shared/errors';
import {
  RestartDueMessageSchema,
  type SqsBatchResponse,
  SqsEventSchema,
} from '../shared/events/restart-delay-message';
import { withHandler } from '../shared/middleware/with-handler';
import { logger } from '../shared/observability';

/** The Lambda handler. Answers its decisions and the records to deliver again. */
export const handler = withHandler({
  name: 'restart-due',
  envSchema: RestartEnvSchema,
  eventSchema: SqsEventSchema,
}).handler(async (event, { env }): Promise<SqsBatchResponse & { decisions: RestartDecision[] }> => {
  const deps = makeRestartDueDeps(env);
  const decisions: RestartDecision[] = [];
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const parsed = RestartDueMessageSchema.safeParse(safeJson(record.body));
    if (!parsed.success) {
      // Never a restart, and never lost: answered as failed, it comes back until the queue's
      // maxReceiveCount moves it to the restart dead-letter queue, where it is kept to be read.
      logger.error('restart message refused: not a restart message; kept for the dead-letter queue', {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      decisions.push(...(await restartDue(parsed.data, deps)));
    } catch (error) {
      logger.error('restart failed; the message comes back', {
        messageId: record.messageId,
        permanent: isPermanent(error),
        error: error as Error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { decisions, batchItemFailures };
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
