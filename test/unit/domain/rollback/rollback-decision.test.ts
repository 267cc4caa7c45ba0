import {
  crashReason,
  decideRollback,
  digestsToQuarantine,
  hasBaked,
  notACrashReason,
  type OtherRevisionCrash,
  otherRevisionCrashReason,
  type RollbackAction,
  type RollbackInput,
  type RollbackSettings,
  type SignalKind,
  type StoppedTask,
} from '../../../../shared/domain/rollback/rollback-decision';
import type {
  KnownDeployment,
  LastKnownGood,
  ServiceDeploymentState,
  ServiceState,
} from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  aService,
  IMAGE,
  pinnedImage,
  REGISTRY,
  REPOSITORY,
  REPOSITORY_KEY,
  SIDECAR_IMAGE,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

// The timeline every case is placed on:
//   09:00 ecs-svc/7 (api:7) completed and baked: the last known good revision
//   10:00 ecs-svc/8 (api:8) starts
//   10:10 ecs-svc/8 completes; bake time (10m) until 10:20
//   10:30 ecs-svc/9 (api:7 again, a rollback) starts in some cases
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const DEP_7 = 'ecs-svc/7000000000000000007';
const DEP_8 = 'ecs-svc/8000000000000000008';
const DEP_9 = 'ecs-svc/9000000000000000009';
const STARTED = '2026-01-13T10:00:00.000Z';
const COMPLETED = '2026-01-13T10:10:00.000Z';
const BAKE_UNTIL = '2026-01-13T10:20:00.000Z';
const IN_PROGRESS_AT = '2026-01-13T10:05:00.000Z';
const IN_BAKE_AT = '2026-01-13T10:15:00.000Z';
const AFTER_BAKE_AT = '2026-01-13T10:25:00.000Z';

const SETTINGS: RollbackSettings = {
  enabled: true,
  bakeTimeMs: 10 * 60_000,
  cooldownMs: 60 * 60_000,
  crashLoop: { tasks: 3, windowMs: 10 * 60_000 },
};

const LKG: LastKnownGood = { taskDefinitionArn: API_7, deploymentId: DEP_7, at: '2026-01-13T09:00:00.000Z' };

const NO_CIRCUIT_BREAKER_ROLLBACK: ServiceState['deploymentConfiguration'] = {
  circuitBreaker: { enable: true, rollback: false },
  alarmRollback: false,
  strategy: 'ROLLING',
};

/** ecs-svc/8 as ECS lists it. */
function listed(rolloutState: string, status = 'PRIMARY'): ServiceDeploymentState {
  return { id: DEP_8, status, taskDefinitionArn: API_8, rolloutState, createdAt: STARTED };
}

/** The ECS rollback deployment ecs-svc/9, back on api:7. */
const ROLLBACK_PRIMARY: ServiceDeploymentState = {
  id: DEP_9,
  status: 'PRIMARY',
  taskDefinitionArn: API_7,
  rolloutState: 'IN_PROGRESS',
  createdAt: '2026-01-13T10:30:00.000Z',
};

/** The service api running ecs-svc/8 (api:8) as its primary deployment, circuit breaker without rollback. */
function serviceWith(
  deployments: ServiceDeploymentState[],
  overrides: Partial<ServiceState> = {},
): ServiceState {
  return aService({
    taskDefinitionArn: API_8,
    deployments,
    deploymentConfiguration: NO_CIRCUIT_BREAKER_ROLLBACK,
    ...overrides,
  });
}

/** Autopilot's record of ecs-svc/8. */
function known(state: string, overrides: Partial<KnownDeployment> = {}): KnownDeployment {
  return {
    deploymentId: DEP_8,
    taskDefinitionArn: API_8,
    state,
    startedAt: STARTED,
    isRollback: false,
    ...(state === 'COMPLETED' ? { completedAt: COMPLETED, bakeUntil: BAKE_UNTIL } : {}),
    ...overrides,
  };
}

