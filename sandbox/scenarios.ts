/**
 * The scenarios the local account plays (`npm start`) and the end-to-end tests assert. Each one acts
 * like a person or a pipeline would (push an image, deliver an event again, inject faults) and then
 * checks the final state of the account, not autopilot's internals.
 *
 * Each scenario sets up what it needs itself (pushes a version before redelivering it, waits for a
 * revision to become known good before it breaks it), so scenarios pass alone on a fresh account or
 * in any order on one (the e2e tests play each on its own account; `npm start` plays them in a row).
 * Expectations are about decisions and outcomes, never about how fast the machine is: waits end when
 * the awaited event happens, with deadlines far above what a busy machine needs.
 */

import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  ListImagesCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServiceRevisionsCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTagsForResourceCommand,
  ListTasksCommand,
  type NetworkConfiguration,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Tag,
  type Task,
  type TaskOverride,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import semver from 'semver';
import { EcrGateway } from '../shared/adapters/aws/ecr-gateway';
import { EcrImageCatalog } from '../shared/adapters/aws/ecr-image-catalog';
import { EcsGateway } from '../shared/adapters/aws/ecs-gateway';
import { EventBridgePublisher } from '../shared/adapters/aws/event-publisher';
import { DynamoDeploymentHistory } from '../shared/adapters/state/dynamo-deployment-history';
import { DynamoPauses } from '../shared/adapters/state/dynamo-pauses';
import { DynamoPendingPushes } from '../shared/adapters/state/dynamo-pending-pushes';
import { DynamoQuarantine } from '../shared/adapters/state/dynamo-quarantine';
import { DynamoServiceIndex } from '../shared/adapters/state/dynamo-service-index';
import { DynamoServiceLease } from '../shared/adapters/state/dynamo-service-lease';
import { DynamoSkippedPushes } from '../shared/adapters/state/dynamo-skipped-pushes';
import { loadPolicyFile } from '../shared/config/policy-file';
import { resumePause } from '../shared/domain/deploy/resume-pause';
import { type SyncResult, syncService } from '../shared/domain/deploy/sync-service';
import { formatTime } from '../shared/domain/notify/describe-event';
import { RESTART_MESSAGE_VERSION } from '../shared/events/restart-delay-message';
import type { ServiceRef, SkippedPush } from '../shared/ports';
import type { EventBridgeEvent } from '../tools/eventbridge/event';
import { readServerlessConfig } from '../tools/serverless-config';
import {
  operatorState,
  REGION,
  REGISTRY,
  type Sandbox,
  SIDECAR_IMAGE,
  sweepTagPolicies,
  tagService,
} from './account';
import type { ChatKind, ChatMessage } from './chat-sink';
import type { CallRecord, TaskFate } from './control-plane';
import type { BusRecord } from './runtime/bus';
import { chatTitle } from './timeline';

/** One checked expectation. */
export interface Expectation {
  description: string;
  ok: boolean;
  detail?: string;
}

/** The outcome of a scenario. */
export interface ScenarioResult {
  name: string;
  expectations: Expectation[];
}

/** A scenario: a name and what it does and checks. */
export interface Scenario {
  name: string;
  run(sandbox: Sandbox): Promise<Expectation[]>;
}

const MUTATING = /^(Register|Update|Create|Delete|Deregister|Run|Stop|Start|Tag|Untag|Put)/;

/**
 * How long a scenario waits for something that must happen (an event, a chat message) before it
 * calls it missing. Far above what the slowest busy machine needs: a wait ends as soon as the thing
 * happens, so a generous deadline costs nothing when all is well.
 */
const WAIT_MS = 90_000;

/** Records what happens during one step: autopilot events, decisions, mutating API calls. */
async function during(sandbox: Sandbox, act: () => void | Promise<void>) {
  const records: BusRecord[] = [];
  const chat: ChatMessage[] = [];
  const firstCall = sandbox.plane.calls.length;
  const stop = sandbox.runtime.bus.subscribe((r) => records.push(r));
  const stopChat = sandbox.chat.subscribe((m) => chat.push(m));
  try {
    await act();
    await sandbox.settle();
  } finally {
    stop();
    stopChat();
  }
  const calls = sandbox.plane.calls.slice(firstCall);
  return {
    events: records.flatMap((r) => (r.kind === 'event' && r.event.source === 'autopilot' ? [r.event] : [])),
    /** every decision, with the function that took it (and `replayed` when a duplicate was answered) */
    decisions: records.flatMap((r) => {
      if (r.kind !== 'delivery' || r.outcome !== 'ok') return [];
      const result = r.result as { decisions?: Record<string, unknown>[]; replayed?: boolean } | undefined;
      const replayed = result?.replayed === true ? { replayed: true } : {};
      return (result?.decisions ?? []).map(
        (d): Record<string, unknown> => ({ function: r.function, ...d, ...replayed }),
      );
    }),
    mutations: calls
      .filter((c) => MUTATING.test(c.operation) && !c.fault && !c.error)
      .map((c) => c.operation),
    /** every API call the control plane received meanwhile */
    calls,
    failures: records.filter(
      (r) => r.kind === 'delivery' && (r.outcome === 'failed' || r.outcome === 'rejected'),
    ),
    /** what the chat services accepted, by kind, as `<kind>: <title>` */
    chat: chat.filter((m) => m.status < 300).map((m) => `${m.kind}: ${chatTitle(m)}`),
    /** what the chat services refused or would mishandle */
    chatProblems: chat.filter((m) => m.problem !== undefined && m.status !== 429),
    webhooks: chat.filter((m) => m.kind === ('webhook' satisfies ChatKind)),
  };
}

/** Whether a chat message of `kind` whose title contains every one of `words` arrived. */
const chatted = (chat: readonly string[], kind: ChatKind, ...words: string[]) =>
  chat.some((line) => line.startsWith(`${kind}: `) && words.every((w) => line.includes(w)));

function expect(description: string, ok: boolean, detail?: unknown): Expectation {
  return ok
    ? { description, ok }
    : { description, ok, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) };
}

const count = (list: readonly string[], item: string) => list.filter((x) => x === item).length;

async function primaryRollout(sandbox: Sandbox, cluster: string, service: string) {
  const svc = await sandbox.describeService(cluster, service);
  return svc.deployments?.find((d) => d.status === 'PRIMARY')?.rolloutState;
}

/** The ECR event of the last push of `repository:tag` seen on the bus. */
function lastPushEvent(sandbox: Sandbox, repository: string, tag: string): EventBridgeEvent | undefined {
  const pushes = sandbox.plane.emitted.filter(
    (e) =>
      e['detail-type'] === 'ECR Image Action' &&
      (e.detail as Record<string, unknown>)['repository-name'] === repository &&
      (e.detail as Record<string, unknown>)['image-tag'] === tag,
  );
  return pushes.at(-1) as EventBridgeEvent | undefined;
}

/** push team/api:main -> one new revision pinned by digest -> prod/api and staging/api rolled. */
export const pushFollowsTag: Scenario = {
  name: 'push team/api:main: a new revision pinned by digest, both services of the family rolled',
  async run(sandbox) {
    // Both services run the same revision of the family, unless a rollback of one split them.
    const sources = new Set(
      await Promise.all(
        ['prod', 'staging'].map(async (c) => (await sandbox.describeService(c, 'api')).taskDefinition),
      ),
    ).size;
    let digest = '';
    const seen = await during(sandbox, () => {
      digest = sandbox.plane.pushImage('team/api', 'main').digest;
    });
    const pinned = `${REGISTRY}/team/api@${digest}`;
    const prod = await sandbox.imagesOf('prod', 'api');
    const staging = await sandbox.imagesOf('staging', 'api');
    return [
      expect('prod/api runs the pushed image by digest', prod.app === pinned, prod),
      expect('staging/api runs the pushed image by digest', staging.app === pinned, staging),
      expect(
        'the log router sidecar is untouched',
        prod['log-router'] === SIDECAR_IMAGE && staging['log-router'] === SIDECAR_IMAGE,
      ),
      expect(
        sources === 1
          ? 'one revision registered for the shared revision of the family'
          : `one revision registered per revision the services ran (${sources})`,
        count(seen.mutations, 'RegisterTaskDefinition') === sources,
        seen.mutations,
      ),
      expect(
        'two services updated and nothing else changed',
        count(seen.mutations, 'UpdateService') === 2 && seen.mutations.length === 2 + sources,
        seen.mutations,
      ),
      expect(
        'Deployment Started published for each service',
        seen.events.filter((e) => e['detail-type'] === 'Deployment Started').length === 2,
        seen.events.map((e) => e['detail-type']),
      ),
      expect(
        'the prod/api deployment completed',
        (await primaryRollout(sandbox, 'prod', 'api')) === 'COMPLETED',
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
      expect(
        'Slack, Discord and the audit webhook each told about both deployments',
        (['slack', 'discord', 'webhook'] as const).every(
          (kind) => chatted(seen.chat, kind, 'prod/api') && chatted(seen.chat, kind, 'staging/api'),
        ),
        seen.chat,
      ),
      expect(
        'the webhook messages carry a valid signature',
        seen.webhooks.length > 0 && seen.webhooks.every((m) => m.verified === true),
        seen.webhooks.map((m) => m.verified),
      ),
      expect('no chat service refused a message', seen.chatProblems.length === 0, seen.chatProblems),
    ];
  },
};

/** The same ECR event delivered again changes nothing. */
export const duplicateDelivery: Scenario = {
  name: 'the same push event delivered twice: nothing changes the second time',
  async run(sandbox) {
    const first = await during(sandbox, () => {
      sandbox.plane.pushImage('team/api', 'main');
    });
    const event = lastPushEvent(sandbox, 'team/api', 'main');
    if (!event) return [expect('the push of team/api:main reached the bus', false)];
    const before = await sandbox.imagesOf('prod', 'api');
    const seen = await during(sandbox, () => {
      sandbox.runtime.bus.put(structuredClone(event));
    });
    const after = await sandbox.imagesOf('prod', 'api');
    const replayed = seen.decisions.filter((d) => d.function === 'deploy-on-push');
    return [
      expect('the first delivery deployed', first.mutations.includes('UpdateService'), first.mutations),
      expect('no API mutation the second time', seen.mutations.length === 0, seen.mutations),
      expect(
        "the second delivery answered with the first one's decisions, as a replay",
        replayed.length > 0 && replayed.every((d) => d.replayed === true),
        replayed,
      ),
      expect('prod/api unchanged', before.app === after.app),
    ];
  },
};

/** The semantic versions among the tags of a repository. */
async function versionsOf(sandbox: Sandbox, repository: string): Promise<semver.SemVer[]> {
  const listed = await sandbox.ecr.send(new ListImagesCommand({ repositoryName: repository }));
  return (listed.imageIds ?? []).flatMap((id) => {
    const version = semver.parse(id.imageTag ?? '');
    return version ? [version] : [];
  });
}

/** The version a service runs from a repository: its image tag, or the tags of its pinned digest. */
async function runningVersion(
  sandbox: Sandbox,
  cluster: string,
  service: string,
  repository: string,
): Promise<semver.SemVer | undefined> {
  const image = (await sandbox.imagesOf(cluster, service)).app ?? '';
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
  const tags = digest
    ? ((
        await sandbox.ecr.send(
          new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] }),
        )
      ).imageDetails?.[0]?.imageTags ?? [])
    : [image.split(':').pop() ?? ''];
  return tags.flatMap((t) => semver.parse(t) ?? []).sort(semver.rcompare)[0];
}

/**
 * The next minor version of `running`'s major that was never pushed: a minor upgrade that no earlier
 * scenario used (1.5.0 on the seeded 1.4.2; 1.7.0 after 1.6.x was pushed).
 */
async function nextMinor(sandbox: Sandbox, repository: string, running: semver.SemVer): Promise<string> {
  const sameMajor = (await versionsOf(sandbox, repository)).filter((v) => v.major === running.major);
  const minor = Math.max(running.minor, ...sameMajor.map((v) => v.minor)) + 1;
  return `${running.major}.${minor}.0`;
}

/** semver:minor moves to the next minor version and refuses the next major one. */
export const semverMinor: Scenario = {
  name: 'semver:minor: a minor upgrade is deployed to prod/payments, a major one is refused',
  async run(sandbox) {
    const running = await runningVersion(sandbox, 'prod', 'payments', 'team/payments');
    if (!running) return [expect('prod/payments runs a semantic version', false)];
    const minorTag = await nextMinor(sandbox, 'team/payments', running);
    const majorTag = `${running.major + 1}.0.0`;
    let minor = '';
    const first = await during(sandbox, () => {
      minor = sandbox.plane.pushImage('team/payments', minorTag).digest;
    });
    const afterMinor = await sandbox.imagesOf('prod', 'payments');
    const second = await during(sandbox, () => {
      sandbox.plane.pushImage('team/payments', majorTag);
    });
    const afterMajor = await sandbox.imagesOf('prod', 'payments');
    const refusal = second.decisions.find((d) => d.function === 'deploy-on-push' && d.service === 'payments');
    const lastSkip = await lastSkipOf(sandbox, 'prod', 'payments');
    return [
      expect(
        `${minorTag} (from ${running.version}) deployed by digest`,
        afterMinor.app === `${REGISTRY}/team/payments@${minor}`,
        afterMinor,
      ),
      expect(
        `one revision, one update for ${minorTag}`,
        first.mutations.join() === 'RegisterTaskDefinition,UpdateService',
        first.mutations,
      ),
      expect(`${majorTag} not deployed`, afterMajor.app === afterMinor.app, afterMajor),
      expect('the refusal says why', /major upgrade/.test(String(refusal?.reason)), refusal),
      expect(`nothing changed for ${majorTag}`, second.mutations.length === 0, second.mutations),
      expect(
        `status can say why: ${majorTag} is kept as the last push skipped for prod/payments, with the refusal`,
        lastSkip?.tag === majorTag && lastSkip.reason === refusal?.reason,
        lastSkip,
      ),
    ];
  },
};

/** The last push deploy on push skipped for a service, as `autopilot status` reads it. */
async function lastSkipOf(
  sandbox: Sandbox,
  cluster: string,
  service: string,
): Promise<SkippedPush | undefined> {
  const { serviceArn } = await sandbox.describeService(cluster, service);
  const dynamo = new DynamoDBClient({
    ...operatorConfig(sandbox),
    endpoint: sandbox.runtime.dynamo.endpoint,
  });
  try {
    return await new DynamoSkippedPushes(sandbox.runtime.dynamo.tableName, dynamo).lastSkip(serviceArn ?? '');
  } finally {
    dynamo.destroy();
  }
}

