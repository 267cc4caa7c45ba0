/**
 * The repository -> services index. Deploy on push looks up the services that use a repository here,
 * so the AWS calls for one push grow with those services, not with the size of the account. Kept
 * current from ECS events (CloudTrail API calls, deployment state changes) and a periodic reconcile.
 */
import type { PolicyFile } from '../config/policy-file';
import type {
  HealthStore,
  ServiceInventory,
  ServiceReader,
  ServiceRef,
  ServiceState,
  StateStore,
  TaskDefinitionDocument,
} from '../ports';
import { parseEcrRegistry, parseImageReference } from './image-reference';
import { notFollowed, repositoryKey } from './plan-deployment';
import { alarmsOf, rollbackSettings } from './rollback-policy';

export { notFollowed } from './plan-deployment';

/** What indexing needs. */
export interface IndexDeps {
  ecs: ServiceReader;
  /** the alarms of watched services, and their first known good revision */
  health?: Pick<HealthStore, 'indexAlarms' | 'lastKnownGood' | 'setLastKnownGood'>;
  now?: () => Date;
  inventory: ServiceInventory;
  state: StateStore;
  policyFile: PolicyFile;
  dryRun: boolean;
}

/** The outcome for one service. */
export interface IndexDecision {
  service: string;
  action: 'indexed' | 'removed';
  repositories: string[];
  reason: string;
}

/**
 * The private ECR repositories (as index keys) a task definition's containers use.
 *
 * @example repositoriesOf([{ image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main' }])
 * // ['123456789012:eu-west-1:team/api']
 */
export function repositoriesOf(containers: readonly { image: string }[]): string[] {
  const keys = new Set<string>();
  for (const { image } of containers) {
    const ref = parseImageReference(image);
    if (!ref.ok) continue;
    const registry = parseEcrRegistry(ref.value.registry);
    if (registry) keys.add(repositoryKey({ ...registry, repositoryName: ref.value.repository }));
  }
  return [...keys].sort();
}

/**
 * Re-indexes the given services: opted-in services are indexed under the repositories of their
 * task definition, the others (and vanished ones, when given by ARN) are removed.
 */
export async function indexServices(refs: readonly ServiceRef[], deps: IndexDeps): Promise<IndexDecision[]> {
  if (refs.length === 0) return [];
  const services = await deps.ecs.describeServices(refs);
  const documents = new Map<string, Promise<TaskDefinitionDocument | undefined>>();
  const decisions: IndexDecision[] = [];
  for (const service of services) {
    if (!deps.dryRun) await watchHealth(service, deps);
    const reason = notFollowed(service, deps.policyFile);
    if (reason) {
      if (!deps.dryRun) await deps.state.unindexService(service.arn);
      decisions.push({ service: service.arn, action: 'removed', repositories: [], reason });
      continue;
    }
    let doc = documents.get(service.taskDefinitionArn);
    if (!doc) {
      doc = deps.ecs.describeTaskDefinition(service.taskDefinitionArn);
      documents.set(service.taskDefinitionArn, doc);
    }
    const repositories = repositoriesOf((await doc)?.definition.containerDefinitions ?? []);
    const indexed = { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name };
    if (!deps.dryRun) await deps.state.indexService(indexed, repositories);
    decisions.push({ service: service.arn, action: 'indexed', repositories, reason: 'opted in' });
  }
  const found = new Set(services.map((s) => s.arn));
  for (const ref of refs) {
    if (ref.service.startsWith('arn:') && !found.has(ref.service)) {
      if (!deps.dryRun) await deps.state.unindexService(ref.service);
      decisions.push({
        service: ref.service,
        action: 'removed',
        repositories: [],
        reason: 'service not found',
      });
    }
  }
  return decisions;
}

/**
 * Keeps the alarm index of a service and, for a service watched for the first time whose primary
 * deployment completed longer than a bake time ago, records that revision as known good: it has
 * been running steadily, and without it the first bad deployment would have nothing to return to.
 */
async function watchHealth(service: ServiceState, deps: IndexDeps): Promise<void> {
  if (!deps.health) return;
  const settings = rollbackSettings(deps.policyFile, service);
  const indexed = { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name };
  await deps.health.indexAlarms(indexed, settings.enabled ? alarmsOf(deps.policyFile, service) : []);
  if (!settings.enabled) return;
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const now = deps.now?.() ?? new Date();
  const settledAt = primary?.updatedAt ?? primary?.createdAt;
  if (primary?.rolloutState !== 'COMPLETED' || !settledAt) return;
  if (new Date(settledAt).getTime() + settings.bakeTimeMs > now.getTime()) return;
  if (await deps.health.lastKnownGood(service.arn)) return;
  await deps.health.setLastKnownGood(service.arn, {
    taskDefinitionArn: primary.taskDefinitionArn,
    deploymentId: primary.id,
    at: now.toISOString(),
  });
}

/** Walks every cluster and service of the account and re-indexes them all. */
export async function reconcileIndex(deps: IndexDeps): Promise<IndexDecision[]> {
  const decisions: IndexDecision[] = [];
  for (const clusterArn of await deps.inventory.listClusters()) {
    const serviceArns = await deps.inventory.listServices(clusterArn);
    decisions.push(
      ...(await indexServices(
        serviceArns.map((service) => ({ cluster: clusterArn, service })),
        deps,
      )),
    );
  }
  return decisions;
}
