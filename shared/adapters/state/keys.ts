/**
 * Every key of autopilot's single DynamoDB table (`pk`/`sk`, TTL on `expiresAt`), by the port that
 * owns the item. The stores build their keys here and nowhere else; the layout is what deployed
 * tables hold, so it never changes.
 *
 * | port | item | pk | sk |
 * |---|---|---|---|
 * | ServiceIndex | repository index | `REPO#<account>:<region>:<repo>` | `SVC#<serviceArn>` |
 * | ServiceIndex | repositories of a service | `SVC#<serviceArn>` | `REPOS` |
 * | ServiceIndex | alarm index | `ALARM#<alarmName>` | `SVC#<serviceArn>` |
 * | ServiceIndex | alarms of a service | `SVC#<serviceArn>` | `ALARMS` |
 * | IndexSweep | what the reconcile indexed a service from | `CLUSTER#<clusterArn>` | `SVC#<serviceArn>` |
 * | IndexSweep | the reconcile's sweep, checkpoint and lease | `RECONCILE` | `SWEEP` |
 * | ConfigurationProblems | announced configuration problem | `PROBLEM` | `<serviceArn>#<tagKey>` |
 * | DeploymentHistory | deployment autopilot started | `SVC#<serviceArn>` | `DEPLOY#<startedAt>#<eventId>` |
 * | DeploymentHistory | an ECS deployment of a service | `SVC#<serviceArn>` | `ECSDEP#<deploymentId>` |
 * | DeploymentHistory | a crashed task of a revision | `SVC#<serviceArn>` | `CRASH#<taskDefinitionArn>#<taskArn>` |
 * | DeploymentHistory | deploy intent (a push to a service, from a revision) | `SVC#<serviceArn>` | `INTENT#<digest>#<fromTaskDefinitionArn>` |
 * | RollbackHistory | last known good revision | `SVC#<serviceArn>` | `LKG` |
 * | RollbackHistory | last automatic rollback (the cooldown slot) | `SVC#<serviceArn>` | `ROLLBACK` |
 * | BakeSchedule | bake timer | `BAKING` | `<serviceArn>#<deploymentId>` |
 * | Quarantine | quarantined digest | `QUARANTINE#<repositoryKey>` | `<digest>` |
 * | Quarantine | the same, for listing | `QUARANTINED` | `<repositoryKey>@<digest>` |
 * | ServiceLease | service lease (owner, `leaseUntil`, `priorOwner`; kept 30 days after its release) | `SVC#<serviceArn>` | `LOCK` |
 * | ServiceLease | newest push deployed (watermark) | `SVC#<serviceArn>` | `PUSH#<repositoryKey>` |
 * | PendingPushes | pending push | `PENDING` | `<serviceArn>#<repositoryKey>` |
 * | SkippedPushes | the last push skipped for a service | `SVC#<serviceArn>` | `SKIP` |
 * | NotificationStore | aggregation window | `NOTIFYWIN` | `<channel>#<groupKey>#<windowStart>` |
 * | NotificationStore | first message of a deployment's thread | `THREAD#<channel>` | `<threadKey>` |
 * | RestartChains | launch spec of a standalone task | `RESTART#<clusterArn>` | `SPEC#<taskArn>` |
 * | RestartChains | restart chain | `RESTART` | `CHAIN#<clusterArn>#<chainId>` |
 * | TagMarkStore | a resource's tag policy marks and scale to zero | `TAGMARK` | `<resourceArn>` |
 * | (Powertools idempotency) | idempotency record | `IDEMPOTENCY#<function>[#dry-run]` | hash (Powertools; the partition from `idempotencyPartition`) |
 *
 * `#` cannot occur in an ARN, so a prefix ending in `#` (`<serviceArn>#`) never matches a longer
 * name (`service/prod/api#` is no prefix of `service/prod/api-canary#…`).
 */

/** The key of one item. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** The items of one partition, or those of it whose sort key starts with `skPrefix`. */
export interface ItemRange {
  pk: string;
  skPrefix?: string;
}

/** A service's partition, and a service's entry in an index partition. */
const service = (serviceArn: string) => `SVC#${serviceArn}`;

// ServiceIndex ------------------------------------------------------------------------------------

/** Where one reverse index (names to services, see reverse-index.ts) keeps its items. */
export interface ReverseIndexKeys {
  /** a service listed under a name */
  entry(name: string, serviceArn: string): ItemKey;
  /** the services listed under a name */
  entries(name: string): ItemRange;
  /** the names a service is listed under */
  namesOf(serviceArn: string): ItemKey;
}

const reverseIndexKeys = (prefix: string, list: string): ReverseIndexKeys => ({
  entry: (name, serviceArn) => ({ pk: `${prefix}#${name}`, sk: service(serviceArn) }),
  entries: (name) => ({ pk: `${prefix}#${name}`, skPrefix: 'SVC#' }),
  namesOf: (serviceArn) => ({ pk: service(serviceArn), sk: list }),
});

