/**
 * The state ports in memory, one fake per port, with the semantics of their DynamoDB adapters: each
 * runs the same contract suite as its adapter (`test/contract/state/`), so what passes on a fake
 * passes on the table. Every write is recorded, with its outcome, in a log the fakes of one world
 * share (`anInMemoryWorld().writes`), so a test can assert the order of effects across ports, or that
 * a run (a dry run) wrote nothing. Seeding (`seed…`) is not recorded.
 */
import type {
  AnnouncedProblem,
  BakeSchedule,
  BakeTimer,
  ConfigurationProblems,
  CrashedTask,
  DeployIntent,
  DeploymentHistory,
  DeploymentRecord,
  HistoryEntry,
  IndexedFingerprint,
  IndexedService,
  IndexSweep,
  IntentMark,
  KnownDeployment,
  LastKnownGood,
  LeaseClosing,
  LeaseRelease,
  LeaseReleased,
  LeaseTaken,
  LeaseTaking,
  Pause,
  PauseStore,
  PendingPush,
  PendingPushes,
  PushWatermark,
  Quarantine,
  QuarantinedImage,
  ReconcileSweep,
  RevertLog,
  RevertRecord,
  RollbackHistory,
  RollbackRecord,
  ServiceHistory,
  ServiceIndex,
  ServiceLease,
  SkippedPush,
  SkippedPushes,
  StartedDeployment,
} from '../../shared/ports';

/** A write to a state port, with what it did. */
export type StateWrite =
  | { op: 'pause'; pause: Pause }
  | { op: 'resume'; scope: string }
  | { op: 'indexRepositories'; serviceArn: string; repositoryKeys: string[] }
  | { op: 'unindexRepositories'; serviceArn: string }
  | { op: 'indexAlarms'; serviceArn: string; alarmNames: string[] }
  | { op: 'rememberFingerprint'; clusterArn: string; fingerprint: IndexedFingerprint }
  | { op: 'forgetFingerprint'; clusterArn: string; serviceArn: string }
  | { op: 'claimSweep'; owner: string; until: string; claimed: boolean }
  | { op: 'saveSweep'; owner: string; sweep: ReconcileSweep; saved: boolean }
  | { op: 'releaseSweep'; owner: string; released: boolean }
  | { op: 'rememberProblem'; problem: AnnouncedProblem; news: boolean }
  | { op: 'resolveProblem'; serviceArn: string; tagKey: string; triggeredBy: string; claimed: boolean }
  | { op: 'forgetProblem'; serviceArn: string; tagKey: string; forgotten: boolean }
  | { op: 'recordDeployment'; record: DeploymentRecord }
  | { op: 'noteDeploymentStarted'; serviceArn: string; started: StartedDeployment }
  | {
      op: 'recordDeploymentState';
      serviceArn: string;
      deployment: KnownDeployment;
      updatedAt: string;
      saved: boolean;
    }
  | { op: 'markUnhealthy'; serviceArn: string; deploymentId: string; marked: boolean }
  | { op: 'markAnnounced'; serviceArn: string; deploymentId: string; marked: boolean }
  | { op: 'recordCrash'; crash: CrashedTask }
  | { op: 'saveDeployIntent'; intent: DeployIntent; saved: boolean }
  | {
      op: 'markIntentAnnounced';
      serviceArn: string;
      digest: string;
      fromTaskDefinition: string;
      triggeredBy: string;
      marked: boolean;
    }
  | { op: 'setLastKnownGood'; serviceArn: string; good: LastKnownGood; saved: boolean }
  | {
      op: 'claimRollback';
      serviceArn: string;
      rollback: RollbackRecord;
      cooldownMs: number;
      claimed: boolean;
    }
  | { op: 'pinRollback'; serviceArn: string; triggeredBy: string; pinned: string; saved: boolean }
  | { op: 'markRollbackAnnounced'; serviceArn: string; triggeredBy: string; at: string; marked: boolean }
  | { op: 'scheduleBake'; serviceArn: string; deploymentId: string; dueAt: string }
  | { op: 'deleteBake'; serviceArn: string; deploymentId: string }
  | { op: 'quarantineImage'; image: QuarantinedImage; added: boolean }
  | { op: 'release'; repositoryKey: string; digest: string; released: boolean }
  | { op: 'acquireLease'; serviceArn: string; owner: string; acquired: boolean }
  | { op: 'releaseLease'; serviceArn: string; owner: string; released: boolean }
  | {
      op: 'setWatermark';
      serviceArn: string;
      repositoryKey: string;
      watermark: PushWatermark;
      moved: boolean;
    }
  | { op: 'savePending'; pending: PendingPush; saved: boolean }
  | { op: 'recordSkips'; skips: SkippedPush[] }
  | { op: 'deletePending'; serviceArn: string; repositoryKey: string; eventId: string; deleted: boolean }
  | {
      op: 'markPendingAnnounced';
      serviceArn: string;
      repositoryKey: string;
      eventId: string;
      dueAt: string;
      marked: boolean;
    };

