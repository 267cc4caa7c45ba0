/**
 * {@link DeploymentHistory} on the autopilot table, in the service's partition: the deployments
 * autopilot started (`DEPLOY#<startedAt>#<eventId>`), the ECS deployments (`ECSDEP#<deploymentId>`)
 * and the crashed tasks of a revision (`CRASH#<taskDefinitionArn>#<taskArn>`).
 */
import type {
  CrashedTask,
  DeployIntent,
  DeploymentHistory,
  DeploymentRecord,
  IntentMark,
  KnownDeployment,
  StartedDeployment,
} from '../../ports';
import {
  type Condition,
  DAY,
  type DynamoTable,
  DynamoTableStore,
  type Item,
  recordOf,
  type Update,
} from './dynamo-table';
import {
  crashesOf,
  crashKey,
  deployIntentKey,
  deployIntentsOf,
  deploymentRecordKey,
  deploymentRecordsOf,
  ecsDeploymentKey,
  type ItemKey,
} from './keys';

/** Deployment history kept for rollback decisions and audit. */
const DEPLOYMENT_TTL = 90 * DAY;
/** Crashes count within a crash-loop window (minutes); a day is plenty. */
const CRASH_TTL = DAY;
/**
 * A deploy intent outlives every retry of its push (Lambda's, EventBridge's for six hours, a redrive
 * from the dead-letter queue within its 14 days).
 */
const INTENT_TTL = 30 * DAY;
/** How many of a service's latest deployments are searched for the one an event started. */
const RECENT_DEPLOYMENTS = 20;

/** The item of a deployment autopilot started (also written in the transaction that closes its lease). */
export function deploymentRecordItem(table: DynamoTable, record: DeploymentRecord): ItemKey & Item {
  return {
    ...deploymentRecordKey(record.serviceArn, record.startedAt, record.triggeredBy),
    ...record,
    expiresAt: table.expiresIn(DEPLOYMENT_TTL),
  };
}

/**
 * The put saving a deploy intent over the one read (`expected`: its owner and state, or none stored);
 * also written in the transaction that closes its lease.
 */
export function deployIntentPut(
  table: DynamoTable,
  intent: DeployIntent,
  expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined,
): { item: ItemKey & Item; condition: Condition } {
  const item = {
    ...deployIntentKey(intent.serviceArn, intent.digest, intent.fromTaskDefinition),
    ...intent,
    expiresAt: table.expiresIn(INTENT_TTL),
  };
  // Optimistic: over the intent that was read, or none.
  const condition: Condition =
    expected === undefined
      ? { if: 'attribute_not_exists(pk)' }
      : {
          if: 'triggeredBy = :owner AND #state = :state',
          names: { '#state': 'state' },
          values: { ':owner': expected.triggeredBy, ':state': expected.state },
        };
  return { item, condition };
}

/**
 * The update noting an ECS deployment autopilot started (also written in the transaction that closes
 * its lease). Fills only the fields the deployment's state changes have not written yet
 * (`if_not_exists`), and no `updatedAt`, so a state change recorded before or after it is never
 * overwritten nor refused; a rollback is one whatever a state change guessed before it.
 */
export function deploymentStartedUpdate(table: DynamoTable, started: StartedDeployment): Update {
  return {
    set:
      'SET deploymentId = :id, taskDefinitionArn = if_not_exists(taskDefinitionArn, :td), ' +
      '#state = if_not_exists(#state, :state), startedAt = if_not_exists(startedAt, :at), ' +
      `isRollback = ${started.isRollback ? ':rollback' : 'if_not_exists(isRollback, :rollback)'}, ` +
      'expiresAt = if_not_exists(expiresAt, :expires)',
    names: { '#state': 'state' },
    values: {
      ':id': started.deploymentId,
      ':td': started.taskDefinitionArn,
      ':state': 'IN_PROGRESS',
      ':at': started.startedAt,
      ':rollback': started.isRollback,
      ':expires': table.expiresIn(DEPLOYMENT_TTL),
    },
  };
}

/** The deployments of services in DynamoDB. */
export class DynamoDeploymentHistory extends DynamoTableStore implements DeploymentHistory {
  async recordDeployment(record: DeploymentRecord): Promise<void> {
    await this.table.put(deploymentRecordItem(this.table, record));
  }

  async deploymentTriggeredBy(serviceArn: string, eventId: string): Promise<DeploymentRecord | undefined> {
    // Retries of an event come within hours, so its deployment is among the service's latest few.
    const recent = await this.table.query(deploymentRecordsOf(serviceArn), { newest: RECENT_DEPLOYMENTS });
    const item = recent.find((i) => i.triggeredBy === eventId);
    return item ? recordOf<DeploymentRecord>(item) : undefined;
  }

  async recentDeployments(serviceArn: string, limit: number): Promise<DeploymentRecord[]> {
    const recent = await this.table.query(deploymentRecordsOf(serviceArn), { newest: limit });
    return recent.map((item) => recordOf<DeploymentRecord>(item));
  }

  async noteDeploymentStarted(serviceArn: string, started: StartedDeployment): Promise<void> {
    await this.table.update(
      ecsDeploymentKey(serviceArn, started.deploymentId),
      deploymentStartedUpdate(this.table, started),
    );
  }

  async getDeployment(serviceArn: string, deploymentId: string): Promise<KnownDeployment | undefined> {
    const item = await this.table.get(ecsDeploymentKey(serviceArn, deploymentId));
    return item ? recordOf<KnownDeployment>(item, 'updatedAt') : undefined;
  }

