/**
 * The local account: the ECS/ECR control plane and the runtime (bus, functions, table, queues)
 * wired together, seeded with a small account, with helpers to wait for the system to settle; and the
 * chat services autopilot notifies (the {@link ChatSink}), their webhook URLs, token and signing
 * secret in the local Parameter Store and Secrets Manager, and an SNS topic for AWS Chatbot.
 * Used by `npm start` (sandbox/main.ts) and by the end-to-end tests.
 */
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Service,
  TagResourceCommand,
} from '@aws-sdk/client-ecs';
import { DynamoPauses } from '../shared/adapters/state/dynamo-pauses';
import { DynamoPendingPushes } from '../shared/adapters/state/dynamo-pending-pushes';
import type { EventBridgeEvent } from '../tools/eventbridge/event';
import { type ChatSink, startChatSink } from './chat-sink';
import {
  ACCOUNT,
  assumedRoleIdentity,
  type ControlPlane,
  FARGATE_RUN_TASK_QUOTA,
  type FaultRule,
  REGION,
  REGISTRY,
  startControlPlane,
} from './control-plane';
import { mulberry32 } from './control-plane/random';
import { FaultInjector } from './faults';
import { type Runtime, startRuntime } from './runtime';

// The account and region of the local account (the control plane's), and its private registry.
export { ACCOUNT, REGION, REGISTRY };

/** The sidecar every service runs: never touched by deploy on push. */
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable';

/** The network of the seeded services and tasks (and of `autopilot sandbox run-task`). */
export const SANDBOX_NETWORK = {
  awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: ['sg-0123456789abcdef0'] },
};