/** A policy with a cooldown defers the push, deploy-due deploys it when due. */
export const cooldown: Scenario = {
  name: 'cooldown policy: the push to staging/reports waits 5 s, then deploy-due deploys it',
  async run(sandbox) {
    let digest = '';
    const pinned = () => `${REGISTRY}/team/reports@${digest}`;
    const seen = await during(sandbox, async () => {
      digest = sandbox.plane.pushImage('team/reports', 'main').digest;
      const deadline = Date.now() + WAIT_MS;
      while (Date.now() < deadline && (await sandbox.imagesOf('staging', 'reports')).app !== pinned()) {
        await sleep(200);
      }
    });
    const images = await sandbox.imagesOf('staging', 'reports');
    const scheduled = seen.events.find(
      (e) => e['detail-type'] === 'Deployment Scheduled' && e.detail.digest === digest,
    );
    const atPush = seen.decisions.find(
      (d) => d.function === 'deploy-on-push' && d.service === 'reports' && d.digest === digest,
    );
    const whenDue = seen.decisions.find(
      (d) => d.function === 'deploy-due' && d.service === 'reports' && d.action === 'deploy',
    );
    return [
      expect(
        'deploy on push deferred it for the cooldown',
        atPush?.action === 'defer' && /young|cooldown|age/i.test(String(atPush.reason)),
        atPush ?? seen.decisions,
      ),
      expect(
        'Deployment Scheduled published with the due time',
        scheduled !== undefined && typeof scheduled.detail.dueAt === 'string',
        seen.events.map((e) => e['detail-type']),
      ),
      expect('deploy-due deployed it once due', whenDue !== undefined, seen.decisions),
      expect('staging/reports runs the pushed image by digest', images.app === pinned(), images),
    ];
  },
};

/**
 * A typo in a service's opt-in tag reaches people once (not on every event), and once more when it
 * is fixed; the service is left alone meanwhile.
 */
export const misconfiguredTag: Scenario = {
  name: "a typo in prod/api's tag (autopilot:deploy=tags:main): one Configuration Problem in chat, none when tagged again, one when fixed",
  async run(sandbox) {
    const problems = (events: readonly EventBridgeEvent[]) =>
      events.filter((e) => e['detail-type'] === 'Configuration Problem' && e.detail.service === 'api');
    try {
      const broken = await during(sandbox, () =>
        tagService(sandbox, 'prod', 'api', { 'autopilot:deploy': 'tags:main' }),
      );
      const again = await during(sandbox, () =>
        tagService(sandbox, 'prod', 'api', { 'autopilot:deploy': 'tags:main', team: 'platform' }),
      );
      const fixed = await during(sandbox, () =>
        tagService(sandbox, 'prod', 'api', { 'autopilot:deploy': 'tag:main' }),
      );
      const announced = problems(broken.events);
      return [
        expect(
          'one Configuration Problem suggesting tag:main',
          announced.length === 1 &&
            announced[0]?.detail.resolved === false &&
            announced[0].detail.suggestion === 'tag:main',
          broken.events.map((e) => e.detail),
        ),
        expect(
          'the platform channel heard of it',
          chatted(broken.chat, 'slack', 'prod/api', 'invalid tag'),
          broken.chat,
        ),
        expect(
          'tagged again with the same typo: nothing new',
          problems(again.events).length === 0,
          again.events,
        ),
        expect(
          'fixed: one resolution',
          problems(fixed.events).length === 1 && problems(fixed.events)[0]?.detail.resolved === true,
          fixed.events.map((e) => e.detail),
        ),
        expect(
          'nothing deployed or changed by autopilot meanwhile',
          [broken, again, fixed].every((step) => step.mutations.every((m) => m === 'TagResource')),
          [broken.mutations, again.mutations, fixed.mutations],
        ),
      ];
    } finally {
      // Whatever happened, prod/api follows tag:main again for the scenarios that come after.
      await tagService(sandbox, 'prod', 'api', { 'autopilot:deploy': 'tag:main' });
      await sandbox.settle();
    }
  },
};

/** A push without a tag (a per-platform manifest) reaches no function. */
export const digestOnlyPush: Scenario = {
  name: 'a digest-only push (per-platform manifest) is not acted on',
  async run(sandbox) {
    const seen = await during(sandbox, () => {
      sandbox.runtime.bus.put({
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        resources: [],
        detail: {
          result: 'SUCCESS',
          'repository-name': 'team/api',
          'image-digest': `sha256:${'d'.repeat(64)}`,
          'action-type': 'PUSH',
          'manifest-media-type': 'application/vnd.oci.image.manifest.v1+json',
        },
      });
    });
    return [
      expect(
        'deploy on push took no decision',
        seen.decisions.every((d) => d.function !== 'deploy-on-push'),
        seen.decisions,
      ),
      expect('no API mutation', seen.mutations.length === 0, seen.mutations),
    ];
  },
};

/** Throttling and 5xx on the ECS/ECR API: the same outcome, through retries. */
export const faultsInjected: Scenario = {
  name: 'throttling and 5xx injected on ECS and ECR: the push still ends deployed',
  async run(sandbox) {
    let digest = '';
    sandbox.setFaults([
      { operation: 'ecs:*', kind: 'throttle', rate: 0.2 },
      { operation: 'ecr:*', kind: 'throttle', rate: 0.2 },
      { operation: 'ecs:*', kind: '5xx', rate: 0.1 },
      { operation: 'ecr:*', kind: '5xx', rate: 0.1 },
    ]);
    let seen: Awaited<ReturnType<typeof during>>;
    try {
      seen = await during(sandbox, () => {
        digest = sandbox.plane.pushImage('team/api', 'main').digest;
      });
    } finally {
      sandbox.setFaults([]);
    }
    await sandbox.settle();
    const faulted = sandbox.plane.calls.filter((c) => c.fault === 'throttle' || c.fault === '5xx').length;
    const prod = await sandbox.imagesOf('prod', 'api');
    const staging = await sandbox.imagesOf('staging', 'api');
    const pinned = `${REGISTRY}/team/api@${digest}`;
    return [
      expect('faults were actually injected', faulted > 0),
      expect('prod/api runs the pushed image', prod.app === pinned, prod),
      expect('staging/api runs the pushed image', staging.app === pinned, staging),
      expect('no event was lost to the dead-letter queue', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * Eight pushes of one tag 400 ms apart while ECS and ECR throttle, fail and lose answers (the change
 * made, the answer a 500): the services end on the eighth push; a push handled after the tag moved on
 * is skipped; every revision autopilot registered is deployed (no orphan) and every deployment is
 * announced once.
 */
export const newestPushUnderFaults: Scenario = {
  name: 'eight pushes of team/api:main 400 ms apart under throttling, 5xx and lost answers: both services end on the eighth, no orphan revision, each deployment announced once',
  async run(sandbox) {
    const digests: string[] = [];
    // Lost answers where they matter, on the two calls that change ECS: every RegisterTaskDefinition
    // (found again by its tags, never registered twice) and some UpdateService (recorded and
    // announced by the retry); throttling and 5xx everywhere, at rates the functions' retries ride
    // out (the tests' SDK clients make two attempts).
    sandbox.setFaults([
      { operation: 'RegisterTaskDefinition', kind: 'lost', rate: 1 },
      { operation: 'UpdateService', kind: 'lost', rate: 0.3 },
      { operation: '*', kind: 'throttle', rate: 0.05 },
      { operation: '*', kind: '5xx', rate: 0.02 },
    ]);
    const firstCall = sandbox.plane.calls.length;
    let seen: Awaited<ReturnType<typeof during>>;
    try {
      seen = await during(sandbox, async () => {
        for (let i = 0; i < 8; i++) {
          const content = `newest-push-${Date.now()}-${i}`;
          digests.push(sandbox.plane.pushImage('team/api', 'main', { kind: 'healthy' }, { content }).digest);
          await sleep(400);
        }
      });
    } finally {
      sandbox.setFaults([]);
    }
    await sandbox.settle();
    const calls = sandbox.plane.calls.slice(firstCall);
    // A call was carried out unless a fault before the handler (throttle, 5xx) or the handler refused it.
    const applied = (operation: string) =>
      calls.filter(
        (c) =>
          c.operation === operation &&
          (c.fault === 'lost' || (c.fault !== 'throttle' && c.fault !== '5xx' && !c.error)),
      );
    const registered = applied('RegisterTaskDefinition').length;
    const updates = new Set(
      applied('UpdateService').map((c) => {
        const input = c.input as { cluster?: string; service?: string; taskDefinition?: string };
        return `${input.cluster}/${input.service} ${input.taskDefinition}`;
      }),
    );
    const started = seen.events.filter((e) => e['detail-type'] === 'Deployment Started');
    const announced = started.map(
      (e) => `${e.detail.cluster}/${e.detail.service} ${e.detail.toTaskDefinition}`,
    );
    const newest = `${REGISTRY}/team/api@${digests.at(-1)}`;
    const prod = await sandbox.imagesOf('prod', 'api');
    const staging = await sandbox.imagesOf('staging', 'api');
    return [
      expect(
        'lost answers were injected',
        calls.some((c) => c.fault === 'lost'),
      ),
      expect('prod/api runs the eighth push', prod.app === newest, { prod, digests }),
      expect('staging/api runs the eighth push', staging.app === newest, { staging, digests }),
      expect('each deployment was announced once', new Set(announced).size === announced.length, announced),
      expect(
        'every service update autopilot made was announced',
        [...updates].every((u) => announced.includes(u)) && updates.size === announced.length,
        { updates: [...updates], announced },
      ),
      expect(
        'every revision registered was deployed: no orphan',
        registered === new Set(started.map((e) => e.detail.toTaskDefinition)).size,
        { registered, announced },
      ),
      expect(
        'the last deployment announced is the eighth push, on both services',
        ['prod', 'staging'].every(
          (cluster) =>
            started.filter((e) => e.detail.cluster === cluster).at(-1)?.detail.digest === digests.at(-1),
        ),
        started.map((e) => [e.detail.cluster, e.detail.digest]),
      ),
    ];
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until autopilot has published an event matching `predicate`, among those published from
 * index `from` of the sandbox's history on (default: from now), or the timeout passes.
 */
async function waitForAutopilotEvent(
  sandbox: Sandbox,
  predicate: (event: EventBridgeEvent) => boolean,
  options: { from?: number; timeoutMs?: number } = {},
): Promise<EventBridgeEvent | undefined> {
  const from = options.from ?? sandbox.published.length;
  let found: EventBridgeEvent | undefined;
  await waitUntil(() => {
    found = sandbox.published.slice(from).find(predicate);
    return found !== undefined;
  }, options.timeoutMs);
  return found;
}

const forService = (cluster: string, service: string, detailType: string) => (e: EventBridgeEvent) =>
  e['detail-type'] === detailType && e.detail.cluster === cluster && e.detail.service === service;

/** Waits for a service's current revision to become known good (bake time over, no signal). */
async function knownGood(sandbox: Sandbox, cluster: string, service: string): Promise<boolean> {
  await sandbox.settle();
  const svc = await sandbox.describeService(cluster, service);
  const event = await waitForAutopilotEvent(
    sandbox,
    (e) =>
      forService(cluster, service, 'Deployment Succeeded')(e) &&
      e.detail.taskDefinition === svc.taskDefinition,
    { from: 0 },
  );
  return event !== undefined;
}

/** A crashing image: ECS's circuit breaker rolls back, autopilot quarantines the digest for good. */
export const crashQuarantined: Scenario = {
  name: 'a crashing minor release of prod/payments: ECS rolls back, autopilot quarantines it, the same digest under a patch tag is refused',
  async run(sandbox) {
    const baked = await knownGood(sandbox, 'prod', 'payments');
    const before = await sandbox.imagesOf('prod', 'payments');
    const running = await runningVersion(sandbox, 'prod', 'payments', 'team/payments');
    if (!running) return [expect('prod/payments runs a semantic version', false)];
    const crashTag = await nextMinor(sandbox, 'team/payments', running);
    const patchTag = crashTag.replace(/\.0$/, '.1');
    const content = `payments-${crashTag}-broken`;
    let bad = '';
    const crashed = await during(sandbox, async () => {
      bad = sandbox.plane.pushImage('team/payments', crashTag, { kind: 'crash' }, { content }).digest;
      await waitForAutopilotEvent(sandbox, forService('prod', 'payments', 'Image Quarantined'));
    });
    const after = await sandbox.imagesOf('prod', 'payments');
    const rolledBack = crashed.events.find((e) => e['detail-type'] === 'Deployment Rolled Back');
    const quarantined = crashed.events.find((e) => e['detail-type'] === 'Image Quarantined');
    const lateCrashes = crashed.decisions.filter(
      (d) =>
        d.function === 'watch-deployments' && /already rolled back|already failed/.test(String(d.reason)),
    );
    const misread = crashed.decisions.filter((d) => /older revision/.test(String(d.reason)));
    const again = await during(sandbox, () => {
      sandbox.plane.pushImage('team/payments', patchTag, { kind: 'crash' }, { content });
    });
    const refusal = again.decisions.find((d) => d.function === 'deploy-on-push' && d.service === 'payments');
    return [
      expect(
        `the running ${running.version} had become known good first`,
        baked,
        sandbox.published.map(
          (e) => `${e['detail-type']} ${e.detail.service} ${e.detail.taskDefinition ?? ''}`,
        ),
      ),
      expect('prod/payments is back on the image it ran before', after.app === before.app, after),
      expect('Deployment Rolled Back published, by ECS', rolledBack?.detail.by === 'ecs', rolledBack?.detail),
      expect('the crashing digest is quarantined', quarantined?.detail.digest === bad, quarantined?.detail),
      expect(
        'autopilot did not roll back a second time',
        !crashed.mutations.includes('StopServiceDeployment'),
        crashed.mutations,
      ),
      expect(
        'crashes reported after the rollback are not blamed on an older revision',
        misread.length === 0,
        { misread, lateCrashes },
      ),
      expect(
        `the same digest pushed as ${patchTag} is refused as quarantined`,
        /quarantined/.test(String(refusal?.reason)),
        refusal,
      ),
      expect(`nothing deployed for ${patchTag}`, again.mutations.length === 0, again.mutations),
      expect(
        'the payments team heard of the deployment on Teams (team tag route)',
        chatted(crashed.chat, 'teams', 'prod/payments deploying'),
        crashed.chat,
      ),
      expect(
        'the SRE space and AWS Chatbot heard of the rollback and the quarantine',
        (['google-chat', 'sns'] as const).every(
          (kind) =>
            chatted(crashed.chat, kind, 'prod/payments rolled back') &&
            chatted(crashed.chat, kind, 'quarantined'),
        ),
        crashed.chat,
      ),
    ];
  },
};

/** Waits until `function` decided `action` about `service` (`cluster/service`) after bus record `from`. */
async function waitForDecision(
  sandbox: Sandbox,
  match: (decision: Record<string, unknown>, functionName: string) => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), WAIT_MS);
    const stop = sandbox.runtime.bus.subscribe((record) => {
      if (record.kind !== 'delivery' || record.outcome !== 'ok') return;
      const decisions = (record.result as { decisions?: Record<string, unknown>[] } | undefined)?.decisions;
      if (decisions?.some((d) => match(d, record.function))) finish(true);
    });
    function finish(found: boolean) {
      clearTimeout(timer);
      stop();
      resolve(found);
    }
  });
}

/**
 * An alarm inside the bake time rolls a healthy-looking deployment back; the alarm firing again
 * during that rollback gives Rollback Failed and no second rollback (never a rollback of a rollback).
 */
export const alarmInBake: Scenario = {
  name: 'alarm api-5xx fires while staging/api bakes a new push: rolled back to the last known good revision; it fires again during the rollback: Rollback Failed, no second rollback',
  async run(sandbox) {
    const baked = await knownGood(sandbox, 'staging', 'api');
    const good = await sandbox.imagesOf('staging', 'api');
    sandbox.plane.setAlarmState('api-5xx', 'OK', 'Threshold no longer crossed');
    let digest = '';
    // The alarm fires once ECS reported the deployment COMPLETED and autopilot started its bake time.
    const baking = waitForDecision(
      sandbox,
      (d, fn) => fn === 'watch-deployments' && d.service === 'staging/api' && d.action === 'bake',
    );
    let deployed: Awaited<ReturnType<Sandbox['imagesOf']>> = {};
    // The bake timer waits until the alarm was handled: on a busy machine the 6 s bake time could
    // end (and the push become known good) before the alarm that fired within it is handled.
    const releaseBakes = sandbox.runtime.holdSchedule('bake-timer');
    const fired = await during(sandbox, async () => {
      digest = sandbox.plane.pushImage('team/api', 'main').digest;
      await baking;
      deployed = await sandbox.imagesOf('staging', 'api');
      // At once: the alarm's time, not when it is handled, must fall within the bake time (6 s).
      const from = sandbox.published.length;
      sandbox.plane.setAlarmState('api-5xx', 'ALARM', 'Threshold Crossed: 5xx above 5 for 1 datapoint');
      await waitForAutopilotEvent(sandbox, forService('staging', 'api', 'Deployment Rolled Back'), { from });
      releaseBakes();
    }).finally(releaseBakes);
    const pushed = fired;
    const after = await sandbox.imagesOf('staging', 'api');
    const rolledBack = fired.events.find((e) => e['detail-type'] === 'Deployment Rolled Back');
    const again = await during(sandbox, async () => {
      const from = sandbox.published.length;
      sandbox.plane.setAlarmState('api-5xx', 'OK', 'Threshold no longer crossed');
      sandbox.plane.setAlarmState('api-5xx', 'ALARM', 'Threshold Crossed again');
      await waitForAutopilotEvent(sandbox, forService('staging', 'api', 'Rollback Failed'), { from });
    });
    sandbox.plane.setAlarmState('api-5xx', 'OK', 'recovered');
    await sandbox.settle();
    return [
      expect('the previous revision had become known good', baked),
      expect('the push was deployed first', deployed.app === `${REGISTRY}/team/api@${digest}`, {
        deployed,
        decisions: pushed.decisions,
      }),
      expect('staging/api is back on the last known good image', after.app === good.app, {
        after,
        decisions: fired.decisions,
        failures: fired.failures,
      }),
      expect(
        'Deployment Rolled Back by autopilot, with the alarm as signal',
        rolledBack?.detail.by === 'autopilot' &&
          JSON.stringify(rolledBack.detail.signals).includes('api-5xx'),
        rolledBack?.detail,
      ),
      expect(
        'the pushed digest is quarantined',
        fired.events.some((e) => e['detail-type'] === 'Image Quarantined' && e.detail.digest === digest),
      ),
      expect(
        'prod/api (no alarm) keeps the push',
        (await sandbox.imagesOf('prod', 'api')).app === `${REGISTRY}/team/api@${digest}`,
      ),
      expect(
        'the alarm again during the rollback: Rollback Failed published',
        again.events.some((e) => e['detail-type'] === 'Rollback Failed'),
        { events: again.events.map((e) => e['detail-type']), decisions: again.decisions },
      ),
      expect(
        'no UpdateService or StopServiceDeployment by autopilot the second time',
        again.mutations.length === 0,
        again.mutations,
      ),
    ];
  },
};

/** The digests a service's running tasks run in `container` (ECS's `imageDigest` of each task), in task order. */
async function runningDigests(
  sandbox: Sandbox,
  cluster: string,
  service: string,
  container: string,
): Promise<string[]> {
  const listed = await sandbox.ecs.send(
    new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }),
  );
  const taskArns = listed.taskArns ?? [];
  if (taskArns.length === 0) return [];
  const described = await sandbox.ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }));
  return (described.tasks ?? []).map(
    (t) => t.containers?.find((c) => c.name === container)?.imageDigest ?? `no digest (${t.taskArn})`,
  );
}