/** What every state fake takes: the write log to record into (its own by default) and a clock. */
export interface StateFakeOptions {
  writes?: StateWrite[];
  now?: () => Date;
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
const clone = <T>(value: T): T => structuredClone(value);

/** The base of the state fakes: the write log and the clock. */
abstract class StateFake {
  /** Every write, in order, with its outcome (shared by the fakes of one world). */
  readonly writes: StateWrite[];
  protected readonly now: () => Date;

  constructor(options: StateFakeOptions = {}) {
    this.writes = options.writes ?? [];
    this.now = options.now ?? (() => new Date());
  }

  protected record(write: StateWrite): void {
    this.writes.push(clone(write));
  }
}

/**
 * One reverse index (names to services, and per service the names), as reverse-index.ts keeps it
 * in the table: the repository index and the alarm index are two of these.
 */
class ReverseIndexInMemory {
  private readonly entries = new Map<string, Map<string, IndexedService>>();
  private readonly names = new Map<string, string[]>();

  lookup(name: string): IndexedService[] {
    return [...(this.entries.get(name)?.values() ?? [])].map((s) => ({ ...s }));
  }

  namesOf(serviceArn: string): string[] {
    return [...(this.names.get(serviceArn) ?? [])];
  }

  replace(service: IndexedService, names: readonly string[]): void {
    this.drop(service.serviceArn);
    for (const name of names) {
      const services = this.entries.get(name) ?? new Map<string, IndexedService>();
      services.set(service.serviceArn, { ...service });
      this.entries.set(name, services);
    }
    this.names.set(service.serviceArn, [...names]);
  }

  remove(serviceArn: string): void {
    this.drop(serviceArn);
    this.names.delete(serviceArn);
  }

  private drop(serviceArn: string): void {
    for (const name of this.names.get(serviceArn) ?? []) {
      const services = this.entries.get(name);
      services?.delete(serviceArn);
      if (services?.size === 0) this.entries.delete(name);
    }
  }
}

/** {@link ServiceIndex} in memory. */
export class InMemoryServiceIndex extends StateFake implements ServiceIndex {
  private readonly repositories = new ReverseIndexInMemory();
  private readonly alarms = new ReverseIndexInMemory();

  /** Indexes a service under repositories (test setup). */
  seedRepositories(service: IndexedService, repositoryKeys: readonly string[]): this {
    this.repositories.replace(service, repositoryKeys);
    return this;
  }

  /** The repository keys a service is indexed under. */
  repositoriesOf(serviceArn: string): string[] {
    return this.repositories.namesOf(serviceArn);
  }

  /** The alarms a service is indexed under. */
  alarmsOf(serviceArn: string): string[] {
    return this.alarms.namesOf(serviceArn);
  }

  async servicesForRepository(repositoryKey: string): Promise<IndexedService[]> {
    return this.repositories.lookup(repositoryKey);
  }

  async indexRepositories(service: IndexedService, repositoryKeys: readonly string[]): Promise<void> {
    this.repositories.replace(service, repositoryKeys);
    this.record({
      op: 'indexRepositories',
      serviceArn: service.serviceArn,
      repositoryKeys: [...repositoryKeys],
    });
  }

  async unindexRepositories(serviceArn: string): Promise<void> {
    this.repositories.remove(serviceArn);
    this.record({ op: 'unindexRepositories', serviceArn });
  }

  async servicesForAlarm(alarmName: string): Promise<IndexedService[]> {
    return this.alarms.lookup(alarmName);
  }

  async indexAlarms(service: IndexedService, alarmNames: readonly string[]): Promise<void> {
    this.alarms.replace(service, alarmNames);
    this.record({ op: 'indexAlarms', serviceArn: service.serviceArn, alarmNames: [...alarmNames] });
  }
}

/** {@link IndexSweep} in memory. */
export class InMemoryIndexSweep extends StateFake implements IndexSweep {
  private readonly clusters = new Map<string, Map<string, IndexedFingerprint>>();
  private sweep?: ReconcileSweep;
  private lease?: { owner: string; until: string };

  async fingerprintsOf(clusterArn: string): Promise<IndexedFingerprint[]> {
    return [...(this.clusters.get(clusterArn)?.values() ?? [])].map(clone);
  }

  async rememberFingerprint(clusterArn: string, fingerprint: IndexedFingerprint): Promise<void> {
    const cluster = this.clusters.get(clusterArn) ?? new Map<string, IndexedFingerprint>();
    cluster.set(fingerprint.serviceArn, clone(fingerprint));
    this.clusters.set(clusterArn, cluster);
    this.record({ op: 'rememberFingerprint', clusterArn, fingerprint });
  }

  async forgetFingerprint(clusterArn: string, serviceArn: string): Promise<void> {
    this.clusters.get(clusterArn)?.delete(serviceArn);
    this.record({ op: 'forgetFingerprint', clusterArn, serviceArn });
  }

  async currentSweep(): Promise<ReconcileSweep | undefined> {
    return this.sweep && clone(this.sweep);
  }