function input(
  kind: SignalKind,
  at: string,
  overrides: Partial<Omit<RollbackInput, 'signal'>> & { reason?: string; deploymentId?: string } = {},
): RollbackInput {
  const { reason, deploymentId, ...rest } = overrides;
  return {
    signal: {
      kind,
      deploymentId: deploymentId ?? DEP_8,
      reason: reason ?? `${kind} of ecs-svc/8`,
      at: new Date(at),
    },
    service: serviceWith([
      listed('IN_PROGRESS'),
      { ...listed('COMPLETED', 'ACTIVE'), id: DEP_7, taskDefinitionArn: API_7 },
    ]),
    deployment: known('IN_PROGRESS'),
    lastKnownGood: LKG,
    lastRollbackAt: undefined,
    settings: SETTINGS,
    now: new Date(at),
    ...rest,
  };
}

interface Case {
  name: string;
  given: RollbackInput;
  action: RollbackAction;
  reason: RegExp;
  to?: string;
  /** the unhealthy revision the decision names (api:8 unless said) */
  from?: string | undefined;
}

const cases: Case[] = [
  {
    name: 'good deploy: an alarm after the bake time changes nothing',
    given: input('alarm', AFTER_BAKE_AT, {
      service: serviceWith([listed('COMPLETED')]),
      deployment: known('COMPLETED'),
    }),
    action: 'ignore',
    reason: /after the bake time \(2026-01-13T10:20:00.000Z\).*known good/,
  },
  {
    name: 'failed deployment still in progress: ECS rollback of the deployment',
    given: input('deployment-failed', IN_PROGRESS_AT, { reason: 'tasks failed to start' }),
    action: 'stop-deployment',
    reason: /deployment-failed: tasks failed to start; stopping the deployment with ECS's rollback/,
    to: API_7,
  },
  {
    name: 'failed deployment recorded FAILED: back to the last known good revision',
    given: input('deployment-failed', IN_PROGRESS_AT, {
      reason: 'tasks failed to start',
      service: serviceWith([listed('FAILED')]),
      deployment: known('FAILED'),
    }),
    action: 'update-service',
    reason: /deployment-failed: tasks failed to start; returning to the last known good revision/,
    to: API_7,
  },
  {
    name: 'failed deployment the circuit breaker rolled back (reason text): quarantine only',
    given: input('deployment-failed', IN_PROGRESS_AT, {
      reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/7000000000000000007',
    }),
    action: 'quarantine-only',
    reason:
      /ECS already rolled back \(ECS deployment circuit breaker: rolling back.*\); not rolling back again/,
  },
  {
    name: 'failed deployment whose primary is already another revision: quarantine only',
    given: input('deployment-failed', '2026-01-13T10:31:00.000Z', {
      reason: 'tasks failed to start',
      service: serviceWith([ROLLBACK_PRIMARY, listed('FAILED', 'ACTIVE')]),
      deployment: known('FAILED'),
    }),
    action: 'quarantine-only',
    reason: /ECS already rolled back \(tasks failed to start\)/,
  },
  {
    name: 'failed deployment of a service whose circuit breaker rolls back: quarantine only',
    given: input('deployment-failed', IN_PROGRESS_AT, {
      reason: 'tasks failed to start',
      service: serviceWith([listed('FAILED')], {
        deploymentConfiguration: {
          ...NO_CIRCUIT_BREAKER_ROLLBACK,
          circuitBreaker: { enable: true, rollback: true },
        },
      }),
    }),
    action: 'quarantine-only',
    reason: /not rolling back again/,
  },
  {
    name: 'alarm in the bake time: back to the last known good revision',
    given: input('alarm', IN_BAKE_AT, {
      reason: 'alarm api-5xx in ALARM: threshold crossed',
      service: serviceWith([listed('COMPLETED')]),
      deployment: known('COMPLETED'),
    }),
    action: 'update-service',
    reason: /alarm: alarm api-5xx in ALARM: threshold crossed; returning to the last known good revision/,
    to: API_7,
  },
  {
    name: 'alarm exactly when the bake time ends: known good already',
    given: input('alarm', BAKE_UNTIL, {
      service: serviceWith([listed('COMPLETED')]),
      deployment: known('COMPLETED'),
    }),
    action: 'ignore',
    reason: /after the bake time/,
  },
  {
    name: 'alarm while the deployment is in progress: ECS rollback of the deployment',
    given: input('alarm', IN_PROGRESS_AT),
    action: 'stop-deployment',
    reason: /^alarm: /,
    to: API_7,
  },
  {
    name: 'crash loop while the deployment is in progress: ECS rollback of the deployment',
    given: input('crash-loop', IN_PROGRESS_AT, { reason: '3 tasks of the new revision crashed within 10m' }),
    action: 'stop-deployment',
    reason: /crash-loop: 3 tasks of the new revision crashed within 10m/,
    to: API_7,
  },
  {
    name: 'crash loop without a record: the rollout state ECS lists decides',
    given: input('crash-loop', IN_PROGRESS_AT, { deployment: undefined }),
    action: 'stop-deployment',
    reason: /stopping the deployment/,
    to: API_7,
  },
  {
    name: 'crash loop of a rollback: rollback failed, stop there',
    given: input('crash-loop', '2026-01-13T10:35:00.000Z', {
      deploymentId: DEP_9,
      service: serviceWith([ROLLBACK_PRIMARY, listed('FAILED', 'ACTIVE')], { taskDefinitionArn: API_7 }),
      deployment: {
        ...known('IN_PROGRESS'),
        deploymentId: DEP_9,
        taskDefinitionArn: API_7,
        isRollback: true,
      },
    }),
    action: 'rollback-failed',
    reason: /rollback deployment is unhealthy too.*stopping here/,
    from: API_7,
  },
  {
    name: 'duplicate: the deployment was already judged unhealthy',
    given: input('alarm', IN_PROGRESS_AT, { deployment: known('IN_PROGRESS', { unhealthy: true }) }),
    action: 'ignore',
    reason: /already handled/,
  },
  {
    name: 'out of order: an alarm about a deployment that is no longer primary',
    given: input('alarm', '2026-01-13T10:31:00.000Z', {
      service: serviceWith([ROLLBACK_PRIMARY, listed('COMPLETED', 'ACTIVE')]),
      deployment: known('COMPLETED'),
    }),
    action: 'ignore',
    reason: /no longer the primary deployment/,
  },
  {
    name: 'out of order: a crash loop of a deployment ECS no longer lists',
    given: input('crash-loop', IN_PROGRESS_AT, { deploymentId: 'ecs-svc/1', deployment: undefined }),
    action: 'ignore',
    reason: /ecs-svc\/1 is no longer the primary deployment/,
    from: undefined,
  },
  {
    name: 'no last known good revision: tell people, do not guess',
    given: input('alarm', IN_PROGRESS_AT, { lastKnownGood: undefined }),
    action: 'notify',
    reason: /no known good revision/,
  },
  {
    name: 'last known good is the bad revision itself: tell people',
    given: input('alarm', IN_PROGRESS_AT, { lastKnownGood: { ...LKG, taskDefinitionArn: API_8 } }),
    action: 'notify',
    reason: /no known good revision/,
  },
  {
    name: 'a rollback within the cooldown: tell people',
    given: input('alarm', IN_PROGRESS_AT, { lastRollbackAt: new Date('2026-01-13T09:30:00.000Z') }),
    action: 'notify',
    reason: /already rolled back at 2026-01-13T09:30:00.000Z; at most one automatic rollback per 60m/,
  },
  {
    name: 'a rollback before the cooldown: roll back again',
    given: input('alarm', IN_PROGRESS_AT, { lastRollbackAt: new Date('2026-01-13T09:05:00.000Z') }),
    action: 'stop-deployment',
    reason: /stopping the deployment/,
    to: API_7,
  },
  {
    name: 'rollback disabled for the service',
    given: input('deployment-failed', IN_PROGRESS_AT, { settings: { ...SETTINGS, enabled: false } }),
    action: 'ignore',
    reason: /rollback is disabled/,
    from: undefined,
  },
  {
    name: 'CODE_DEPLOY controller: quarantine only',
    given: input('alarm', IN_PROGRESS_AT, {
      service: serviceWith([listed('IN_PROGRESS')], { deploymentController: 'CODE_DEPLOY' }),
    }),
    action: 'quarantine-only',
    reason: /deployment controller CODE_DEPLOY rolls back by its own rules/,
  },
  ...['BLUE_GREEN', 'LINEAR', 'CANARY'].map(
    (strategy): Case => ({
      name: `${strategy} strategy: quarantine only`,
      given: input('crash-loop', IN_PROGRESS_AT, {
        service: serviceWith([listed('IN_PROGRESS')], {
          deploymentConfiguration: { ...NO_CIRCUIT_BREAKER_ROLLBACK, strategy },
        }),
      }),
      action: 'quarantine-only',
      reason: new RegExp(`ECS ${strategy} deployments roll back by themselves`),
    }),
  ),
  {
    name: "ECS alarm rollback and an alarm: ECS's business, quarantine only",
    given: input('alarm', IN_PROGRESS_AT, {
      service: serviceWith([listed('IN_PROGRESS')], {
        deploymentConfiguration: { ...NO_CIRCUIT_BREAKER_ROLLBACK, alarmRollback: true },
      }),
    }),
    action: 'quarantine-only',
    reason: /ECS rolls back on its own deployment alarms/,
  },
  {
    name: 'ECS alarm rollback and a crash loop: autopilot rolls back',
    given: input('crash-loop', IN_PROGRESS_AT, {
      service: serviceWith([listed('IN_PROGRESS')], {
        deploymentConfiguration: { ...NO_CIRCUIT_BREAKER_ROLLBACK, alarmRollback: true },
      }),
    }),
    action: 'stop-deployment',
    reason: /crash-loop/,
    to: API_7,
  },
];

