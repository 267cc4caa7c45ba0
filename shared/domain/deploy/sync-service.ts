/**
 * `autopilot sync <cluster/service>`: deploy now the newest image the service's policy accepts,
 * without waiting for the next push (the service was just opted in, or a push was missed). For each
 * private ECR repository its revision runs, the newest image its deploy mode and policy accept is
 * chosen ({@link chooseSyncImage}) and deployed to that service alone as if it had just been pushed:
 * a push made up with an event id of its own (`sync-<uuid>`) and its origin (`autopilot sync by
 * alice`), through deploy on push's own path ({@link deployPushTo}: the lease, the plan made under
 * it, the same effects and events), whether or not the index lists the service. So a pause holds it
 * (deferred to the pause's end), a quarantined digest is refused, deploy windows and the minimum age
 * defer it as a pending push, and a service that runs the newest image already is left alone. A dry
 * run writes nothing: it is `autopilot explain`'s answer for the image chosen.
 */
import type { ImageCatalog, ImageDescription, ServiceRef, ServiceState } from '../../ports';
import { parseServiceArn } from '../aws/arn';
import { type EcrRepository, repositoryKey } from '../aws/ecr-repository';
import { type ImageReference, parseEcrRegistry, parseImageReference } from '../aws/image-reference';
import type { DeployMode, TagContext } from '../policy/deploy-mode';
import { deployModeOf, effectivePolicy, notFollowed } from '../policy/effective-policy';
import { type DeployDeps, deployPushTo } from './deploy-pushed-image';
import { explainPush, type PushExplanation } from './explain-push';
import {
  ALREADY_RUNNING,
  type DecisionAction,
  type DeploymentDecision,
  NEWER_PUSH_WAITING,
  type PushedImage,
} from './plan-deployment';
import { chooseSyncImage, type SyncCandidate } from './sync-choice';

/**
 * How many tagged images of a repository sync reads at most (ten DescribeImages pages): past it,
 * it refuses rather than read for ever. An ECR lifecycle policy keeps a repository well under it.
 */
export const MAX_SYNC_IMAGES = 10_000;

/** What sync needs: deploy on push's ports, and the repositories' images. */
export interface SyncDeps extends DeployDeps {
  catalog: ImageCatalog;
}

/** A request to {@link syncService}. */
export interface SyncRequest {
  service: ServiceRef;
  /** who asks, said in every decision (`autopilot sync by alice`) */
  by: string;
  /** the plan only, nothing written: `autopilot explain`'s answer for the image chosen */
  dryRun?: boolean;
  /** the event id of each push sync makes up (`sync-<uuid>`) */
  newEventId: () => string;
}

/**
 * What sync did with a repository, or with the service: `deployed` (or deferred: a pending push, a
 * pause), `unchanged` (it runs the newest image its policy accepts, or that push waits already),
 * `refused` (nothing the policy accepts, a quarantined digest, a service that does not follow its
 * repositories) or `failed`.
 */
export type SyncOutcome = 'deployed' | 'deferred' | 'unchanged' | 'refused' | 'failed';

/** What sync did with one repository of the service. */
export interface RepositorySync {
  /** the repository as ECR names it */
  repository: string;
  registryId: string;
  region: string;
  outcome: SyncOutcome;
  reason: string;
  /** when a deferred push is due */
  dueAt?: string;
  /** the image chosen, and why it */
  chosen?: SyncCandidate & { why: string };
  /** how many tagged images were read to choose */
  imagesRead?: number;
  /** the event id of the push made up */
  eventId?: string;
  /** the decision as carried out (a real run) */
  decision?: DeploymentDecision;
  /** the plan, nothing written (a dry run) */
  plan?: PushExplanation;
  /** nothing was changed: a dry run, or the decision was told as one (a notify-only pause) */
  dryRun?: true;
}

/** What `autopilot sync` answers. */
export interface SyncResult {
  /** `<cluster>/<service>` */
  service: string;
  serviceArn?: string;
  /** the outcome of the whole: the worst of the repositories' (failed, refused, then what changed) */
  outcome: SyncOutcome;
  reason: string;
  /** `--dry-run`: planned, nothing written */
  dryRun: boolean;
  repositories: RepositorySync[];
}

/** A repository the service's revision runs, and its containers with what each runs. */
interface RunRepository extends EcrRepository {
  containers: { container: string; ref: ImageReference }[];
}

/**
 * Deploys to one service the newest image of each repository it runs that its policy accepts, as a
 * push of that image would, or plans it (`dryRun`).
 *
 * @example
 * await syncService({ service: { cluster: 'prod', service: 'payments' }, by: 'alice', newEventId }, deps)
 * // { service: 'prod/payments', outcome: 'deployed', repositories: [{ repository: 'team/payments',
 * //   chosen: { tag: '1.6.0', … }, decision: { action: 'deploy', reason: '1.6.0 is an allowed upgrade
 * //   (semver:minor); autopilot sync by alice' } }], … }
 */