  async claimSweep(
    owner: string,
    now: string,
    until: string,
  ): Promise<{ sweep?: ReconcileSweep } | undefined> {
    // Free, run out, or held by the same event (a retry).
    const claimed = !this.lease || this.lease.until < now || this.lease.owner === owner;
    if (claimed) this.lease = { owner, until };
    this.record({ op: 'claimSweep', owner, until, claimed });
    if (!claimed) return undefined;
    return this.sweep ? { sweep: clone(this.sweep) } : {};
  }

  async saveSweep(owner: string, sweep: ReconcileSweep): Promise<boolean> {
    const saved = this.lease?.owner === owner;
    if (saved) this.sweep = clone(sweep);
    this.record({ op: 'saveSweep', owner, sweep, saved });
    return saved;
  }

  async releaseSweep(owner: string): Promise<boolean> {
    const released = this.lease?.owner === owner;
    if (released) this.lease = undefined;
    this.record({ op: 'releaseSweep', owner, released });
    return released;
  }
}

/** {@link ConfigurationProblems} in memory. */
export class InMemoryConfigurationProblems extends StateFake implements ConfigurationProblems {
  private readonly problems = new Map<string, AnnouncedProblem>();

  /** Remembers an announced problem unconditionally (test setup). */
  seedProblem(problem: AnnouncedProblem): this {
    this.problems.set(`${problem.serviceArn}#${problem.tagKey}`, { ...problem });
    return this;
  }

  async announcedProblems(serviceArn: string): Promise<AnnouncedProblem[]> {
    return [...this.problems.values()].filter((p) => p.serviceArn === serviceArn).map((p) => ({ ...p }));
  }

  async announcedProblemsOfCluster(clusterArn: string): Promise<AnnouncedProblem[]> {
    const prefix = `${clusterArn.replace(':cluster/', ':service/')}/`;
    return [...this.problems.values()].filter((p) => p.serviceArn.startsWith(prefix)).map((p) => ({ ...p }));
  }

  async rememberProblem(problem: AnnouncedProblem): Promise<boolean> {
    const key = `${problem.serviceArn}#${problem.tagKey}`;
    const current = this.problems.get(key);
    // News: nothing remembered, another value, a retry of the event that announced it, or one whose
    // resolution is being announced (it came back: the claim is dropped).
    const news =
      current === undefined ||
      current.tagValue !== problem.tagValue ||
      current.triggeredBy === problem.triggeredBy ||
      current.resolvedBy !== undefined;
    if (news) this.problems.set(key, { ...problem });
    else current.problem = problem.problem;
    this.record({ op: 'rememberProblem', problem, news });
    return news;
  }

  async resolveProblem(serviceArn: string, tagKey: string, triggeredBy: string): Promise<boolean> {
    const current = this.problems.get(`${serviceArn}#${tagKey}`);
    const claimed =
      current !== undefined && (current.resolvedBy === undefined || current.resolvedBy === triggeredBy);
    if (claimed) current.resolvedBy = triggeredBy;
    this.record({ op: 'resolveProblem', serviceArn, tagKey, triggeredBy, claimed });
    return claimed;
  }

  async forgetProblem(serviceArn: string, tagKey: string, resolvedBy?: string): Promise<boolean> {
    const key = `${serviceArn}#${tagKey}`;
    // With a claim, only while it stands: a problem remembered again since stays.
    const forgotten =
      (resolvedBy === undefined || this.problems.get(key)?.resolvedBy === resolvedBy) &&
      this.problems.delete(key);
    this.record({ op: 'forgetProblem', serviceArn, tagKey, forgotten });
    return forgotten;
  }
}

/** An ECS deployment as the table keeps it: its fields, and the `updatedAt` of the state change recorded. */
interface StoredDeployment {
  fields: Partial<KnownDeployment>;
  updatedAt?: string;
}

/** {@link DeploymentHistory} in memory. */
export class InMemoryDeploymentHistory extends StateFake implements DeploymentHistory {
  /** How many of a service's latest records `deploymentTriggeredBy` searches, as the adapter. */
  static readonly RECENT = 20;
  private readonly recorded = new Map<string, DeploymentRecord>();
  private readonly deployments = new Map<string, StoredDeployment>();
  private readonly crashes = new Map<string, CrashedTask>();
  private readonly intents = new Map<string, DeployIntent>();

  /** The deployments autopilot recorded, oldest first. */
  get records(): DeploymentRecord[] {
    return [...this.recorded.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => clone(r));
  }

  /** Stores an ECS deployment unconditionally (test setup). */
  seedDeployment(
    serviceArn: string,
    deployment: KnownDeployment,
    updatedAt = '1970-01-01T00:00:00.000Z',
  ): this {
    this.deployments.set(`${serviceArn}#${deployment.deploymentId}`, {
      fields: clone(deployment),
      updatedAt,
    });
    return this;
  }

  async recordDeployment(record: DeploymentRecord): Promise<void> {
    this.recorded.set(`${record.serviceArn}#${record.startedAt}#${record.triggeredBy}`, clone(record));
    this.record({ op: 'recordDeployment', record });
  }

