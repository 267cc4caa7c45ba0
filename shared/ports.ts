/**
 * The interfaces the domain needs from the outside world. Adapters in `shared/adapters/` implement
 * them against AWS; tests implement them in memory. Nothing here imports the AWS SDK.
 */
import type { ChannelConfig, SecretRef } from './config/notifications';
import type { NotificationMessage } from './domain/notify/message';
import type { TagResourceView } from './domain/tags/evaluate';
import type { TagResourceType } from './domain/tags/tag-rules';
import type { AutopilotEvent } from './events/autopilot-events';

/** An ECS service as the domain sees it. */
export interface ServiceState {
  arn: string;
  name: string;
  clusterArn: string;
  clusterName: string;
  /** ACTIVE, DRAINING or INACTIVE */
  status: string;
  tags: Record<string, string>;
  /** ECS, CODE_DEPLOY or EXTERNAL; ECS when the service does not say */
  deploymentController: string;
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviders: string[];
  loadBalancerCount: number;
  /**
   * The ARNs of the service revisions running now (`currentServiceRevisions`: the ECS deployment
   * controller since 2024), whose `containerImages` say which digests the tasks run.
   */
  currentServiceRevisions?: string[];
  /** The service's deployments as ECS lists them (PRIMARY first when ECS says so). */
  deployments: ServiceDeploymentState[];
  /** How ECS deploys it: the rollbacks ECS does by itself are not fought. */
  deploymentConfiguration: {
    circuitBreaker: { enable: boolean; rollback: boolean };
    /** ECS's own CloudWatch alarm rollback */
    alarmRollback: boolean;
    /** ROLLING (default), BLUE_GREEN, LINEAR or CANARY */
    strategy: string;
  };
}

