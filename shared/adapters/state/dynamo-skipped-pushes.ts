/**
 * {@link SkippedPushes} on the autopilot table: `SVC#<serviceArn>` / `SKIP`, beside the service's
 * deployments, one item per service that the next skip overwrites, kept 90 days like them. A push
 * skipped for many services is written with BatchWriteItem (25 items a call) rather than a put each;
 * the call is in this module alone, so only the functions that record skips (deploy-on-push,
 * deploy-due) bundle it and are granted it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../../errors';
import type { SkippedPush, SkippedPushes } from '../../ports';
import { resendPause, sleep } from '../resend-pause';
import { DAY, DynamoTableStore, type Item, recordOf } from './dynamo-table';
import { lastSkipKey } from './keys';

/** As long as the deployments beside it: status compares the two. */
const SKIP_TTL = 90 * DAY;
/** BatchWriteItem's most items a call. */
const BATCH = 25;
/**
 * Sends of the items a call left unprocessed (throttled), the first included, after a growing pause
 * (sent again at once, a throttled item is throttled again); then they are given up: a skip is
 * bookkeeping, not worth failing or slowing a push for.
 */
const WRITE_ROUNDS = 4;
/** The first pause before unprocessed items are sent again; it doubles each round, with jitter. */
const BACKOFF_MS = 50;

/** Options of {@link DynamoSkippedPushes}. */
export interface SkippedPushesOptions {
  /** waits before unprocessed items are sent again; a timer by default */
  pause?: (ms: number) => Promise<void>;
}

/** The last push skipped for each service, in DynamoDB. */
export class DynamoSkippedPushes extends DynamoTableStore implements SkippedPushes {
  private readonly pause: (ms: number) => Promise<void>;

  /**
   * @param tableName - the autopilot table
   * @param client - the DynamoDB client; the shared traced one by default
   * @param now - clock, for the TTL
   * @param options - the pause before unprocessed items are sent again (tests)
   */
  constructor(
    tableName: string,
    client?: DynamoDBClient,
    now?: () => Date,
    options: SkippedPushesOptions = {},
  ) {
    super(tableName, client, now);
    this.pause = options.pause ?? sleep;
  }

  async recordSkips(skips: readonly SkippedPush[]): Promise<void> {
    // One item per service: a call may not name an item twice, and the later skip is the last.
    const items = [...new Map(skips.map((skip) => [skip.serviceArn, this.itemOf(skip)])).values()];
    let unwritten = 0;
    for (let i = 0; i < items.length; i += BATCH)
      unwritten += await this.writeBatch(items.slice(i, i + BATCH));
    if (unwritten > 0) {
      throw new RetryableError(
        `BatchWriteItem left ${unwritten} of ${items.length} skipped pushes unwritten after ${WRITE_ROUNDS} rounds`,
      );
    }
  }

  async lastSkip(serviceArn: string): Promise<SkippedPush | undefined> {
    const item = await this.table.get(lastSkipKey(serviceArn));
    return item ? recordOf<SkippedPush>(item) : undefined;
  }

  private itemOf(skip: SkippedPush): Item {
    return { ...lastSkipKey(skip.serviceArn), ...skip, expiresAt: this.table.expiresIn(SKIP_TTL) };
  }

  /** Writes up to {@link BATCH} items; how many were still unprocessed after the last round. */
  private async writeBatch(items: readonly Item[]): Promise<number> {
    const table = this.table.name;
    let requests = items.map((item) => ({ PutRequest: { Item: item } }));
    for (let round = 1; ; round++) {
      const out = await this.table.doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      const left = out.UnprocessedItems?.[table] ?? [];
      if (left.length === 0 || round === WRITE_ROUNDS) return left.length;
      requests = left.flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
      await this.pause(resendPause(BACKOFF_MS, round));
    }
  }
}