  async deploymentTriggeredBy(serviceArn: string, eventId: string): Promise<DeploymentRecord | undefined> {
    const recent = this.records
      .filter((r) => r.serviceArn === serviceArn)
      .reverse()
      .slice(0, InMemoryDeploymentHistory.RECENT);
    return recent.find((r) => r.triggeredBy === eventId);
  }

  async recentDeployments(serviceArn: string, limit: number): Promise<DeploymentRecord[]> {
    return this.records
      .filter((r) => r.serviceArn === serviceArn)
      .reverse()
      .slice(0, limit);
  }

  async noteDeploymentStarted(serviceArn: string, started: StartedDeployment): Promise<void> {
    const stored = this.stored(serviceArn, started.deploymentId);
    // Fills what state changes have not written, like the if_not_exists of the adapter.
    const { fields } = stored;
    fields.deploymentId = started.deploymentId;
    fields.taskDefinitionArn ??= started.taskDefinitionArn;
    fields.state ??= 'IN_PROGRESS';
    fields.startedAt ??= started.startedAt;
    fields.isRollback = started.isRollback || (fields.isRollback ?? false);
    this.record({ op: 'noteDeploymentStarted', serviceArn, started });
  }

  async getDeployment(serviceArn: string, deploymentId: string): Promise<KnownDeployment | undefined> {
    const stored = this.deployments.get(`${serviceArn}#${deploymentId}`);
    return stored && (clone(stored.fields) as KnownDeployment);
  }

  async recordDeploymentState(
    serviceArn: string,
    deployment: KnownDeployment,
    updatedAt: string,
  ): Promise<boolean> {
    const current = this.deployments.get(`${serviceArn}#${deployment.deploymentId}`);
    // Forward only: an older state change than the recorded one is dropped.
    const saved = current?.updatedAt === undefined || current.updatedAt <= updatedAt;
    if (saved) {
      const stored = this.stored(serviceArn, deployment.deploymentId);
      // Field by field, and never the unhealthy mark: one made concurrently survives.
      const {
        unhealthy: _ignored,
        unhealthyBy: _by,
        unhealthyAnnounced: _announced,
        ...fields
      } = clone(deployment);
      for (const [name, value] of Object.entries(fields)) {
        if (value !== undefined) Object.assign(stored.fields, { [name]: value });
      }
      stored.updatedAt = updatedAt;
    }
    this.record({ op: 'recordDeploymentState', serviceArn, deployment, updatedAt, saved });
    return saved;
  }

  async markUnhealthy(serviceArn: string, deploymentId: string, by: string): Promise<boolean> {
    // Like an UpdateItem, marking an unknown deployment creates a bare item.
    const stored = this.stored(serviceArn, deploymentId);
    // Unmarked, or marked by this very event (a retry goes on with what it decided).
    const marked = stored.fields.unhealthy !== true || stored.fields.unhealthyBy === by;
    if (marked) Object.assign(stored.fields, { unhealthy: true, unhealthyBy: by });
    this.record({ op: 'markUnhealthy', serviceArn, deploymentId, marked });
    return marked;
  }

  async markAnnounced(serviceArn: string, deploymentId: string, by: string): Promise<boolean> {
    const stored = this.deployments.get(`${serviceArn}#${deploymentId}`);
    const marked = stored?.fields.unhealthyBy === by;
    if (stored && marked) stored.fields.unhealthyAnnounced = true;
    this.record({ op: 'markAnnounced', serviceArn, deploymentId, marked });
    return marked;
  }

  async recordCrash(crash: CrashedTask, since: string): Promise<number> {
    const { serviceArn, taskDefinitionArn } = crash;
    // Keyed by task: a duplicate event of the same stopped task counts once.
    this.crashes.set(`${serviceArn}#${taskDefinitionArn}#${crash.taskArn}`, { ...crash });
    this.record({ op: 'recordCrash', crash });
    return (await this.crashedTasks(serviceArn, taskDefinitionArn, since)).length;
  }

  async crashedTasks(serviceArn: string, taskDefinitionArn: string, since: string): Promise<string[]> {
    return [...this.crashes.values()]
      .filter(
        (c) => c.serviceArn === serviceArn && c.taskDefinitionArn === taskDefinitionArn && c.at >= since,
      )
      .map((c) => c.taskArn);
  }

  /** Stores a deploy intent unconditionally (test setup). */
  seedDeployIntent(intent: DeployIntent): this {
    this.intents.set(intentKey(intent), clone(intent));
    return this;
  }

  /** A deploy intent as stored. */
  intentOf(serviceArn: string, digest: string, fromTaskDefinition: string): DeployIntent | undefined {
    const intent = this.intents.get(intentKey({ serviceArn, digest, fromTaskDefinition }));
    return intent && clone(intent);
  }

  async deployIntents(serviceArn: string, digest: string): Promise<DeployIntent[]> {
    return [...this.intents.values()]
      .filter((i) => i.serviceArn === serviceArn && i.digest === digest)
      .map(clone);
  }