/** The digest ECS resolved `container` to in the service revision of the service's current task definition. */
async function revisionDigest(
  sandbox: Sandbox,
  cluster: string,
  service: string,
  container: string,
): Promise<string | undefined> {
  const svc = await sandbox.describeService(cluster, service);
  const arns = (svc.currentServiceRevisions ?? []).flatMap((r) => (r.arn ? [r.arn] : []));
  if (arns.length === 0) return undefined;
  const out = await sandbox.ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns }));
  const current = out.serviceRevisions?.find((r) => r.taskDefinition === svc.taskDefinition);
  return current?.containerImages?.find((c) => c.containerName === container)?.imageDigest;
}

/**
 * The changes made to `cluster/service` among `calls` (its UpdateService and StopServiceDeployment
 * calls, and RegisterTaskDefinition of its family) that were carried out, by operation: other
 * services may be deployed meanwhile (a push another scenario left due).
 */
function changesTo(calls: readonly CallRecord[], cluster: string, service: string, family: string): string[] {
  return calls
    .filter((c) => MUTATING.test(c.operation) && !c.fault && !c.error)
    .filter((c) => {
      const input = c.input as {
        cluster?: string;
        service?: string;
        family?: string;
        serviceDeploymentArn?: string;
      };
      if (c.operation === 'RegisterTaskDefinition') return input.family === family;
      // Names or ARNs (`…:cluster/prod`, `…:service/prod/web`), as callers give them.
      const named =
        input.cluster?.split('/').pop() === cluster && input.service?.split('/').pop() === service;
      return named || input.serviceDeploymentArn?.includes(`/${cluster}/${service}/`) === true;
    })
    .map((c) => c.operation);
}

/** `family:revision` of a task definition ARN, as the `autopilot:pinned-from` tag names it. */
const familyRevision = (taskDefinitionArn: string) => taskDefinitionArn.split('/').pop() ?? '';

/** What `repository:tag` points at in ECR now. */
async function digestOfTag(sandbox: Sandbox, repository: string, tag: string): Promise<string | undefined> {
  const out = await sandbox.ecr.send(
    new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
  );
  return out.imageDetails?.[0]?.imageDigest;
}

/**
 * prod/web's revision names its image by tag (`team/web:main`), as IaC or a person registers it. A
 * push of `main` is deployed (pinned by digest) and its alarm fires while it bakes. Rolling back to
 * the known good revision as it is would resolve `main` again, to the very digest being rolled back
 * from; autopilot rolls back to a copy of it pinned to the digest it ran when it became known good.
 * The tasks are looked at, not only the revision's text: they run the old digest while `main` still
 * points at the new one, which is quarantined.
 */
export const rollbackRunsKnownGoodDigest: Scenario = {
  name: 'alarm web-5xx fires while prod/web (revision naming team/web:main) bakes a push of main: the rollback runs a copy pinned to the known good digest, while main points at the quarantined push',
  async run(sandbox) {
    const baked = await knownGood(sandbox, 'prod', 'web');
    const seeded = (await sandbox.describeService('prod', 'web')).taskDefinition ?? '';
    const seededImage = (await sandbox.imagesOf('prod', 'web')).app;
    const good = await runningDigests(sandbox, 'prod', 'web', 'app');
    const goodDigest = good[0] ?? '';
    sandbox.plane.setAlarmState('web-5xx', 'OK', 'Threshold no longer crossed');
    let bad = '';
    // The alarm fires once ECS reported the deployment COMPLETED and autopilot started its bake time.
    const baking = waitForDecision(
      sandbox,
      (d, fn) => fn === 'watch-deployments' && d.service === 'prod/web' && d.action === 'bake',
    );
    const pushed = await during(sandbox, async () => {
      bad = sandbox.plane.pushImage('team/web', 'main').digest;
      await baking;
    });
    const deployed = await runningDigests(sandbox, 'prod', 'web', 'app');
    const from = sandbox.published.length;
    const firstCall = sandbox.plane.calls.length;
    const fired = await during(sandbox, async () => {
      sandbox.plane.setAlarmState('web-5xx', 'ALARM', 'Threshold Crossed: 5xx above 5 for 1 datapoint');
      await waitForAutopilotEvent(sandbox, forService('prod', 'web', 'Deployment Rolled Back'), { from });
    });
    const svc = await sandbox.describeService('prod', 'web');
    const rolledBackTo = svc.taskDefinition ?? '';
    // The rollback itself bakes and becomes known good: the bake time passed with no signal and no
    // second rollback.
    const settled = await during(sandbox, async () => {
      await knownGood(sandbox, 'prod', 'web');
    });
    const changes = changesTo(sandbox.plane.calls.slice(firstCall), 'prod', 'web', 'web');
    const after = await runningDigests(sandbox, 'prod', 'web', 'app');
    const afterRevision = await revisionDigest(sandbox, 'prod', 'web', 'app');
    const tagNow = await digestOfTag(sandbox, 'team/web', 'main');
    const copy = await sandbox.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: rolledBackTo, include: ['TAGS'] }),
    );
    const copiedImage = copy.taskDefinition?.containerDefinitions?.find((c) => c.name === 'app')?.image;
    const pinnedFrom = copy.tags?.find((t) => t.key === 'autopilot:pinned-from')?.value;
    // The push of main made again (a new event, as ECR would send for it): the tag still points at
    // the bad digest, and only the quarantine keeps it from being deployed again.
    const push = lastPushEvent(sandbox, 'team/web', 'main');
    const again = await during(sandbox, () => {
      if (push)
        sandbox.runtime.bus.put({
          source: push.source,
          'detail-type': push['detail-type'],
          resources: push.resources,
          detail: structuredClone(push.detail),
        });
    });
    sandbox.plane.setAlarmState('web-5xx', 'OK', 'recovered');
    await sandbox.settle();
    const refusal = again.decisions.find((d) => d.function === 'deploy-on-push' && d.service === 'web');
    const rollbacks = [...fired.events, ...settled.events].filter(
      forService('prod', 'web', 'Deployment Rolled Back'),
    );
    const rolledBack = rollbacks[0];
    return [
      expect(
        'the seeded revision had become known good, its tasks on one digest',
        baked && good.length > 0 && good.every((d) => d === goodDigest),
        good,
      ),
      expect(
        'the known good revision names team/web by tag',
        seededImage === `${REGISTRY}/team/web:main`,
        seededImage,
      ),
      expect(
        'the push of main was deployed first',
        bad !== goodDigest && deployed.length > 0 && deployed.every((d) => d === bad),
        { deployed, bad, decisions: pushed.decisions },
      ),
      expect(
        'Deployment Rolled Back by autopilot, with the alarm as signal',
        rolledBack?.detail.by === 'autopilot' &&
          JSON.stringify(rolledBack.detail.signals).includes('web-5xx'),
        { rolledBack: rolledBack?.detail, decisions: fired.decisions, failures: fired.failures },
      ),
      expect(
        `the rollback went to a copy of ${familyRevision(seeded)} tagged autopilot:pinned-from, pinned to the known good digest`,
        rolledBack?.detail.toTaskDefinition === rolledBackTo &&
          rolledBackTo !== seeded &&
          pinnedFrom === familyRevision(seeded) &&
          copiedImage === `${REGISTRY}/team/web@${goodDigest}`,
        {
          toTaskDefinition: rolledBack?.detail.toTaskDefinition,
          rolledBackTo,
          seeded,
          pinnedFrom,
          copiedImage,
        },
      ),
      expect(
        'the tasks of prod/web run the known good digest again',
        after.length > 0 && after.every((d) => d === goodDigest),
        { after, goodDigest, bad },
      ),
      expect(
        "the service revision's container image is the known good digest",
        afterRevision === goodDigest,
        { afterRevision, goodDigest, bad },
      ),
      expect('team/web:main still points at the pushed digest', tagNow === bad, { tagNow, bad }),
      expect(
        'the pushed digest is quarantined',
        fired.events.some((e) => e['detail-type'] === 'Image Quarantined' && e.detail.digest === bad),
        fired.events.map((e) => `${e['detail-type']} ${String(e.detail.digest ?? '')}`),
      ),
      expect(
        'Deployment Rolled Back announced once; one copy registered and one UpdateService, no second rollback while the rollback baked',
        rollbacks.length === 1 && changes.join() === 'RegisterTaskDefinition,UpdateService',
        { rollbacks: rollbacks.length, changes },
      ),
      expect(
        'a new event of the push of main is refused as quarantined, nothing changed',
        /quarantined/.test(String(refusal?.reason)) && again.mutations.length === 0,
        { refusal, mutations: again.mutations },
      ),
      expect(
        'no delivery failed',
        [pushed, fired, settled, again].every((step) => step.failures.length === 0),
        [pushed, fired, settled, again].flatMap((step) => step.failures),
      ),
    ];
  },
};

/**
 * A storm of pushes to a repository under a cooldown: each push is scheduled, the chat hears of the
 * first few one by one and of the rest in one summary once the aggregation window has ended. Each
 * push follows the scheduling of the one before: a push handled after its tag moved on is skipped as
 * superseded, not scheduled.
 */