/** The name of every chat channel of the sink the sandbox seeds (`/slack/platform`, `/teams/platform`…). */
export const CHAT_CHANNEL = 'platform';
/** SSM SecureString: the Slack incoming webhook URL, `<chat>/slack/platform`. */
export const SLACK_WEBHOOK_PARAMETER = '/autopilot/sandbox/slack-webhook';
/** SSM SecureString: the Slack bot token {@link SLACK_BOT_TOKEN} (for chat.postMessage / chat.update). */
export const SLACK_TOKEN_PARAMETER = '/autopilot/sandbox/slack-token';
/** SSM SecureString: the Teams Workflows webhook URL, `<chat>/teams/platform`. */
export const TEAMS_WEBHOOK_PARAMETER = '/autopilot/sandbox/teams-webhook';
/** SSM SecureString: the Discord webhook URL, `<chat>/discord/platform`. */
export const DISCORD_WEBHOOK_PARAMETER = '/autopilot/sandbox/discord-webhook';
/** Secrets Manager, a plain string: the Google Chat webhook URL, `<chat>/google-chat/platform`. */
export const GOOGLE_CHAT_SECRET = 'autopilot/sandbox/google-chat';
/** Secrets Manager, JSON `{ "url": "<chat>/webhook/platform", "signingSecret": WEBHOOK_SIGNING_SECRET }`. */
export const WEBHOOK_SECRET = 'autopilot/sandbox/webhook';
/** The Slack bot token the sink accepts (and the only one). */
export const SLACK_BOT_TOKEN = 'xoxb-0000000000-0000000000000-sandboxsandboxsandbox00';
/** A Slack channel id for the bot token (the sink accepts any). */
export const SLACK_CHANNEL_ID = 'C0SANDBOX01';
/** The generic webhook's signing secret; the sink verifies `/webhook/platform` with it. */
export const WEBHOOK_SIGNING_SECRET = 'whsec-sandbox-3f9c1e7a2b6d4058';
/** The SNS topic of AWS Chatbot notifications; what is published to it lands in the sink. */
export const NOTIFICATIONS_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:autopilot-notifications`;

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** `bundle` runs the built functions (npm start), `typescript` their sources (tests). */
  source?: 'bundle' | 'typescript';
  /** Powertools log level of the functions; SILENT by default. */
  logLevel?: string;
  /** Simulation speed of ECS in milliseconds per step; small by default. */
  stepMs?: number;
  /** The policy file the functions use; sandbox/autopilot.yml by default. */
  policyFile?: string;
  dryRun?: boolean;
  /** The chat sink's port; 0 (a free one) by default. */
  chatPort?: number;
  /**
   * Seeds the fault decisions of both halves; the same seed, the same faults for the same calls
   * (`1 ^ 0x5eed` by default, the control plane's own default).
   */
  faultSeed?: number;
  /** At-least-once delivery: every event delivered this many times, shuffled (the bus's `deliveries`); 1 by default. */
  deliveries?: number;
  /** Seeds the order of those copies; 1 by default. */
  deliverySeed?: number;
}

/** A running local account. */
export interface Sandbox {
  plane: ControlPlane;
  runtime: Runtime;
  /** The chat services: every message autopilot sent to Slack, Teams, Discord, Google Chat, webhooks, SNS. */
  chat: ChatSink;
  /** SDK clients as a person at the console would use them (not autopilot's). */
  ecs: ECSClient;
  ecr: ECRClient;
  /** Every event autopilot published so far, in order. */
  published: EventBridgeEvent[];
  /**
   * Sets the fault rules of the whole account (`sandbox/faults.ts`): each half takes the rules
   * addressed to its services (`ecs`, `ecr`; `dynamodb`, `events`, `sqs`, `ssm`, `secretsmanager`),
   * `*` every service. An empty list turns faults off.
   */
  setFaults(rules: FaultRule[]): void;
  /** Waits until nothing is in flight on the bus and ECS has no deployment in progress. */
  settle(timeoutMs?: number): Promise<void>;
  /** The service as ECS describes it now. */
  describeService(cluster: string, service: string): Promise<Service>;
  /** The container images of a service's current task definition, by container name. */
  imagesOf(cluster: string, service: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

const root = resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the control plane and the runtime on 127.0.0.1 and wires ECS/ECR events to the bus.
 *
 * @example
 * const sandbox = await startSandbox({ source: 'typescript' });
 * await seedAccount(sandbox);
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const step = options.stepMs ?? 40;
  let runtime: Runtime | undefined;
  const early: EventBridgeEvent[] = [];
  const chat = await startChatSink({
    port: options.chatPort,
    slackToken: SLACK_BOT_TOKEN,
    signingSecrets: { [CHAT_CHANNEL]: WEBHOOK_SIGNING_SECRET },
  });
  // One injector for both halves: one seeded source of fault decisions, one set of rules.
  const faults = new FaultInjector(mulberry32(options.faultSeed ?? 1 ^ 0x5eed));
  let plane: ControlPlane;
  try {
    plane = await startControlPlane({
      faults,
      accountId: ACCOUNT,
      region: REGION,
      // Events raised before the runtime is up (none in practice) are delivered once it is.
      emit: (event) => (runtime ? runtime.bus.put(event) : early.push(event)),
      timing: { taskStartMs: step, taskRunMs: step, healthyAfterMs: step, taskStopMs: Math.max(1, step / 2) },
      // The functions' calls (their key, functions.ts) show in CloudTrail as autopilot's role, as a
      // Lambda execution role's do, so autopilot can tell its own calls from people's.
      identities: { AKIDSANDBOX: assumedRoleIdentity(ACCOUNT, 'ecs-autopilot-sandbox', 'ecs-autopilot') },
      // RunTask is throttled as Fargate throttles it, so a storm of restarts meets ECS's rate.
      rateQuotas: { RunTask: FARGATE_RUN_TASK_QUOTA },
    });
  } catch (error) {
    await chat.close();
    throw error;
  }
  try {
    runtime = await startRuntime({
      root,
      endpoints: { ecs: plane.endpoint, ecr: plane.endpoint, ec2: plane.ec2Endpoint },
      account: ACCOUNT,
      region: REGION,
      policyFile: options.policyFile ?? join(root, 'sandbox', 'autopilot.yml'),
      dryRun: options.dryRun,
      source: options.source ?? 'bundle',
      logLevel: options.logLevel ?? 'SILENT',
      retryDelaysMs: [50, 100],
      // A restart-due message that failed comes back at once, not after the queue's six minutes.
      queueRetryAfterSeconds: 0.1,
      // Restart backoffs (10 s doubling to 5 minutes) pass 60 times faster: a crash loop of five
      // attempts is abandoned within seconds. restart-due never compares the time with the backoff.
      queueDelaySpeed: 60,
      faults,
      // The timers every second; the index follows CloudTrail events, so no periodic reconcile. The
      // tag policy sweep runs when asked (`autopilot sandbox sweep-tags`, the scenarios), each time a
      // whole sweep of the small account with its summary, not every 15 minutes of a session.
      scheduleOverridesMs: {
        'deploy-due': 1000,
        'bake-timer': 1000,
        notify: 1000,
        'index-services': 0,
        'tag-policies': 0,
      },
      params: { tagSweepPeriod: '1s' },
      deliveries: options.deliveries,
      deliverySeed: options.deliverySeed,
    });
    seedChatChannels(runtime, chat);
  } catch (error) {
    await runtime?.stop();
    await plane.stop();
    await chat.close();
    throw error;
  }
  for (const event of early.splice(0)) runtime.bus.put(event);
  const started = runtime;
  const published: EventBridgeEvent[] = [];
  started.bus.subscribe((record) => {
    if (record.kind === 'event' && record.event.source === 'autopilot') published.push(record.event);
  });
  const clientConfig = {
    endpoint: plane.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIASANDBOXPERSON', secretAccessKey: 'sandbox' },
    maxAttempts: 8,
  };
  const ecs = new ECSClient(clientConfig);
  const ecr = new ECRClient(clientConfig);

  const describeService = async (cluster: string, service: string) => {
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }),
    );
    const found = out.services?.[0];
    if (!found) throw new Error(`service ${cluster}/${service} not found`);
    return found;
  };

  return {
    plane,
    runtime: started,
    chat,
    ecs,
    ecr,
    published,
    setFaults: (rules) => faults.set(rules),
    describeService,
    async imagesOf(cluster, service) {
      const svc = await describeService(cluster, service);
      const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
      return Object.fromEntries(
        (td.taskDefinition?.containerDefinitions ?? []).map((c) => [c.name, c.image]),
      );
    },
    async settle(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await started.idle();
        const busy = [...plane.model.services.values()].some((s) =>
          s.service.deployments.some((d) => d.rolloutState === 'IN_PROGRESS'),
        );
        if (!busy) {
          // One more quiet moment: a finishing deployment may just have emitted its last events.
          await sleep(step * 2);
          await started.idle();
          if (
            ![...plane.model.services.values()].some((s) =>
              s.service.deployments.some((d) => d.rolloutState === 'IN_PROGRESS'),
            )
          ) {
            return;
          }
        }
        if (Date.now() > deadline) throw new Error(`the sandbox did not settle within ${timeoutMs} ms`);
        await sleep(step);
      }
    },
    async stop() {
      ecs.destroy();
      ecr.destroy();
      await started.stop();
      await plane.stop();
      await chat.close();
    },
  };
}

/**
 * Puts the chat sink's URLs, the Slack bot token and the webhook's signing secret where the policy
 * file's channels read them (see the constants above), creates the SNS topic and hands what is
 * published to it to the sink, as AWS Chatbot subscribed to it would receive it.
 */
export function seedChatChannels(runtime: Runtime, chat: ChatSink): void {
  const ssm = (name: string, value: string) =>
    runtime.parameters.put(name, value, { type: 'SecureString', description: 'ecs-autopilot sandbox chat' });
  ssm(SLACK_WEBHOOK_PARAMETER, chat.url('slack', CHAT_CHANNEL));
  ssm(SLACK_TOKEN_PARAMETER, SLACK_BOT_TOKEN);
  ssm(TEAMS_WEBHOOK_PARAMETER, chat.url('teams', CHAT_CHANNEL));
  ssm(DISCORD_WEBHOOK_PARAMETER, chat.url('discord', CHAT_CHANNEL));
  runtime.secrets.create(GOOGLE_CHAT_SECRET, chat.url('google-chat', CHAT_CHANNEL));
  runtime.secrets.create(
    WEBHOOK_SECRET,
    JSON.stringify({ url: chat.url('webhook', CHAT_CHANNEL), signingSecret: WEBHOOK_SIGNING_SECRET }),
  );
  const topicName = NOTIFICATIONS_TOPIC_ARN.split(':').pop() ?? '';
  runtime.topics.create(topicName, {}, { team: 'platform' });
  runtime.topics.subscribe((message) => chat.receiveSns(message));
}

/** What {@link seedAccount} created. */
export interface SeededAccount {
  clusters: string[];
  services: { cluster: string; service: string; mode: string }[];
}

/**
 * Creates a small account the way a platform team would, through the ECS and ECR APIs:
 * - repositories `team/api`, `team/payments`, `team/worker` with images;
 * - clusters `prod` (Fargate) and `staging` (EC2);
 * - family `api` (app + log router sidecar) shared by `prod/api` (Fargate, behind a load balancer)
 *   and `staging/api` (EC2, alarm `api-5xx`), both following `tag:main`;
 * - `prod/payments` on `semver:minor`, running 1.4.2;
 * - `staging/reports` following `tag:main` through the `cooldown` policy;
 * - `prod/web` (alarm `web-5xx`) following `tag:main`, its revision naming its image by that tag
 *   (`team/web:main`), as IaC or a person would have registered it;
 * - a standalone worker task in `staging`.
 */
export async function seedAccount(sandbox: Sandbox): Promise<SeededAccount> {
  const { ecs, ecr, plane } = sandbox;
  for (const repositoryName of ['team/api', 'team/payments', 'team/worker', 'team/reports', 'team/web']) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  }
  const apiMain = plane.pushImage('team/api', 'main');
  plane.pushImage('team/payments', '1.4.2');
  plane.pushImage('team/worker', 'stable');
  plane.pushImage('team/reports', 'main');
  plane.pushImage('team/web', 'main');
  await sandbox.runtime.idle();

  for (const clusterName of ['prod', 'staging']) {
    await ecs.send(new CreateClusterCommand({ clusterName, tags: [{ key: 'team', value: 'platform' }] }));
  }
  const family = async (name: string, image: string, compat: 'FARGATE' | 'EC2') => {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: name,
        networkMode: 'awsvpc',
        requiresCompatibilities: [compat],
        cpu: '256',
        memory: '512',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-execution`,
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        containerDefinitions: [
          {
            name: 'app',
            image,
            essential: true,
            portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
            secrets: [{ name: 'DB_URL', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name}/db` }],
          },
          { name: 'log-router', image: SIDECAR_IMAGE, essential: false },
        ],
        tags: [{ key: 'team', value: name }],
      }),
    );
    return out.taskDefinition?.taskDefinitionArn ?? '';
  };
  // The api family is pinned by digest already, as a CI pipeline would have registered it.
  const api = await family('api', `${REGISTRY}/team/api@${apiMain.digest}`, 'FARGATE');
  const payments = await family('payments', `${REGISTRY}/team/payments:1.4.2`, 'FARGATE');
  const reports = await family('reports', `${REGISTRY}/team/reports:main`, 'EC2');
  const worker = await family('worker', `${REGISTRY}/team/worker:stable`, 'EC2');
  // Named by tag, so every new deployment of this revision resolves `main` again (a rollback to it too).
  const web = await family('web', `${REGISTRY}/team/web:main`, 'FARGATE');
  const network = SANDBOX_NETWORK;
  const services = [
    {
      cluster: 'prod',
      service: 'api',
      taskDefinition: api,
      launchType: 'FARGATE' as const,
      tags: { 'autopilot:deploy': 'tag:main' },
      loadBalancers: [
        {
          targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/prod-api/6d0ecf831eec9f09`,
          containerName: 'app',
          containerPort: 8080,
        },
      ],
    },
    {
      cluster: 'staging',
      service: 'api',
      taskDefinition: api,
      launchType: 'EC2' as const,
      tags: { 'autopilot:deploy': 'tag:main', 'autopilot:alarms': 'api-5xx' },
    },
    {
      cluster: 'prod',
      service: 'payments',
      taskDefinition: payments,
      launchType: 'FARGATE' as const,
      tags: { 'autopilot:deploy': 'semver:minor', team: 'payments' },
    },
    {
      cluster: 'staging',
      service: 'reports',
      taskDefinition: reports,
      launchType: 'EC2' as const,
      tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'cooldown' },
    },
    {
      cluster: 'prod',
      service: 'web',
      taskDefinition: web,
      launchType: 'FARGATE' as const,
      tags: { 'autopilot:deploy': 'tag:main', 'autopilot:alarms': 'web-5xx' },
    },
  ];
  for (const s of services) {
    await ecs.send(
      new CreateServiceCommand({
        cluster: s.cluster,
        serviceName: s.service,
        taskDefinition: s.taskDefinition,
        desiredCount: 2,
        launchType: s.launchType,
        networkConfiguration: network,
        loadBalancers: s.loadBalancers,
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          maximumPercent: 200,
          minimumHealthyPercent: 100,
        },
        tags: Object.entries(s.tags).map(([key, value]) => ({ key, value })),
        propagateTags: 'SERVICE',
      }),
    );
  }
  await ecs.send(
    new RunTaskCommand({
      cluster: 'staging',
      taskDefinition: worker,
      launchType: 'EC2',
      count: 1,
      networkConfiguration: network,
    }),
  );
  await sandbox.settle();
  return {
    clusters: ['prod', 'staging'],
    services: services.map((s) => ({
      cluster: s.cluster,
      service: s.service,
      mode: s.tags['autopilot:deploy'],
    })),
  };
}