  async saveDeployIntent(
    intent: DeployIntent,
    expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined,
  ): Promise<boolean> {
    const key = intentKey(intent);
    const current = this.intents.get(key);
    // Optimistic: only over the intent that was read (none, or its owner and state).
    const saved =
      expected === undefined
        ? current === undefined
        : current?.triggeredBy === expected.triggeredBy && current.state === expected.state;
    if (saved) this.intents.set(key, clone(intent));
    this.record({ op: 'saveDeployIntent', intent, saved });
    return saved;
  }

  async markIntentAnnounced(
    serviceArn: string,
    digest: string,
    fromTaskDefinition: string,
    triggeredBy: string,
  ): Promise<boolean> {
    const current = this.intents.get(intentKey({ serviceArn, digest, fromTaskDefinition }));
    const marked = current?.triggeredBy === triggeredBy && current.state === 'updating';
    if (marked) current.state = 'announced';
    this.record({ op: 'markIntentAnnounced', serviceArn, digest, fromTaskDefinition, triggeredBy, marked });
    return marked;
  }

  async markIntentsAnnounced(marks: readonly IntentMark[]): Promise<boolean[]> {
    const marked: boolean[] = [];
    for (const m of marks) {
      marked.push(
        await this.markIntentAnnounced(m.serviceArn, m.digest, m.fromTaskDefinition, m.triggeredBy),
      );
    }
    return marked;
  }

  private stored(serviceArn: string, deploymentId: string): StoredDeployment {
    const key = `${serviceArn}#${deploymentId}`;
    const stored = this.deployments.get(key) ?? { fields: {} };
    this.deployments.set(key, stored);
    return stored;
  }
}

const intentKey = (i: Pick<DeployIntent, 'serviceArn' | 'digest' | 'fromTaskDefinition'>) =>
  `${i.serviceArn}#${i.digest}#${i.fromTaskDefinition}`;

/** {@link RollbackHistory} in memory. */
export class InMemoryRollbackHistory extends StateFake implements RollbackHistory {
  private readonly good = new Map<string, LastKnownGood>();
  private readonly rollbacks = new Map<string, RollbackRecord>();

  /** Stores the last known good revision unconditionally (test setup). */
  seedLastKnownGood(serviceArn: string, good: LastKnownGood): this {
    this.good.set(serviceArn, { ...good });
    return this;
  }

  /** Stores the last rollback unconditionally (test setup). */
  seedRollback(serviceArn: string, rollback: RollbackRecord): this {
    this.rollbacks.set(serviceArn, { ...rollback });
    return this;
  }

  async lastKnownGood(serviceArn: string): Promise<LastKnownGood | undefined> {
    const good = this.good.get(serviceArn);
    return good && { ...good };
  }

  async setFirstKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean> {
    const saved = !this.good.has(serviceArn);
    if (saved) this.good.set(serviceArn, { ...good });
    this.record({ op: 'setLastKnownGood', serviceArn, good, saved });
    return saved;
  }

  async setLastKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean> {
    const current = this.good.get(serviceArn);
    // Never backwards, whatever order the writes land in; the digests complete a record without them.
    const saved =
      current === undefined ||
      current.at <= good.at ||
      (good.images !== undefined &&
        current.deploymentId === good.deploymentId &&
        current.images === undefined);
    if (saved) this.good.set(serviceArn, { ...good });
    this.record({ op: 'setLastKnownGood', serviceArn, good, saved });
    return saved;
  }

  async lastRollback(serviceArn: string): Promise<RollbackRecord | undefined> {
    const rollback = this.rollbacks.get(serviceArn);
    return rollback && { ...rollback };
  }

  async claimRollback(serviceArn: string, rollback: RollbackRecord, cooldownMs: number): Promise<boolean> {
    const windowStart = new Date(new Date(rollback.at).getTime() - cooldownMs).toISOString();
    const current = this.rollbacks.get(serviceArn);
    const claimed =
      current === undefined ||
      current.at <= windowStart ||
      (rollback.triggeredBy !== undefined && current.triggeredBy === rollback.triggeredBy);
    if (claimed) this.rollbacks.set(serviceArn, { ...rollback });
    this.record({ op: 'claimRollback', serviceArn, rollback, cooldownMs, claimed });
    return claimed;
  }

  async pinRollback(serviceArn: string, triggeredBy: string, pinned: string): Promise<boolean> {
    const current = this.rollbacks.get(serviceArn);
    const saved = current?.triggeredBy === triggeredBy;
    if (current && saved) {
      this.rollbacks.set(serviceArn, {
        ...current,
        pinnedFrom: current.pinnedFrom ?? current.to,
        to: pinned,
      });
    }
    this.record({ op: 'pinRollback', serviceArn, triggeredBy, pinned, saved });
    return saved;
  }