export const notificationStorm: Scenario = {
  name: 'eight pushes to team/reports in a row: three messages, then one summary of the rest',
  async run(sandbox) {
    const oneByOneIn = (lines: readonly string[]) =>
      lines.filter((l) => l.startsWith('slack: ') && l.includes('scheduled for'));
    const summariesIn = (lines: readonly string[]) =>
      lines.filter((l) => l.startsWith('slack: ') && l.includes('more "Deployment Scheduled"'));
    const summedUp = (lines: readonly string[]) =>
      lines.reduce((n, l) => n + Number(/(\d+) more "/.exec(l)?.[1] ?? 0), 0);
    const firstChat = sandbox.chat.messages().length;
    const seen = await during(sandbox, async () => {
      for (let i = 0; i < 8; i++) {
        const from = sandbox.published.length;
        const { digest } = sandbox.plane.pushImage(
          'team/reports',
          'main',
          { kind: 'healthy' },
          { content: `reports-storm-${i}` },
        );
        await waitForAutopilotEvent(
          sandbox,
          (e) => e['detail-type'] === 'Deployment Scheduled' && e.detail.digest === digest,
          { from },
        );
      }
      // Windows are fixed 10 s buckets of the events' times: on a slow machine the eight pushes may
      // straddle two. Each window's summary is sent by the flush schedule once the window ends: wait
      // until every push reached Slack, alone or counted in a summary.
      await waitUntil(() => {
        const lines = sandbox.chat
          .messages()
          .slice(firstChat)
          .filter((m) => m.kind === 'slack' && m.status < 300)
          .map((m) => `slack: ${chatTitle(m)}`);
        return oneByOneIn(lines).length + summedUp(summariesIn(lines)) >= 8;
      });
    });
    const scheduled = seen.events.filter((e) => e['detail-type'] === 'Deployment Scheduled');
    // What the aggregation must have done, window by window (sandbox/autopilot.yml: 10 s, after 3).
    const perWindow = new Map<number, number>();
    for (const e of scheduled) {
      const window = Math.floor(Date.parse(e.time) / 10_000);
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
    const counts = [...perWindow.values()];
    // At most three per window one by one; fewer when the notifier, behind on a busy machine, counted
    // an event after the flush had closed its window: that one is told in the window's late summary.
    const mostOneByOne = counts.reduce((n, c) => n + Math.min(c, 3), 0);
    const oneByOne = oneByOneIn(seen.chat).length;
    const summaries = summariesIn(seen.chat);
    const late = summaries.filter((l) => l.includes('arrived late'));
    return [
      expect(
        'every push was scheduled',
        scheduled.length === 8,
        seen.events.map((e) => e['detail-type']),
      ),
      expect('at most three messages per window reached Slack one by one', oneByOne <= mostOneByOne, {
        oneByOne,
        perWindow: counts,
        chat: seen.chat,
      }),
      expect(
        'the rest arrived in summaries with their count (one per window, and a late one where events came after it)',
        summaries.length - late.length <= counts.filter((c) => c > 3).length &&
          late.length <= counts.length &&
          oneByOne + summedUp(summaries) === scheduled.length,
        { oneByOne, summaries, perWindow: counts },
      ),
    ];
  },
};

/** Waits until `condition` holds (or the timeout passes). */
async function waitUntil(condition: () => boolean, timeoutMs = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/**
 * One fault in five on every call to every service (ECS, ECR, DynamoDB, EventBridge, SQS, Parameter
 * Store, Secrets Manager): throttling, 5xx, answers lost after the change was made, connections lost
 * after it, and PutEvents entries failing one by one. Four pushes of team/api:main and a minor
 * release of team/payments meanwhile; then faults off. The account ends as it would without faults:
 * each service runs the newest push it follows, every revision autopilot registered is deployed, every
 * service change is announced (a second copy of an announcement only where a PutEvents answer was
 * lost: EventBridge cannot tell a retried PutEvents from a new one), nothing is parked.
 */
export const faultsOnEveryService: Scenario = {
  name: '20 % faults on every service (throttling, 5xx, lost answers and connections) during four pushes of team/api:main and a release of team/payments: the same end state as without faults, no orphan revision, every change announced, nothing parked',
  async run(sandbox) {
    const running = await runningVersion(sandbox, 'prod', 'payments', 'team/payments');
    if (!running) return [expect('prod/payments runs a semantic version', false)];
    const minorTag = await nextMinor(sandbox, 'team/payments', running);
    const services = [...sandbox.plane.model.services.values()]
      .filter((s) => s.service.status === 'ACTIVE')
      .map((s) => ({
        cluster: s.service.clusterArn?.split('/').pop() ?? '',
        service: s.service.serviceName ?? '',
      }));
    const before = Object.fromEntries(
      await Promise.all(
        services.map(async (s) => [
          `${s.cluster}/${s.service}`,
          (await sandbox.imagesOf(s.cluster, s.service)).app,
        ]),
      ),
    );
    const firstCall = sandbox.plane.calls.length;
    const firstFault = sandbox.runtime.faulted.length;
    const digests: string[] = [];
    let payments = '';
    // About one call in five fails, whatever the service: 8 % throttled, 5 % 5xx, 5 % answered after
    // the change was made, 2 % connections lost after it; and one PutEvents in twenty has entries fail,
    // one in three loses its answer.
    sandbox.setFaults([
      // Surely one change made and its answer lost on ECS, whatever order the calls come in: every
      // RegisterTaskDefinition's (the revision is found again by its tags, never registered twice).
      { operation: 'ecs:RegisterTaskDefinition', kind: 'lost', rate: 1 },
      // And surely one fault on each other service: the first call to it.
      { operation: 'ecr:*', kind: 'throttle', rate: 1, times: 1 },
      { operation: 'dynamodb:*', kind: 'lost', rate: 1, times: 1 },
      { operation: 'events:PutEvents', kind: 'lost', rate: 1, times: 1 },
      { operation: '*', kind: 'throttle', rate: 0.08 },
      { operation: '*', kind: '5xx', rate: 0.05 },
      { operation: '*', kind: 'lost', rate: 0.05 },
      { operation: '*', kind: 'timeout', rate: 0.02 },
      { operation: 'events:PutEvents', kind: 'partial', rate: 0.05 },
      // PutEvents is called a few times only: more of its answers lost, so that some surely are.
      { operation: 'events:PutEvents', kind: 'lost', rate: 0.3 },
    ]);
    let seen: Awaited<ReturnType<typeof during>>;
    try {
      seen = await during(sandbox, async () => {
        for (let i = 0; i < 4; i++) {
          const content = `faults-everywhere-${Date.now()}-${i}`;
          digests.push(sandbox.plane.pushImage('team/api', 'main', { kind: 'healthy' }, { content }).digest);
          if (i === 1) payments = sandbox.plane.pushImage('team/payments', minorTag).digest;
          await sleep(400);
        }
      });
    } finally {
      sandbox.setFaults([]);
    }
    await sandbox.settle();
    const calls = sandbox.plane.calls.slice(firstCall);
    const runtimeFaults = sandbox.runtime.faulted.slice(firstFault);
    // A call was carried out unless a fault before the handler (throttle, 5xx) or the handler refused it.
    const applied = (operation: string) =>
      calls.filter(
        (c) =>
          c.operation === operation &&
          (c.fault === 'lost' ||
            c.fault === 'timeout' ||
            (c.fault !== 'throttle' && c.fault !== '5xx' && !c.error)),
      );
    const registered = new Set(
      applied('RegisterTaskDefinition').map((c) => JSON.stringify((c.input as { tags?: unknown }).tags)),
    ).size;
    const updates = new Set(
      applied('UpdateService').map((c) => {
        const input = c.input as { cluster?: string; service?: string; taskDefinition?: string };
        return `${input.cluster}/${input.service} ${input.taskDefinition}`;
      }),
    );
    const started = seen.events.filter((e) => e['detail-type'] === 'Deployment Started');
    const announced = started.map(
      (e) => `${e.detail.cluster}/${e.detail.service} ${e.detail.toTaskDefinition}`,
    );
    const copies = announced.length - new Set(announced).size;
    const lostPutEvents = runtimeFaults.filter(
      (f) => f.operation === 'PutEvents' && (f.fault === 'lost' || f.fault === 'timeout'),
    ).length;
    const identicalCopies = [...new Set(announced)].every(
      (key) =>
        new Set(started.filter((_, i) => announced[i] === key).map((e) => JSON.stringify(e.detail))).size ===
        1,
    );
    const expected: Record<string, string | undefined> = {
      ...before,
      'prod/api': `${REGISTRY}/team/api@${digests.at(-1)}`,
      'staging/api': `${REGISTRY}/team/api@${digests.at(-1)}`,
      'prod/payments': `${REGISTRY}/team/payments@${payments}`,
    };
    const after = Object.fromEntries(
      await Promise.all(
        services.map(async (s) => [
          `${s.cluster}/${s.service}`,
          (await sandbox.imagesOf(s.cluster, s.service)).app,
        ]),
      ),
    );
    const faultedServices = new Set([
      ...calls.filter((c) => c.fault && c.fault !== 'latency').map((c) => c.service),
      ...runtimeFaults.map((f) => f.service),
    ]);
    return [
      expect(
        'faults hit ECS, ECR, DynamoDB and EventBridge',
        ['ecs', 'ecr', 'dynamodb', 'events'].every((s) => faultedServices.has(s as never)),
        [...faultedServices],
      ),
      expect(
        'lost answers and lost connections were injected after changes',
        calls.some((c) => c.fault === 'lost') && runtimeFaults.some((f) => f.fault === 'lost'),
        runtimeFaults.map((f) => `${f.service}:${f.operation}:${f.fault}`),
      ),
      expect(
        'every service runs what it would run without faults',
        JSON.stringify(after) === JSON.stringify(expected),
        {
          after,
          expected,
        },
      ),
      expect(
        'the last deployment announced on each api service is the newest push',
        ['prod', 'staging'].every(
          (cluster) =>
            started.filter((e) => e.detail.cluster === cluster && e.detail.service === 'api').at(-1)?.detail
              .digest === digests.at(-1),
        ),
        started.map((e) => [e.detail.cluster, e.detail.service, e.detail.digest]),
      ),
      expect(
        'every service update autopilot made was announced, and nothing else',
        [...updates].every((u) => announced.includes(u)) && new Set(announced).size === updates.size,
        { updates: [...updates], announced },
      ),
      expect(
        'an announcement is repeated only as the same event, where a PutEvents answer was lost',
        // A lost answer is put again by the SDK's retry, or by Lambda's when the run then failed (and by
        // a redelivery of the same event after it): never another announcement, the same one again.
        identicalCopies && (copies === 0 || lostPutEvents > 0),
        { copies, lostPutEvents, announced },
      ),
      expect(
        'every revision registered was deployed: no orphan',
        registered === new Set(started.map((e) => e.detail.toTaskDefinition)).size,
        { registered, announced },
      ),
      expect('no delivery failed for good', seen.failures.length === 0, seen.failures),
    ];
  },
};

// ------------------------------------------------------------------ restarts of standalone tasks

/** A Fargate-or-EC2 family running `image` (awsvpc), registered as a team's pipeline would. */
async function registerWorkerFamily(sandbox: Sandbox, family: string, image: string): Promise<string> {
  const out = await sandbox.ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE', 'EC2'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image, essential: true }],
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

/** The network of the restart scenarios' workers: not the sandbox's default, so a copy is told apart. */
const WORKER_NETWORK: NetworkConfiguration = {
  awsvpcConfiguration: {
    subnets: ['subnet-0c1d2e3f405162738', 'subnet-0d2e3f40516273849'],
    securityGroups: ['sg-0a1b2c3d4e5f60789'],
    assignPublicIp: 'DISABLED',
  },
};

/**
 * RunTask in `staging` as a person or a scheduler would, the tasks given `fate`; the first task's ARN.
 * With `loseRecord`, the call's CloudTrail record never reaches the bus; with `delayRecord`, it waits
 * for `sandbox.plane.releaseRunTaskRecord(clientToken)`.
 */
async function runStandalone(
  sandbox: Sandbox,
  input: Omit<RunTaskCommandInput, 'cluster'>,
  fate?: TaskFate,
  options: { loseRecord?: boolean; delayRecord?: boolean; clientToken?: string } = {},
): Promise<string> {
  const clientToken = options.clientToken ?? `scenario-${Math.random().toString(36).slice(2)}`;
  if (fate) sandbox.plane.setTaskFate(clientToken, fate);
  if (options.loseRecord) sandbox.plane.loseRunTaskRecord(clientToken);
  if (options.delayRecord) sandbox.plane.delayRunTaskRecord(clientToken);
  const out = await sandbox.ecs.send(
    new RunTaskCommand({ cluster: 'staging', networkConfiguration: WORKER_NETWORK, ...input, clientToken }),
  );
  const taskArn = out.tasks?.[0]?.taskArn;
  if (!taskArn) throw new Error(`RunTask started no task: ${JSON.stringify(out.failures)}`);
  return taskArn;
}

const taskIdOf = (taskArn: string) => taskArn.split('/').pop() ?? taskArn;

/** Resolves with the first autopilot event (published already or to come) that matches, or rejects after WAIT_MS. */
function published(
  sandbox: Sandbox,
  what: string,
  predicate: (event: EventBridgeEvent) => boolean,
): Promise<EventBridgeEvent> {
  const seen = sandbox.published.find(predicate);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${what}: not published within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = sandbox.runtime.bus.subscribe((record) => {
      if (record.kind === 'event' && record.event.source === 'autopilot' && predicate(record.event)) {
        clearTimeout(timer);
        stop();
        resolve(record.event);
      }
    });
  });
}

/** Resolves with the first decision of `fn` to come that matches, or rejects after WAIT_MS. */
function decidedBy(
  sandbox: Sandbox,
  fn: string,
  what: string,
  predicate: (decision: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${what}: not decided by ${fn} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = sandbox.runtime.bus.subscribe((record) => {
      if (record.kind !== 'delivery' || record.outcome !== 'ok' || record.function !== fn) return;
      const decisions = (record.result as { decisions?: Record<string, unknown>[] } | undefined)?.decisions;
      const found = decisions?.find(predicate);
      if (found) {
        clearTimeout(timer);
        stop();
        resolve(found);
      }
    });
  });
}

/** The `Task Restarted` of the task `previousTaskArn` (published already or to come), once its new task runs. */
async function restartedAndRunning(sandbox: Sandbox, previousTaskArn: string): Promise<EventBridgeEvent> {
  const restarted = await published(
    sandbox,
    'Task Restarted',
    (e) => e['detail-type'] === 'Task Restarted' && e.detail.previousTaskArn === previousTaskArn,
  );
  await taskReached(sandbox, String(restarted.detail.taskArn), 'RUNNING');
  return restarted;
}

/** The tasks autopilot started for the restart chain `chainId` (its tag), as the account holds them. */
const restartsOf = (sandbox: Sandbox, chainId: string) =>
  [...sandbox.plane.model.tasks.values()].filter((t) =>
    sandbox.plane.model
      .tagsOf(t.arn)
      .some((tag) => tag.key === 'autopilot:restart-of' && tag.value === chainId),
  );

/** Autopilot's RunTask calls that carried a restart of `chainId` out (not faulted, not refused). */
const restartCalls = (calls: readonly CallRecord[], chainId: string) =>
  calls.filter((c) => {
    const input = c.input as { startedBy?: string; tags?: Tag[] };
    return (
      c.operation === 'RunTask' &&
      !c.error &&
      input.startedBy === 'autopilot' &&
      (input.tags ?? []).some((t) => t.key === 'autopilot:restart-of' && t.value === chainId)
    );
  });

const eventsOfChain = (events: readonly EventBridgeEvent[], type: string, chainId: string) =>
  events.filter((e) => e['detail-type'] === type && e.detail.chainId === chainId);

/**
 * The backoff decided for each attempt of a chain: by restart-tasks at the stop or, when the stop
 * came before the task's launch spec (its RunTask record delivered late, as shuffled delivery does),
 * by restart-due once the spec was found; both say the delay decided at the stop.
 */
function backoffOf(decisions: readonly Record<string, unknown>[], chainId: string): Map<number, number> {
  const delays = new Map<number, number>();
  for (const d of decisions) {
    const restarter = d.function === 'restart-tasks' || d.function === 'restart-due';
    if (restarter && d.action === 'restart' && d.chainId === chainId && !delays.has(Number(d.attempt)))
      delays.set(Number(d.attempt), Number(d.delaySeconds));
  }
  return delays;
}

/** Describes a task with its tags (stopped tasks stay describable for an hour, as in ECS). */
async function describeTask(sandbox: Sandbox, taskArn: string): Promise<Task | undefined> {
  const out = await sandbox.ecs.send(
    new DescribeTasksCommand({ cluster: 'staging', tasks: [taskArn], include: ['TAGS'] }),
  );
  return out.tasks?.[0];
}

/** Waits for a task to report `status`. */
const taskReached = (sandbox: Sandbox, taskArn: string, status: string) =>
  sandbox.plane.waitForEvent(
    (e) =>
      e['detail-type'] === 'ECS Task State Change' &&
      e.detail.taskArn === taskArn &&
      e.detail.lastStatus === status,
    WAIT_MS,
  );

/**
 * Watches restart-tasks keep the launch specs of RunTask records, so a scenario can fail a task once
 * autopilot knows how it was launched: with every event delivered three times and shuffled, a STOPPED
 * handled before the record would restart it from its RUNNING event's spec (the one subnet it ran
 * in; the lost-record scenario shows that) or wait for the record (the late-record scenario).
 */
function runTaskRecordsKept(sandbox: Sandbox) {
  const kept = new Set<string>();
  const stop = sandbox.runtime.bus.subscribe((r) => {
    if (r.kind !== 'delivery' || r.outcome !== 'ok' || r.function !== 'restart-tasks') return;
    const decisions = (r.result as { decisions?: Record<string, unknown>[] } | undefined)?.decisions ?? [];
    for (const d of decisions)
      if (d.action === 'capture' && d.source === 'run-task') kept.add(String(d.taskArn));
  });
  return {
    /** Waits for the task to run and its RunTask record to be kept. */
    async runningAndKept(taskArn: string) {
      await taskReached(sandbox, taskArn, 'RUNNING');
      if (!(await waitUntil(() => kept.has(taskArn))))
        throw new Error(`the RunTask record of ${taskArn} was not kept within ${WAIT_MS} ms`);
    },
    stop,
  };
}

/** A worker that exits 1 is started again once, as it was launched (network, group, overrides, tags). */
export const workerRestarted: Scenario = {
  name: 'a worker exits 1: restarted once with the same network configuration, group, overrides and tags',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'orders-worker', `${REGISTRY}/team/worker:stable`);
    const overrides: TaskOverride = {
      containerOverrides: [{ name: 'app', command: ['work', '--queue', 'orders'] }],
    };
    let first = '';
    let restarted: EventBridgeEvent | undefined;
    const records = runTaskRecordsKept(sandbox);
    const seen = await during(sandbox, async () => {
      first = await runStandalone(sandbox, {
        taskDefinition: 'orders-worker',
        launchType: 'FARGATE',
        group: 'workers:orders',
        overrides,
        tags: [
          { key: 'autopilot:restart', value: 'on-failure' },
          { key: 'team', value: 'orders' },
        ],
      });
      // It fails once its RunTask record was kept: with every event delivered three times and
      // shuffled, a STOPPED handled before the record would restart it from its RUNNING event's spec
      // (the one subnet it ran in), as the lost-record scenario shows.
      await records.runningAndKept(first);
      sandbox.plane.exitTask(first, 1);
      restarted = await restartedAndRunning(sandbox, first);
    }).finally(records.stop);
    const chainId = taskIdOf(first);
    const calls = restartCalls(seen.calls, chainId);
    const input = (calls[0]?.input ?? {}) as RunTaskCommandInput;
    const started = await describeTask(sandbox, String(restarted?.detail.taskArn));
    const tags = Object.fromEntries((started?.tags ?? []).map((t) => [t.key, t.value]));
    const subnet = started?.attachments?.[0]?.details?.find((d) => d.name === 'subnetId')?.value;
    // Tidy: the worker is stopped by a person, which is never restarted.
    if (started?.taskArn) {
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: started.taskArn, reason: 'scenario done' }),
      );
      await taskReached(sandbox, started.taskArn, 'STOPPED');
      await sandbox.settle();
    }
    return [
      expect(
        'Task Restarted: attempt 1 of 5, the stop classed exited-non-zero',
        restarted?.detail.attempt === 1 &&
          restarted?.detail.maxAttempts === 5 &&
          restarted?.detail.class === 'exited-non-zero',
        restarted?.detail,
      ),
      expect(
        'one task started for the chain, by one RunTask',
        restartsOf(sandbox, chainId).length === 1 && calls.length >= 1,
        {
          tasks: restartsOf(sandbox, chainId).length,
          calls: calls.length,
        },
      ),
      expect(
        'RunTask asked for the same network configuration, group and overrides',
        JSON.stringify(input.networkConfiguration) === JSON.stringify(WORKER_NETWORK) &&
          input.group === 'workers:orders' &&
          JSON.stringify(input.overrides) === JSON.stringify(overrides),
        input,
      ),
      expect(
        'the new task runs in the same subnet',
        subnet === WORKER_NETWORK.awsvpcConfiguration?.subnets?.[0],
        subnet,
      ),
      expect(
        'the new task keeps its tags, started by autopilot with the chain and the attempt',
        tags['autopilot:restart'] === 'on-failure' &&
          tags.team === 'orders' &&
          tags['autopilot:restart-of'] === chainId &&
          tags['autopilot:attempt'] === '1' &&
          started?.startedBy === 'autopilot',
        { tags, startedBy: started?.startedBy },
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * An ETL task that fails to start (no Fargate capacity, so never RUNNING) before its RunTask record
 * reached EventBridge (CloudTrail's records come minutes late, a task's own events in seconds): its
 * chain waits for the record (the `etl:*` rule's `launchSpecWait`, 20 s here, looked for every 2 s),
 * and the restart is made with it once it arrives: never guessed, never abandoned for being early.
 */
export const lateRunTaskRecordRestarted: Scenario = {
  name: 'an ETL task fails to start before its RunTask record arrives: the chain waits for the record, then restarts the task with its launch spec',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'etl-late', `${REGISTRY}/team/worker:stable`);
    const clientToken = `scenario-late-${Math.random().toString(36).slice(2)}`;
    const overrides = {
      containerOverrides: [{ name: 'app', environment: [{ name: 'DAY', value: '2026-12-03' }] }],
    };
    let first = '';
    let waited: Record<string, unknown> | undefined;
    let restartedEarly = false;
    let released = 0;
    let restarted: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      const awaiting = decidedBy(
        sandbox,
        'restart-tasks',
        'the wait for the launch spec',
        (d) => d.action === 'await-spec' && d.previousTaskArn === first,
      );
      first = await runStandalone(
        sandbox,
        { taskDefinition: 'etl-late', launchType: 'FARGATE', group: 'etl:late', overrides },
        { kind: 'fail-to-start', cause: 'capacity' },
        { delayRecord: true, clientToken },
      );
      waited = await awaiting;
      // A few looks find nothing yet; then the record arrives.
      await sleep(3_000);
      restartedEarly = sandbox.published.some(
        (e) => e['detail-type'].startsWith('Task Restart') && e.detail.previousTaskArn === first,
      );
      released = sandbox.plane.releaseRunTaskRecord(clientToken);
      restarted = await restartedAndRunning(sandbox, first);
    });
    const chainId = taskIdOf(first);
    const calls = restartCalls(seen.calls, chainId);
    const input = (calls[0]?.input ?? {}) as RunTaskCommandInput;
    const abandoned = eventsOfChain(seen.events, 'Task Restart Abandoned', chainId);
    const replacement = String(restarted?.detail.taskArn ?? '');
    if (replacement) {
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: replacement, reason: 'scenario done' }),
      );
      await taskReached(sandbox, replacement, 'STOPPED');
      await sandbox.settle();
    }
    return [
      expect('the task stopped before its RunTask record was delivered', released >= 1, released),
      expect(
        'restart-tasks waited for the launch spec instead of giving up',
        waited !== undefined && !restartedEarly,
        waited,
      ),
      expect(
        'once the record came, the task was restarted once, with its network, group and overrides',
        restartsOf(sandbox, chainId).length === 1 &&
          JSON.stringify(input.networkConfiguration) === JSON.stringify(WORKER_NETWORK) &&
          input.group === 'etl:late' &&
          JSON.stringify(input.overrides) === JSON.stringify(overrides),
        { tasks: restartsOf(sandbox, chainId).length, input },
      ),
      expect(
        'one Task Restarted, no Task Restart Abandoned',
        eventsOfChain(seen.events, 'Task Restarted', chainId).length === 1 && abandoned.length === 0,
        { abandoned },
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * A worker whose RunTask record never came (CloudTrail to EventBridge is not guaranteed): its launch
 * spec is taken from its RUNNING event, the security groups from its network interface (EC2), and
 * the restart asks for them.
 */
export const lostRunTaskRecordRestarted: Scenario = {
  name: "a worker whose RunTask record was lost exits 1: restarted with its network interface's subnet and security groups, and its tags",
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'ledger-worker', `${REGISTRY}/team/worker:stable`);
    let first = '';
    let restarted: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      first = await runStandalone(
        sandbox,
        {
          taskDefinition: 'ledger-worker',
          launchType: 'FARGATE',
          group: 'workers:ledger',
          tags: [
            { key: 'autopilot:restart', value: 'on-failure' },
            { key: 'team', value: 'ledger' },
          ],
        },
        undefined,
        { loseRecord: true },
      );
      // It fails once its RUNNING event was handled: delivered three times and shuffled, a STOPPED
      // handled first would wait for the spec (15 minutes by default: this worker has no rule), and a
      // RUNNING event handled after its task stopped may find the network interface gone.
      await taskReached(sandbox, first, 'RUNNING');
      await sandbox.settle(WAIT_MS);
      sandbox.plane.exitTask(first, 1);
      restarted = await restartedAndRunning(sandbox, first);
    });
    const chainId = taskIdOf(first);
    const input = (restartCalls(seen.calls, chainId)[0]?.input ?? {}) as RunTaskCommandInput;
    const started = await describeTask(sandbox, String(restarted?.detail.taskArn));
    const subnet = started?.attachments?.[0]?.details?.find((d) => d.name === 'subnetId')?.value;
    const tags = Object.fromEntries((started?.tags ?? []).map((t) => [t.key, t.value]));
    const records = sandbox.plane.emitted.filter(
      (e) =>
        e['detail-type'] === 'AWS API Call via CloudTrail' &&
        e.detail.eventName === 'RunTask' &&
        JSON.stringify(e.detail.responseElements ?? {}).includes(first),
    );
    const captured = seen.decisions.filter(
      (d) => d.function === 'restart-tasks' && d.action === 'capture' && d.taskArn === first,
    );
    if (started?.taskArn) {
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: started.taskArn, reason: 'scenario done' }),
      );
      await taskReached(sandbox, started.taskArn, 'STOPPED');
      await sandbox.settle();
    }
    const network = WORKER_NETWORK.awsvpcConfiguration;
    return [
      expect(
        'the RunTask record of the first task never reached the bus',
        records.length === 0,
        records.length,
      ),
      expect(
        'its launch spec was kept from its RUNNING event',
        captured.length >= 1 && captured.every((d) => d.source === 'running'),
        captured,
      ),
      expect(
        "RunTask asked for the subnet the task ran in and its network interface's security groups",
        JSON.stringify(input.networkConfiguration) ===
          JSON.stringify({
            awsvpcConfiguration: {
              subnets: [network?.subnets?.[0]],
              securityGroups: network?.securityGroups,
              assignPublicIp: 'DISABLED',
            },
          }) && input.group === 'workers:ledger',
        input,
      ),
      expect('the new task runs in that subnet', subnet === network?.subnets?.[0], subnet),
      expect(
        'the new task keeps its tags (read from the stopped task), with the chain and the attempt',
        tags['autopilot:restart'] === 'on-failure' &&
          tags.team === 'ledger' &&
          tags['autopilot:restart-of'] === chainId &&
          tags['autopilot:attempt'] === '1',
        tags,
      ),
      expect(
        'Task Restarted: attempt 1 of 5, one task started for the chain',
        restarted?.detail.attempt === 1 &&
          restarted?.detail.maxAttempts === 5 &&
          restartsOf(sandbox, chainId).length === 1,
        { detail: restarted?.detail, tasks: restartsOf(sandbox, chainId).length },
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * A task nobody tagged, opted in by the policy file's `restart:` rule for the group `etl:*`
 * (sandbox/autopilot.yml): restarted with the rule's backoff (5 s doubling) and abandoned after the
 * rule's 3 attempts.
 */
export const restartRuleOptsIn: Scenario = {
  name: "a crashing task without the tag, in group etl:*: restarted by the policy file's rule, 5 s doubling, abandoned after its 3 attempts",
  async run(sandbox) {
    sandbox.plane.pushImage('team/worker', 'etl-crash', { kind: 'crash' });
    await registerWorkerFamily(sandbox, 'etl-worker', `${REGISTRY}/team/worker:etl-crash`);
    let first = '';
    let abandoned: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      first = await runStandalone(sandbox, {
        taskDefinition: 'etl-worker',
        launchType: 'FARGATE',
        group: 'etl:orders',
      });
      abandoned = await published(
        sandbox,
        'Task Restart Abandoned',
        (e) => e['detail-type'] === 'Task Restart Abandoned' && e.detail.chainId === taskIdOf(first),
      );
    });
    const chainId = taskIdOf(first);
    const tags = (await describeTask(sandbox, first))?.tags ?? [];
    const restartedEvents = eventsOfChain(seen.events, 'Task Restarted', chainId);
    const attempts = [...new Set(restartedEvents.map((e) => Number(e.detail.attempt)))];
    const delays = backoffOf(seen.decisions, chainId);
    return [
      expect(
        'the first task carries no autopilot:restart tag',
        !tags.some((t) => t.key === 'autopilot:restart'),
        tags,
      ),
      expect(
        "Task Restarted for attempts 1 to 3, each of 3 (the rule's limit)",
        JSON.stringify(attempts) === '[1,2,3]' && restartedEvents.every((e) => e.detail.maxAttempts === 3),
        restartedEvents.map((e) => e.detail),
      ),
      expect(
        "the rule's backoff: 5, 10, 20 s",
        JSON.stringify([...delays.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s)) === '[5,10,20]',
        [...delays.entries()],
      ),
      expect(
        'three tasks started for the chain, no fourth',
        restartsOf(sandbox, chainId).length === 3,
        restartsOf(sandbox, chainId).length,
      ),
      expect(
        'Task Restart Abandoned once, after 3 of 3',
        abandoned?.detail.attempt === 3 &&
          abandoned?.detail.maxAttempts === 3 &&
          eventsOfChain(seen.events, 'Task Restart Abandoned', chainId).length === 1,
        abandoned?.detail,
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** A task that always crashes backs off, doubling, and is abandoned after five restarts, in one thread. */
export const crashLoopAbandoned: Scenario = {
  name: 'a crash loop backs off (10 s doubling) and is abandoned after 5 restarts, told in one thread',
  async run(sandbox) {
    sandbox.plane.pushImage('team/worker', 'crashloop', { kind: 'crash' });
    await registerWorkerFamily(sandbox, 'crashloop-worker', `${REGISTRY}/team/worker:crashloop`);
    let first = '';
    let abandoned: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      first = await runStandalone(sandbox, {
        taskDefinition: 'crashloop-worker',
        launchType: 'FARGATE',
        tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
      });
      abandoned = await published(
        sandbox,
        'Task Restart Abandoned',
        (e) => e['detail-type'] === 'Task Restart Abandoned' && e.detail.chainId === taskIdOf(first),
      );
    });
    const chainId = taskIdOf(first);
    const attempts = [
      ...new Set(eventsOfChain(seen.events, 'Task Restarted', chainId).map((e) => Number(e.detail.attempt))),
    ];
    const delays = backoffOf(seen.decisions, chainId);
    const threads = new Set(
      seen.webhooks
        .map((m) => m.body as { threadKey?: string | null; type?: string })
        .filter((b) => typeof b.threadKey === 'string' && b.threadKey.includes(chainId))
        .map((b) => b.threadKey),
    );
    const told = seen.webhooks.filter((m) =>
      (m.body as { threadKey?: string | null }).threadKey?.includes(chainId),
    );
    return [
      expect(
        'Task Restarted for attempts 1 to 5, in order',
        JSON.stringify(attempts) === '[1,2,3,4,5]',
        attempts,
      ),
      expect(
        'the backoff doubles from 10 s: 10, 20, 40, 80, 160',
        JSON.stringify([...delays.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s)) ===
          '[10,20,40,80,160]',
        [...delays.entries()],
      ),
      expect(
        'five tasks started for the chain, no sixth',
        restartsOf(sandbox, chainId).length === 5,
        restartsOf(sandbox, chainId).length,
      ),
      expect(
        'Task Restart Abandoned after 5 of 5, with the last reasons',
        abandoned?.detail.attempt === 5 &&
          abandoned?.detail.maxAttempts === 5 &&
          Array.isArray(abandoned.detail.lastReasons) &&
          abandoned.detail.lastReasons.length > 0,
        abandoned?.detail,
      ),
      expect('abandoned once', eventsOfChain(seen.events, 'Task Restart Abandoned', chainId).length === 1),
      expect(
        "the chain's messages are one thread (one thread key), its abandonment among them",
        threads.size === 1 &&
          told.some((m) => (m.body as { type?: string }).type === 'Task Restart Abandoned'),
        { threads: [...threads], told: told.map((m) => (m.body as { type?: string }).type) },
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** A task a person stops is left stopped, opted in or not. */
export const userStopNotRestarted: Scenario = {
  name: 'a task a person stops (UserInitiated) is not restarted',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'report-worker', `${REGISTRY}/team/worker:stable`);
    let taskArn = '';
    const seen = await during(sandbox, async () => {
      taskArn = await runStandalone(sandbox, {
        taskDefinition: 'report-worker',
        launchType: 'FARGATE',
        tags: [{ key: 'autopilot:restart', value: 'always' }],
      });
      await taskReached(sandbox, taskArn, 'RUNNING');
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: taskArn, reason: 'not needed today' }),
      );
      await taskReached(sandbox, taskArn, 'STOPPED');
    });
    const chainId = taskIdOf(taskArn);
    const decided = seen.decisions.filter(
      (d) => d.function === 'restart-tasks' && d.taskArn === taskArn && d.class !== undefined,
    );
    return [
      expect(
        'restart-tasks saw a stop by a person and left it',
        decided.length > 0 && decided.every((d) => d.action === 'ignore' && d.class === 'stopped-by-user'),
        decided,
      ),
      expect(
        'no task started for it',
        restartsOf(sandbox, chainId).length === 0 && restartCalls(seen.calls, chainId).length === 0,
      ),
      expect(
        'nothing announced about it',
        !seen.events.some((e) => e.detail.previousTaskArn === taskArn || e.detail.chainId === chainId),
        seen.events.map((e) => e['detail-type']),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** Fargate Spot takes its capacity back: the work did not fail, so it starts again at once. */
export const spotInterruptionRestarted: Scenario = {
  name: 'a Spot interruption is restarted at once, on Fargate Spot again',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'spot-worker', `${REGISTRY}/team/worker:stable`);
    let first = '';
    let restarted: EventBridgeEvent | undefined;
    const records = runTaskRecordsKept(sandbox);
    const seen = await during(sandbox, async () => {
      first = await runStandalone(sandbox, {
        taskDefinition: 'spot-worker',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
      });
      // Interrupted once autopilot knows how it was launched, as a Spot task usually is (CloudTrail
      // delivers the record within minutes; capacity is taken back later).
      await records.runningAndKept(first);
      sandbox.plane.interruptTask(first);
      restarted = await restartedAndRunning(sandbox, first);
    }).finally(records.stop);
    const chainId = taskIdOf(first);
    const decision = seen.decisions.find(
      (d) => d.function === 'restart-tasks' && d.action === 'restart' && d.chainId === chainId,
    );
    const started = await describeTask(sandbox, String(restarted?.detail.taskArn));
    if (started?.taskArn) {
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: started.taskArn, reason: 'scenario done' }),
      );
      await taskReached(sandbox, started.taskArn, 'STOPPED');
      await sandbox.settle();
    }
    return [
      expect('classed capacity-lost', restarted?.detail.class === 'capacity-lost', restarted?.detail),
      expect('restarted at once: no backoff', decision?.delaySeconds === 0, decision),
      expect(
        'the new task runs on FARGATE_SPOT',
        started?.capacityProviderName === 'FARGATE_SPOT',
        started?.capacityProviderName,
      ),
      expect(
        'one task started for the chain',
        restartsOf(sandbox, chainId).length === 1,
        restartsOf(sandbox, chainId).length,
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** An image that does not exist will not appear by retrying: given up at once, the cause named. */
export const missingImageAbandoned: Scenario = {
  name: 'an image that does not exist: abandoned at once, naming CannotPullContainerError',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'typo-worker', `${REGISTRY}/team/worker:stabel`);
    let first = '';
    let abandoned: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      first = await runStandalone(sandbox, {
        taskDefinition: 'typo-worker',
        launchType: 'FARGATE',
        tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
      });
      abandoned = await published(
        sandbox,
        'Task Restart Abandoned',
        (e) => e['detail-type'] === 'Task Restart Abandoned' && e.detail.chainId === taskIdOf(first),
      );
    });
    const chainId = taskIdOf(first);
    const why = JSON.stringify(abandoned?.detail ?? {});
    return [
      expect(
        'classed failed-to-start-permanent',
        abandoned?.detail.class === 'failed-to-start-permanent',
        abandoned?.detail,
      ),
      expect(
        'the cause named: the image was not found',
        /CannotPullContainerError/.test(why) && /stabel/.test(why),
        why,
      ),
      expect(
        'no restart was tried',
        restartsOf(sandbox, chainId).length === 0 &&
          eventsOfChain(seen.events, 'Task Restarted', chainId).length === 0,
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** The STOPPED event and the restart message delivered again (and again): one task started. */
export const duplicateRestartDelivery: Scenario = {
  name: 'the STOPPED event and the restart message delivered again: one task started',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'dup-worker', `${REGISTRY}/team/worker:stable`);
    let first = '';
    let restarted: EventBridgeEvent | undefined;
    await during(sandbox, async () => {
      first = await runStandalone(
        sandbox,
        {
          taskDefinition: 'dup-worker',
          launchType: 'FARGATE',
          tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
        },
        { kind: 'exit', exitCode: 2 },
      );
      restarted = await restartedAndRunning(sandbox, first);
    });
    const chainId = taskIdOf(first);
    const stopped = sandbox.plane.emitted.find(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === first &&
        e.detail.lastStatus === 'STOPPED',
    );
    const queue = sandbox.runtime.queues.get('ecs-autopilot-sandbox-restart-delay');
    const seen = await during(sandbox, async () => {
      if (stopped) {
        sandbox.runtime.bus.put(structuredClone(stopped));
        // Another copy of the same STOPPED, as a second EventBridge delivery would carry it (a new id).
        sandbox.runtime.bus.put({ ...structuredClone(stopped), id: undefined } as never);
      }
      // The restart message of attempt 1 again: SQS delivers at least once.
      queue?.send(
        JSON.stringify({
          version: RESTART_MESSAGE_VERSION,
          clusterArn: restarted?.detail.clusterArn,
          chainId,
          attempt: 1,
          triggeredBy: restarted?.detail.triggeredBy,
        }),
      );
    });
    const started = restartsOf(sandbox, chainId);
    if (started[0]) {
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: 'staging', task: started[0].arn, reason: 'scenario done' }),
      );
      await taskReached(sandbox, started[0].arn, 'STOPPED');
      await sandbox.settle();
    }
    const dueDecisions = seen.decisions.filter((d) => d.function === 'restart-due');
    return [
      expect('the STOPPED event was there to deliver again', stopped !== undefined),
      expect(
        'one task started for the chain',
        started.length === 1,
        started.map((t) => t.arn),
      ),
      expect(
        'no RunTask for the redeliveries',
        restartCalls(seen.calls, chainId).length === 0,
        restartCalls(seen.calls, chainId),
      ),
      expect(
        'the message delivered again started nothing',
        dueDecisions.length > 0 && dueDecisions.every((d) => d.action === 'ignore'),
        dueDecisions,
      ),
      expect(
        'no second Task Restarted',
        eventsOfChain(seen.events, 'Task Restarted', chainId).length === 0,
        seen.events,
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * The most calls of `calls` answered at once: their spans (arrival and answer ticks) swept in order.
 * A call without an answer (its connection lost) counts as in flight to the end.
 */
function mostInFlight(calls: readonly CallRecord[]): number {
  const marks = calls.flatMap((c): [number, number][] =>
    c.span
      ? [
          [c.span.arrived, 1],
          [c.span.answered ?? Number.POSITIVE_INFINITY, -1],
        ]
      : [],
  );
  marks.sort((a, b) => a[0] - b[0]);
  let now = 0;
  let most = 0;
  for (const [, change] of marks) {
    now += change;
    most = Math.max(most, now);
  }
  return most;
}

/** How many restart-due invocations the restart queue's event source mapping runs at once (serverless.yml). */
function restartDueConcurrency(): number {
  const due = readServerlessConfig(resolve(__dirname, '..')).functions.find((f) => f.name === 'restart-due');
  return due?.queueTriggers[0]?.maximumConcurrency ?? Number.POSITIVE_INFINITY;
}

/** RunTask's most tasks per call. */
const RUN_TASK_MAX_COUNT = 10;

/**
 * A storm: a bad release makes `tasks` running opted-in standalone tasks of one family exit 1 at once
 * (started by RunTask, ten at a time, and seen running first). Each is restarted once (the restarted
 * tasks run on, and a person stops them at the end), none is lost, RunTask is called one at a time
 * per restart-due invocation (its calls made slow, so calls made together would overlap) under
 * Fargate's RunTask quota
 * (the local ECS throttles above it) and one call in ten throttled besides (seeded): a throttled call
 * is made again with its token. Each chat channel gets at most `after` messages and a summary per
 * aggregation window, not one per task.
 *
 * @param tasks - how many tasks fail (the e2e test 200; with every event delivered three times, fewer)
 */
export function restartStormOf(tasks: number): Scenario {
  return {
    name: `a storm: ${tasks} running batch tasks exit 1 at once: each restarted once within RunTask's rate, none lost, chat gets summaries`,
    async run(sandbox) {
      sandbox.plane.pushImage('team/worker', 'nightly-batch');
      await registerWorkerFamily(sandbox, 'nightly-batch', `${REGISTRY}/team/worker:nightly-batch`);
      const originals: string[] = [];
      const channels = ['slack', 'discord', 'webhook'] as const;
      // The storm's messages: its restarts one by one, and the summaries of its windows (a summary of
      // an earlier scenario's window may reach chat after the storm began: the flush runs late on a
      // busy machine). A summary names its window in its text ("between <start> and <end>").
      const wanted = new Set<string>();
      const stormWindows = () =>
        new Set(
          sandbox.published
            .filter(
              (e) => e['detail-type'] === 'Task Restarted' && wanted.has(String(e.detail.previousTaskArn)),
            )
            .map((e) => formatTime(new Date(Math.floor(Date.parse(e.time) / 10_000) * 10_000).toISOString())),
        );
      const ofStorm = (m: ChatMessage, windows: ReadonlySet<string>) => {
        if (!chatTitle(m).includes('more "Task Restarted"')) return true;
        const body = JSON.stringify(m.body);
        return [...windows].some((start) => body.includes(`between ${start} and`));
      };
      const linesOf = (kind: ChatKind, messages: readonly ChatMessage[]) => {
        const windows = stormWindows();
        return messages
          .filter((m) => m.kind === kind && m.status < 300 && ofStorm(m, windows))
          .map((m) => chatTitle(m));
      };
      const oneByOneIn = (lines: readonly string[]) =>
        lines.filter((l) => l.includes('nightly-batch') && l.includes('restarted (attempt'));
      const summariesIn = (lines: readonly string[]) =>
        lines.filter((l) => l.includes('more "Task Restarted"'));
      const summedUp = (lines: readonly string[]) =>
        lines.reduce((n, l) => n + Number(/(\d+) more "Task Restarted"/.exec(l)?.[1] ?? 0), 0);
      const told = (lines: readonly string[]) => oneByOneIn(lines).length + summedUp(summariesIn(lines));
      const firstChat = sandbox.chat.messages().length;
      // The nightly batch runs: its RunTask records and RUNNING events are delivered before anything
      // fails (a task that stopped before autopilot learnt how it was launched is another matter).
      for (let left = tasks; left > 0; left -= RUN_TASK_MAX_COUNT) {
        const out = await sandbox.ecs.send(
          new RunTaskCommand({
            cluster: 'staging',
            taskDefinition: 'nightly-batch',
            launchType: 'FARGATE',
            count: Math.min(RUN_TASK_MAX_COUNT, left),
            group: 'batch:nightly',
            networkConfiguration: WORKER_NETWORK,
            tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
          }),
        );
        originals.push(...(out.tasks ?? []).flatMap((t) => (t.taskArn ? [t.taskArn] : [])));
      }
      for (const arn of originals) wanted.add(arn);
      await Promise.all(originals.map((arn) => taskReached(sandbox, arn, 'RUNNING')));
      await sandbox.settle(WAIT_MS);
      // RunTask answers after 20 ms, as a real call takes a while: calls made together overlap. One
      // call in ten is throttled besides the quota (which this machine's pace may never reach), so
      // throttled restarts are retried in every run.
      sandbox.setFaults([
        { operation: 'ecs:RunTask', kind: 'latency', rate: 1, latencyMs: 20 },
        { operation: 'ecs:RunTask', kind: 'throttle', rate: 0.1 },
      ]);
      const seen = await during(sandbox, async () => {
        // The bad release: every task's work fails at once.
        for (const arn of originals) sandbox.plane.exitTask(arn, 1);
        const restartedAll = () =>
          new Set(
            sandbox.published
              .filter(
                (e) => e['detail-type'] === 'Task Restarted' && wanted.has(String(e.detail.previousTaskArn)),
              )
              .map((e) => String(e.detail.previousTaskArn)),
          ).size === wanted.size;
        await waitUntil(restartedAll);
        // Every channel told of every restart, one by one or counted in its window's summary (the
        // flush schedule sends a summary once its window has ended).
        await waitUntil(() => {
          const messages = sandbox.chat.messages().slice(firstChat);
          return channels.every((kind) => told(linesOf(kind, messages)) >= tasks);
        });
      });
      sandbox.setFaults([]);
      const restarted = seen.events.filter(
        (e) => e['detail-type'] === 'Task Restarted' && wanted.has(String(e.detail.previousTaskArn)),
      );
      const timesRestarted = new Map<string, number>();
      for (const e of restarted)
        timesRestarted.set(
          String(e.detail.previousTaskArn),
          (timesRestarted.get(String(e.detail.previousTaskArn)) ?? 0) + 1,
        );
      const chains = new Set(originals.map(taskIdOf));
      const runTasks = seen.calls.filter((c) => {
        const input = c.input as { startedBy?: string; tags?: Tag[] };
        return (
          c.operation === 'RunTask' &&
          input.startedBy === 'autopilot' &&
          (input.tags ?? []).some((t) => t.key === 'autopilot:restart-of' && chains.has(t.value ?? ''))
        );
      });
      const tokenOf = (c: CallRecord) => String((c.input as { clientToken?: string }).clientToken);
      const started = runTasks.filter((c) => !c.error);
      const throttled = runTasks.filter((c) => c.error === 'ThrottlingException');
      const startedTokens = new Set(started.map(tokenOf));
      const tasksPerChain = new Map<string, number>();
      for (const task of sandbox.plane.model.tasks.values()) {
        const chain = sandbox.plane.model
          .tagsOf(task.arn)
          .find((t) => t.key === 'autopilot:restart-of')?.value;
        if (chain && chains.has(chain)) tasksPerChain.set(chain, (tasksPerChain.get(chain) ?? 0) + 1);
      }
      const concurrency = restartDueConcurrency();
      const inFlight = mostInFlight(runTasks);
      const parked = [
        ...sandbox.runtime.dlq.messages(),
        ...(sandbox.runtime.queues.get('ecs-autopilot-sandbox-restart-delay-dlq')?.messages() ?? []),
      ];
      // What aggregation allows (sandbox/autopilot.yml: windows of 10 s, 3 messages, then a summary
      // and at most one late summary), over the windows the restarts' events fall in.
      const windows = new Set(restarted.map((e) => Math.floor(Date.parse(e.time) / 10_000))).size;
      const chat = sandbox.chat.messages().slice(firstChat);
      const perChannel = channels.map((kind) => {
        const lines = linesOf(kind, chat);
        return {
          kind,
          oneByOne: oneByOneIn(lines).length,
          summaries: summariesIn(lines).length,
          summedUp: summedUp(summariesIn(lines)),
        };
      });
      // Tidy: the restarted tasks run on; a person stops them, which is never restarted.
      const replacements = restarted.flatMap((e) => (e.detail.taskArn ? [String(e.detail.taskArn)] : []));
      for (const task of replacements)
        await sandbox.ecs.send(new StopTaskCommand({ cluster: 'staging', task, reason: 'scenario done' }));
      await Promise.all(replacements.map((arn) => taskReached(sandbox, arn, 'STOPPED')));
      await sandbox.settle(WAIT_MS);
      return [
        expect(`${tasks} tasks failed`, originals.length === tasks, originals.length),
        expect(
          'every failed task restarted exactly once: one Task Restarted each',
          restarted.length === tasks &&
            [...timesRestarted.values()].every((n) => n === 1) &&
            timesRestarted.size === tasks,
          { events: restarted.length, tasks: timesRestarted.size },
        ),
        expect(
          `${tasks} RunTask calls started a task, each with a token of its own`,
          started.length === tasks && startedTokens.size === tasks,
          { started: started.length, tokens: startedTokens.size },
        ),
        expect(
          'one task started per chain, none twice',
          tasksPerChain.size === tasks && [...tasksPerChain.values()].every((n) => n === 1),
          { chains: tasksPerChain.size, most: Math.max(0, ...tasksPerChain.values()) },
        ),
        expect(
          'RunTask was throttled, and every throttled call was made again with its token and started its task',
          throttled.length > 0 && throttled.every((c) => startedTokens.has(tokenOf(c))),
          { throttled: throttled.length, overQuota: throttled.filter((c) => c.overQuota).length },
        ),
        expect(
          `RunTask calls in flight at once never above restart-due's maximumConcurrency (${concurrency}), one call each`,
          inFlight >= 1 && inFlight <= concurrency,
          { inFlight, concurrency },
        ),
        expect('nothing parked in a dead-letter queue', parked.length === 0, parked),
        expect(
          `each channel told of every restart, at most 3 one by one and a summary (and a late one) per window (${windows})`,
          perChannel.every(
            (c) =>
              c.oneByOne + c.summedUp === tasks && c.oneByOne <= 3 * windows && c.summaries <= 2 * windows,
          ),
          {
            windows,
            perChannel,
            // Restarts of other chains in these windows would be counted in the summaries too.
            others: seen.events
              .filter(
                (e) => e['detail-type'] === 'Task Restarted' && !wanted.has(String(e.detail.previousTaskArn)),
              )
              .map((e) => ({ time: e.time, previous: e.detail.previousTaskArn, attempt: e.detail.attempt })),
            summaries: summariesIn(linesOf('slack', chat)),
          },
        ),
        expect('no delivery failed', seen.failures.length === 0, seen.failures.slice(0, 3)),
      ];
    },
  };
}

/** A storm of 200 failing batch tasks (see {@link restartStormOf}). */
export const restartStorm: Scenario = restartStormOf(200);

/**
 * A tag policy in remediate mode (sandbox/autopilot.yml: services of `tags-demo` carry an `owner`,
 * inherited from their cluster): a service created there without one is repaired seconds after its
 * CreateService record, told once as `Tag Policy Remediated`, and autopilot's own TagResource record,
 * coming back through CloudTrail, changes and tells nothing (no loop).
 */
export const untaggedServiceRepaired: Scenario = {
  name: 'a service created without owner in a cluster owned by platform: given owner=platform by the tag policy, told once, no loop',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'tags-demo', `${REGISTRY}/team/worker:stable`);
    let serviceArn = '';
    let remediated: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      await sandbox.ecs.send(
        new CreateClusterCommand({ clusterName: 'tags-demo', tags: [{ key: 'owner', value: 'platform' }] }),
      );
      const out = await sandbox.ecs.send(
        new CreateServiceCommand({
          cluster: 'tags-demo',
          serviceName: 'reports',
          taskDefinition: 'tags-demo',
          desiredCount: 0,
          launchType: 'FARGATE',
          networkConfiguration: WORKER_NETWORK,
        }),
      );
      serviceArn = out.service?.serviceArn ?? '';
      remediated = await published(
        sandbox,
        'Tag Policy Remediated',
        (e) => e['detail-type'] === 'Tag Policy Remediated' && e.detail.resourceArn === serviceArn,
      );
    });
    const { tags } = await sandbox.ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }));
    const owner = tags?.find((t) => t.key === 'owner')?.value;
    const told = seen.events.filter((e) => String(e['detail-type']).startsWith('Tag Policy'));
    const tagCalls = seen.calls.filter(
      (c) =>
        c.operation === 'TagResource' && (c.input as { resourceArn?: string }).resourceArn === serviceArn,
    );
    return [
      expect("the service carries owner=platform, its cluster's", owner === 'platform', tags),
      expect(
        'one Tag Policy Remediated, nothing else told about it',
        told.length === 1 && remediated !== undefined,
        told.map((e) => e['detail-type']),
      ),
      // Its record comes back through CloudTrail (the bus is quiet when `during` ends): a loop would
      // tag again or tell again.
      expect(
        'one TagResource by autopilot, its own record changing nothing',
        tagCalls.filter((c) => !c.error).length === 1,
        tagCalls.length,
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * A person pauses cluster staging (`autopilot pause staging --reason "incident 42"`): a push of
 * team/api:main deploys prod/api at once and holds staging/api, announced as scheduled for the end of
 * the pause with who paused it and why; `autopilot resume staging` releases it, and deploy-due deploys
 * it within a second.
 */
export const pauseHoldsPush: Scenario = {
  name: 'staging paused by alice: a push of team/api:main deploys prod/api, holds staging/api, and deploys it once resumed',
  async run(sandbox) {
    const state = operatorState(sandbox);
    const before = (await sandbox.describeService('staging', 'api')).taskDefinition;
    const pause = {
      scope: 'cluster:staging',
      until: new Date(Date.now() + 2 * 3_600_000).toISOString(),
      by: 'alice',
      reason: 'incident 42',
      at: new Date().toISOString(),
      notifyOnly: false,
    };
    let digest = '';
    let scheduled: EventBridgeEvent | undefined;
    let whilePaused: string | undefined;
    let released: string[] = [];
    const ofStagingApi = (type: string) => (e: EventBridgeEvent) =>
      e['detail-type'] === type &&
      e.detail.cluster === 'staging' &&
      e.detail.service === 'api' &&
      e.detail.digest === digest;
    const seen = await during(sandbox, async () => {
      await state.pauses.pause(pause);
      digest = sandbox.plane.pushImage('team/api', 'main').digest;
      scheduled = await published(sandbox, 'Deployment Scheduled', ofStagingApi('Deployment Scheduled'));
      await sandbox.settle();
      whilePaused = (await sandbox.describeService('staging', 'api')).taskDefinition;
      const resumed = await resumePause(pause.scope, state, new Date());
      released = resumed.released.map((p) => `${p.cluster}/${p.service}`);
      await published(sandbox, 'Deployment Started', ofStagingApi('Deployment Started'));
    }).finally(state.close);
    const pinned = `${REGISTRY}/team/api@${digest}`;
    const prod = await sandbox.imagesOf('prod', 'api');
    const staging = await sandbox.imagesOf('staging', 'api');
    const started = seen.events.filter((e) => e['detail-type'] === 'Deployment Started');
    return [
      expect('prod/api, not paused, runs the pushed image at once', prod.app === pinned, prod),
      expect(
        'staging/api held: scheduled for the end of the pause, saying alice paused it for incident 42',
        scheduled?.detail.dueAt === pause.until &&
          String(scheduled?.detail.reason).startsWith(`paused until ${pause.until} by alice (incident 42)`),
        scheduled?.detail,
      ),
      expect('staging/api unchanged while paused', whilePaused === before, { before, whilePaused }),
      expect(
        'resume released the held push of staging/api',
        JSON.stringify(released) === '["staging/api"]',
        released,
      ),
      expect('staging/api runs the pushed image once resumed', staging.app === pinned, staging),
      expect(
        'Deployment Started once for each service',
        started.length === 2 &&
          new Set(started.map((e) => `${e.detail.cluster}/${e.detail.service}`)).size === 2,
        started.map((e) => `${e.detail.cluster}/${e.detail.service}`),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * A service Terraform also manages (`managed-by=terraform`, policy `iac`: onRevert redeploy, window
 * 10 minutes): autopilot deploys a push of team/ledger:main; "Terraform" (a person's credentials)
 * points it back at the revision naming team/ledger:v1; autopilot reports the revert, who did it and
 * who manages the service, and deploys its revision again, once; the second revert within the window
 * pauses the service instead of fighting it.
 */
export const revertedByOthers: Scenario = {
  name: 'a service Terraform manages is moved back to an older image: reported and deployed again once; the second revert pauses it',
  async run(sandbox) {
    const state = operatorState(sandbox);
    await sandbox.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/ledger' }));
    sandbox.plane.pushImage('team/ledger', 'v1');
    const old = await registerWorkerFamily(sandbox, 'iac-ledger', `${REGISTRY}/team/ledger:v1`);
    let ours = '';
    let digest = '';
    const reverted: EventBridgeEvent[] = [];
    let afterFirst = '';
    let afterSecond = '';
    let paused: Awaited<ReturnType<typeof state.pauses.activePauses>> = [];
    const ofLedger = (type: string) => (e: EventBridgeEvent) =>
      e['detail-type'] === type && e.detail.cluster === 'iac' && e.detail.service === 'ledger';
    const terraformApply = () =>
      sandbox.ecs.send(new UpdateServiceCommand({ cluster: 'iac', service: 'ledger', taskDefinition: old }));
    const seen = await during(sandbox, async () => {
      await sandbox.ecs.send(new CreateClusterCommand({ clusterName: 'iac' }));
      await sandbox.ecs.send(
        new CreateServiceCommand({
          cluster: 'iac',
          serviceName: 'ledger',
          taskDefinition: old,
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: WORKER_NETWORK,
          tags: [
            { key: 'autopilot:deploy', value: 'tag:main' },
            { key: 'autopilot:policy', value: 'iac' },
            { key: 'managed-by', value: 'terraform' },
          ],
        }),
      );
      await sandbox.settle();
      digest = sandbox.plane.pushImage('team/ledger', 'main').digest;
      const started = await published(
        sandbox,
        'Deployment Started',
        (e) => ofLedger('Deployment Started')(e) && e.detail.digest === digest,
      );
      ours = String(started.detail.toTaskDefinition);
      await sandbox.settle();
      await terraformApply();
      reverted.push(
        await published(
          sandbox,
          'Deployment Reverted',
          (e) => ofLedger('Deployment Reverted')(e) && e.detail.action === 'redeployed',
        ),
      );
      await sandbox.settle();
      afterFirst = (await sandbox.describeService('iac', 'ledger')).taskDefinition ?? '';
      await terraformApply();
      reverted.push(
        await published(
          sandbox,
          'Deployment Reverted',
          (e) => ofLedger('Deployment Reverted')(e) && e.detail.action === 'paused',
        ),
      );
      await sandbox.settle();
      afterSecond = (await sandbox.describeService('iac', 'ledger')).taskDefinition ?? '';
      paused = await state.pauses.activePauses(new Date());
      // Tidy: the pause is a person's to end; the scenario ends it so nothing after it is held.
      await resumePause('service:iac/ledger', state, new Date());
    }).finally(state.close);
    const [first, second] = reverted;
    const told = seen.events.filter(ofLedger('Deployment Reverted'));
    const updates = seen.calls.filter(
      (c) =>
        c.operation === 'UpdateService' && !c.error && (c.input as { service?: string }).service === 'ledger',
    );
    return [
      expect('autopilot deployed the push of team/ledger:main', ours !== '' && ours !== old, { ours, old }),
      expect(
        'the first revert is reported with who did it and who manages the service, and its revision deployed again',
        first?.detail.action === 'redeployed' &&
          first.detail.managedBy === 'terraform (managed-by)' &&
          String(first.detail.by).length > 0 &&
          first.detail.revertedTo === old &&
          afterFirst === ours,
        { detail: first?.detail, afterFirst },
      ),
      expect(
        'the second revert within 10 minutes pauses the service instead, which stays where Terraform put it',
        second?.detail.action === 'paused' &&
          afterSecond === old &&
          paused.some((p) => p.scope === 'service:iac/ledger' && p.by === 'autopilot'),
        { detail: second?.detail, afterSecond, paused },
      ),
      expect(
        'each revert told once',
        told.length === 2,
        told.map((e) => e.detail.action),
      ),
      expect(
        'UpdateService: the push, two reverts by Terraform, one deploy again by autopilot, nothing more',
        updates.length === 4,
        updates.map((c) => (c.input as { taskDefinition?: string }).taskDefinition),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** The region and credentials an operator's terminal uses against the local account. */
function operatorConfig(sandbox: Sandbox) {
  const env = sandbox.runtime.operatorEnvironment();
  return {
    region: env.AWS_REGION ?? REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
}

/**
 * Syncs a service as `autopilot sync` from another terminal does: the use case on the adapters the
 * command composes (deploy on push's, and the ECR image catalog), with the operator's environment of
 * the local account (its table, bus, endpoints and credentials).
 */
async function syncAsOperator(sandbox: Sandbox, service: ServiceRef, by: string): Promise<SyncResult> {
  const env = sandbox.runtime.operatorEnvironment();
  const config = operatorConfig(sandbox);
  const ecs = new ECSClient({ ...config, endpoint: sandbox.plane.endpoint });
  const ecr = new ECRClient({ ...config, endpoint: sandbox.plane.endpoint });
  const dynamo = new DynamoDBClient({ ...config, endpoint: sandbox.runtime.dynamo.endpoint });
  const bus = new EventBridgeClient({ ...config, endpoint: sandbox.runtime.eventsEndpoint });
  const table = sandbox.runtime.dynamo.tableName;
  try {
    return await syncService(
      { service, by, newEventId: () => `sync-${randomUUID()}` },
      {
        ecs: new EcsGateway(ecs, ecs),
        ecr: new EcrGateway(ecr),
        catalog: new EcrImageCatalog(ecr),
        index: new DynamoServiceIndex(table, dynamo),
        quarantine: new DynamoQuarantine(table, dynamo),
        history: new DynamoDeploymentHistory(table, dynamo),
        lease: new DynamoServiceLease(table, dynamo),
        pending: new DynamoPendingPushes(table, dynamo),
        skips: new DynamoSkippedPushes(table, dynamo),
        pauses: new DynamoPauses(table, dynamo),
        events: new EventBridgePublisher(sandbox.runtime.busName, bus),
        policyFile: loadPolicyFile(env.AUTOPILOT_CONFIG),
        dryRun: false,
        now: () => new Date(),
      },
    );
  } finally {
    for (const client of [ecs, ecr, dynamo, bus]) client.destroy();
  }
}

/**
 * A service opted in after its image was pushed: staging/orders runs an old build of team/orders,
 * `main` moves on while nothing follows it, then the service is tagged `autopilot:deploy=tag:main`.
 * No push comes, so nothing deploys it, until alice runs `autopilot sync staging/orders`: main is
 * deployed through deploy on push's own path (one `Deployment Started`, caused by the sync, saying who
 * ran it); a second sync has nothing to do.
 */
export const syncBringsServiceUpToDate: Scenario = {
  name: 'staging/orders opted in after team/orders:main was pushed: autopilot sync by alice deploys main once, a second sync has nothing to do',
  async run(sandbox) {
    await sandbox.ecr
      .send(new CreateRepositoryCommand({ repositoryName: 'team/orders' }))
      .catch((error: Error) => {
        // Played again on the same account: the repository is there already.
        if (error.name !== 'RepositoryAlreadyExistsException') throw error;
      });
    const old = sandbox.plane.pushImage('team/orders', 'main').digest;
    await registerWorkerFamily(sandbox, 'orders', `${REGISTRY}/team/orders@${old}`);
    await sandbox.ecs.send(
      new CreateServiceCommand({
        cluster: 'staging',
        serviceName: 'orders',
        taskDefinition: 'orders',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: WORKER_NETWORK,
      }),
    );
    await sandbox.settle();
    const ref = { cluster: 'staging', service: 'orders' };
    let digest = '';
    let optedIn: string | undefined;
    let first: SyncResult | undefined;
    let second: SyncResult | undefined;
    const seen = await during(sandbox, async () => {
      digest = sandbox.plane.pushImage('team/orders', 'main').digest;
      await sandbox.settle();
      await tagService(sandbox, 'staging', 'orders', { 'autopilot:deploy': 'tag:main' });
      await sandbox.settle();
      optedIn = (await sandbox.imagesOf('staging', 'orders')).app;
      first = await syncAsOperator(sandbox, ref, 'alice');
      const eventId = first.repositories[0]?.eventId;
      await published(sandbox, 'Deployment Started', (e) => e.detail.triggeredBy === eventId);
      await sandbox.settle();
      second = await syncAsOperator(sandbox, ref, 'alice');
    });
    const images = await sandbox.imagesOf('staging', 'orders');
    const started = seen.events.filter(
      (e) => e['detail-type'] === 'Deployment Started' && e.detail.service === 'orders',
    );
    return [
      expect(
        'opted in after the push, staging/orders still ran the old build: no push reached it',
        optedIn === `${REGISTRY}/team/orders@${old}`,
        optedIn,
      ),
      expect(
        'sync chose what main points at now and deployed it',
        first?.outcome === 'deployed' && first.repositories[0]?.chosen?.digest === digest,
        first,
      ),
      expect(
        'staging/orders runs main by digest',
        images.app === `${REGISTRY}/team/orders@${digest}`,
        images,
      ),
      expect(
        'Deployment Started once, caused by the sync, saying alice ran it',
        started.length === 1 &&
          String(started[0]?.detail.triggeredBy).startsWith('sync-') &&
          String(started[0]?.detail.reason).endsWith('; autopilot sync by alice'),
        started.map((e) => e.detail),
      ),
      expect(
        'a second sync has nothing to do',
        second?.outcome === 'unchanged' && second.reason.startsWith('already running this digest'),
        second,
      ),
      expect(
        'the deployment completed',
        (await primaryRollout(sandbox, 'staging', 'orders')) === 'COMPLETED',
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** The tags of a resource as ECS holds them now, by key. */
async function tagsOf(sandbox: Sandbox, resourceArn: string): Promise<Record<string, string>> {
  const { tags } = await sandbox.ecs.send(new ListTagsForResourceCommand({ resourceArn }));
  return Object.fromEntries((tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}

/** The `Tag Policy …` events about one resource. */
const tagEventsOf = (events: readonly EventBridgeEvent[], resourceArn: string) =>
  events.filter(
    (e) => String(e['detail-type']).startsWith('Tag Policy') && e.detail.resourceArn === resourceArn,
  );

/**
 * A billing task definition registered with `env=production` (the rule allows prod or staging):
 * reported under rule `env` with what it allows, marked with its due date, its tags otherwise left
 * (audit mode), and told to its owner: the route for team=payments (Teams), not the default channels.
 */
export const wrongEnvReported: Scenario = {
  name: "a billing task definition with env=production: reported under rule env, marked, told on its team's channel",
  async run(sandbox) {
    let arn = '';
    let violation: EventBridgeEvent | undefined;
    const seen = await during(sandbox, async () => {
      const out = await sandbox.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'billing-report',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: `${REGISTRY}/team/worker:stable`, essential: true }],
          tags: [
            { key: 'env', value: 'production' },
            { key: 'team', value: 'payments' },
          ],
        }),
      );
      arn = out.taskDefinition?.taskDefinitionArn ?? '';
      violation = await published(
        sandbox,
        'Tag Policy Violation',
        (e) => e['detail-type'] === 'Tag Policy Violation' && e.detail.resourceArn === arn,
      );
    });
    const tags = await tagsOf(sandbox, arn);
    const detail = violation?.detail ?? {};
    const violations = (detail.violations ?? []) as { key: string; problem: string; allowed?: string }[];
    const told = seen.chat.filter((line) => line.includes('billing-report'));
    return [
      expect(
        'reported under rule env: production is not one of prod, staging',
        detail.rule === 'env' &&
          detail.mode === 'audit' &&
          violations.length === 1 &&
          violations[0]?.key === 'env' &&
          violations[0]?.problem === 'not-allowed' &&
          String(violations[0]?.allowed).includes('prod') &&
          String(violations[0]?.allowed).includes('staging'),
        detail,
      ),
      expect(
        'audit: only reported (whenDue report-only); env still production, the mark on it with its due date',
        detail.whenDue === 'report-only' &&
          tags.env === 'production' &&
          tags['autopilot:violation'] === `env@${String(detail.due)}`,
        { whenDue: detail.whenDue, tags },
      ),
      expect(
        "told on the payments team's channel (Teams), not on the default ones",
        told.some((line) => line.startsWith('teams: ')) &&
          !told.some((line) => line.startsWith('slack: ') || line.startsWith('discord: ')),
        told,
      ),
      expect(
        'one Tag Policy Violation, nothing else told about it; its mark coming back changes nothing',
        tagEventsOf(seen.events, arn).length === 1,
        tagEventsOf(seen.events, arn).map((e) => e['detail-type']),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * A service created in tags-enforce without a cost centre (rule `cost-centre`, enforce, scale to
 * zero): marked at once, scaled to zero by the first sweep after its mark is due (its desired count
 * kept), counted in the sweep's summary, and given its desired count back once someone tags it.
 */
export const serviceEnforcedAndRestored: Scenario = {
  name: 'a service without cost-centre: scaled to zero by the sweep once its grace ran out (counted in the summary), restored when tagged',
  async run(sandbox) {
    await registerWorkerFamily(sandbox, 'tags-enforce', `${REGISTRY}/team/worker:stable`);
    let serviceArn = '';
    let violation: EventBridgeEvent | undefined;
    let enforced: EventBridgeEvent | undefined;
    let restored: EventBridgeEvent | undefined;
    let swept: Awaited<ReturnType<typeof sweepTagPolicies>> | undefined;
    let desiredAfterSweep: number | undefined;
    let sweptBeforeDue: Awaited<ReturnType<typeof sweepTagPolicies>> | undefined;
    let desiredBeforeDue: number | undefined;
    const seen = await during(sandbox, async () => {
      await sandbox.ecs.send(
        new CreateClusterCommand({
          clusterName: 'tags-enforce',
          tags: [{ key: 'owner', value: 'platform' }],
        }),
      );
      const out = await sandbox.ecs.send(
        new CreateServiceCommand({
          cluster: 'tags-enforce',
          serviceName: 'invoices',
          taskDefinition: 'tags-enforce',
          desiredCount: 2,
          launchType: 'FARGATE',
          networkConfiguration: WORKER_NETWORK,
        }),
      );
      serviceArn = out.service?.serviceArn ?? '';
      violation = await published(
        sandbox,
        'Tag Policy Violation',
        (e) => e['detail-type'] === 'Tag Policy Violation' && e.detail.resourceArn === serviceArn,
      );
      // A sweep before the mark is due leaves the service as it is.
      sweptBeforeDue = await sweepTagPolicies(sandbox);
      desiredBeforeDue = (await sandbox.describeService('tags-enforce', 'invoices')).desiredCount;
      // Marks are dated to the minute: the grace (1s) ends at the next minute.
      const due = Date.parse(String(violation.detail.due));
      await sleep(Math.max(0, due - Date.now()) + 1_000);
      swept = await sweepTagPolicies(sandbox);
      enforced = await published(
        sandbox,
        'Tag Policy Enforced',
        (e) => e['detail-type'] === 'Tag Policy Enforced' && e.detail.resourceArn === serviceArn,
      );
      desiredAfterSweep = (await sandbox.describeService('tags-enforce', 'invoices')).desiredCount;
      await tagService(sandbox, 'tags-enforce', 'invoices', { 'cost-centre': 'cc-4711' });
      restored = await published(
        sandbox,
        'Tag Policy Restored',
        (e) => e['detail-type'] === 'Tag Policy Restored' && e.detail.resourceArn === serviceArn,
      );
    });
    const after = await sandbox.describeService('tags-enforce', 'invoices');
    const tags = await tagsOf(sandbox, serviceArn);
    const rows = (swept?.summary?.rows ?? []) as { rule: string; resourceType: string; enforced: number }[];
    const row = rows.find((r) => r.rule === 'cost-centre' && r.resourceType === 'ecs:service');
    const told = tagEventsOf(seen.events, serviceArn).map((e) => String(e['detail-type']));
    const scaleCalls = seen.calls.filter(
      (c) =>
        c.operation === 'UpdateService' &&
        !c.error &&
        (c.input as { service?: string }).service?.endsWith('invoices'),
    );
    return [
      expect(
        'marked at once: enforce, scale to zero when due',
        violation?.detail.mode === 'enforce' && violation.detail.whenDue === 'scale-to-zero',
        violation?.detail,
      ),
      expect(
        'a sweep before the mark was due left it running at 2',
        desiredBeforeDue === 2 && sweptBeforeDue?.summary !== undefined,
        { desiredBeforeDue, summary: sweptBeforeDue?.summary },
      ),
      expect(
        'the first sweep after the due date scaled it to zero, keeping its desired count 2',
        desiredAfterSweep === 0 &&
          enforced?.detail.action === 'scaled-to-zero' &&
          enforced.detail.desiredCount === 2,
        { desiredAfterSweep, enforced: enforced?.detail },
      ),
      expect(
        "the sweep's summary counts it: rule cost-centre, ecs:service, 1 enforced",
        swept?.summary?.complete === true && row?.enforced === 1,
        swept?.summary,
      ),
      expect(
        'tagged cost-centre=cc-4711: its desired count 2 given back and its mark cleared',
        after.desiredCount === 2 &&
          restored?.detail.restored === 'desired-count' &&
          restored.detail.desiredCount === 2 &&
          restored.detail.markCleared === true &&
          tags['autopilot:violation'] === undefined,
        { desiredCount: after.desiredCount, restored: restored?.detail, tags },
      ),
      expect(
        'told once each: violation, enforced, restored',
        JSON.stringify(told) ===
          JSON.stringify(['Tag Policy Violation', 'Tag Policy Enforced', 'Tag Policy Restored']),
        told,
      ),
      expect(
        'two UpdateService calls by autopilot: to zero, and back to 2',
        scaleCalls.length === 2,
        scaleCalls.map((c) => c.input),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/**
 * team/api:main pushed in us-east-1 and replicated by ECR into this region's registry: ECR sends no
 * push here, only "ECR Replication Action"; both services following team/api:main in this registry
 * are deployed the replica, pinned by this registry's digest, and the decisions say where it came from.
 */
export const replicaDeployedAsPush: Scenario = {
  name: 'team/api:main replicated by ECR from us-east-1: deployed here as a push, saying where it came from',
  async run(sandbox) {
    const firstEmitted = sandbox.plane.emitted.length;
    let digest = '';
    const seen = await during(sandbox, () => {
      digest = sandbox.plane.pushImage(
        'team/api',
        'main',
        { kind: 'healthy' },
        {
          replicatedFrom: { region: 'us-east-1' },
        },
      ).digest;
    });
    const ecrEvents = sandbox.plane.emitted
      .slice(firstEmitted)
      .filter((e) => e.source === 'aws.ecr' && e['detail-type'] !== 'AWS API Call via CloudTrail')
      .map((e) => e['detail-type']);
    const pinned = `${REGISTRY}/team/api@${digest}`;
    const prod = await sandbox.imagesOf('prod', 'api');
    const staging = await sandbox.imagesOf('staging', 'api');
    // A duplicate delivery answers the first one's decisions again (`replayed`): each service once.
    const deploys = seen.decisions.filter((d) => d.function === 'deploy-on-push' && d.action === 'deploy');
    const deployed = new Set(deploys.map((d) => `${d.cluster}/${d.service}`));
    return [
      expect(
        'ECR sent a replication here, and no push',
        JSON.stringify(ecrEvents) === '["ECR Replication Action"]',
        ecrEvents,
      ),
      expect('prod/api runs the replica by digest', prod.app === pinned, prod),
      expect('staging/api runs the replica by digest', staging.app === pinned, staging),
      expect(
        'both deployments say the image was replicated from us-east-1',
        deployed.size === 2 &&
          deploys.every((d) => String(d.reason).endsWith('; replicated by ECR from us-east-1')),
        deploys.map((d) => d.reason),
      ),
      expect(
        'Deployment Started published for each service',
        seen.events.filter((e) => e['detail-type'] === 'Deployment Started').length === 2,
        seen.events.map((e) => e['detail-type']),
      ),
      expect('no delivery failed', seen.failures.length === 0, seen.failures),
    ];
  },
};

/** Every scenario, in the order they are played. */
export const SCENARIOS: readonly Scenario[] = [
  pushFollowsTag,
  duplicateDelivery,
  semverMinor,
  cooldown,
  digestOnlyPush,
  misconfiguredTag,
  faultsInjected,
  newestPushUnderFaults,
  crashQuarantined,
  alarmInBake,
  notificationStorm,
  rollbackRunsKnownGoodDigest,
  faultsOnEveryService,
  workerRestarted,
  lostRunTaskRecordRestarted,
  lateRunTaskRecordRestarted,
  restartRuleOptsIn,
  crashLoopAbandoned,
  userStopNotRestarted,
  spotInterruptionRestarted,
  missingImageAbandoned,
  duplicateRestartDelivery,
  restartStorm,
  untaggedServiceRepaired,
  wrongEnvReported,
  serviceEnforcedAndRestored,
  pauseHoldsPush,
  revertedByOthers,
  syncBringsServiceUpToDate,
  replicaDeployedAsPush,
];

/** Plays scenarios in order, telling `onStart` when each begins and `onResult` its expectations. */
export async function playScenarios(
  sandbox: Sandbox,
  scenarios: readonly Scenario[] = SCENARIOS,
  onResult: (result: ScenarioResult) => void = () => undefined,
  onStart: (scenario: Scenario) => void = () => undefined,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    onStart(scenario);
    let expectations: Expectation[];
    try {
      expectations = await scenario.run(sandbox);
    } catch (error) {
      expectations = [
        {
          description: 'the scenario ran',
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
        },
      ];
    }
    const result = { name: scenario.name, expectations };
    results.push(result);
    onResult(result);
  }
  return results;
}
