/**
 * The repository -> services index. Deploy on push looks up the services that use a repository here,
 * so the AWS calls for one push grow with those services, not with the size of the account. Kept
 * current from ECS events (CloudTrail API calls, deployment state changes) and a periodic reconcile.
 */
import type { PolicyFile } from '../config/policy-file';
import type {
  ServiceInventory,
  ServiceReader,
  ServiceRef,
  ServiceState,
  StateStore,
  TaskDefinitionDocument,
} from '../ports';
import { parseEcrRegistry, parseImageReference } from './image-reference';
import { DEPLOY_TAG, effectivePolicy, parseDeployMode, repositoryKey } from './plan-deployment';

/** What indexing needs. */
export interface IndexDeps {
  ecs: ServiceReader;
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

/** Why a service is not followed, or undefined when it opted in. */
export function notFollowed(service: ServiceState, policyFile: PolicyFile): string | undefined {
  if (service.status !== 'ACTIVE') return `service is ${service.status}`;
  const policy = effectivePolicy(policyFile, service);
  const modeText = service.tags[DEPLOY_TAG] ?? ('policy' in policy ? policy.policy.deploy : undefined);
  if (modeText === undefined) return `no ${DEPLOY_TAG} tag`;
  const mode = parseDeployMode(modeText);
  if ('invalid' in mode) return mode.invalid;
  return mode.kind === 'off' ? `${DEPLOY_TAG} is off` : undefined;
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