describe('decideRollback', () => {
  it.each(cases)('$name', ({ given, action, reason, to }) => {
    // Prepare
    const before = structuredClone(given);

    // Act
    const decision = decideRollback(given);

    // Assess
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
    expect(decision.to).toBe(to);
    expect(given).toEqual(before);
  });

  it.each(cases)('names the unhealthy revision: $name', (c) => {
    // Prepare
    const { given } = c;
    const bad = 'from' in c ? c.from : API_8;

    // Act
    const decision = decideRollback(given);

    // Assess
    expect(decision.from).toBe(bad);
  });

  it('gives every decision a reason', () => {
    // Prepare
    const decisions = cases.map((c) => decideRollback(c.given));

    // Act
    const withoutReason = decisions.filter((d) => d.reason.trim() === '');

    // Assess
    expect(withoutReason).toEqual([]);
    expect(new Set(decisions.map((d) => d.action))).toEqual(
      new Set([
        'ignore',
        'stop-deployment',
        'update-service',
        'quarantine-only',
        'rollback-failed',
        'notify',
      ]),
    );
  });

  it('formats a cooldown that is not whole minutes in seconds', () => {
    // Prepare
    const given = input('alarm', IN_PROGRESS_AT, {
      settings: { ...SETTINGS, cooldownMs: 90_000 },
      lastRollbackAt: new Date('2026-01-13T10:04:00.000Z'),
    });

    // Act
    const decision = decideRollback(given);

    // Assess
    expect(decision).toMatchObject({ action: 'notify', reason: expect.stringMatching(/per 90s$/) });
  });
});

