/**
 * `autopilot explain`: what a push of an image would do to one service right now, with every reason,
 * without writing anything. It is deploy on push's own plan ({@link planPushFor}: the same reads and
 * the same decision as a real run, for that service), judged as the run would carry it out: a push
 * reaches only the services the index lists under its repository, a deferral is dropped when a newer
 * push already waits for the service, a deploy under the `match` mode is skipped when a newer push
 * was deployed meanwhile (its watermark), and a decision a notify-only pause turns into a dry run
 * changes nothing. Nothing here writes: the reads are read views of the ports.
 */
import type {
  ImageRegistry,
  PendingPush,
  PendingPushes,
  PushWatermark,
  ServiceLease,
  ServiceRef,
  ServiceState,
  TaskDefinitionDocument,
} from '../../ports';
import { parseServiceArn, shortTaskDefinition } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { digestProblem, parseEcrRegistry, repositoryProblem, tagProblem } from '../aws/image-reference';
import type { DeployMode } from '../policy/deploy-mode';
import {
  clusterPolicyName,
  deployModeOrigin,
  effectivePolicy,
  policyOrigin,
  serviceDeployMode,
} from '../policy/effective-policy';
import { DEPLOY_TAG, POLICY_TAG } from '../policy/service-tags';
import {
  type DecisionAction,
  type DeploymentDecision,
  NEWER_PUSH_WAITING,
  type PushedImage,
  replacesWaiting,
  supersededByWatermark,
} from './plan-deployment';
import { type DeployEffect, type DeployPlan, type DeployReads, planPushFor } from './plan-push';

/** The event id of the push `explain` plans: no event of a real push has it, so no intent is its own. */
export const EXPLAIN_EVENT_ID = 'autopilot-explain';

/** The image `explain` is asked about: `[<ecr registry>/]<repository>[:<tag>][@<digest>]`. */
export interface ImageArgument {
  /** the private ECR registry the argument names (absent: the service's account and region) */
  registry?: { accountId: string; region: string };
  /** the repository as in ECR, `team/api` */
  repositoryName: string;
  tag?: string;
  digest?: string;
  /** as given */
  raw: string;
}

/**
 * Reads the image argument of `autopilot explain`: a repository as ECR names it (`team/api`, not
 * Docker Hub's `library/…`), after a registry host only when it is a private ECR one, with a tag, a
 * digest or both (`team/api:main@sha256:…`: that push, as it would be handled now).
 *
 * @example parseImageArgument('team/api:main') // { ok: true, value: { repositoryName: 'team/api', tag: 'main', raw } }
 */
export function parseImageArgument(
  text: string,
): { ok: true; value: ImageArgument } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason });
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // A first component that looks like a host is a registry, as Docker reads it.
  const host = first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
  const path = host === undefined ? name : name.slice(slash + 1);
  const colon = path.lastIndexOf(':');
  const repositoryName = colon === -1 ? path : path.slice(0, colon);
  const tag = colon === -1 ? undefined : path.slice(colon + 1);
  let registry: ImageArgument['registry'];
  if (host !== undefined) {
    const ecr = parseEcrRegistry(host.toLowerCase());
    if (!ecr) {
      return fail(
        `${host} is not a private ECR registry (<account>.dkr.ecr.<region>.amazonaws.com): autopilot deploys only those`,
      );
    }
    registry = { accountId: ecr.accountId, region: ecr.region };
  }
  const problem =
    repositoryProblem(repositoryName) ??
    (tag === undefined ? undefined : tagProblem(tag)) ??
    (digest === undefined ? undefined : digestProblem(digest));
  if (problem) return fail(problem);
  if (tag === undefined && digest === undefined) {
    return fail(`give a tag or a digest: ${repositoryName}:<tag> or ${repositoryName}@sha256:<digest>`);
  }
  return {
    ok: true,
    value: {
      ...(registry ? { registry } : {}),
      repositoryName,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
      raw: text,
    },
  };
}

/** What `explain` reads: deploy on push's read views, and the few reads of its applier's guards. */
export interface ExplainReads extends Omit<DeployReads, 'dryRun' | 'ecr' | 'pending'> {
  ecr: Pick<ImageRegistry, 'tagsOfDigest' | 'digestOfTag' | 'describeImage'>;
  /** the due pushes (as planning reads them) and the push waiting for the service */
  pending: Pick<PendingPushes, 'listDuePending' | 'pendingOf'>;
  /** the watermark the `check-watermark` guard reads */
  lease: Pick<ServiceLease, 'getWatermark'>;
}

