/**
 * {@link HealthStore} on the autopilot table (same table as the state store).
 *
 * | item | pk | sk |
 * |---|---|---|
 * | an ECS deployment of a service | `SVC#<serviceArn>` | `ECSDEP#<deploymentId>` |
 * | last known good revision | `SVC#<serviceArn>` | `LKG` |
 * | last automatic rollback | `SVC#<serviceArn>` | `ROLLBACK` |
 * | a crashed task of a revision | `SVC#<serviceArn>` | `CRASH#<taskDefinitionArn>#<taskArn>` |
 * | alarms of a service | `SVC#<serviceArn>` | `ALARMS` |
 * | bake timer | `BAKING` | `<serviceArn>#<deploymentId>` |
 * | alarm index | `ALARM#<alarmName>` | `SVC#<serviceArn>` |
 * | quarantined digest | `QUARANTINE#<repositoryKey>` | `<digest>` (and `QUARANTINED` / `<key>@<digest>` for listing) |
 */
import { DeleteCommand, GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  HealthStore,
  IndexedService,
  KnownDeployment,
  LastKnownGood,
  QuarantinedImage,
  StartedDeployment,
} from '../../ports';
import { DAY, DynamoTableStore, epoch, isConflict } from './dynamo-table';
import { deploymentKey, noteStartedDeployment } from './started-deployment';

const strip = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, expiresAt: _e, updatedAt: _u, ...rest } = item;
  return rest as T;
};

/** Deployment health in DynamoDB. */
export class DynamoHealthStore extends DynamoTableStore implements HealthStore {
  async getDeployment(serviceArn: string, deploymentId: string): Promise<KnownDeployment | undefined> {
    const { pk, sk } = deploymentKey(serviceArn, deploymentId);
    const item = await this.get(pk, sk);
    return item ? strip<KnownDeployment>(item) : undefined;
  }

  async noteDeploymentStarted(serviceArn: string, started: StartedDeployment): Promise<void> {
    await noteStartedDeployment(this.doc, this.tableName, serviceArn, started, epoch(this.now()) + 90 * DAY);
  }

