/**
 * {@link StateStore} on one DynamoDB table (single-table design, keys `pk`/`sk`, TTL on `expiresAt`).
 *
 * | item | pk | sk |
 * |---|---|---|
 * | repository index | `REPO#<account>:<region>:<repo>` | `SVC#<serviceArn>` |
 * | repositories of a service | `SVC#<serviceArn>` | `REPOS` |
 * | deployment | `SVC#<serviceArn>` | `DEPLOY#<startedAt>#<eventId>` |
 * | the ECS deployment it started | `SVC#<serviceArn>` | `ECSDEP#<deploymentId>` (see started-deployment.ts) |
 * | service lease | `SVC#<serviceArn>` | `LOCK` |
 * | newest push deployed | `SVC#<serviceArn>` | `PUSH#<repositoryKey>` |
 * | quarantined digest | `QUARANTINE#<repositoryKey>` | `<digest>` |
 * | pending push | `PENDING` | `<serviceArn>#<repositoryKey>` |
 * | announced configuration problem | `PROBLEM` | `<serviceArn>#<tagKey>` |
 * | idempotency record | `IDEMPOTENCY#<function>` | hash (Powertools) |
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  AnnouncedProblem,
  DeploymentRecord,
  IndexedService,
  PendingPush,
  PushWatermark,
  StateStore,
} from '../../ports';
import { DAY, DynamoTableStore, epoch, isConflict } from './dynamo-table';
import { noteStartedDeployment } from './started-deployment';

/** Index entries not refreshed by events or the reconcile for this long are dropped by TTL. */
const INDEX_TTL = 7 * DAY;
/** Deployment history kept for rollback decisions and audit. */
const DEPLOYMENT_TTL = 90 * DAY;
/** Pending pushes older than this are abandoned (a window that never opens). */
const PENDING_TTL = 30 * DAY;
/**
 * Announced problems not seen again for this long are forgotten (a service deleted while no event
 * said so); every sighting renews it, and the reconcile sees every service every few hours.
 */
const PROBLEM_TTL = INDEX_TTL;

/** How many of a service's latest deployments are searched for the one an event started. */
const RECENT_DEPLOYMENTS = 20;

