/**
 * Environment contracts of the functions, validated once at cold start (a failure is a ConfigError,
 * which means a broken deployment, not a bad event).
 */
import * as z from 'zod/mini';
import '../zod-messages';

const Flag = z.pipe(
  z.optional(z.enum(['true', 'false', '1', '0', ''])),
  z.transform((v) => v === 'true' || v === '1'),
);

/** What every function needs. */
export const BaseEnvSchema = z.object({
  /** the single DynamoDB table */
  AUTOPILOT_TABLE: z.string().check(z.minLength(1)),
  /** EventBridge bus autopilot publishes its own events on */
  AUTOPILOT_BUS: z.string().check(z.minLength(1)),
  /** path of the policy file (autopilot.yml) shipped with the function; none = defaults only */
  AUTOPILOT_CONFIG: z.optional(z.string().check(z.minLength(1))),
  /** decide and report, change nothing */
  AUTOPILOT_DRY_RUN: Flag,
  /** SQS queue where events that can never be processed are parked with their reason */
  AUTOPILOT_DLQ_URL: z.optional(z.url()),
  /**
   * Set by the local sandbox only (`sandbox/runtime/functions.ts`), never by serverless.yml: lets chat
   * requests reach its loopback sink. Deployed, loopback (the Lambda runtime API) stays refused.
   */
  AUTOPILOT_SANDBOX: Flag,
});

export type BaseEnv = z.infer<typeof BaseEnvSchema>;

/** The restart functions' environment: the queue restart attempts wait their backoff in. */
export const RestartEnvSchema = z.extend(BaseEnvSchema, {
  /** `ecs-autopilot-<stage>-restart-delay`: one message per attempt, DelaySeconds = the backoff */
  AUTOPILOT_RESTART_QUEUE_URL: z.url(),
});

export type RestartEnv = z.infer<typeof RestartEnvSchema>;