export async function syncService(request: SyncRequest, deps: SyncDeps): Promise<SyncResult> {
  const asked = `${request.service.cluster}/${request.service.service}`;
  const dryRun = request.dryRun === true;
  const refuse = (reason: string, service?: ServiceState): SyncResult => ({
    service: service ? `${service.clusterName}/${service.name}` : asked,
    ...(service ? { serviceArn: service.arn } : {}),
    outcome: 'refused',
    reason,
    dryRun,
    repositories: [],
  });
  const [service] = await deps.ecs.describeServices([request.service]);
  const scope = service && parseServiceArn(service.arn);
  if (!service || !scope) return refuse(`service ${asked} not found`);
  const name = `${service.clusterName}/${service.name}`;
  const resolved = effectivePolicy(deps.policyFile, service);
  const unfollowed =
    notFollowed(service, deps.policyFile) ?? ('invalid' in resolved ? resolved.invalid : undefined);
  const mode = 'policy' in resolved ? deployModeOf(service, resolved.policy) : undefined;
  if (unfollowed || !mode || 'invalid' in mode || !('policy' in resolved)) {
    return refuse(`${name} does not follow its repositories: ${unfollowed ?? 'no deploy mode'}`, service);
  }
  const source = await deps.ecs.describeTaskDefinition(service.taskDefinitionArn);
  if (!source)
    return {
      ...refuse(`task definition ${service.taskDefinitionArn} could not be described`, service),
      outcome: 'failed',
    };
  const repositories = repositoriesOf(source.definition.containerDefinitions);
  if (repositories.length === 0) {
    return refuse(
      `no container of ${source.definition.family} runs an image of a private ECR repository`,
      service,
    );
  }
  const origin = `autopilot sync by ${request.by}`;
  const done: RepositorySync[] = [];
  for (const repository of repositories) {
    const synced = await syncRepository(repository, {
      service,
      serviceRegion: scope.region,
      mode,
      policy: resolved.policy,
      origin,
      request,
      deps,
    });
    done.push(synced);
    // What failed may have changed part of the service: the next repository waits for another run.
    if (synced.outcome === 'failed') break;
  }
  const outcome = worst(done.map((r) => r.outcome));
  const reason =
    done.length === 1 && done[0]
      ? done[0].reason
      : done.map((r) => `${r.repository}: ${r.outcome}, ${r.reason}`).join('; ');
  return { service: name, serviceArn: service.arn, outcome, reason, dryRun, repositories: done };
}

interface RepositoryContext {
  service: ServiceState;
  serviceRegion: string;
  mode: DeployMode;
  policy: Parameters<typeof chooseSyncImage>[0]['policy'];
  origin: string;
  request: SyncRequest;
  deps: SyncDeps;
}