describe('crashReason', () => {
  const task = (overrides: Partial<StoppedTask>): StoppedTask => ({ containers: [], ...overrides });

  it.each([
    {
      name: 'essential container exited with code 1',
      given: task({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'log-router', exitCode: 0 },
          { name: 'app', exitCode: 1 },
        ],
      }),
      expected: 'essential container exited with code 1 (app)',
    },
    {
      name: 'the crashed container is blamed, not the sidecar ECS stopped with it',
      given: task({
        stopCode: 'EssentialContainerExited',
        containers: [
          { name: 'log-router', exitCode: 143 },
          { name: 'app', exitCode: 2 },
        ],
      }),
      expected: 'essential container exited with code 2 (app)',
    },
    {
      name: 'essential container exited non-zero without a name',
      given: task({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 137 }] }),
      expected: 'essential container exited with code 137',
    },
    {
      name: 'essential container exited with code 0: not a crash',
      given: task({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'app', exitCode: 0 }],
      }),
      expected: undefined,
    },
    {
      name: 'essential container exited without an exit code: not a crash',
      given: task({ stopCode: 'EssentialContainerExited', containers: [{ name: 'app' }] }),
      expected: undefined,
    },
    {
      name: 'failed ELB health checks',
      given: task({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason:
          'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef)',
      }),
      expected:
        'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef)',
    },
    {
      name: 'failed container health checks',
      given: task({ stopCode: 'TaskFailedToStart', stoppedReason: 'Task failed container health checks' }),
      expected: 'Task failed container health checks',
    },
    {
      name: 'stopped by the scheduler (scale-in, deployment): not a crash',
      given: task({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/8000000000000000008)',
        containers: [{ name: 'app', exitCode: 143 }],
      }),
      expected: undefined,
    },
    {
      name: 'stopped by a person: not a crash',
      given: task({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }),
      expected: undefined,
    },
    {
      name: 'task failed to start',
      given: task({
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 1 time(s)',
      }),
      expected: 'CannotPullContainerError: pull image manifest has been retried 1 time(s)',
    },
    {
      name: 'task failed to start without a reason',
      given: task({ stopCode: 'TaskFailedToStart' }),
      expected: 'task failed to start',
    },
  ])('$name', ({ given, expected }) => {
    // Prepare
    const stopped = structuredClone(given);

    // Act
    const reason = crashReason(stopped);

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('notACrashReason', () => {
  const task = (overrides: Partial<StoppedTask>): StoppedTask => ({ containers: [], ...overrides });

  it.each([
    {
      name: 'stopped by a person',
      given: task({
        stopCode: 'UserInitiated',
        stoppedReason: 'Stopped from autopilot sandbox',
        containers: [{ name: 'app', exitCode: 143 }],
      }),
      expected: 'stopped by a person (UserInitiated: Stopped from autopilot sandbox)',
    },
    {
      name: 'stopped by a person without a reason',
      given: task({ stopCode: 'UserInitiated' }),
      expected: 'stopped by a person (UserInitiated)',
    },
    {
      name: 'replaced by the scheduler',
      given: task({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: `Scaling activity initiated by (deployment ${DEP_8})`,
        containers: [{ name: 'app', exitCode: 143 }],
      }),
      expected: `stopped by the ECS scheduler (ServiceSchedulerInitiated: Scaling activity initiated by (deployment ${DEP_8}))`,
    },
    {
      name: 'a Spot interruption',
      given: task({ stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }),
      expected: 'stopped by a Spot interruption (SpotInterruption: Your Spot Task was interrupted.)',
    },
    {
      name: 'its host terminating',
      given: task({ stopCode: 'TerminationNotice', stoppedReason: 'Host EC2 (instance i-0abc) terminated.' }),
      expected:
        'stopped as its host was being terminated (TerminationNotice: Host EC2 (instance i-0abc) terminated.)',
    },
    {
      name: 'exited with code 0',
      given: task({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'app', exitCode: 0 },
          { name: 'log-router', exitCode: 0 },
        ],
      }),
      expected: 'exited with code 0 (app)',
    },
    {
      name: 'exited without an exit code',
      given: task({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'app' }],
      }),
      expected:
        'stopped (EssentialContainerExited: Essential container in task exited) without a non-zero exit code',
    },
    {
      name: 'a stop code autopilot does not know, its reason on one line',
      given: task({ stopCode: 'SomethingNew', stoppedReason: 'first line\n  second line ' }),
      expected: 'stopped (SomethingNew: first line second line)',
    },
    {
      name: 'no stop code, no reason',
      given: task({}),
      expected: 'stopped without a stop code or reason',
    },
  ])('$name', ({ given, expected }) => {
    // Prepare
    const stopped = structuredClone(given);

    // Act
    const reason = notACrashReason(stopped);

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('otherRevisionCrashReason', () => {
  const CIRCUIT_BREAKER_ROLLBACK: ServiceState['deploymentConfiguration'] = {
    ...NO_CIRCUIT_BREAKER_ROLLBACK,
    circuitBreaker: { enable: true, rollback: true },
  };
  /** A crashed task of api:8 while ecs-svc/9 (api:7) is primary. */
  const crashOfApi8 = (overrides: Partial<OtherRevisionCrash> = {}): OtherRevisionCrash => ({
    taskDefinitionArn: API_8,
    primary: ROLLBACK_PRIMARY,
    listed: undefined,
    known: undefined,
    primaryKnown: undefined,
    lastRollback: undefined,
    deploymentConfiguration: NO_CIRCUIT_BREAKER_ROLLBACK,
    ...overrides,
  });
  const rolledBack = (by: string) =>
    `a task of api:8 crashed; api:8 was already rolled back to api:7${by}: not counted again`;

  it.each([
    {
      name: 'the circuit breaker failed it and rolls back (ECS still lists it)',
      given: crashOfApi8({
        listed: listed('FAILED', 'ACTIVE'),
        deploymentConfiguration: CIRCUIT_BREAKER_ROLLBACK,
      }),
      expected: rolledBack(" (by ECS's circuit breaker)"),
    },
    {
      name: 'the circuit breaker failed it (autopilot recorded it) and ECS dropped it',
      given: crashOfApi8({ known: known('FAILED'), deploymentConfiguration: CIRCUIT_BREAKER_ROLLBACK }),
      expected: rolledBack(" (by ECS's circuit breaker)"),
    },
    {
      name: 'the primary is a rollback ECS started',
      given: crashOfApi8({
        primaryKnown: {
          ...known('IN_PROGRESS'),
          deploymentId: DEP_9,
          taskDefinitionArn: API_7,
          isRollback: true,
        },
        deploymentConfiguration: CIRCUIT_BREAKER_ROLLBACK,
      }),
      expected: rolledBack(" (by ECS's circuit breaker)"),
    },
    {
      name: "ECS's deployment alarms failed it",
      given: crashOfApi8({
        listed: listed('FAILED', 'ACTIVE'),
        deploymentConfiguration: { ...NO_CIRCUIT_BREAKER_ROLLBACK, alarmRollback: true },
      }),
      expected: rolledBack(" (by ECS's deployment alarms)"),
    },
    {
      name: 'autopilot rolled back after the deployment started',
      given: crashOfApi8({
        known: known('COMPLETED', { unhealthy: true }),
        lastRollback: { at: IN_BAKE_AT, to: API_7 },
      }),
      expected: rolledBack(' (by autopilot)'),
    },
    {
      name: 'a rollback nobody claimed (a person stopped the deployment in the console)',
      given: crashOfApi8({
        primaryKnown: {
          ...known('IN_PROGRESS'),
          deploymentId: DEP_9,
          taskDefinitionArn: API_7,
          isRollback: true,
        },
      }),
      expected: rolledBack(''),
    },
    {
      name: 'it failed, nothing rolled it back, and a newer deployment took over',
      given: crashOfApi8({
        primary: { ...ROLLBACK_PRIMARY, taskDefinitionArn: taskDefinitionArnOf('api', 9) },
        listed: listed('FAILED', 'ACTIVE'),
        // an old rollback of autopilot to another revision says nothing about this one
        lastRollback: { at: '2026-01-12T10:00:00.000Z', to: API_7 },
      }),
      expected:
        'a task of api:8 crashed; api:8 already failed and the service moves to api:9: not counted again',
    },
    {
      name: 'an autopilot rollback to the same revision before this deployment started is not this one',
      given: crashOfApi8({
        primary: { ...ROLLBACK_PRIMARY, rolloutState: 'COMPLETED' },
        known: known('COMPLETED', { unhealthy: true }),
        lastRollback: { at: '2026-01-12T10:00:00.000Z', to: API_7 },
      }),
      expected:
        'a task of api:8 crashed; api:8 was already found unhealthy and the service moved to api:7: not counted again',
    },
    {
      name: 'an older revision while the service moves on',
      given: crashOfApi8({
        taskDefinitionArn: taskDefinitionArnOf('api', 6),
        primary: { ...listed('IN_PROGRESS'), taskDefinitionArn: API_8 },
      }),
      expected: 'a task of api:6 crashed while the service moves to api:8: not counted',
    },
    {
      name: 'an older revision after the service moved on',
      given: crashOfApi8({ primary: { ...ROLLBACK_PRIMARY, rolloutState: 'COMPLETED' } }),
      expected: 'a task of api:8 crashed after the service moved to api:7: not counted',
    },
  ])('$name', ({ given, expected }) => {
    // Prepare
    const crash = structuredClone(given);

    // Act
    const reason = otherRevisionCrashReason(crash);

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('hasBaked', () => {
  it.each([
    { name: 'completed, bake time over', deployment: known('COMPLETED'), now: BAKE_UNTIL, expected: true },
    { name: 'completed, still baking', deployment: known('COMPLETED'), now: IN_BAKE_AT, expected: false },
    {
      name: 'completed but unhealthy',
      deployment: known('COMPLETED', { unhealthy: true }),
      now: AFTER_BAKE_AT,
      expected: false,
    },
    { name: 'still in progress', deployment: known('IN_PROGRESS'), now: AFTER_BAKE_AT, expected: false },
    {
      name: 'failed',
      deployment: known('FAILED', { bakeUntil: BAKE_UNTIL }),
      now: AFTER_BAKE_AT,
      expected: false,
    },
    {
      name: 'completed without a bake time',
      deployment: known('COMPLETED', { bakeUntil: undefined }),
      now: AFTER_BAKE_AT,
      expected: false,
    },
  ])('$name', ({ deployment, now, expected }) => {
    // Prepare
    const at = new Date(now);

    // Act
    const baked = hasBaked(deployment, at);

    // Assess
    expect(baked).toBe(expected);
  });
});

describe('digestsToQuarantine', () => {
  const BAD = aDigest('bad build');
  const GOOD = aDigest('good build');
  const WORKER = `${REGISTRY}/team/worker@${aDigest('worker build')}`;

  it('quarantines the private ECR digest the bad revision runs and the good one does not', () => {
    // Prepare
    const bad = [{ image: pinnedImage(BAD) }, { image: SIDECAR_IMAGE }];
    const good = [{ image: pinnedImage(GOOD) }, { image: SIDECAR_IMAGE }];

    // Act
    const images = digestsToQuarantine(bad, good);

    // Assess
    expect(images).toEqual([{ repository: REPOSITORY, repositoryKey: REPOSITORY_KEY, digest: BAD }]);
  });

  it('keeps the digests the good revision runs too, however the reference is written', () => {
    // Prepare
    const bad = [{ image: pinnedImage(GOOD, 'main') }, { image: WORKER }];
    const good = [{ image: pinnedImage(GOOD) }, { image: WORKER }];

    // Act
    const images = digestsToQuarantine(bad, good);

    // Assess
    expect(images).toEqual([]);
  });

  it('leaves out sidecars from public registries, even pinned ones', () => {
    // Prepare
    const publicPinned = `public.ecr.aws/aws-observability/aws-for-fluent-bit@${aDigest('fluent-bit')}`;
    const dockerHub = `nginx@${aDigest('nginx')}`;

    // Act
    const images = digestsToQuarantine([{ image: publicPinned }, { image: dockerHub }], []);

    // Assess
    expect(images).toEqual([]);
  });

  it('leaves out images referenced by tag only', () => {
    // Prepare
    const bad = [{ image: IMAGE }, { image: `${REGISTRY}/${REPOSITORY}:v2` }];

    // Act
    const images = digestsToQuarantine(bad, [{ image: pinnedImage(GOOD) }]);

    // Assess
    expect(images).toEqual([]);
  });

  it('quarantines every bad private digest once, keyed by its own repository', () => {
    // Prepare
    const bad = [{ image: pinnedImage(BAD) }, { image: pinnedImage(BAD, 'main') }, { image: WORKER }];

    // Act
    const images = digestsToQuarantine(bad, [{ image: pinnedImage(GOOD) }]);

    // Assess
    expect(images).toEqual([
      { repository: REPOSITORY, repositoryKey: REPOSITORY_KEY, digest: BAD },
      {
        repository: 'team/worker',
        repositoryKey: `${ACCOUNT}:eu-west-1:team/worker`,
        digest: aDigest('worker build'),
      },
    ]);
  });
});