/** One container a push changes: the image it has now and the one it would get. */
export interface ContainerChange {
  container: string;
  from: string;
  to: string;
}

/** What a push of one tag would do to the service. */
export interface PushVerdict {
  /** the decision as the run would carry it out (deploy, defer, skip, failed, unsupported) */
  action: DecisionAction;
  reason: string;
  /** when a deferred push becomes due */
  dueAt?: string;
  /**
   * the decision planned for the service, when the index does not list it: what the push would do
   * if it reached it
   */
  ifReached?: { action: DecisionAction; reason: string; dueAt?: string };
  /** the containers that would change (a deploy or deferral, also one only the index keeps from it) */
  changes: ContainerChange[];
  /** the revision the new one would be copied from */
  fromTaskDefinition?: string;
  /** the effects the run would carry out, in order (up to the guard that would stop it) */
  effects: DeployEffect[];
  /** what else is worth knowing: the push waiting for the service, what a deferral replaces */
  notes: string[];
}

/** Input of {@link judgePush}: the plan for one service and what the applier's guards would read. */
export interface JudgeInput {
  push: PushedImage;
  /** the plan of the push for the service ({@link planPushFor}) */
  plan: DeployPlan;
  /** `<cluster>/<service>` */
  service: string;
  /** the index lists the service under the push's repository */
  indexed: boolean;
  /** the push of the repository waiting for the service, if any */
  waiting?: PendingPush;
  /** the newest push of the repository deployed to the service, if any */
  watermark?: PushWatermark;
  mode?: DeployMode;
  /** the images of the containers of the service's revision, by name */
  images: Readonly<Record<string, string>>;
}

/**
 * What a push would do to a service, from its plan: the planned decision, amended where the run would
 * amend it (a newer push waiting keeps its place, a newer push deployed meanwhile), and a skip when
 * the index does not list the service (the push never reaches it: what it would do if it did is
 * `ifReached`). Pure.
 *
 * @example judgePush({ push, plan, service: 'prod/api', indexed: false, images, … })
 * // { action: 'skip', reason: 'the index does not list prod/api under team/api: a push would not reach it',
 * //   ifReached: { action: 'deploy', reason: 'follows tag main' }, … }
 */
export function judgePush(input: JudgeInput): PushVerdict {
  const { push, plan, waiting, watermark, mode } = input;
  const decided: DeploymentDecision = plan.decisions[0] ?? {
    action: 'skip',
    cluster: '',
    service: input.service,
    serviceArn: '',
    repository: push.repositoryName,
    tag: push.tag,
    digest: push.digest,
    reason: 'service no longer exists',
  };
  let effects = plan.effects.filter((e) => !('decision' in e) || e.decision === 0);
  let outcome: Pick<PushVerdict, 'action' | 'reason' | 'dueAt'> = {
    action: decided.action,
    reason: decided.reason,
    ...(decided.action === 'defer' ? { dueAt: decided.dueAt } : {}),
  };
  const notes: string[] = [];
  // A notify-only pause: the run announces the decision as a dry run and changes nothing.
  if (decided.dryRun === true) {
    outcome = { action: 'skip', reason: decided.reason };
    notes.push(`announced as a dry run (${decided.action}), nothing changed`);
  }
  const pushed = { eventId: push.eventId, tag: push.tag, pushedAt: push.pushedAt.toISOString() };
  // The same image pushed under the same tag is this push, remembered when its event was handled.
  const same = waiting && waiting.push.digest === push.digest && waiting.push.tag === push.tag;
  if (waiting && same) {
    notes.push(`this push waits for the service already, until ${waiting.dueAt}: ${waiting.reason}`);
  } else if (waiting) {
    const other = `${waiting.push.repositoryName}:${waiting.push.tag} (${waiting.push.digest})`;
    if (decided.action === 'defer' && !replacesWaiting(mode, waiting.push, pushed)) {
      outcome = { action: 'skip', reason: `${NEWER_PUSH_WAITING}: ${other}, due at ${waiting.dueAt}` };
      effects = until(effects, 'save-pending');
    } else if (decided.action === 'defer') {
      notes.push(`replaces the push of ${other} waiting until ${waiting.dueAt}`);
    } else {
      notes.push(`a push of ${other} waits for this service until ${waiting.dueAt}: ${waiting.reason}`);
    }
  }
  const superseded = effects.some((e) => e.kind === 'check-watermark')
    ? supersededByWatermark(watermark, pushed.pushedAt)
    : undefined;
  if (decided.action === 'deploy' && superseded !== undefined) {
    outcome = { action: 'skip', reason: superseded };
    effects = until(effects, 'check-watermark');
  }
  const changing = outcome.action === 'deploy' || outcome.action === 'defer';
  const changes =
    changing && decided.containers && decided.image
      ? decided.containers.map((container) => ({
          container,
          from: input.images[container] ?? '(unknown)',
          to: decided.image as string,
        }))
      : [];
  const from = changing ? decided.fromTaskDefinition : undefined;
  if (!input.indexed) {
    return {
      action: 'skip',
      reason: `the index does not list ${input.service} under ${push.repositoryName}: a push would not reach it`,
      ifReached: outcome,
      changes,
      ...(from ? { fromTaskDefinition: from } : {}),
      // Nothing is carried out for a service the push never reaches.
      effects: [],
      notes,
    };
  }
  return { ...outcome, changes, ...(from ? { fromTaskDefinition: from } : {}), effects, notes };
}