  async recordDeploymentState(
    serviceArn: string,
    deployment: KnownDeployment,
    updatedAt: string,
  ): Promise<boolean> {
    // SET field by field rather than replacing the item: an `unhealthy` mark written concurrently by
    // another signal must survive a state change recorded right after it.
    const { unhealthy: _ignored, unhealthyBy: _by, unhealthyAnnounced: _announced, ...fields } = deployment;
    const values: Record<string, unknown> = {
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      updatedAt,
      expiresAt: this.table.expiresIn(DEPLOYMENT_TTL),
    };
    const names = Object.keys(values);
    const recorded = await this.table.update(ecsDeploymentKey(serviceArn, deployment.deploymentId), {
      set: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      if: 'attribute_not_exists(pk) OR attribute_not_exists(updatedAt) OR updatedAt <= :updatedAt',
      names: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
      values: { ...Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])), ':updatedAt': updatedAt },
    });
    return recorded !== undefined;
  }

  async markUnhealthy(serviceArn: string, deploymentId: string, by: string): Promise<boolean> {
    const marked = await this.table.update(ecsDeploymentKey(serviceArn, deploymentId), {
      set: 'SET unhealthy = :yes, unhealthyBy = :by',
      // Unmarked, or marked by this very event (a retry goes on with what it decided).
      if: 'attribute_not_exists(unhealthy) OR unhealthy = :no OR unhealthyBy = :by',
      values: { ':yes': true, ':no': false, ':by': by },
    });
    return marked !== undefined;
  }

  async markAnnounced(serviceArn: string, deploymentId: string, by: string): Promise<boolean> {
    const marked = await this.table.update(ecsDeploymentKey(serviceArn, deploymentId), {
      set: 'SET unhealthyAnnounced = :yes',
      if: 'unhealthyBy = :by',
      values: { ':yes': true, ':by': by },
    });
    return marked !== undefined;
  }

  async recordCrash(crash: CrashedTask, since: string): Promise<number> {
    const { serviceArn, taskDefinitionArn } = crash;
    await this.table.put({
      ...crashKey(serviceArn, taskDefinitionArn, crash.taskArn),
      at: crash.at,
      expiresAt: this.table.expiresIn(CRASH_TTL),
    });
    return (await this.crashedTasks(serviceArn, taskDefinitionArn, since)).length;
  }

  async deployIntents(serviceArn: string, digest: string): Promise<DeployIntent[]> {
    const items = await this.table.query(deployIntentsOf(serviceArn, digest));
    return items.map((item) => recordOf<DeployIntent>(item));
  }

  async saveDeployIntent(
    intent: DeployIntent,
    expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined,
  ): Promise<boolean> {
    const { item, condition } = deployIntentPut(this.table, intent, expected);
    return this.table.put(item, condition);
  }

  async markIntentAnnounced(
    serviceArn: string,
    digest: string,
    fromTaskDefinition: string,
    triggeredBy: string,
  ): Promise<boolean> {
    const mark = { serviceArn, digest, fromTaskDefinition, triggeredBy };
    const marked = await this.table.update(
      deployIntentKey(serviceArn, digest, fromTaskDefinition),
      announcing(mark),
    );
    return marked !== undefined;
  }

  async markIntentsAnnounced(marks: readonly IntentMark[]): Promise<boolean[]> {
    const marked: boolean[] = [];
    for (let i = 0; i < marks.length; i += TRANSACTION_ITEMS) {
      marked.push(...(await this.markTogether(marks.slice(i, i + TRANSACTION_ITEMS))));
    }
    return marked;
  }

  /**
   * One TransactWriteItems for the marks (each with its condition); when one condition fails the
   * transaction is cancelled as a whole, so then one by one, each with its own outcome.
   */
  private async markTogether(marks: readonly IntentMark[]): Promise<boolean[]> {
    const one = (m: IntentMark) =>
      this.markIntentAnnounced(m.serviceArn, m.digest, m.fromTaskDefinition, m.triggeredBy);
    const keys = new Set(marks.map((m) => `${m.serviceArn} ${m.digest} ${m.fromTaskDefinition}`));
    // A transaction may not name an item twice; a single mark is a plain UpdateItem.
    if (marks.length > 1 && keys.size === marks.length) {
      const writes = marks.map((m) => ({
        update: deployIntentKey(m.serviceArn, m.digest, m.fromTaskDefinition),
        with: announcing(m),
      }));
      if (await this.table.transact(writes)) return marks.map(() => true);
    }
    const marked: boolean[] = [];
    for (const m of marks) marked.push(await one(m));
    return marked;
  }

  async crashedTasks(serviceArn: string, taskDefinitionArn: string, since: string): Promise<string[]> {
    const range = crashesOf(serviceArn, taskDefinitionArn);
    const crashes = await this.table.query(range);
    // The task is the rest of the sort key (`CRASH#<taskDefinitionArn>#<taskArn>`).
    return crashes
      .filter((i) => String(i.at) >= since)
      .map((i) => String(i.sk).slice(range.skPrefix?.length ?? 0));
  }
}

/** A transaction holds at most 100 writes. */
export const TRANSACTION_ITEMS = 100;

/** The update marking an intent announced: only an `updating` intent of the mark's event. */
function announcing(mark: IntentMark): Update {
  return {
    set: 'SET #state = :announced',
    if: 'attribute_exists(pk) AND triggeredBy = :owner AND #state = :updating',
    names: { '#state': 'state' },
    values: { ':announced': 'announced', ':owner': mark.triggeredBy, ':updating': 'updating' },
  };
}
