/**
 * Powertools' DynamoDB persistence layer, made to recognise its own in-progress record.
 *
 * Powertools saves an INPROGRESS record with a conditional PutItem before the handler runs. When that
 * PutItem's answer is lost (a connection reset after DynamoDB wrote the item), the SDK sends it again
 * and DynamoDB refuses it: the record exists. Powertools then reads the refusal's old item, finds it
 * INPROGRESS and not expired, and fails the invocation with IdempotencyAlreadyInProgressError, as
 * though another invocation were running the event: the event waits for Lambda's retry after the
 * in-progress expiry (the function's timeout), or, where retries come sooner (the sandbox), reaches
 * the dead-letter queue. The refused item is this invocation's own when it is the very record it tried
 * to write: INPROGRESS with the same in-progress expiry (this invocation's deadline, in milliseconds)
 * and the same expiry. Then the save succeeded, and the handler goes on.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';

/** Whether `existing`, the item a conditional PutItem was refused for, is the record `written` itself. */
export function isOwnInProgressRecord(
  existing: IdempotencyRecord | undefined,
  written: IdempotencyRecord,
): boolean {
  return (
    existing !== undefined &&
    written.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
    existing.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
    written.inProgressExpiryTimestamp !== undefined &&
    existing.inProgressExpiryTimestamp === written.inProgressExpiryTimestamp &&
    existing.expiryTimestamp === written.expiryTimestamp
  );
}

/** {@link DynamoDBPersistenceLayer} whose in-progress save survives a retried PutItem (see the module). */
export class OwnWriteAwarePersistenceLayer extends DynamoDBPersistenceLayer {
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    try {
      await super._putRecord(record);
    } catch (error) {
      if (!(error instanceof IdempotencyItemAlreadyExistsError)) throw error;
      // DynamoDB returns the refused item (ReturnValuesOnConditionCheckFailure); a store that does not
      // (dynalite, the sandbox's) is read.
      const existing =
        error.existingRecord ?? (await this._getRecord(record.idempotencyKey).catch(() => undefined));
      if (isOwnInProgressRecord(existing, record)) return;
      throw error;
    }
  }
}