/** One entry of a service's `deployments` list. */
export interface ServiceDeploymentState {
  /** `ecs-svc/…`, the id in ECS Deployment State Change events */
  id: string;
  /** PRIMARY, ACTIVE or INACTIVE */
  status: string;
  taskDefinitionArn: string;
  /** IN_PROGRESS, COMPLETED or FAILED */
  rolloutState?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** The container images of one task-definition revision. */
export interface TaskDefinitionState {
  arn: string;
  family: string;
  revision: number;
  containers: { name: string; image: string }[];
}

/**
 * A complete task definition as returned by DescribeTaskDefinition, kept as an open record so that
 * fields AWS adds later survive a copy unchanged.
 */
export interface TaskDefinitionDocument {
  definition: Record<string, unknown> & {
    family: string;
    containerDefinitions: (Record<string, unknown> & { name: string; image: string })[];
  };
  tags: { key: string; value: string }[];
}

/** Where a service lives: the pair ECS needs to address it. */
export interface ServiceRef {
  cluster: string;
  service: string;
}

/** ECS reads. */
export interface ServiceReader {
  /** Describes services with their tags; missing services are left out of the result. */
  describeServices(refs: readonly ServiceRef[]): Promise<ServiceState[]>;
  /** The full task definition with tags, or undefined when it does not exist (any more). */
  describeTaskDefinition(arn: string): Promise<TaskDefinitionDocument | undefined>;
}

/** One container of a service revision: its image as written and the digest ECS resolved it to. */
export interface RunningImage {
  container: string;
  image: string;
  /** absent when ECS did not resolve it (version consistency turned off for the container) */
  digest?: string;
}

/** A service revision: the task definition a service deployment set out to run, and its digests. */
export interface ServiceRevisionState {
  arn: string;
  taskDefinitionArn: string;
  images: RunningImage[];
}

/** ECS service revisions (DescribeServiceRevisions): what a deployment really ran. */
export interface ServiceRevisionReader {
  /** The revisions of these ARNs (at most 20); unknown ones are left out. */
  describeServiceRevisions(arns: readonly string[]): Promise<ServiceRevisionState[]>;
}

/** ECS reads and pointing a service at a revision (rollback). */
export interface ServiceUpdater extends ServiceReader {
  /**
   * Points a service at a task-definition revision.
   *
   * @returns the id of the deployment ECS started for it (`ecs-svc/...`), when ECS reports one
   */
  updateService(ref: ServiceRef, taskDefinitionArn: string): Promise<string | undefined>;
}

/** ECS reads and the changes deploy on push makes. */
export interface ContainerPlatform extends ServiceUpdater {
  /**
   * Registers a revision and returns its ARN. Not idempotent: a call whose answer was lost may have
   * registered it (look with {@link findRevision} before registering again).
   */
  registerTaskDefinition(doc: TaskDefinitionDocument): Promise<string>;
  /**
   * The newest revision of `family` registered at or after `registeredSince` that carries every one of
   * `tags`: a revision registered by a call whose answer was lost. Looks at the family's latest
   * revisions only (newest first, stopping at one registered before `registeredSince`).
   *
   * @returns its ARN, or undefined when there is none
   */
  findRevision(
    family: string,
    tags: readonly { key: string; value: string }[],
    registeredSince: string,
  ): Promise<string | undefined>;
}

/** Stopping a deployment with ECS's own rollback. */
export interface DeploymentControl {
  /**
   * Stops the service's in-progress deployment of `taskDefinitionArn` with stop type ROLLBACK.
   *
   * @returns false when ECS has no such deployment in progress or does not support stopping it
   */
  stopDeploymentWithRollback(ref: ServiceRef, taskDefinitionArn: string): Promise<boolean>;
}

/** Walks the account's ECS clusters and services (periodic reconcile). */
export interface ServiceInventory {
  /** Every cluster ARN in the account and region. */
  listClusters(): Promise<string[]>;
  /** Every service ARN in a cluster. */
  listServices(clusterArn: string): Promise<string[]>;
  /**
   * One page of a cluster's service ARNs (ListServices, 100 at a time) from `nextToken` (the first
   * page without it); a deleted cluster has none. The page's `nextToken` is absent on the last page.
   */
  listServicePage(clusterArn: string, nextToken?: string): Promise<ServicePage>;
}

/** One page of ListServices. */
export interface ServicePage {
  serviceArns: string[];
  nextToken?: string;
}

/** ECR operations the system needs. */
export interface ImageRegistry {
  /** The tags currently pointing at a digest (empty when the image is gone). */
  tagsOfDigest(repository: { registryId: string; repositoryName: string }, digest: string): Promise<string[]>;
  /**
   * The digest a tag points at now (ECR moves a tag to the newest push of it).
   *
   * @returns undefined when the tag (or its repository) no longer exists
   */
  digestOfTag(
    repository: { registryId: string; repositoryName: string },
    tag: string,
  ): Promise<string | undefined>;
  /**
   * One image of a repository, by tag (the image it points at now) or by digest: what `autopilot
   * explain` plans a push of.
   *
   * @returns undefined when there is no such image (or repository)
   */
  describeImage(
    repository: { registryId: string; repositoryName: string },
    image: { tag: string } | { digest: string },
  ): Promise<ImageDescription | undefined>;
}

/**
 * Every tagged image of a repository, read page by page: what `autopilot sync` chooses the newest
 * image a service accepts from. No function reads it (a push names its image), so no function's role
 * grants more for it.
 */
export interface ImageCatalog {
  /**
   * The tagged images of a repository, at most `limit` of them (DescribeImages, 1,000 a page).
   *
   * @returns the images read (none when the repository does not exist), and `more` when the
   *   repository holds more than `limit`: then not every image was read
   */
  taggedImages(
    repository: { registryId: string; repositoryName: string },
    limit: number,
  ): Promise<{ images: ImageDescription[]; more: boolean }>;
}

/** An image as ECR describes it. */
export interface ImageDescription {
  digest: string;
  /** the tags pointing at it now (none: untagged) */
  tags: string[];
  /** when it was pushed (ISO 8601), when ECR says */
  pushedAt?: string;
}

/** One service that uses a repository, as kept in the repository index. */
export interface IndexedService {
  serviceArn: string;
  clusterArn: string;
  serviceName: string;
}

/** A deployment autopilot started, as recorded for rollback and audit. */
export interface DeploymentRecord {
  serviceArn: string;
  cluster: string;
  service: string;
  fromTaskDefinition: string;
  toTaskDefinition: string;
  repository: string;
  tag: string;
  digest: string;
  startedAt: string;
  triggeredBy: string;
  state: 'STARTED';
  /** ECS's id of the deployment UpdateService started, so the rollback watcher knows it at once */
  deploymentId?: string;
}

/**
 * How far deploy on push got with one service, digest and source revision (a {@link DeployIntent}):
 * `registering` (RegisterTaskDefinition may have been called), `registered` (the revision is known),
 * `updating` (UpdateService may have been called), `announced` (recorded and published: done).
 */
export type DeployIntentState = 'registering' | 'registered' | 'updating' | 'announced';

/**
 * What deploy on push is doing to a service, recorded before each call that is not idempotent, so a
 * retry reuses the revision it registered and records and announces an update it made: one per
 * service, pushed digest and source revision.
 */
export interface DeployIntent {
  serviceArn: string;
  digest: string;
  /** the revision the new one is copied from */
  fromTaskDefinition: string;
  /** the event of the push that carries it out (a retry of that event finishes it) */
  triggeredBy: string;
  state: DeployIntentState;
  /** when it was begun: a revision registered for it is not older */
  at: string;
  /** the revision registered for it, once known */
  toTaskDefinition?: string;
  /** when UpdateService was called (the deployment record's start) */
  startedAt?: string;
  /** why the service was updated: what `Deployment Started` says, also when a retry announces it */
  reason?: string;
}

/** A push remembered until it may be deployed (cooldown or deploy window). */
export interface PendingPush {
  serviceArn: string;
  cluster: string;
  service: string;
  push: PushedImageRecord;
  dueAt: string;
  reason: string;
  /**
   * its deferral was announced (`Deployment Scheduled`, for this `dueAt`): a retry of the push that
   * finds it so announces nothing again; saving the push again drops the mark
   */
  announced?: boolean;
}

/** The serialisable form of a pushed image. */
export interface PushedImageRecord {
  eventId: string;
  accountId: string;
  region: string;
  repositoryName: string;
  digest: string;
  tag: string;
  pushedAt: string;
  /**
   * where a push ECR did not announce comes from (`autopilot sync by alice`, `replicated by ECR from
   * us-east-1`)
   */
  origin?: string;
}

/** The newest push deployed to a service from one repository (ordering of racing pushes). */
export interface PushWatermark {
  pushedAt: string;
  digest: string;
  tag: string;
}

/**
 * A configuration problem of a service tag that was announced (`Configuration Problem`), remembered
 * so that it is announced once: a problem is its service, tag and value.
 */
export interface AnnouncedProblem {
  serviceArn: string;
  cluster: string;
  service: string;
  tagKey: string;
  tagValue: string;
  /** what was announced as wrong */
  problem: string;
  /** id of the event whose run announced it */
  triggeredBy: string;
  /**
   * id of the event whose run is announcing that it was resolved: claimed before PutEvents, the
   * problem is forgotten after it, so a run stopped in between leaves its retry the resolution to
   * announce
   */
  resolvedBy?: string;
}

/** What autopilot knows about one ECS deployment of a service (recorded from its state changes). */
export interface KnownDeployment {
  deploymentId: string;
  taskDefinitionArn: string;
  /** IN_PROGRESS, COMPLETED or FAILED */
  state: string;
  startedAt?: string;
  completedAt?: string;
  /** when the bake time after completion ends */
  bakeUntil?: string;
  /** started by a rollback (autopilot's or ECS's own) */
  isRollback: boolean;
  /** already judged unhealthy (a later signal changes nothing) */
  unhealthy?: boolean;
  /** the event whose signal marked it unhealthy: a retry of that event goes on with what it decided */
  unhealthyBy?: string;
  /** what that signal led to was announced: the same event again is a duplicate, not a retry */
  unhealthyAnnounced?: boolean;
}

/** The last revision of a service that completed and baked without an unhealthy signal. */
export interface LastKnownGood {
  taskDefinitionArn: string;
  deploymentId: string;
  at: string;
  /**
   * What the revision really ran when it became known good: its containers with the digests ECS
   * resolved their images to (the service revision's `containerImages`). A rollback to a revision
   * that names tags runs a copy pinned to these digests. Absent when ECS did not say.
   */
  images?: RunningImage[];
}

/** A quarantined image: never deployed again until released. */
export interface QuarantinedImage {
  repositoryKey: string;
  repository: string;
  digest: string;
  reason: string;
  at: string;
  service?: string;
  /** the event whose rollback quarantined it: a retry of that event announces it again */
  triggeredBy?: string;
}

/** A deployment autopilot started with UpdateService. */
export interface StartedDeployment {
  deploymentId: string;
  taskDefinitionArn: string;
  startedAt: string;
  isRollback: boolean;
}

// The state autopilot keeps (one DynamoDB table in AWS), one port per aggregate. Every write is one
// method; a conditional write says what it did (true: done; false: its condition kept it from being
// done), so an applier can carry out effects one by one and report each.

/** A rollback autopilot made (or a person made through it), as remembered for the cooldown. */
export interface RollbackRecord {
  at: string;
  from: string;
  /** the revision rolled back to: a pinned copy once one is registered ({@link RollbackHistory.pinRollback}) */
  to: string;
  reason: string;
  /** the event that triggered it: a retry of that event goes on with this rollback */
  triggeredBy?: string;
  /** the unhealthy deployment it rolls back (`ecs-svc/…`), and how: what a retry goes on with */
  deploymentId?: string;
  method?: 'stop-deployment' | 'update-service';
  /** the revision `to` is a copy of, pinned to the digests it ran when it was known good */
  pinnedFrom?: string;
  /**
   * its `Deployment Rolled Back` went out ({@link RollbackHistory.markRollbackAnnounced}): a person's
   * rollback not marked is the intent a rerun of the same command goes on with
   */
  announced?: boolean;
}

/** A task of a service that crashed, counted against its revision (crash loops). */
export interface CrashedTask {
  serviceArn: string;
  taskDefinitionArn: string;
  taskArn: string;
  /** when it stopped */
  at: string;
}

/** A bake timer: the deployment becomes known good once it is due. */
export interface BakeTimer {
  serviceArn: string;
  deploymentId: string;
}

/**
 * The index: which services use a repository (deploy on push reads it) and which services listed an
 * alarm (rollback reads it). Both are kept current by the indexer; entries not renewed for 7 days
 * expire. Lists are in no particular order.
 */
export interface ServiceIndex {
  /** The services indexed under a repository (`<account>:<region>:<name>`). */
  servicesForRepository(repositoryKey: string): Promise<IndexedService[]>;
  /** Indexes a service under exactly these repositories: the ones it no longer uses are dropped. */
  indexRepositories(service: IndexedService, repositoryKeys: readonly string[]): Promise<void>;
  /** Removes a service from the repository index (its alarms stay: rollback may watch it still). */
  unindexRepositories(serviceArn: string): Promise<void>;
  /** The services that listed an alarm (tag autopilot:alarms or the policy file). */
  servicesForAlarm(alarmName: string): Promise<IndexedService[]>;
  /** Indexes a service under exactly these alarms: the ones it no longer lists are dropped. */
  indexAlarms(service: IndexedService, alarmNames: readonly string[]): Promise<void>;
}

/**
 * What the reconcile remembers of a service it indexed: the inputs of its indexing decision, so a
 * later sweep that finds them unchanged does nothing more for it.
 */
export interface IndexedFingerprint {
  serviceArn: string;
  /** the inputs of the decision (`indexFingerprint`): equal inputs, equal text */
  fingerprint: string;
  /** the revision indexed, and its repositories when it was indexed under them (revisions never change) */
  taskDefinitionArn: string;
  repositories?: string[];
  /** when it was indexed: the reconcile indexes it again before the index's TTL runs out */
  indexedAt: string;
}

/** Where a sweep of the reconcile goes on: the page of ListServices to read next. */
export interface SweepCursor {
  /** the cluster to go on with (the first in ARN order at or after it; '' for the first of all) */
  clusterArn: string;
  nextToken?: string;
}

/** The reconcile's sweep over every cluster and service: the one in progress, or the last one. */
export interface ReconcileSweep {
  /** the event whose run started it */
  sweepId: string;
  startedAt: string;
  /** where it goes on; absent when it finished (or none ever started) */
  cursor?: SweepCursor;
  finishedAt?: string;
}

/**
 * The reconcile's own state: per cluster what it remembers of the services it indexed (`CLUSTER#`),
 * and its sweep with a checkpoint, held by one run at a time (a lease that runs out).
 */
export interface IndexSweep {
  /** What is remembered of a cluster's services, in no particular order. */
  fingerprintsOf(clusterArn: string): Promise<IndexedFingerprint[]>;
  /** Remembers (or replaces) what a service was indexed from. */
  rememberFingerprint(clusterArn: string, fingerprint: IndexedFingerprint): Promise<void>;
  /** Forgets a service that is gone. */
  forgetFingerprint(clusterArn: string, serviceArn: string): Promise<void>;
  /** The sweep as it stands, without claiming it (a dry run). */
  currentSweep(): Promise<ReconcileSweep | undefined>;
  /**
   * Claims the sweep for `owner` until `until` (ISO): granted when no run holds it, its holder's time
   * ran out before `now`, or `owner` holds it (a retry of the same event).
   *
   * @returns the sweep as it stands (`sweep` absent when none ever started), or undefined when
   *   another run holds it
   */
  claimSweep(owner: string, now: string, until: string): Promise<{ sweep?: ReconcileSweep } | undefined>;
  /** Saves the sweep (started, moved on, finished) while `owner` holds it; false when it does not. */
  saveSweep(owner: string, sweep: ReconcileSweep): Promise<boolean>;
  /** Lets the sweep go; false when `owner` no longer held it. */
  releaseSweep(owner: string): Promise<boolean>;
}

/** The configuration problems announced (`Configuration Problem`) and not resolved since. */
export interface ConfigurationProblems {
  /** The problems announced for a service, in no particular order. */
  announcedProblems(serviceArn: string): Promise<AnnouncedProblem[]>;
  /**
   * The problems announced for the services of a cluster, in no particular order (one query for a
   * page of the reconcile). Services with an ARN of the old format, which names no cluster, are not
   * among them.
   */
  announcedProblemsOfCluster(clusterArn: string): Promise<AnnouncedProblem[]>;
  /**
   * Remembers a problem as announced. True when it is news: nothing is remembered for the service's
   * tag, or another value, or the same one announced by this very event (`triggeredBy`: a retry,
   * whose announcement may not have gone out), or one whose resolution is being announced (it came
   * back). False when another event announced it already; its wording is then updated and it is kept
   * from expiring, since it is still there.
   */
  rememberProblem(problem: AnnouncedProblem): Promise<boolean>;
  /**
   * Claims the announcement of a problem's resolution for the event `triggeredBy` (`resolvedBy`), so
   * that of two concurrent runs one announces it. True when the problem is remembered and no other
   * event claimed its resolution (none did, or this very one: a retry, whose announcement may not
   * have gone out); false when it is gone or another event claimed it.
   */
  resolveProblem(serviceArn: string, tagKey: string, triggeredBy: string): Promise<boolean>;
  /**
   * Forgets the announced problem of a service's tag; false when none was remembered (any more). With
   * `resolvedBy`, only while that event's claim on its resolution stands (the problem did not come
   * back meanwhile).
   */
  forgetProblem(serviceArn: string, tagKey: string, resolvedBy?: string): Promise<boolean>;
}

/**
 * The deployments of a service: those autopilot started (deploy on push), every ECS deployment as
 * its state changes reported it (rollback), whether it was judged unhealthy, and the tasks of a
 * revision that crashed.
 */
export interface DeploymentHistory {
  /** Records a deployment autopilot started (replacing the record of the same start and event). */
  recordDeployment(record: DeploymentRecord): Promise<void>;
  /** The deployment of a service that the event `eventId` started, if among its 20 latest. */
  deploymentTriggeredBy(serviceArn: string, eventId: string): Promise<DeploymentRecord | undefined>;
  /** The latest `limit` deployments autopilot started on a service, newest first: `autopilot status`. */
  recentDeployments(serviceArn: string, limit: number): Promise<DeploymentRecord[]>;
  /**
   * Remembers an ECS deployment autopilot itself started with UpdateService, without overwriting what
   * the deployment's own state changes recorded (they may arrive first); only `isRollback` is forced
   * for a rollback.
   */
  noteDeploymentStarted(serviceArn: string, started: StartedDeployment): Promise<void>;
  /** An ECS deployment as recorded (noted, state changes, unhealthy mark), or undefined. */
  getDeployment(serviceArn: string, deploymentId: string): Promise<KnownDeployment | undefined>;
  /**
   * Records an ECS deployment's state, field by field; `unhealthy` is never written here (only
   * {@link markUnhealthy} does), so a mark made concurrently survives.
   *
   * @returns false when a newer state change (`updatedAt`) is recorded already: out-of-order events
   *   never move a deployment backwards
   */
  recordDeploymentState(serviceArn: string, deployment: KnownDeployment, updatedAt: string): Promise<boolean>;
  /**
   * Marks a deployment unhealthy, by the event `by` whose signal acts on it (the intent, recorded
   * before acting); false when another signal marked it already (a concurrent or duplicate signal).
   * True again for the same event, so a retry of an event that failed after marking goes on.
   */
  markUnhealthy(serviceArn: string, deploymentId: string, by: string): Promise<boolean>;
  /**
   * Records that what the signal of event `by` led to was announced, so that event delivered again is
   * a duplicate (already handled) rather than a retry that goes on.
   *
   * @returns false when the deployment is not marked by that event
   */
  markAnnounced(serviceArn: string, deploymentId: string, by: string): Promise<boolean>;
  /**
   * Records a crashed task of a revision (a task counts once, however often its event comes).
   *
   * @returns how many distinct tasks of the service's revision crashed at or after `since`
   */
  recordCrash(crash: CrashedTask, since: string): Promise<number>;
  /**
   * The distinct tasks of a service's revision that crashed at or after `since` (the read
   * {@link recordCrash} counts with), so a decision can count a crash before it is recorded.
   *
   * @returns their task ARNs, in no particular order
   */
  crashedTasks(serviceArn: string, taskDefinitionArn: string, since: string): Promise<string[]>;
  /** The deploy intents of a service for a pushed digest (one per source revision), in no particular order. */
  deployIntents(serviceArn: string, digest: string): Promise<DeployIntent[]>;
  /**
   * Saves a deploy intent (its service, digest and source revision name it) if the one stored is still
   * the one read: `expected` its owner and state, or undefined for none stored.
   *
   * @returns false when another invocation changed it since it was read (nothing written)
   */
  saveDeployIntent(
    intent: DeployIntent,
    expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined,
  ): Promise<boolean>;
  /**
   * Marks the intent of a deployment announced once its events are published: only an `updating`
   * intent of `triggeredBy`.
   *
   * @returns false when there is no such intent (announced already, or taken over)
   */
  markIntentAnnounced(
    serviceArn: string,
    digest: string,
    fromTaskDefinition: string,
    triggeredBy: string,
  ): Promise<boolean>;
  /**
   * Marks the intents of several deployments announced, each as {@link markIntentAnnounced} does (the
   * deployments one push published: one call for up to 100 in DynamoDB, each keeping its condition).
   *
   * @returns for each mark, in order, whether it was marked
   */
  markIntentsAnnounced(marks: readonly IntentMark[]): Promise<boolean[]>;
}

/** An intent to mark announced: its key and the event that must own it. */
export interface IntentMark {
  serviceArn: string;
  digest: string;
  fromTaskDefinition: string;
  triggeredBy: string;
}

/** Per service, where a rollback goes (the last known good revision) and when the last one was. */
export interface RollbackHistory {
  /** The last revision that completed and baked without an unhealthy signal. */
  lastKnownGood(serviceArn: string): Promise<LastKnownGood | undefined>;
  /**
   * Sets the last known good revision; false when a newer one (`at`) is kept: never backwards. A
   * record of the same deployment without digests (the indexer's) is completed by one with them.
   */
  setLastKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean>;
  /**
   * Sets the first known good revision of a service (the indexer's, from what ECS shows steady):
   * false when the service has one, whatever its time, so it never replaces a bake's (which knows
   * the digests) that landed between the indexer's read and its write.
   */
  setFirstKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean>;
  /** When autopilot last rolled the service back, from and to what, and which event did. */
  lastRollback(serviceArn: string): Promise<RollbackRecord | undefined>;
  /**
   * Claims the service's rollback slot; false when the last rollback is within `cooldownMs` before
   * `rollback.at` (the cooldown ends at `at + cooldownMs` inclusive, as in decideRollback), unless
   * the same event (`triggeredBy`) claimed it: a retry of that event claims its own slot again.
   */
  claimRollback(serviceArn: string, rollback: RollbackRecord, cooldownMs: number): Promise<boolean>;
  /**
   * Records that the rollback the event `triggeredBy` claimed goes to `pinned`, a copy of its target
   * pinned to digests (`to` becomes `pinned`, `pinnedFrom` the revision it copies), so a retry reuses
   * the copy instead of registering another.
   *
   * @returns false when the last rollback is not that event's (nothing written)
   */
  pinRollback(serviceArn: string, triggeredBy: string, pinned: string): Promise<boolean>;
  /**
   * Marks the rollback claimed by `triggeredBy` at `at` announced (after PutEvents): a rerun of the
   * same `autopilot rollback` then finds it done, not an intent to go on with.
   *
   * @returns false when the last rollback is another (nothing written)
   */
  markRollbackAnnounced(serviceArn: string, triggeredBy: string, at: string): Promise<boolean>;
}

/** Completed deployments waiting for their bake time to end (bake-timer promotes them). */
export interface BakeSchedule {
  /** Schedules (or moves) the bake timer of a completed deployment. */
  scheduleBake(serviceArn: string, deploymentId: string, dueAt: string): Promise<void>;
  /** The timers due at `now`, in no particular order. */
  listBaked(now: Date): Promise<BakeTimer[]>;
  /** Removes a timer (done, or nothing to do). */
  deleteBake(serviceArn: string, deploymentId: string): Promise<void>;
}

/** Images never deployed again until a person releases them: written by rollback, read by deploy on push. */
export interface Quarantine {
  /**
   * Quarantines a digest; false when it already is (the first reason and time are kept), unless the
   * same event (`triggeredBy`) quarantined it: a retry, whose announcement may not have gone out.
   */
  quarantineImage(image: QuarantinedImage): Promise<boolean>;
  isQuarantined(repositoryKey: string, digest: string): Promise<boolean>;
  /** Every quarantined image, in no particular order. */
  listQuarantined(): Promise<QuarantinedImage[]>;
  /**
   * Releases a digest (a person's decision: `releaseQuarantined` in domain/rollback/); false when it
   * was not quarantined, or another release came first.
   */
  release(repositoryKey: string, digest: string): Promise<boolean>;
}

/**
 * The writes that close a deployment under its lease, carried out with the release as one call (a
 * transaction) instead of five: the record ({@link DeploymentHistory.recordDeployment}), the ECS
 * deployment noted for the watcher ({@link DeploymentHistory.noteDeploymentStarted}), the watermark
 * moved ({@link ServiceLease.setWatermark}), the deploy intent moved to `updating`. Each keeps its
 * own condition; when one fails (a newer watermark kept, the lease expired and taken over, the intent
 * moved on by another invocation) they are carried out one by one, each with the outcome it has alone.
 */
export interface LeaseClosing {
  record?: DeploymentRecord;
  started?: { serviceArn: string; deployment: StartedDeployment };
  watermark?: { repositoryKey: string; watermark: PushWatermark };
  /**
   * the deploy intent moved on ({@link DeploymentHistory.saveDeployIntent}: over `expected`): the
   * update made, its revision and start, so a retry records it under the same key and announces it
   */
  intent?: { intent: DeployIntent; expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined };
}

/** A lease to give back, with the writes closing the deployment made under it ({@link ServiceLease.releaseLeases}). */
export interface LeaseRelease {
  serviceArn: string;
  owner: string;
  closing?: LeaseClosing;
}

/** How giving one lease back went: `released` as {@link ServiceLease.releaseLease} answers, or what it threw. */
export type LeaseReleased = { released: boolean } | { error: unknown };

/** How taking a lease went ({@link ServiceLease.takeLease}). */
export type LeaseTaking = 'taken' | 'again' | 'held';

/** How taking one of several leases went ({@link ServiceLease.takeLeases}), or what it threw. */
export type LeaseTaken = LeaseTaking | { error: unknown };

/** Deploy on push's hold on a service: a short lease, and the newest push deployed (the watermark). */
export interface ServiceLease {
  /** Takes the lease for `ttlSeconds`; false while another owner holds an unexpired one. */
  acquireLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Takes the lease as {@link acquireLease} does, and tells whether `owner` was the last to take it
   * (held or released since): an earlier attempt of the same event, which may have left work under it.
   *
   * @returns `held` while another owner holds an unexpired one; `again` when `owner` took it last;
   *   `taken` otherwise
   */
  takeLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<LeaseTaking>;
  /**
   * Takes several leases, each as {@link takeLease} does (the same outcomes), in as few calls as it
   * can: a first attempt of a push takes the leases of its services together.
   *
   * @returns each lease's outcome, in order; one that threw is an `error` (the others may be taken)
   */
  takeLeases(serviceArns: readonly string[], owner: string, ttlSeconds: number): Promise<LeaseTaken[]>;
  /**
   * Releases the lease, with the writes that close the deployment made under it (`closing`, written
   * whether or not the lease is still held); false when `owner` does not hold it (it expired and
   * another took it).
   */
  releaseLease(serviceArn: string, owner: string, closing?: LeaseClosing): Promise<boolean>;
  /**
   * Releases several leases, each as {@link releaseLease} does (the same end state), in as few calls
   * as their writes allow: a push that deployed many services closes them together.
   *
   * @returns each release's outcome, in order; one that threw (its lease still given back) is an `error`
   */
  releaseLeases(releases: readonly LeaseRelease[]): Promise<LeaseReleased[]>;
  /** The newest push deployed to the service from a repository. */
  getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined>;
  /** Moves the watermark; false when a newer push (`pushedAt`) is kept: never backwards. */
  setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<boolean>;
}

/** Pushes remembered until they may be deployed (cooldown, deploy window): one per service and repository. */
export interface PendingPushes {
  /**
   * Saves a pending push unless another one for the same service and repository is pending and
   * `isNewer(existing)` says no (optimistic: a concurrent save is compared again).
   *
   * @returns false when the pending push was kept
   */
  savePending(pending: PendingPush, isNewer: (existing: PendingPush) => boolean): Promise<boolean>;
  /** The pushes due at `now`, in no particular order. */
  listDuePending(now: Date): Promise<PendingPush[]>;
  /** The pushes pending for one service (one per repository), due or not: `autopilot status`. */
  pendingOf(serviceArn: string): Promise<PendingPush[]>;
  /** Deletes a pending push; false when it is no longer the one with that event id (a newer push replaced it). */
  deletePending(serviceArn: string, repositoryKey: string, eventId: string): Promise<boolean>;
  /**
   * Marks a pending push announced, once its `Deployment Scheduled` was published; false when it is
   * no longer the one with that event id and due time (a newer push replaced it, or it was
   * rescheduled).
   */
  markPendingAnnounced(
    serviceArn: string,
    repositoryKey: string,
    eventId: string,
    dueAt: string,
  ): Promise<boolean>;
}

/**
 * A push deploy on push skipped for a service, as `autopilot status` shows it: a skip leaves no
 * deployment, no pending push and no announcement, so without it "why did prod/api not deploy?" has
 * no answer.
 */
export interface SkippedPush {
  serviceArn: string;
  /** the image as the push names it */
  repository: string;
  tag: string;
  digest: string;
  /** why it was not deployed, as the decision says */
  reason: string;
  /** the push's event id */
  triggeredBy: string;
  /** when it was decided */
  at: string;
}

/** The last push skipped for each service: one per service, the next skip replacing it. */
export interface SkippedPushes {
  /**
   * Keeps each skip as its service's last, replacing the one kept before (a push skipped for many
   * services is one call for up to 25 in DynamoDB). Best effort: what the table leaves unwritten
   * (throttled) is sent again a few times, then given up.
   *
   * @throws when some skips were not kept (the others were)
   */
  recordSkips(skips: readonly SkippedPush[]): Promise<void>;
  /** The last push skipped for a service, if one was within the last 90 days. */
  lastSkip(serviceArn: string): Promise<SkippedPush | undefined>;
}

/** Publishes autopilot's own events (on EventBridge in AWS). */
export interface EventPublisher {
  publish(events: readonly AutopilotEvent[]): Promise<void>;
}

/** Reads secret values (webhook URLs, tokens) by reference; values are never logged. */
export interface SecretSource {
  get(ref: SecretRef): Promise<string>;
}

/** What a channel answered for a sent message, so later messages of a deployment can thread. */
export interface SentMessage {
  /** Slack: the message's ts (and the channel id it was posted in) */
  ts?: string;
  channelId?: string;
}

/** A deployment's first message in a channel, remembered to thread the next ones under it. */
export interface ThreadRef extends SentMessage {
  /** the first message, updated with the outcome where the channel allows it */
  first: NotificationMessage;
}

/** Delivers a notification to one configured channel, with retries; throws when it cannot. */
export interface ChatSender {
  send(
    name: string,
    channel: ChannelConfig,
    message: NotificationMessage,
    thread?: ThreadRef,
  ): Promise<SentMessage | undefined>;
}

/** A window of similar notifications to one channel (aggregation of storms). */
export interface NotificationWindow {
  channel: string;
  /** what makes notifications similar: event type and cluster */
  groupKey: string;
  windowStart: string;
  windowEnd: string;
  /** how many arrived in the window, the one just admitted included */
  count: number;
  /** a few of the held-back messages' titles */
  examples: string[];
  /**
   * Set once the flush closed the window (absent while it is open). A closed window is remembered so
   * that events arriving after its close (a notifier behind event time in a storm, retries) are held
   * and told in a late summary, never sent one by one.
   */
  closed?: ClosedWindow;
}

/** What a closed window remembers, so that its late events are told once. */
export interface ClosedWindow {
  /** the count its summaries told so far: the count the flush listed when it closed it (or last summarised it) */
  told: number;
  /** the count when it was first closed: events counted after it are late */
  atCount: number;
  /** the count the previous flush saw, while late events were still arriving */
  seen?: number;
  /** a few of the late messages' titles */
  lateExamples: string[];
}

/** A window as an event's admission left it: the count the event was given, and whether it came late. */
export interface AdmittedWindow extends NotificationWindow {
  /** counted after the window was closed: held for the window's late summary, never sent alone */
  late: boolean;
}

/** Aggregation windows and threads in the table. */
export interface NotificationStore {
  /**
   * Counts a notification into a window of the channel for its group (creating the window on the
   * first one) and returns the window with the count after it. Atomic under concurrent callers, and
   * once per event (`eventId`): the same event admitted again (a retry) is not counted again and gets
   * the count it was given the first time, and the same `late`.
   */
  admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
    eventId: string,
  ): Promise<AdmittedWindow>;
  /**
   * Adds the title of a held-back notification to the window's examples (a few distinct ones are
   * kept), or to its late examples (`late`); never recreates a window that expired.
   */
  addExample(
    channel: string,
    groupKey: string,
    windowStart: string,
    example: string,
    options?: { late?: boolean },
  ): Promise<void>;
  /** Windows that ended before `now` with something not yet told: open ones, and closed ones counted since. */
  listEndedWindows(now: Date): Promise<NotificationWindow[]>;
  /**
   * Closes a window as listed (or closes it again after a late summary), remembering that its first
   * `window.count` events were told and, the first time, the count it was closed at; false when it was
   * already closed with that much told (another flush did it).
   */
  closeWindow(window: NotificationWindow): Promise<boolean>;
  /** Remembers the count a flush saw on a closed window whose late events are still arriving. */
  noteLateCount(window: NotificationWindow): Promise<void>;
  getThread(channel: string, threadKey: string): Promise<ThreadRef | undefined>;
  /** Remembers the first message of a thread; false when one is already remembered. */
  saveThread(channel: string, threadKey: string, thread: ThreadRef): Promise<boolean>;
}