/** The repository index: `REPO#<repositoryKey>` / `SVC#<serviceArn>`, and the service's `REPOS`. */
export const repositoryIndexKeys = reverseIndexKeys('REPO', 'REPOS');
/** The alarm index: `ALARM#<alarmName>` / `SVC#<serviceArn>`, and the service's `ALARMS`. */
export const alarmIndexKeys = reverseIndexKeys('ALARM', 'ALARMS');

// IndexSweep --------------------------------------------------------------------------------------

/** What the reconcile remembers of a service: in its cluster's partition, read one query per cluster. */
export const fingerprintKey = (clusterArn: string, serviceArn: string): ItemKey => ({
  pk: `CLUSTER#${clusterArn}`,
  sk: service(serviceArn),
});
/** What the reconcile remembers of a cluster's services. */
export const fingerprintsOf = (clusterArn: string): ItemRange => ({
  pk: `CLUSTER#${clusterArn}`,
  skPrefix: 'SVC#',
});
/** The reconcile's sweep. */
export const sweepKey: ItemKey = { pk: 'RECONCILE', sk: 'SWEEP' };

// ConfigurationProblems ---------------------------------------------------------------------------

/** The announced problem of a service's tag. */
export const problemKey = (serviceArn: string, tagKey: string): ItemKey => ({
  pk: 'PROBLEM',
  sk: `${serviceArn}#${tagKey}`,
});
/** The announced problems of a service. */
export const problemsOf = (serviceArn: string): ItemRange => ({ pk: 'PROBLEM', skPrefix: `${serviceArn}#` });
/**
 * The announced problems of a cluster's services: their ARNs (`…:service/<cluster>/<name>`) share the
 * prefix `…:service/<cluster>/`, which no other cluster's services have (`/` ends the name).
 */
export const problemsOfCluster = (clusterArn: string): ItemRange => ({
  pk: 'PROBLEM',
  skPrefix: `${clusterArn.replace(':cluster/', ':service/')}/`,
});

// DeploymentHistory -------------------------------------------------------------------------------

/** A deployment autopilot started, ordered by its start. */
export const deploymentRecordKey = (serviceArn: string, startedAt: string, eventId: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `DEPLOY#${startedAt}#${eventId}`,
});
/** The deployments autopilot started on a service. */
export const deploymentRecordsOf = (serviceArn: string): ItemRange => ({
  pk: service(serviceArn),
  skPrefix: 'DEPLOY#',
});
/** An ECS deployment of a service. */
export const ecsDeploymentKey = (serviceArn: string, deploymentId: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `ECSDEP#${deploymentId}`,
});
/** A crashed task of a revision (keyed by task: a duplicate event counts once). */
export const crashKey = (serviceArn: string, taskDefinitionArn: string, taskArn: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `CRASH#${taskDefinitionArn}#${taskArn}`,
});
/** The crashed tasks of a revision. */
export const crashesOf = (serviceArn: string, taskDefinitionArn: string): ItemRange => ({
  pk: service(serviceArn),
  skPrefix: `CRASH#${taskDefinitionArn}#`,
});

/** The deploy intent of a service for a pushed digest and a source revision. */
export const deployIntentKey = (serviceArn: string, digest: string, fromTaskDefinition: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `INTENT#${digest}#${fromTaskDefinition}`,
});
/** The deploy intents of a service for a pushed digest. */
export const deployIntentsOf = (serviceArn: string, digest: string): ItemRange => ({
  pk: service(serviceArn),
  skPrefix: `INTENT#${digest}#`,
});

// RollbackHistory ---------------------------------------------------------------------------------

/** The last known good revision of a service. */
export const lastKnownGoodKey = (serviceArn: string): ItemKey => ({ pk: service(serviceArn), sk: 'LKG' });
/** The last automatic rollback of a service. */
export const lastRollbackKey = (serviceArn: string): ItemKey => ({ pk: service(serviceArn), sk: 'ROLLBACK' });

// BakeSchedule ------------------------------------------------------------------------------------

/** The bake timer of a completed deployment. */
export const bakeKey = (serviceArn: string, deploymentId: string): ItemKey => ({
  pk: 'BAKING',
  sk: `${serviceArn}#${deploymentId}`,
});
/** Every bake timer. */
export const bakes: ItemRange = { pk: 'BAKING' };

// Quarantine --------------------------------------------------------------------------------------

/** A quarantined digest of a repository (what deploy on push reads). */
export const quarantineKey = (repositoryKey: string, digest: string): ItemKey => ({
  pk: `QUARANTINE#${repositoryKey}`,
  sk: digest,
});
/** The listing entry of a quarantined digest. */
export const quarantineListingKey = (repositoryKey: string, digest: string): ItemKey => ({
  pk: 'QUARANTINED',
  sk: `${repositoryKey}@${digest}`,
});
/** Every quarantined digest. */
export const quarantineListing: ItemRange = { pk: 'QUARANTINED' };

// ServiceLease ------------------------------------------------------------------------------------

/** The lease on a service. */
export const leaseKey = (serviceArn: string): ItemKey => ({ pk: service(serviceArn), sk: 'LOCK' });
/** The newest push deployed to a service from a repository. */
export const watermarkKey = (serviceArn: string, repositoryKey: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `PUSH#${repositoryKey}`,
});