  async recordDeployment(serviceArn: string, deployment: KnownDeployment, updatedAt: string): Promise<void> {
    // SET field by field rather than replacing the item: an `unhealthy` mark written concurrently by
    // another signal must survive a state change recorded right after it.
    const { unhealthy: _ignored, ...fields } = deployment;
    const values: Record<string, unknown> = {
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      updatedAt,
      expiresAt: epoch(this.now()) + 90 * DAY,
    };
    const names = Object.keys(values);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deploymentKey(serviceArn, deployment.deploymentId),
          UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
          ConditionExpression:
            'attribute_not_exists(pk) OR attribute_not_exists(updatedAt) OR updatedAt <= :updatedAt',
          ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
            ':updatedAt': updatedAt,
          },
        }),
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  async markUnhealthy(serviceArn: string, deploymentId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `SVC#${serviceArn}`, sk: `ECSDEP#${deploymentId}` },
          UpdateExpression: 'SET unhealthy = :yes',
          ConditionExpression: 'attribute_not_exists(unhealthy) OR unhealthy = :no',
          ExpressionAttributeValues: { ':yes': true, ':no': false },
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  async lastKnownGood(serviceArn: string): Promise<LastKnownGood | undefined> {
    const item = await this.get(`SVC#${serviceArn}`, 'LKG');
    return item ? strip<LastKnownGood>(item) : undefined;
  }

  async setLastKnownGood(serviceArn: string, good: LastKnownGood): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `SVC#${serviceArn}`, sk: 'LKG', ...good },
          // Never replace a newer known good revision with an older one.
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': good.at },
        }),
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  async lastRollback(serviceArn: string): Promise<{ at: string; to: string } | undefined> {
    const item = await this.get(`SVC#${serviceArn}`, 'ROLLBACK');
    return item ? { at: String(item.at), to: String(item.to) } : undefined;
  }

  async claimRollback(
    serviceArn: string,
    rollback: { at: string; from: string; to: string; reason: string },
    cooldownMs: number,
  ): Promise<boolean> {
    const windowStart = new Date(new Date(rollback.at).getTime() - cooldownMs).toISOString();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `SVC#${serviceArn}`, sk: 'ROLLBACK', ...rollback },
          // The cooldown ends at `at + cooldownMs` inclusive, as in decideRollback.
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :windowStart',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':windowStart': windowStart },
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  async recordCrash(
    serviceArn: string,
    taskDefinitionArn: string,
    taskArn: string,
    at: string,
    since: string,
  ): Promise<number> {
    const prefix = `CRASH#${taskDefinitionArn}#`;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        // Keyed by task: a duplicate event of the same stopped task counts once.
        Item: { pk: `SVC#${serviceArn}`, sk: `${prefix}${taskArn}`, at, expiresAt: epoch(this.now()) + DAY },
      }),
    );
    let count = 0;
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `SVC#${serviceArn}`, ':prefix': prefix },
        ConsistentRead: true,
      },
    )) {
      count += (page.Items ?? []).filter((i) => String(i.at) >= since).length;
    }
    return count;
  }

  async scheduleBake(serviceArn: string, deploymentId: string, dueAt: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: 'BAKING',
          sk: `${serviceArn}#${deploymentId}`,
          serviceArn,
          deploymentId,
          dueAt,
          expiresAt: epoch(this.now()) + 7 * DAY,
        },
      }),
    );
  }

  async listBaked(now: Date): Promise<{ serviceArn: string; deploymentId: string }[]> {
    const due: { serviceArn: string; deploymentId: string }[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'dueAt <= :now',
        ExpressionAttributeValues: { ':pk': 'BAKING', ':now': now.toISOString() },
        ConsistentRead: true,
      },
    )) {
      for (const item of page.Items ?? [])
        due.push({ serviceArn: String(item.serviceArn), deploymentId: String(item.deploymentId) });
    }
    return due;
  }

  async deleteBake(serviceArn: string, deploymentId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: 'BAKING', sk: `${serviceArn}#${deploymentId}` },
      }),
    );
  }

  async servicesForAlarm(alarmName: string): Promise<IndexedService[]> {
    const services: IndexedService[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ALARM#${alarmName}` },
      },
    )) {
      for (const item of page.Items ?? []) {
        services.push({
          serviceArn: String(item.serviceArn),
          clusterArn: String(item.clusterArn),
          serviceName: String(item.serviceName),
        });
      }
    }
    return services;
  }

  async indexAlarms(service: IndexedService, alarmNames: readonly string[]): Promise<void> {
    const previous = await this.get(`SVC#${service.serviceArn}`, 'ALARMS');
    const old = Array.isArray(previous?.alarms) ? (previous.alarms as string[]) : [];
    for (const name of old.filter((n) => !alarmNames.includes(n))) {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `ALARM#${name}`, sk: `SVC#${service.serviceArn}` },
        }),
      );
    }
    const expiresAt = epoch(this.now()) + 7 * DAY;
    for (const name of alarmNames) {
      await this.put({ pk: `ALARM#${name}`, sk: `SVC#${service.serviceArn}`, ...service, expiresAt });
    }
    await this.put({ pk: `SVC#${service.serviceArn}`, sk: 'ALARMS', alarms: [...alarmNames], expiresAt });
  }

  async quarantine(image: QuarantinedImage): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `QUARANTINE#${image.repositoryKey}`, sk: image.digest, ...image },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
    await this.put({ pk: 'QUARANTINED', sk: `${image.repositoryKey}@${image.digest}`, ...image });
    return true;
  }

  async listQuarantined(): Promise<QuarantinedImage[]> {
    const images: QuarantinedImage[] = [];
    for await (const page of paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'QUARANTINED' },
      },
    )) {
      for (const item of page.Items ?? []) images.push(strip<QuarantinedImage>(item));
    }
    return images;
  }

  async release(repositoryKey: string, digest: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `QUARANTINE#${repositoryKey}`, sk: digest },
        ReturnValues: 'ALL_OLD',
      }),
    );
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: 'QUARANTINED', sk: `${repositoryKey}@${digest}` },
      }),
    );
    return out.Attributes !== undefined;
  }

  /**
   * Releases a quarantined image named as an operator names it (`autopilot quarantine release`): by
   * the repository's name in ECR or by its index key, and the digest.
   *
   * @param repository - `team/api`, or the index key `<account>:<region>:team/api`
   * @param digest - `sha256:…`
   * @returns the image released; undefined when no such image is quarantined (or another release
   *   came first)
   * @example
   * await health.releaseImage('team/api', 'sha256:…'); // { repositoryKey: '123…:eu-west-1:team/api', … }
   */
  async releaseImage(repository: string, digest: string): Promise<QuarantinedImage | undefined> {
    const found = (await this.listQuarantined()).find(
      (q) => q.digest === digest && (q.repository === repository || q.repositoryKey === repository),
    );
    if (!found) return undefined;
    return (await this.release(found.repositoryKey, digest)) ? found : undefined;
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return out.Item;
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}
