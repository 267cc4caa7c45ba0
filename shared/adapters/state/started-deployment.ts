/**
 * The `SVC#<serviceArn>` / `ECSDEP#<deploymentId>` item of a deployment autopilot started, written by
 * deploy on push and by rollbacks as soon as UpdateService answers. The rollback watcher then knows
 * the deployment's revision even when its state changes arrive after ECS already dropped it from the
 * service (a circuit breaker that rolled back within seconds, a delayed or retried delivery).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StartedDeployment } from '../../ports';

/** The key of an ECS deployment's item. */
export const deploymentKey = (serviceArn: string, deploymentId: string) => ({
  pk: `SVC#${serviceArn}`,
  sk: `ECSDEP#${deploymentId}`,
});

/**
 * Fills the fields the deployment's state changes have not written yet (`if_not_exists`), and no
 * `updatedAt`, so a state change recorded before or after it is never overwritten nor refused; only
 * `isRollback` is forced for a rollback.
 */
export async function noteStartedDeployment(
  doc: DynamoDBDocumentClient,
  tableName: string,
  serviceArn: string,
  started: StartedDeployment,
  expiresAt: number,
): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: deploymentKey(serviceArn, started.deploymentId),
      UpdateExpression:
        'SET deploymentId = :id, taskDefinitionArn = if_not_exists(taskDefinitionArn, :td), ' +
        '#state = if_not_exists(#state, :state), startedAt = if_not_exists(startedAt, :at), ' +
        // A rollback is one whatever a state change guessed before it.
        `isRollback = ${started.isRollback ? ':rollback' : 'if_not_exists(isRollback, :rollback)'}, ` +
        'expiresAt = if_not_exists(expiresAt, :expires)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':id': started.deploymentId,
        ':td': started.taskDefinitionArn,
        ':state': 'IN_PROGRESS',
        ':at': started.startedAt,
        ':rollback': started.isRollback,
        ':expires': expiresAt,
      },
    }),
  );
}
