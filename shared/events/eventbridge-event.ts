import * as z from 'zod/mini';
import '../zod-messages';
import { MAX_DETAIL_DEPTH, nestingExceeds } from './json-bounds';

/**
 * The EventBridge envelope: the same fields and checks as Powertools' `EventBridgeSchema`
 * (`@aws-lambda-powertools/parser/schemas/eventbridge`), which `test/contract/aws-events.test.ts`
 * compares it with. Powertools' module does `import { z } from 'zod'`, which keeps all of zod in a
 * bundle, its locales included (445 KiB of every function's 1.4 MB); this one is built with
 * `zod/mini`, imported as a namespace, so esbuild keeps only the functions used.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export const EventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

/**
 * The envelope fields autopilot trusts, checked beyond the plain envelope (and for the
 * envelopes built on it elsewhere, such as the notifier's): the event id
 * is the idempotency key (an empty one would make every delivery fail, and be retried, instead of
 * being rejected), the account and region go into repository keys and ARNs.
 */
export const TrustedEnvelopeFields = {
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  account: z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit AWS account id')),
  region: z
    .string()
    .check(z.regex(/^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as eu-west-1')),
};

/**
 * A string of 1 to `max` characters that `problem` finds nothing wrong with; otherwise the issue's
 * message is the problem, so a rejection says what is wrong with the field it names.
 *
 * @example checkedString(digestProblem, 200) // 'sha256:abc' fails: sha256 digest must have 64 hex characters, got 3
 */
export function checkedString(problem: (value: string) => string | undefined, max: number) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const reason =
        value.length === 0 || value.length > max
          ? `expected 1 to ${max} characters, got ${value.length}`
          : problem(value);
      if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
    }),
  );
}

/**
 * `detail` checked by `schema`, once it is known to nest at most {@link MAX_DETAIL_DEPTH} levels:
 * deeper nesting is rejected as an invalid field before anything recursive walks it.
 *
 * @example boundedDetail(z.looseObject({ alarmName: z.string() }))
 */
export function boundedDetail<Detail extends z.ZodMiniType>(schema: Detail) {
  return z.pipe(
    z.unknown().check(
      z.superRefine((value, ctx) => {
        if (nestingExceeds(value, MAX_DETAIL_DEPTH)) {
          ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_DETAIL_DEPTH} levels` });
        }
      }),
    ),
    schema,
  );
}

/**
 * A complete EventBridge event of one source and detail-type: the envelope
 * ({@link EventBridgeEnvelopeSchema}: version, id, account, time, region, resources…) with `source` and
 * `detail-type` fixed to literals, so handlers can switch on them, the fields autopilot trusts
 * checked (a non-empty id, a 12-digit account, a region), and `detail` checked by its schema once it
 * is known not to nest absurdly deep ({@link boundedDetail}).
 * Extend the result (`z.extend`) for what an event says beyond its detail (e.g. `resources[0]`).
 *
 * @example
 * export const EcrImageActionEventSchema = eventBridgeEvent('aws.ecr', ECR_IMAGE_ACTION, EcrImageActionDetailSchema);
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export function eventBridgeEvent<
  Source extends string,
  DetailType extends string,
  Detail extends z.ZodMiniType,
>(source: Source, detailType: DetailType, detail: Detail) {
  return z.extend(EventBridgeEnvelopeSchema, {
    ...TrustedEnvelopeFields,
    source: z.literal(source),
    'detail-type': z.literal(detailType),
    detail: boundedDetail(detail),
  });
}