  async markRollbackAnnounced(serviceArn: string, triggeredBy: string, at: string): Promise<boolean> {
    const current = this.rollbacks.get(serviceArn);
    const marked = current?.triggeredBy === triggeredBy && current.at === at;
    if (current && marked) this.rollbacks.set(serviceArn, { ...current, announced: true });
    this.record({ op: 'markRollbackAnnounced', serviceArn, triggeredBy, at, marked });
    return marked;
  }
}

/** {@link BakeSchedule} in memory. */
export class InMemoryBakeSchedule extends StateFake implements BakeSchedule {
  private readonly bakes = new Map<string, BakeTimer & { dueAt: string }>();

  /** The bake timers, due or not. */
  allBakes(): (BakeTimer & { dueAt: string })[] {
    return [...this.bakes.values()].map((b) => ({ ...b }));
  }

  async scheduleBake(serviceArn: string, deploymentId: string, dueAt: string): Promise<void> {
    this.bakes.set(`${serviceArn}#${deploymentId}`, { serviceArn, deploymentId, dueAt });
    this.record({ op: 'scheduleBake', serviceArn, deploymentId, dueAt });
  }

  async listBaked(now: Date): Promise<BakeTimer[]> {
    const cutoff = now.toISOString();
    return [...this.bakes.values()]
      .filter((b) => b.dueAt <= cutoff)
      .map(({ serviceArn, deploymentId }) => ({ serviceArn, deploymentId }));
  }

  async deleteBake(serviceArn: string, deploymentId: string): Promise<void> {
    this.bakes.delete(`${serviceArn}#${deploymentId}`);
    this.record({ op: 'deleteBake', serviceArn, deploymentId });
  }
}

/** {@link Quarantine} in memory. */
export class InMemoryQuarantine extends StateFake implements Quarantine {
  private readonly images = new Map<string, QuarantinedImage>();

  /** Quarantines an image unconditionally (test setup). */
  seedQuarantined(image: QuarantinedImage): this {
    this.images.set(`${image.repositoryKey}@${image.digest}`, { ...image });
    return this;
  }

  async quarantineImage(image: QuarantinedImage): Promise<boolean> {
    const key = `${image.repositoryKey}@${image.digest}`;
    const current = this.images.get(key);
    // Not quarantined yet, or by this very event (a retry, whose announcement may not have gone out).
    const added =
      current === undefined || (image.triggeredBy !== undefined && current.triggeredBy === image.triggeredBy);
    if (added) this.images.set(key, { ...image });
    this.record({ op: 'quarantineImage', image, added });
    return added;
  }

  async isQuarantined(repositoryKey: string, digest: string): Promise<boolean> {
    return this.images.has(`${repositoryKey}@${digest}`);
  }

  async listQuarantined(): Promise<QuarantinedImage[]> {
    return [...this.images.values()].map((image) => ({ ...image }));
  }

  async release(repositoryKey: string, digest: string): Promise<boolean> {
    const released = this.images.delete(`${repositoryKey}@${digest}`);
    this.record({ op: 'release', repositoryKey, digest, released });
    return released;
  }
}

/** {@link ServiceLease} in memory. */
export class InMemoryServiceLease extends StateFake implements ServiceLease {
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  /** Who took each service's lease last (kept after the release, as the lease item is). */
  private readonly lastOwners = new Map<string, string>();
  private readonly watermarks = new Map<string, PushWatermark>();
  private readonly racing = new Map<string, () => Promise<void>>();

  /**
   * A race (test setup): the next time the service's lease is asked for, `change` runs first, as
   * another invocation that held the lease and finished just then would (its own lease requests go
   * through unhindered).
   */
  onNextAcquire(serviceArn: string, change: () => Promise<void>): this {
    this.racing.set(serviceArn, change);
    return this;
  }

  /** Another invocation holds the lease (test setup). */
  seedLease(serviceArn: string, owner: string, ttlSeconds: number): this {
    this.leases.set(serviceArn, { owner, expiresAt: epochSeconds(this.now()) + ttlSeconds });
    this.lastOwners.set(serviceArn, owner);
    return this;
  }

  /** Stores a watermark unconditionally (test setup). */
  seedWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): this {
    this.watermarks.set(`${serviceArn}#${repositoryKey}`, { ...watermark });
    return this;
  }

  leaseOf(serviceArn: string): { owner: string; expiresAt: number } | undefined {
    const lease = this.leases.get(serviceArn);
    return lease && { ...lease };
  }

  watermarkOf(serviceArn: string, repositoryKey: string): PushWatermark | undefined {
    const watermark = this.watermarks.get(`${serviceArn}#${repositoryKey}`);
    return watermark && { ...watermark };
  }

  async acquireLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean> {
    return (await this.takeLease(serviceArn, owner, ttlSeconds)) !== 'held';
  }

  async takeLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<LeaseTaking> {
    const change = this.racing.get(serviceArn);
    this.racing.delete(serviceArn);
    await change?.();
    const now = epochSeconds(this.now());
    const current = this.leases.get(serviceArn);
    const acquired = current === undefined || current.expiresAt < now || current.owner === owner;
    const prior = this.lastOwners.get(serviceArn);
    if (acquired) {
      this.leases.set(serviceArn, { owner, expiresAt: now + ttlSeconds });
      this.lastOwners.set(serviceArn, owner);
    }
    this.record({ op: 'acquireLease', serviceArn, owner, acquired });
    if (!acquired) return 'held';
    return prior === owner ? 'again' : 'taken';
  }