/** Autopilot's state in DynamoDB. */
export class DynamoStateStore extends DynamoTableStore implements StateStore {
  async servicesForRepository(repositoryKey: string): Promise<IndexedService[]> {
    const services: IndexedService[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :svc)',
        ExpressionAttributeValues: { ':pk': `REPO#${repositoryKey}`, ':svc': 'SVC#' },
      },
    );
    for await (const page of pages) {
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

  async indexService(service: IndexedService, repositoryKeys: readonly string[]): Promise<void> {
    const previous = await this.repositoriesOf(service.serviceArn);
    for (const key of previous.filter((k) => !repositoryKeys.includes(k))) {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `REPO#${key}`, sk: `SVC#${service.serviceArn}` },
        }),
      );
    }
    const expiresAt = epoch(this.now()) + INDEX_TTL;
    for (const key of repositoryKeys) {
      await this.put({ pk: `REPO#${key}`, sk: `SVC#${service.serviceArn}`, ...service, expiresAt });
    }
    await this.put({
      pk: `SVC#${service.serviceArn}`,
      sk: 'REPOS',
      repositories: [...repositoryKeys],
      expiresAt,
    });
  }

  async unindexService(serviceArn: string): Promise<void> {
    for (const key of await this.repositoriesOf(serviceArn)) {
      await this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: `REPO#${key}`, sk: `SVC#${serviceArn}` } }),
      );
    }
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `SVC#${serviceArn}`, sk: 'REPOS' } }),
    );
  }

  async isQuarantined(repositoryKey: string, digest: string): Promise<boolean> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `QUARANTINE#${repositoryKey}`, sk: digest },
        ConsistentRead: true,
      }),
    );
    return out.Item !== undefined;
  }

  async recordDeployment(record: DeploymentRecord): Promise<void> {
    await this.put({
      pk: `SVC#${record.serviceArn}`,
      sk: `DEPLOY#${record.startedAt}#${record.triggeredBy}`,
      ...record,
      expiresAt: epoch(this.now()) + DEPLOYMENT_TTL,
    });
    if (record.deploymentId) {
      const started = {
        deploymentId: record.deploymentId,
        taskDefinitionArn: record.toTaskDefinition,
        startedAt: record.startedAt,
        isRollback: false,
      };
      await noteStartedDeployment(
        this.doc,
        this.tableName,
        record.serviceArn,
        started,
        epoch(this.now()) + DEPLOYMENT_TTL,
      );
    }
  }

  async deploymentTriggeredBy(serviceArn: string, eventId: string): Promise<DeploymentRecord | undefined> {
    // Retries of an event come within hours, so its deployment is among the service's latest few.
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
        ExpressionAttributeValues: { ':pk': `SVC#${serviceArn}`, ':deploy': 'DEPLOY#' },
        ScanIndexForward: false,
        Limit: RECENT_DEPLOYMENTS,
        ConsistentRead: true,
      }),
    );
    const item = (out.Items ?? []).find((i) => i.triggeredBy === eventId);
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _expires, ...record } = item;
    return record as DeploymentRecord;
  }

  async acquireServiceLock(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = epoch(this.now());
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `SVC#${serviceArn}`, sk: 'LOCK', owner, expiresAt: now + ttlSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseServiceLock(serviceArn: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `SVC#${serviceArn}`, sk: 'LOCK' },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired): theirs is not ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `SVC#${serviceArn}`, sk: `PUSH#${repositoryKey}` },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    return {
      pushedAt: String(out.Item.pushedAt),
      digest: String(out.Item.digest),
      tag: String(out.Item.tag),
    };
  }

  async setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `SVC#${serviceArn}`, sk: `PUSH#${repositoryKey}`, ...watermark },
          // Never move the watermark backwards, whatever order the writes land in.
          ConditionExpression: 'attribute_not_exists(pk) OR pushedAt <= :pushedAt',
          ExpressionAttributeValues: { ':pushedAt': watermark.pushedAt },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async savePending(pending: PendingPush, isNewer: (existing: PendingPush) => boolean): Promise<boolean> {
    const key = {
      pk: 'PENDING',
      sk: `${pending.serviceArn}#${pending.push.accountId}:${pending.push.region}:${pending.push.repositoryName}`,
    };
    const current = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const existing = current.Item as (PendingPush & { pk: string }) | undefined;
    if (existing && !isNewer(existing)) return false;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...pending, expiresAt: epoch(this.now()) + PENDING_TTL },
          // Optimistic concurrency: only replace what we compared against.
          ConditionExpression: existing ? '#push.eventId = :seen' : 'attribute_not_exists(pk)',
          ...(existing
            ? {
                ExpressionAttributeNames: { '#push': 'push' },
                ExpressionAttributeValues: { ':seen': existing.push.eventId },
              }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // A concurrent push wrote first; compare again against what it wrote.
        return this.savePending(pending, isNewer);
      }
      throw error;
    }
  }

  async listDuePending(now: Date): Promise<PendingPush[]> {
    const due: PendingPush[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'dueAt <= :now',
        ExpressionAttributeValues: { ':pk': 'PENDING', ':now': now.toISOString() },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _expires, ...pending } = item;
        due.push(pending as PendingPush);
      }
    }
    return due;
  }

  async deletePending(serviceArn: string, repositoryKey: string, eventId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: 'PENDING', sk: `${serviceArn}#${repositoryKey}` },
          ConditionExpression: '#push.eventId = :id',
          ExpressionAttributeNames: { '#push': 'push' },
          ExpressionAttributeValues: { ':id': eventId },
        }),
      );
    } catch (error) {
      // A newer push replaced it meanwhile: that one stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async announcedProblems(serviceArn: string): Promise<AnnouncedProblem[]> {
    const problems: AnnouncedProblem[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        // `#` cannot occur in an ARN, so service/prod/api# never matches service/prod/api-canary.
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :service)',
        ExpressionAttributeValues: { ':pk': 'PROBLEM', ':service': `${serviceArn}#` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _expires, ...problem } = item;
        problems.push(problem as AnnouncedProblem);
      }
    }
    return problems;
  }

  async rememberProblem(problem: AnnouncedProblem): Promise<boolean> {
    const key = { pk: 'PROBLEM', sk: `${problem.serviceArn}#${problem.tagKey}` };
    const expiresAt = epoch(this.now()) + PROBLEM_TTL;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...problem, expiresAt },
          // News: nothing remembered, another value, or a retry of the event that announced it.
          ConditionExpression: 'attribute_not_exists(pk) OR tagValue <> :value OR triggeredBy = :by',
          ExpressionAttributeValues: { ':value': problem.tagValue, ':by': problem.triggeredBy },
        }),
      );
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    try {
      // Announced by another event and still there: keep it (and its latest wording) from expiring.
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET problem = :problem, expiresAt = :expiresAt',
          ConditionExpression: 'tagValue = :value',
          ExpressionAttributeValues: {
            ':problem': problem.problem,
            ':expiresAt': expiresAt,
            ':value': problem.tagValue,
          },
        }),
      );
    } catch (error) {
      // Forgotten or replaced meanwhile: whoever did that announces what changed.
      if (!isConflict(error)) throw error;
    }
    return false;
  }

  async forgetProblem(serviceArn: string, tagKey: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: 'PROBLEM', sk: `${serviceArn}#${tagKey}` },
        // Only the invocation that actually removed it announces the resolution.
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  private async repositoriesOf(serviceArn: string): Promise<string[]> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `SVC#${serviceArn}`, sk: 'REPOS' },
        ConsistentRead: true,
      }),
    );
    return Array.isArray(out.Item?.repositories) ? (out.Item.repositories as string[]) : [];
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}
