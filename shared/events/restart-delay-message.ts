/**
 * The restart delay queue (`ecs-autopilot-<stage>-restart-delay`): restart-tasks (and restart-due,
 * after RunTask failures) sends one message per restart attempt, with `DelaySeconds` = the backoff;
 * restart-due receives them through its SQS event source mapping, in batches.
 */
import * as z from 'zod/mini';
import '../zod-messages';

/** The version of {@link RestartDueMessageSchema} a sender writes; a receiver refuses others. */
export const RESTART_MESSAGE_VERSION = 1 as const;

/**
 * The body of a restart message: which chain, which attempt. Everything else (the launch spec, the
 * attempts made) is read from the chain's item, under its lease, when the message is due: a message
 * delivered twice, or one the chain has moved past, restarts nothing.
 */
export const RestartDueMessageSchema = z.strictObject({
  version: z.literal(RESTART_MESSAGE_VERSION),
  /** the chain: its cluster ARN and id (`restart/chain.ts`, `chainKeyOf`) */
  clusterArn: z.string().check(z.minLength(1), z.maxLength(1024)),
  chainId: z.string().check(z.minLength(1), z.maxLength(256)),
  /** the attempt this message starts (1 for the first restart) */
  attempt: z.number().check(z.int(), z.gte(1), z.lte(1000)),
  /** id of the event that decided the restart (the STOPPED event, or the message that backed off) */
  triggeredBy: z.string().check(z.minLength(1), z.maxLength(256)),
  /** set on a look for the launch spec of a chain awaiting it: which check this is (1 for the first) */
  specCheck: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000))),
});

/** A restart message's body, parsed. */
export type RestartDueMessage = z.infer<typeof RestartDueMessageSchema>;

/**
 * One SQS record as Lambda delivers it (only what restart-due reads; unknown keys kept).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export const SqsRecordSchema = z.looseObject({
  messageId: z.string().check(z.minLength(1), z.maxLength(256)),
  body: z.string().check(z.maxLength(262_144)),
  eventSource: z.literal('aws:sqs'),
  eventSourceARN: z.optional(z.string()),
  attributes: z.optional(z.looseObject({ ApproximateReceiveCount: z.optional(z.string()) })),
});

/** One SQS record, parsed. */
export type SqsRecord = z.infer<typeof SqsRecordSchema>;

/**
 * The event of an SQS event source mapping: a batch of records (at most restart-due's `batchSize`,
 * 10, but the contract allows SQS's own limit).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export const SqsEventSchema = z.object({
  Records: z.array(SqsRecordSchema).check(z.minLength(1), z.maxLength(10_000)),
});

/** An SQS event, parsed. */
export type SqsEvent = z.infer<typeof SqsEventSchema>;

/**
 * What a handler of an SQS event source mapping with `ReportBatchItemFailures` answers: the records
 * to deliver again (the others are deleted from the queue).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