// PendingPushes -----------------------------------------------------------------------------------

/** The push waiting to be deployed to a service from a repository. */
export const pendingPushKey = (serviceArn: string, repositoryKey: string): ItemKey => ({
  pk: 'PENDING',
  sk: `${serviceArn}#${repositoryKey}`,
});
/** Every pending push. */
export const pendingPushes: ItemRange = { pk: 'PENDING' };
/** The pushes pending for one service (`#` ends the ARN: no other service's ARN starts with it). */
export const pendingPushesOf = (serviceArn: string): ItemRange => ({
  pk: 'PENDING',
  skPrefix: `${serviceArn}#`,
});

// SkippedPushes -----------------------------------------------------------------------------------

/** The last push deploy on push skipped for a service, beside its deployments. */
export const lastSkipKey = (serviceArn: string): ItemKey => ({ pk: service(serviceArn), sk: 'SKIP' });

// Pauses ------------------------------------------------------------------------------------------

/** The pause of a scope (`all`, `cluster:<name>`, `service:<cluster>/<name>`). */
export const pauseKey = (scope: string): ItemKey => ({ pk: 'PAUSE', sk: scope });
/** Every pause. */
export const pauses: ItemRange = { pk: 'PAUSE' };

// RevertLog ---------------------------------------------------------------------------------------

/** A revert of a service, ordered by time. */
export const revertKey = (serviceArn: string, at: string, eventId: string): ItemKey => ({
  pk: service(serviceArn),
  sk: `REVERT#${at}#${eventId}`,
});
/** The reverts of a service made at or after `since`. */
export const revertsOf = (serviceArn: string): ItemRange => ({
  pk: service(serviceArn),
  skPrefix: 'REVERT#',
});

// ServiceHistory ----------------------------------------------------------------------------------

/** A service's history, by cluster and service name (events name services so). */
const history = (cluster: string, service: string) => `HIST#${cluster}/${service}`;
/** One entry of a service's history, ordered by time. */
export const historyKey = (cluster: string, service: string, at: string, eventId: string): ItemKey => ({
  pk: history(cluster, service),
  sk: `${at}#${eventId}`,
});
/** A service's history. */
export const historyOf = (cluster: string, service: string): ItemRange => ({ pk: history(cluster, service) });

// NotificationStore -------------------------------------------------------------------------------

/** An aggregation window of a channel and group. */
export const notificationWindowKey = (channel: string, groupKey: string, windowStart: string): ItemKey => ({
  pk: 'NOTIFYWIN',
  sk: `${channel}#${groupKey}#${windowStart}`,
});
/** Every aggregation window. */
export const notificationWindows: ItemRange = { pk: 'NOTIFYWIN' };
/** The first message of a thread in a channel. */
export const threadKey = (channel: string, key: string): ItemKey => ({ pk: `THREAD#${channel}`, sk: key });

// RestartChains ----------------------------------------------------------------------------------

/** The launch spec captured for a standalone task. */
export const launchSpecKey = (clusterArn: string, taskArn: string): ItemKey => ({
  pk: `RESTART#${clusterArn}`,
  sk: `SPEC#${taskArn}`,
});
/** A restart chain; every chain is in one partition, so `autopilot restarts` lists them with one query. */
export const restartChainKey = (clusterArn: string, chainId: string): ItemKey => ({
  pk: 'RESTART',
  sk: `CHAIN#${clusterArn}#${chainId}`,
});
/** The restart chains of a cluster, or of every cluster. */
export const restartChainsOf = (clusterArn?: string): ItemRange => ({
  pk: 'RESTART',
  skPrefix: clusterArn ? `CHAIN#${clusterArn}#` : 'CHAIN#',
});

// TagMarkStore -----------------------------------------------------------------------------------

/**
 * A resource's tag policy record (marks that did not fit on it, the desired count of a scale to
 * zero). One partition, so a sweep's page is read with BatchGetItem and every record listed with one
 * query (`autopilot audit`).
 */
export const tagMarkKey = (resourceArn: string): ItemKey => ({ pk: 'TAGMARK', sk: resourceArn });
/** Every resource's tag policy record. */
export const tagMarks: ItemRange = { pk: 'TAGMARK' };
/** The scheduled tag policy sweep: its checkpoint, its running counts and its lease. */
export const tagSweepKey: ItemKey = { pk: 'TAGSWEEP', sk: 'SWEEP' };

/**
 * The partition of a function's idempotency records. Keyed on the serverless.yml function key, not
 * on `AWS_LAMBDA_FUNCTION_NAME`: two functions that receive the same event (index-services and
 * watch-deployments both get a deployment IN_PROGRESS) keep their own records wherever they run,
 * in Lambda, in the sandbox or in `autopilot dispatch`. A dry run keeps records of its own, so the
 * real run of the same event is never answered with what the dry run only reported.
 *
 * @example idempotencyPartition('deploy-on-push', true) // 'IDEMPOTENCY#deploy-on-push#dry-run'
 */
export function idempotencyPartition(functionName: string, dryRun: boolean): string {
  return `IDEMPOTENCY#${functionName}${dryRun ? '#dry-run' : ''}`;
}