  /**
   * Where the writes closing a deployment go ({@link LeaseClosing}); `inMemoryState` wires it. An ES
   * private field, so a snapshot of the lease's state does not hold the history a second time.
   */
  #history: InMemoryDeploymentHistory | undefined;

  /** Writes closing a deployment (`releaseLease`'s `closing`) go to `history`. */
  closesInto(history: InMemoryDeploymentHistory): this {
    this.#history = history;
    return this;
  }

  async releaseLease(serviceArn: string, owner: string, closing?: LeaseClosing): Promise<boolean> {
    // As the transaction: each write with its own condition; one failing, they go one by one with
    // the outcomes they have alone (the same end state either way). Writes that throw still leave the
    // lease released, as the adapter does.
    try {
      if (closing?.record) await this.closingHistory().recordDeployment(closing.record);
      if (closing?.started)
        await this.closingHistory().noteDeploymentStarted(
          closing.started.serviceArn,
          closing.started.deployment,
        );
      if (closing?.watermark)
        await this.setWatermark(serviceArn, closing.watermark.repositoryKey, closing.watermark.watermark);
      if (closing?.intent)
        await this.closingHistory().saveDeployIntent(closing.intent.intent, closing.intent.expected);
    } catch (error) {
      await this.releaseLease(serviceArn, owner);
      throw error;
    }
    // Someone else's lease (ours expired and was taken over) is not ours to release.
    const released = this.leases.get(serviceArn)?.owner === owner;
    if (released) this.leases.delete(serviceArn);
    this.record({ op: 'releaseLease', serviceArn, owner, released });
    return released;
  }

  async takeLeases(serviceArns: readonly string[], owner: string, ttlSeconds: number): Promise<LeaseTaken[]> {
    // Each as `takeLease`: the table's transaction of several ends as they do one by one.
    const outcomes: LeaseTaken[] = [];
    for (const serviceArn of serviceArns)
      outcomes.push(
        await this.takeLease(serviceArn, owner, ttlSeconds).catch((error: unknown) => ({ error })),
      );
    return outcomes;
  }

  async releaseLeases(releases: readonly LeaseRelease[]): Promise<LeaseReleased[]> {
    // Each as `releaseLease`: the table's transaction of several ends as they do one by one.
    const outcomes: LeaseReleased[] = [];
    for (const { serviceArn, owner, closing } of releases) {
      outcomes.push(
        await this.releaseLease(serviceArn, owner, closing).then(
          (released) => ({ released }),
          (error: unknown) => ({ error }),
        ),
      );
    }
    return outcomes;
  }

  private closingHistory(): InMemoryDeploymentHistory {
    if (!this.#history) throw new Error('the lease fake closes deployments into a history: closesInto');
    return this.#history;
  }

  async getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined> {
    return this.watermarkOf(serviceArn, repositoryKey);
  }

  async setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<boolean> {
    const key = `${serviceArn}#${repositoryKey}`;
    const current = this.watermarks.get(key);
    // Never backwards, whatever order the writes land in.
    const moved = current === undefined || current.pushedAt <= watermark.pushedAt;
    if (moved) this.watermarks.set(key, { ...watermark });
    this.record({ op: 'setWatermark', serviceArn, repositoryKey, watermark, moved });
    return moved;
  }
}

const pendingKey = ({ serviceArn, push }: PendingPush) =>
  `${serviceArn}#${push.accountId}:${push.region}:${push.repositoryName}`;

/** {@link PendingPushes} in memory. */
export class InMemoryPendingPushes extends StateFake implements PendingPushes {
  private readonly pending = new Map<string, PendingPush>();

  /** Stores a pending push unconditionally (test setup). */
  seedPending(pending: PendingPush): this {
    this.pending.set(pendingKey(pending), clone(pending));
    return this;
  }

  pendingFor(serviceArn: string, repositoryKey: string): PendingPush | undefined {
    const pending = this.pending.get(`${serviceArn}#${repositoryKey}`);
    return pending && clone(pending);
  }

  allPending(): PendingPush[] {
    return [...this.pending.values()].map(clone);
  }

  async savePending(pending: PendingPush, isNewer: (existing: PendingPush) => boolean): Promise<boolean> {
    const key = pendingKey(pending);
    const existing = this.pending.get(key);
    const saved = existing === undefined || isNewer(clone(existing));
    if (saved) this.pending.set(key, clone(pending));
    this.record({ op: 'savePending', pending, saved });
    return saved;
  }

  async pendingOf(serviceArn: string): Promise<PendingPush[]> {
    return [...this.pending.values()].filter((p) => p.serviceArn === serviceArn).map(clone);
  }

  async listDuePending(now: Date): Promise<PendingPush[]> {
    const cutoff = now.toISOString();
    return [...this.pending.values()].filter((p) => p.dueAt <= cutoff).map(clone);
  }