/**
 * The effects up to the first of `kind` (a guard, or a conditional write, that stops the decision),
 * and then those closing a scope opened before it (the lease is given back).
 */
function until(effects: readonly DeployEffect[], kind: DeployEffect['kind']): DeployEffect[] {
  const at = effects.findIndex((e) => e.kind === kind);
  if (at === -1) return [...effects];
  return [...effects.slice(0, at + 1), ...effects.slice(at + 1).filter((e) => 'closes' in e)];
}

const describers: {
  [K in DeployEffect['kind']]: (effect: Extract<DeployEffect, { kind: K }>, d: DeploymentDecision) => string;
} = {
  'acquire-lease': (e, d) =>
    `take the lease of ${d.cluster}/${d.service} for ${e.ttlSeconds}s (one deployment of a service at a time)`,
  'plan-again': (_, d) =>
    `read ${d.cluster}/${d.service} again under the lease and plan again (what is carried out)`,
  'check-watermark': (_, d) => `skip if a newer push of ${d.repository} was deployed to it meanwhile`,
  'register-revision': (e, d) =>
    `register a revision copied from ${shortTaskDefinition(e.from)}, ${(d.containers ?? []).join(', ')} -> ${d.image ?? e.digest}`,
  'update-service': (_, d) => `point ${d.cluster}/${d.service} at the new revision (UpdateService)`,
  'record-deployment': () => 'record the deployment (autopilot status, rollback)',
  'note-deployment-started': () => 'note the ECS deployment for the rollback watcher',
  'set-watermark': (_, d) =>
    `move the watermark of ${d.repository} on ${d.cluster}/${d.service} to this push`,
  'release-lease': () => 'give the lease back',
  'save-pending': (e) => `remember the push until ${e.pending.dueAt} (deploy-due deploys it then)`,
  'reschedule-pending': (e) => `remember the push again, until ${e.pending.dueAt}`,
  'delete-pending': () => 'forget the pending push',
  'unindex-service': (e) => `drop ${e.serviceArn} from the index (it no longer exists)`,
};

/**
 * One deploy effect in words, for people.
 *
 * @example describeDeployEffect({ kind: 'release-lease', … }, decision) // 'give the lease back'
 */
export function describeDeployEffect(effect: DeployEffect, decision: DeploymentDecision): string {
  const describe = describers[effect.kind] as (e: DeployEffect, d: DeploymentDecision) => string;
  return describe(effect, decision);
}

/** What `autopilot explain` answers: one object, for people and for scripts. */
export interface PushExplanation extends Omit<PushVerdict, 'effects'> {
  /** `<cluster>/<service>` */
  service: string;
  serviceArn?: string;
  image: {
    /** as given */
    given: string;
    /** as in ECR */
    repository: string;
    registryId?: string;
    region?: string;
    /** the tag whose push is explained */
    tag?: string;
    digest?: string;
    /** every tag pointing at the digest now */
    tags: string[];
    /** when ECR says it was pushed; the push time planned with (now when ECR gives none) */
    pushedAt?: string;
  };
  /** deploy or defer: the push would change the service */
  wouldDeploy: boolean;
  /** the policy that applies and where it comes from */
  policy?: { name: string; from: string };
  /** the deploy mode and where it comes from */
  mode?: { value: string; from: string };
  /** the index lists the service under the repository */
  indexed?: boolean;
  effects: { kind: DeployEffect['kind']; does: string }[];
  /** a digest with several tags: what a push of each other tag would do */
  otherTags?: { tag: string; action: DecisionAction; reason: string; dueAt?: string }[];
}