/** Tags a service (as a person would, from another terminal). */
/**
 * The pauses and pending pushes of the local table as an operator's `autopilot pause` / `resume`
 * reach them (their own client, as a person's terminal has); `close` when done.
 */
export function operatorState(sandbox: Sandbox) {
  const client = new DynamoDBClient({
    endpoint: sandbox.runtime.dynamo.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIASANDBOXPERSON', secretAccessKey: 'sandbox' },
  });
  const table = sandbox.runtime.dynamo.tableName;
  return {
    pauses: new DynamoPauses(table, client),
    pending: new DynamoPendingPushes(table, client),
    close: () => client.destroy(),
  };
}

/** What {@link sweepTagPolicies} reports: each run of tag-policies the wake-up made, and the summary. */
export interface TagSweepRun {
  /** what the function returned, per delivery (a sweep's status, pages and counts) */
  runs: unknown[];
  /** the `Tag Policy Summary` the sweep published, when it finished */
  summary?: Record<string, unknown>;
}

/**
 * Wakes the tag-policies function as its schedule does (`tagSweepRate` in AWS; the sandbox sweeps
 * only when asked, every sweep a whole one), and resolves once it and what it published settled.
 */
export async function sweepTagPolicies(sandbox: Sandbox): Promise<TagSweepRun> {
  const runs: unknown[] = [];
  let summary: Record<string, unknown> | undefined;
  const stop = sandbox.runtime.bus.subscribe((r) => {
    if (r.kind === 'delivery' && r.function === 'tag-policies' && r.outcome === 'ok') runs.push(r.result);
    if (
      r.kind === 'event' &&
      r.event.source === 'autopilot' &&
      r.event['detail-type'] === 'Tag Policy Summary'
    )
      summary = r.event.detail as Record<string, unknown>;
  });
  try {
    await sandbox.runtime.trigger('tag-policies');
    await sandbox.runtime.idle();
  } finally {
    stop();
  }
  return { runs, ...(summary ? { summary } : {}) };
}

export async function tagService(
  sandbox: Sandbox,
  cluster: string,
  service: string,
  tags: Record<string, string>,
) {
  const svc = await sandbox.describeService(cluster, service);
  await sandbox.ecs.send(
    new TagResourceCommand({
      resourceArn: svc.serviceArn,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    }),
  );
}