async function syncRepository(repo: RunRepository, context: RepositoryContext): Promise<RepositorySync> {
  const { service, mode, deps, request } = context;
  const about = { repository: repo.repositoryName, registryId: repo.accountId, region: repo.region };
  const name = `${service.clusterName}/${service.name}`;
  if (repo.region !== context.serviceRegion) {
    // A push there is an event of that region, and ECR is read in the service's: deploy on push never
    // deploys it, so neither does sync.
    return {
      ...about,
      outcome: 'refused',
      reason: `${repo.repositoryName} is in ${repo.region} and ${name} in ${context.serviceRegion}: a push there does not reach autopilot here`,
    };
  }
  const ecrRepository = { registryId: repo.accountId, repositoryName: repo.repositoryName };
  let images: ImageDescription[];
  if (mode.kind === 'tag') {
    // One tag is followed: the image it points at is all there is to choose from.
    const image = await deps.ecr.describeImage(ecrRepository, { tag: mode.tag });
    images = image ? [image] : [];
  } else {
    const read = await deps.catalog.taggedImages(ecrRepository, MAX_SYNC_IMAGES);
    if (read.more) {
      return {
        ...about,
        outcome: 'refused',
        reason: `${repo.repositoryName} holds more than ${MAX_SYNC_IMAGES} tagged images: sync reads at most ${MAX_SYNC_IMAGES} (an ECR lifecycle policy keeps fewer; a push of the image deploys it as ever)`,
      };
    }
    images = read.images;
  }
  const choice = chooseSyncImage({
    repository: repo.repositoryName,
    mode,
    policy: context.policy,
    running: runningTags(repo, images),
    images,
  });
  const imagesRead = { imagesRead: images.length };
  if (choice.kind === 'current') {
    return { ...about, ...imagesRead, outcome: 'unchanged', reason: choice.why };
  }
  if (choice.kind === 'none') return { ...about, ...imagesRead, outcome: 'refused', reason: choice.why };
  const { kind: _kind, ...chosen } = choice;
  if (request.dryRun === true) {
    const plan = await explainPush(
      {
        service: request.service,
        image: {
          registry: { accountId: repo.accountId, region: repo.region },
          repositoryName: repo.repositoryName,
          tag: chosen.tag,
          digest: chosen.digest,
          raw: `${repo.repositoryName}:${chosen.tag}@${chosen.digest}`,
        },
        delivered: true,
        origin: context.origin,
      },
      deps,
    );
    return {
      ...about,
      ...imagesRead,
      chosen,
      outcome: outcomeOf(plan),
      reason: plan.reason,
      ...(plan.dueAt ? { dueAt: plan.dueAt } : {}),
      plan,
      dryRun: true,
    };
  }
  const eventId = request.newEventId();
  const push: PushedImage = {
    eventId,
    accountId: repo.accountId,
    region: repo.region,
    repositoryName: repo.repositoryName,
    digest: chosen.digest,
    tag: chosen.tag,
    // Aged as ECR dates the image, as its push event would be (a minimum age counts from then).
    pushedAt: chosen.pushedAt ? new Date(chosen.pushedAt) : deps.now(),
    origin: context.origin,
  };
  const target = { cluster: service.clusterArn, service: service.name, serviceArn: service.arn };
  let decision: DeploymentDecision | undefined;
  try {
    [decision] = (await deployPushTo(push, target, deps)).filter((d) => d.serviceArn === service.arn);
  } catch (error) {
    // Half carried out converges: another sync deploys what is left, as a push's retry would.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ...about, ...imagesRead, chosen, eventId, outcome: 'failed', reason };
  }
  if (!decision) {
    return {
      ...about,
      ...imagesRead,
      chosen,
      eventId,
      outcome: 'refused',
      reason: 'service no longer exists',
    };
  }
  return {
    ...about,
    ...imagesRead,
    chosen,
    eventId,
    outcome: outcomeOf(decision),
    reason: decision.reason,
    ...(decision.action === 'defer' ? { dueAt: decision.dueAt } : {}),
    decision,
    ...(decision.dryRun === true ? { dryRun: true as const } : {}),
  };
}

/**
 * The private ECR repositories of a revision's containers (by digest or tag, whatever registry they
 * name), each with the containers that run it, in the revision's order.
 */
function repositoriesOf(containers: readonly { name: string; image: string }[]): RunRepository[] {
  const found = new Map<string, RunRepository>();
  for (const container of containers) {
    const parsed = parseImageReference(container.image);
    const ecr = parsed.ok ? parseEcrRegistry(parsed.value.registry) : undefined;
    if (!parsed.ok || !ecr) continue;
    const repository = {
      accountId: ecr.accountId,
      region: ecr.region,
      repositoryName: parsed.value.repository,
    };
    const key = repositoryKey(repository);
    const known = found.get(key) ?? { ...repository, containers: [] };
    known.containers.push({ container: container.name, ref: parsed.value });
    found.set(key, known);
  }
  return [...found.values()];
}

/**
 * Every tag each container's image is known by: its own tag and the tags ECR holds for its digest
 * (from the images read; an untagged digest has none), as deploy on push reads the running version.
 */
function runningTags(repo: RunRepository, images: readonly ImageDescription[]): TagContext['running'] {
  return repo.containers.map(({ container, ref }) => ({
    container,
    tags: [
      ...(ref.tag ? [ref.tag] : []),
      ...(ref.digest ? (images.find((i) => i.digest === ref.digest)?.tags ?? []) : []),
    ],
  }));
}

/** The skips that leave nothing to do: it runs the image, that push waits already, it is only told. */
const NOTHING_TO_DO = [ALREADY_RUNNING, NEWER_PUSH_WAITING, 'notify-only until '];

/** What a decision (carried out, or planned by `explain`) means for sync. */
function outcomeOf(decided: { action: DecisionAction; reason: string }): SyncOutcome {
  switch (decided.action) {
    case 'deploy':
      return 'deployed';
    case 'defer':
      return 'deferred';
    case 'failed':
      return 'failed';
    case 'unsupported':
      return 'refused';
    case 'skip':
      return NOTHING_TO_DO.some((start) => decided.reason.startsWith(start)) ? 'unchanged' : 'refused';
  }
}

/** The outcome of several: a failure, else a refusal, else what changed most. */
function worst(outcomes: readonly SyncOutcome[]): SyncOutcome {
  for (const outcome of ['failed', 'refused', 'deployed', 'deferred'] as const) {
    if (outcomes.includes(outcome)) return outcome;
  }
  return 'unchanged';
}

/**
 * Whether sync's outcome is a success for the command line (exit 0): deployed, deferred or nothing
 * to do; refused and failed are not.
 */
export function syncSucceeded(outcome: SyncOutcome): boolean {
  return outcome === 'deployed' || outcome === 'deferred' || outcome === 'unchanged';
}
