/**
 * restart-due: starts a failed standalone task again once its backoff has passed (issue 13).
 * Triggered by the restart delay queue (SQS event source mapping, ReportBatchItemFailures).
 */
import { RestartEnvSchema } from '../shared/config/env';
import { type SqsBatchResponse, SqsEventSchema } from '../shared/events/restart-delay-message';
import { withHandler } from '../shared/middleware/with-handler';

/** The Lambda handler. Answers the records to deliver again. */
export const handler = withHandler({
  name: 'restart-due',
  envSchema: RestartEnvSchema,
  eventSchema: SqsEventSchema,
}).handler(
  async (): Promise<SqsBatchResponse & { decisions: [] }> => ({ decisions: [], batchItemFailures: [] }),
);