/** A request to {@link explainPush}. */
export interface ExplainRequest {
  service: ServiceRef;
  image: ImageArgument;
  /**
   * The push is delivered to the service whatever the index says (`autopilot sync --dry-run`): a
   * service the index does not list is planned as if it did (`indexed` still says what it lists)
   */
  delivered?: boolean;
  /** where the push comes from, said in the decision as a real run says it (`autopilot sync by alice`) */
  origin?: string;
}

/**
 * What a push of an image would do to one service now, planned as deploy on push plans it, nothing
 * written. `repo:tag` is the image the tag points at now; `repo@digest` is a push of each tag the
 * digest carries (the one that would deploy or defer is the answer, the others `otherTags`);
 * `repo:tag@digest` is that push as it would be handled now (superseded when the tag has moved on).
 *
 * @example
 * await explainPush({ service: { cluster: 'prod', service: 'api' }, image }, deps)
 * // { service: 'prod/api', action: 'deploy', reason: 'follows tag main', wouldDeploy: true, … }
 */
export async function explainPush(request: ExplainRequest, given: ExplainReads): Promise<PushExplanation> {
  const deps = { ...given, ecs: readOnce(given.ecs) };
  const { image } = request;
  const asked = `${request.service.cluster}/${request.service.service}`;
  const base = {
    image: { given: image.raw, repository: image.repositoryName, tags: [] as string[] },
    changes: [],
    effects: [],
    notes: [],
    wouldDeploy: false,
  };
  const [service] = await deps.ecs.describeServices([request.service]);
  const scope = service && parseServiceArn(service.arn);
  if (!service || !scope)
    return { ...base, service: asked, action: 'skip', reason: `service ${asked} not found` };
  const name = `${service.clusterName}/${service.name}`;
  const about = { ...base, service: name, serviceArn: service.arn, ...policyAndMode(service, deps) };
  const registryId = image.registry?.accountId ?? scope.account;
  const region = image.registry?.region ?? scope.region;
  if (region !== scope.region) {
    // A push there is an event of that region: deploy on push here never hears it (nor is ECR read there).
    return {
      ...about,
      image: { ...about.image, registryId, region },
      action: 'skip',
      reason: `${image.repositoryName} is in ${region} and ${name} in ${scope.region}: a push there does not reach autopilot here`,
    };
  }
  const repository = { registryId, repositoryName: image.repositoryName };
  const described = await deps.ecr.describeImage(
    repository,
    image.digest === undefined ? { tag: image.tag ?? '' } : { digest: image.digest },
  );
  const digest = image.digest ?? described?.digest;
  const tags = image.tag === undefined ? (described?.tags ?? []) : [image.tag];
  const pushedAt = described?.pushedAt;
  const imageOf = {
    ...about.image,
    registryId,
    region,
    ...(digest ? { digest } : {}),
    tags: described?.tags ?? [],
    ...(pushedAt ? { pushedAt } : {}),
  };
  const refused = (reason: string) => ({ ...about, image: imageOf, action: 'skip' as const, reason });
  if (digest === undefined) return refused(`${image.repositoryName}:${image.tag} does not exist in ECR`);
  if (tags.length === 0) {
    return refused(
      described
        ? `${image.repositoryName}@${digest} carries no tag in ECR: a push without a tag is not deployed`
        : `${image.repositoryName}@${digest} is not in ECR`,
    );
  }
  const key = repositoryKey({ accountId: registryId, region, repositoryName: image.repositoryName });
  const [indexed, pending, source] = await Promise.all([
    deps.index.servicesForRepository(key).then((listed) => listed.some((s) => s.serviceArn === service.arn)),
    deps.pending.pendingOf(service.arn),
    deps.ecs.describeTaskDefinition(service.taskDefinitionArn),
  ]);
  const waiting = pending.find((p) => repositoryKey(p.push) === key);
  const parsedMode = serviceDeployMode(deps.policyFile, service);
  const mode = parsedMode && !('invalid' in parsedMode) ? parsedMode : undefined;
  const now = deps.now();
  const judged: { tag: string; verdict: PushVerdict; plan: DeployPlan }[] = [];
  for (const tag of tags) {
    const push: PushedImage = {
      eventId: EXPLAIN_EVENT_ID,
      accountId: registryId,
      region,
      repositoryName: image.repositoryName,
      digest,
      tag,
      pushedAt: pushedAt ? new Date(pushedAt) : now,
      ...(request.origin === undefined ? {} : { origin: request.origin }),
    };
    // The intents are read (`dryRun`), as a dry run reads them, to show an earlier attempt's work.
    const plan = await planPushFor(push, request.service, { ...deps, dryRun: true });
    const watermark = plan.effects.some((e) => e.kind === 'check-watermark')
      ? await deps.lease.getWatermark(service.arn, key)
      : undefined;
    const verdict = judgePush({
      push,
      plan,
      service: name,
      indexed: indexed || request.delivered === true,
      ...(waiting ? { waiting } : {}),
      ...(watermark ? { watermark } : {}),
      ...(mode ? { mode } : {}),
      images: imagesOf(source),
    });
    judged.push({ tag, verdict, plan });
  }
  const planned = (v: PushVerdict) => (v.ifReached ?? v).action;
  const moves = (action: DecisionAction) => action === 'deploy' || action === 'defer';
  const chosen =
    judged.find((j) => moves(j.verdict.action)) ?? judged.find((j) => moves(planned(j.verdict))) ?? judged[0];
  if (!chosen) return refused(`${image.repositoryName}@${digest} carries no tag in ECR`);
  const { verdict, plan } = chosen;
  const decision = plan.decisions[0];
  const others = judged.filter((j) => j !== chosen);
  return {
    ...about,
    ...verdict,
    image: { ...imageOf, tag: chosen.tag, ...(pushedAt ? {} : { pushedAt: now.toISOString() }) },
    wouldDeploy: moves(verdict.action),
    indexed,
    notes: pushedAt
      ? verdict.notes
      : [...verdict.notes, 'ECR gives no push time: the image is aged from now'],
    effects: decision
      ? verdict.effects.map((e) => ({ kind: e.kind, does: describeDeployEffect(e, decision) }))
      : [],
    ...(others.length > 0
      ? {
          otherTags: others.map(({ tag, verdict: v }) => ({
            tag,
            action: v.action,
            reason: v.reason,
            ...(v.dueAt ? { dueAt: v.dueAt } : {}),
          })),
        }
      : {}),
  };
}