/** Parks what could not be delivered (the dead-letter queue). */
export interface UndeliveredSink {
  park(entry: { channel: string; message: NotificationMessage; error: string }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Restarts of standalone tasks (issue 13)

/**
 * What RunTask was asked when a standalone task was started: the restart starts the failed task again
 * with exactly this. Fields are RunTask's (`@aws-sdk/client-ecs` RunTaskRequest), kept as JSON values
 * so the spec is stored as it was captured; `tags` are the task's own (autopilot adds its chain tags).
 */
export interface LaunchSpec {
  cluster: string;
  taskDefinition: string;
  launchType?: string;
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  platformVersion?: string;
  networkConfiguration?: {
    awsvpcConfiguration: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: string };
  };
  overrides?: Record<string, unknown>;
  group?: string;
  startedBy?: string;
  tags?: { key: string; value: string }[];
  propagateTags?: string;
  placementConstraints?: Record<string, unknown>[];
  placementStrategy?: Record<string, unknown>[];
  enableExecuteCommand?: boolean;
  enableECSManagedTags?: boolean;
}

/** Where a launch spec came from: the RunTask record (exact) or the RUNNING event (no awsvpc). */
export type LaunchSpecSource = 'run-task' | 'running';

/** A stopped (or running) task as DescribeTasks shows it, with its tags. */
export interface TaskView {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group?: string;
  startedBy?: string;
  startedAt?: string;
  tags: Record<string, string>;
}

/**
 * How a chain stands: waiting for the stopped task's launch spec (its RunTask record late), waiting
 * for its next attempt, that attempt being started, running, or given up.
 */
export type RestartChainState = 'awaiting-spec' | 'waiting' | 'starting' | 'running' | 'abandoned';

/**
 * How an `awaiting-spec` chain waits for its launch spec: restart-due looks for it every `every`
 * seconds (check `check` is the one queued), until `until`, then gives the chain up.
 */
export interface SpecWait {
  until: string;
  every: number;
  check: number;
  /** the stopped task's tags (DescribeTasks), kept for a spec that comes from its RUNNING event */
  tags?: Record<string, string>;
}

/**
 * A restart chain: a standalone task that failed and the tasks autopilot started in its place. One
 * item per chain; every write is conditional on the `version` read, so attempt n is claimed once.
 */
export interface RestartChain {
  clusterArn: string;
  /** the id of the first task that failed */
  chainId: string;
  spec: LaunchSpec;
  state: RestartChainState;
  /** restarts claimed so far (attempt n is the n-th restart) */
  attempt: number;
  maxAttempts: number;
  /** the task whose stop continues the chain: the last one started (the first one until a restart runs) */
  currentTaskArn: string;
  /** the stopped tasks already decided on (a duplicate STOPPED event finds its task here) */
  handledStops: string[];
  /**
   * the id of the event whose decision the chain holds: that event retried (its earlier run stopped
   * after saving the chain) carries the rest of the decision out instead of finding it decided
   */
  decidedBy?: string;
  /** why the chain's tasks stopped, the latest first (at most 10) */
  lastReasons: string[];
  lastClass: string;
  /** why the chain was given up (abandoned) */
  abandonReason?: string;
  /** the last state announced, `<state>#<attempt>` (`running#2`, `abandoned#5`): set after PutEvents */
  announced?: string;
  /** when the next attempt is due (waiting; awaiting-spec: once the spec is known) */
  nextAttemptAt?: string;
  /**
   * the backoff that attempt was given when it was decided, in seconds: announced with the restart
   * (a chain that waited for its spec, or is started again, keeps it; absent in older chains)
   */
  delaySeconds?: number;
  /** while awaiting-spec: how long and how often the spec is looked for */
  specWait?: SpecWait;
  /** the restart mode, the backoff and the limit the chain was decided with */
  mode: string;
  backoff: { initialSeconds: number; maxSeconds: number; resetAfterSeconds: number };
  updatedAt: string;
  version: number;
}

/** Reads standalone tasks with their tags (DescribeTasks include TAGS): restart-tasks only. */
export interface TaskReader {
  /** the task, or `undefined` once ECS no longer describes it (about an hour after it stopped) */
  describeTask(clusterArn: string, taskArn: string): Promise<TaskView | undefined>;
}

/**
 * A task's elastic network interface as EC2 describes it: where a RUNNING awsvpc task's security
 * groups are, since its event names only the subnet.
 */
export interface NetworkInterfaceView {
  subnetId: string;
  securityGroups: string[];
  /** the interface has a public IPv4 address (the task was started with `assignPublicIp` ENABLED) */
  publicIp: boolean;
}

/**
 * Reads elastic network interfaces (EC2 DescribeNetworkInterfaces): restart-tasks only. An interface
 * deleted, or a call EC2 refuses, answers `unavailable` with the reason, so the spec stays unknown.
 */
export interface NetworkInterfaceReader {
  describeNetworkInterface(
    networkInterfaceId: string,
  ): Promise<{ networkInterface: NetworkInterfaceView } | { unavailable: string }>;
}

/** What RunTask answered: the task started, or ECS's `failures[]` (the attempt failed). */
export type RunTaskResult = { taskArn: string } | { failures: string[] };

/** Starts a task again (RunTask): restart-due only. */
export interface TaskStarter {
  /**
   * RunTask with `spec`, `startedBy` = autopilot and `tags` added to the spec's, idempotent on
   * `clientToken` (at most 64 characters): the same token never starts a second task.
   */
  runTask(
    spec: LaunchSpec,
    options: { clientToken: string; tags: Record<string, string> },
  ): Promise<RunTaskResult>;
}

/**
 * What a restart message asks restart-due: start attempt `attempt` of a chain, or, with `specCheck`,
 * look again for the launch spec of an `awaiting-spec` chain (check number `specCheck`).
 */
export interface RestartMessage {
  clusterArn: string;
  chainId: string;
  attempt: number;
  triggeredBy: string;
  specCheck?: number;
}

/** A restart attempt to carry out after a delay (the restart delay queue, SQS DelaySeconds). */
export interface RestartScheduler {
  schedule(message: RestartMessage, delaySeconds: number): Promise<void>;
}

/** Launch specs captured and the restart chains (`RESTART#<clusterArn>`). */
export interface RestartChains {
  /** the launch spec captured for a task, and where from */
  getSpec(
    clusterArn: string,
    taskArn: string,
  ): Promise<{ spec: LaunchSpec; source: LaunchSpecSource } | undefined>;
  /**
   * Saves a task's launch spec; a `run-task` spec replaces a `running` one, never the reverse.
   * `true` when saved.
   */
  saveSpec(clusterArn: string, taskArn: string, spec: LaunchSpec, source: LaunchSpecSource): Promise<boolean>;
  getChain(clusterArn: string, chainId: string): Promise<RestartChain | undefined>;
  /**
   * Writes the chain when its stored version is `chain.version - 1` (or absent when `chain.version`
   * is 1); `false` when another writer got there first.
   */
  saveChain(chain: RestartChain): Promise<boolean>;
  /** the chains not abandoned, of one cluster or of every cluster */
  liveChains(clusterArn?: string): Promise<RestartChain[]>;
}

// ---------------------------------------------------------------------------------------------------
// Tag policies (issue 14)

/**
 * Where a sweep of the account's tagged resources stands: opaque to the domain, made by the reader
 * that answered the page and given back to it unchanged (a JSON string, so it can be stored or
 * carried in the next invocation's input).
 */
export type TagSweepToken = string;

/** One page of a sweep: the resources read, and where the next page starts (none: the reader is done). */
export interface TaggedResourcePage {
  resources: TagResourceView[];
  next?: TagSweepToken;
}

/**
 * Reads resources with their tags, and their parents' tags for inheritance, as `TagResourceView`s
 * (`recorded` is left out: that is the {@link TagMarkStore}'s). Each AWS service has its own reader
 * (ECS: clusters, services, tasks, active task definition revisions, capacity providers; ECR:
 * repositories), batched where the API batches (DescribeClusters and DescribeTasks 100 a call,
 * DescribeServices 10), so a sweep costs far fewer calls than it reads resources.
 */
export interface TaggedResourceReader {
  /** the resource types this reader reads */
  readonly types: readonly TagResourceType[];
  /** Whether `arn` names a resource of this reader's service (`evaluateOne` picks the reader by it). */
  reads(arn: string): boolean;
  /**
   * One page of the sweep, from `token` (the first page without one). A token AWS no longer takes
   * (expired) restarts the listing it belongs to, never the whole sweep.
   */
  readPage(token?: TagSweepToken): Promise<TaggedResourcePage>;
  /** One resource by ARN (a CloudTrail call touched it), or undefined when it is gone. */
  readResource(arn: string): Promise<TagResourceView | undefined>;
}

/** What a tag write came to: done, or refused by AWS for good (an old-format ARN, a limit), with its words. */
export type TagWriteResult = 'done' | { refused: string };

/**
 * TagResource / UntagResource for ECS and ECR ARNs. A refusal that retrying cannot change (ECS's
 * InvalidParameterException for an old-format ARN, a tag over a limit) is answered, not thrown;
 * throttling is retried by the SDK and anything else thrown.
 */
export interface TagWriter {
  /** Whether this writer writes tags of `arn` (ECS or ECR). */
  writes(arn: string): boolean;
  tagResource(arn: string, tags: Readonly<Record<string, string>>): Promise<TagWriteResult>;
  untagResource(arn: string, keys: readonly string[]): Promise<TagWriteResult>;
}

/** What an enforcement call came to: done, or nothing to act on any more (the task stopped, the service gone). */
export type EnforceResult = 'done' | { gone: string };

/** The actions of `enforce` (ECS): StopTask and UpdateService's desired count. */
export interface TagEnforcer {
  /**
   * StopTask with `reason` (`autopilot: tag policy <rule>`: restart classifies a stop whose reason
   * starts with `autopilot:` as autopilot's own and never restarts it).
   */
  stopTask(cluster: string, taskArn: string, reason: string): Promise<EnforceResult>;
  /** UpdateService's desiredCount only (0 to scale to zero, the remembered count to restore). */
  setDesiredCount(cluster: string, serviceArn: string, desiredCount: number): Promise<EnforceResult>;
}

/** A service autopilot scaled to zero for a rule: the count it had, so restore gives it back. */
export interface ScaledToZero {
  rule: string;
  desiredCount: number;
  /** when it was scaled */
  at: string;
}

/** What the table holds for one resource: marks that did not fit on it, and a scale to zero. */
export interface TagRecord {
  /** rule name -> due date (`YYYY-MM-DDTHH:MMZ`) */
  marks: Record<string, string>;
  scaledToZero?: ScaledToZero;
}

/**
 * Tag policy records in the autopilot table (`TAGMARK` / `<arn>`), one item per resource, kept while
 * they matter and expired after (TTL renewed by every write). Every write is conditional, so two runs
 * never both mark, both scale a service to zero, or lose the desired count one of them remembered.
 */
export interface TagMarkStore {
  /** The records of these resources (read in batches of 100), by ARN; resources with none are left out. */
  recordsOf(arns: readonly string[]): Promise<Map<string, TagRecord>>;
  /** Records a mark for `rule` unless one is recorded already; false when one was (its due date stands). */
  markRecord(arn: string, rule: string, due: string): Promise<boolean>;
  /** Removes the mark for `rule` when it is still due at `due`; false when it was not (gone or made again). */
  clearMarkRecord(arn: string, rule: string, due: string): Promise<boolean>;
  /**
   * Remembers the desired count of a service about to be scaled to zero, unless a scale to zero is
   * remembered already; false when it is (another run scaled it: its count stands).
   */
  recordScaledToZero(arn: string, scaled: ScaledToZero): Promise<boolean>;
  /** Forgets the scale to zero of `rule` (restored, or never made); false when none was remembered for it. */
  clearScaledToZero(arn: string, rule: string): Promise<boolean>;
}

// Tag policy sweep ------------------------------------------------------------------------------

/** A row of a sweep's running counts: per rule and resource type, as `Tag Policy Summary` carries it. */
export interface TagSweepRow {
  rule: string;
  resourceType: TagResourceType;
  compliant: number;
  violating: number;
  exempt: number;
  skipped: number;
  remediated: number;
  enforced: number;
  restored: number;
}

/**
 * The scheduled tag policy sweep: the one in progress (with where it goes on and what it counted so
 * far, so the summary published at its end counts the whole sweep), or the last one.
 */
export interface TagSweepCheckpoint {
  /** the event whose run started it */
  sweepId: string;
  startedAt: string;
  /** where it goes on: a reader (an index into the sweep's readers) and its token; absent when finished */
  cursor?: { reader: number; token?: TagSweepToken };
  finishedAt?: string;
  /** resources read so far */
  resourcesSeen: number;
  /** counts so far, per rule and resource type */
  rows: TagSweepRow[];
  /** the first page the run cap held, if any: its changes and the cap */
  overCap?: { changes: number; max: number };
  /** a dry run's sweep (it changed nothing); a real run does not continue it, nor a dry run a real one's */
  dryRun?: boolean;
}

/**
 * The tag policy sweep's checkpoint, held by one run at a time (a lease that runs out), as
 * {@link IndexSweep} holds the reconcile's.
 */
export interface TagSweepStore {
  /** The sweep as it stands, without claiming it (a dry run). */
  currentSweep(): Promise<TagSweepCheckpoint | undefined>;
  /**
   * Claims the sweep for `owner` until `until` (ISO): granted when no run holds it, its holder's time
   * ran out before `now`, or `owner` holds it (a retry of the same event).
   *
   * @returns the sweep as it stands (`sweep` absent when none ever started), or undefined when
   *   another run holds it
   */
  claimSweep(owner: string, now: string, until: string): Promise<{ sweep?: TagSweepCheckpoint } | undefined>;
  /** Saves the sweep (started, moved on, finished) while `owner` holds it; false when it does not. */
  saveSweep(owner: string, sweep: TagSweepCheckpoint): Promise<boolean>;
  /** Lets the sweep go; false when `owner` no longer held it. */
  releaseSweep(owner: string): Promise<boolean>;
}

// Pauses ----------------------------------------------------------------------------------------

/**
 * A pause of deploy on push (`autopilot pause`): of every service (`all`, a freeze), of a cluster
 * (`cluster:<name>`) or of one service (`service:<cluster>/<name>`), until a time. Paused services are
 * planned but not changed: a push one would deploy waits for the pause's end (a pending push, due
 * then, or at `autopilot resume`); `notifyOnly` changes nothing ever and tells what would have been
 * deployed (Watchtower's monitor-only).
 */
export interface Pause {
  scope: string;
  /** when it ends (ISO): a pause always ends, 30 days at most */
  until: string;
  /** who paused (the operator's AWS identity, or the name given) */
  by: string;
  reason?: string;
  /** when it was made (ISO) */
  at: string;
  notifyOnly: boolean;
}

/** The pauses in the autopilot table (`PAUSE` / `<scope>`), one per scope, removed by their TTL after they end. */
export interface PauseStore {
  /** Every pause in force at `now` (ended ones are left out). */
  activePauses(now: Date): Promise<Pause[]>;
  /** Makes a pause, replacing one of the same scope. */
  pause(pause: Pause): Promise<void>;
  /** Ends the pause of `scope` now; the pause it ended, or undefined when there was none. */
  resume(scope: string): Promise<Pause | undefined>;
}

// ServiceHistory --------------------------------------------------------------------------------

/**
 * One thing autopilot said about a service (an autopilot event, as the notifier handled it): what
 * happened, why, which event caused it, and which channels were told. `autopilot history` lists them.
 */
export interface HistoryEntry {
  cluster: string;
  service: string;
  /** the event's time (ISO) */
  at: string;
  /** the autopilot event's id */
  eventId: string;
  detailType: string;
  /** the event in one line, as chat titles it */
  title: string;
  reason?: string;
  /** the id of the event (push, alarm, person's command) that caused it */
  triggeredBy?: string;
  /** each channel routed to, and what it did: `platform-slack: sent`, `sre: held` */
  told: string[];
  dryRun: boolean;
}

/** The history of services in the autopilot table (`HIST#<cluster>/<service>` / `<at>#<eventId>`), kept 90 days. */
export interface ServiceHistory {
  /** Records an entry; the same event recorded again replaces it (a retry). */
  record(entry: HistoryEntry): Promise<void>;
  /** A service's latest entries, newest first, at most `limit`. */
  recent(cluster: string, service: string, limit: number): Promise<HistoryEntry[]>;
}

// RevertLog -------------------------------------------------------------------------------------

/** A revert of a service by another principal, as autopilot saw it (CloudTrail UpdateService). */
export interface RevertRecord {
  /** the CloudTrail event */
  eventId: string;
  /** when the call was made (ISO) */
  at: string;
  by: string;
  revertedTo: string;
}

/**
 * The reverts of each service (`SVC#<arn>` / `REVERT#<at>#<eventId>`, kept 30 days): how many came
 * within a window decides whether autopilot deploys its image again or pauses the service.
 */
export interface RevertLog {
  /** Records a revert; the same event recorded again writes the same item. */
  recordRevert(serviceArn: string, revert: RevertRecord): Promise<void>;
  /** The service's reverts made at or after `since` (ISO), oldest first. */
  revertsSince(serviceArn: string, since: string): Promise<RevertRecord[]>;
}