  async deletePending(serviceArn: string, repositoryKey: string, eventId: string): Promise<boolean> {
    const key = `${serviceArn}#${repositoryKey}`;
    // A newer push replaced it meanwhile: that one stays.
    const deleted = this.pending.get(key)?.push.eventId === eventId;
    if (deleted) this.pending.delete(key);
    this.record({ op: 'deletePending', serviceArn, repositoryKey, eventId, deleted });
    return deleted;
  }

  async markPendingAnnounced(
    serviceArn: string,
    repositoryKey: string,
    eventId: string,
    dueAt: string,
  ): Promise<boolean> {
    const pending = this.pending.get(`${serviceArn}#${repositoryKey}`);
    // Replaced by a newer push, or rescheduled, meanwhile: what is pending now was not announced.
    const marked = pending?.push.eventId === eventId && pending.dueAt === dueAt;
    if (marked) pending.announced = true;
    this.record({ op: 'markPendingAnnounced', serviceArn, repositoryKey, eventId, dueAt, marked });
    return marked;
  }
}

/** {@link SkippedPushes} in memory. */
export class InMemorySkippedPushes extends StateFake implements SkippedPushes {
  private readonly skips = new Map<string, SkippedPush>();

  /** The last skip of every service, by service ARN. */
  get lastSkips(): Record<string, SkippedPush> {
    return Object.fromEntries([...this.skips.entries()].map(([arn, skip]) => [arn, clone(skip)]));
  }

  async recordSkips(skips: readonly SkippedPush[]): Promise<void> {
    for (const skip of skips) this.skips.set(skip.serviceArn, clone(skip));
    this.record({ op: 'recordSkips', skips: [...skips] });
  }

  async lastSkip(serviceArn: string): Promise<SkippedPush | undefined> {
    const skip = this.skips.get(serviceArn);
    return skip && clone(skip);
  }
}

/** One fake of every state port, recording into one write log, on one clock. */
/** {@link RevertLog} in memory. */
export class InMemoryRevertLog implements RevertLog {
  private readonly reverts = new Map<string, RevertRecord & { serviceArn: string }>();

  /** The options of the other fakes, for `againstBoth`. */
  constructor(_options: StateFakeOptions = {}) {}

  async recordRevert(serviceArn: string, revert: RevertRecord): Promise<void> {
    this.reverts.set(`${serviceArn}#${revert.at}#${revert.eventId}`, { ...clone(revert), serviceArn });
  }

  async revertsSince(serviceArn: string, since: string): Promise<RevertRecord[]> {
    return [...this.reverts.values()]
      .filter((r) => r.serviceArn === serviceArn && r.at >= since)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      .map(({ serviceArn: _, ...r }) => r);
  }
}

/** {@link ServiceHistory} in memory. */
export class InMemoryServiceHistory implements ServiceHistory {
  private readonly entries = new Map<string, HistoryEntry>();

  /** The options of the other fakes, for `againstBoth` (the history keeps no write log). */
  constructor(_options: StateFakeOptions = {}) {}

  async record(entry: HistoryEntry): Promise<void> {
    this.entries.set(`${entry.cluster}/${entry.service}#${entry.at}#${entry.eventId}`, clone(entry));
  }

  async recent(cluster: string, service: string, limit: number): Promise<HistoryEntry[]> {
    const prefix = `${cluster}/${service}#`;
    return [...this.entries.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, limit)
      .map(([, entry]) => clone(entry));
  }
}

/** {@link PauseStore} in memory. */
export class InMemoryPauses extends StateFake implements PauseStore {
  private readonly pauses = new Map<string, Pause>();

  async activePauses(now: Date): Promise<Pause[]> {
    return [...this.pauses.values()].filter((p) => p.until > now.toISOString()).map(clone);
  }

  async pause(pause: Pause): Promise<void> {
    this.pauses.set(pause.scope, clone(pause));
    this.record({ op: 'pause', pause });
  }

  async resume(scope: string): Promise<Pause | undefined> {
    const ended = this.pauses.get(scope);
    this.pauses.delete(scope);
    this.record({ op: 'resume', scope });
    return ended && clone(ended);
  }
}

export function inMemoryState(now: () => Date = () => new Date()) {
  const writes: StateWrite[] = [];
  const options = { writes, now };
  const history = new InMemoryDeploymentHistory(options);
  const lease = new InMemoryServiceLease(options).closesInto(history);
  return {
    writes,
    index: new InMemoryServiceIndex(options),
    sweep: new InMemoryIndexSweep(options),
    problems: new InMemoryConfigurationProblems(options),
    history,
    rollbacks: new InMemoryRollbackHistory(options),
    bakes: new InMemoryBakeSchedule(options),
    quarantine: new InMemoryQuarantine(options),
    lease,
    pending: new InMemoryPendingPushes(options),
    skips: new InMemorySkippedPushes(options),
    pauses: new InMemoryPauses(options),
    reverts: new InMemoryRevertLog(options),
  };
}