/** The policy and deploy mode of a service, each with where it comes from. */
function policyAndMode(
  service: ServiceState,
  deps: Pick<ExplainReads, 'policyFile'>,
): Pick<PushExplanation, 'policy' | 'mode'> {
  const file = deps.policyFile;
  const resolved = effectivePolicy(file, service);
  const mode = serviceDeployMode(file, service);
  // A policy that is not defined is named as the tag or the cluster names it; deploy on push skips it.
  const named = service.tags[POLICY_TAG] ?? clusterPolicyName(file, service.clusterName);
  const policy = { name: 'invalid' in resolved ? (named ?? '?') : (resolved.name ?? 'defaults') };
  if (mode === undefined) return { policy: { ...policy, from: policyOrigin(file, service) } };
  // A value that is no mode is shown as written: the decision says what is wrong with it.
  const value = 'invalid' in mode ? (service.tags[DEPLOY_TAG] ?? '?') : mode.toString();
  return {
    policy: { ...policy, from: policyOrigin(file, service) },
    mode: { value, from: deployModeOrigin(file, service) ?? 'service tag' },
  };
}

/** The images of a revision's containers, by name. */
function imagesOf(doc: TaskDefinitionDocument | undefined): Record<string, string> {
  return Object.fromEntries((doc?.definition.containerDefinitions ?? []).map((c) => [c.name, c.image]));
}

/**
 * The ECS reads asked once each: the service `explain` describes first is the one planning describes,
 * and each tag of a digest is planned on the same reads.
 */
function readOnce(ecs: ExplainReads['ecs']): ExplainReads['ecs'] {
  const services = new Map<string, ReturnType<ExplainReads['ecs']['describeServices']>>();
  const revisions = new Map<string, ReturnType<ExplainReads['ecs']['describeTaskDefinition']>>();
  const once = <T>(cache: Map<string, T>, key: string, read: () => T): T => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const value = read();
    cache.set(key, value);
    return value;
  };
  return {
    describeServices: (refs) => once(services, JSON.stringify(refs), () => ecs.describeServices(refs)),
    describeTaskDefinition: (arn) => once(revisions, arn, () => ecs.describeTaskDefinition(arn)),
  };
}
