/**
 * The timeline of the local account: lines in time order, read calls and repeated indexing folded,
 * every API call naming what it is about, and a heading per scenario. Fed with synthetic bus
 * records, API call records and chat messages on an explicit clock.
 */
import type { Sandbox } from '../../sandbox/account';
import type { ChatListener, ChatMessage } from '../../sandbox/chat-sink';
import type { CallRecord } from '../../sandbox/control-plane';
import type { BusListener, BusRecord, DeliveryRecord } from '../../sandbox/runtime/bus';
import { playScenarios, type Scenario } from '../../sandbox/scenarios';
import {
  describeCall,
  FOLD_MS,
  followTimeline,
  formatLine,
  type TimelineLine,
  type TimelineOptions,
} from '../../sandbox/timeline';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const SERVICE_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api';

/** A sandbox as the timeline sees it, driven by hand, with a clock that moves only when told. */
function fakeAccount(options: TimelineOptions = {}) {
  const calls: CallRecord[] = [];
  const busListeners = new Set<BusListener>();
  const chatListeners = new Set<ChatListener>();
  let clock = T0;
  const sources = {
    plane: { calls },
    runtime: {
      bus: {
        subscribe: (listener: BusListener) => {
          busListeners.add(listener);
          return () => busListeners.delete(listener);
        },
      },
    },
    chat: {
      subscribe: (listener: ChatListener) => {
        chatListeners.add(listener);
        return () => chatListeners.delete(listener);
      },
    },
  };
  const lines: TimelineLine[] = [];
  const timeline = followTimeline(sources, (line) => lines.push(line), {
    pollMs: 0,
    now: () => new Date(clock),
    ...options,
  });
  return {
    sources,
    lines,
    timeline,
    /** the texts written so far, as `source: text` */
    texts: () => lines.map((l) => `${l.source}: ${l.text}`),
    /** moves the clock to `ms` after T0 */
    at(ms: number) {
      clock = T0 + ms;
    },
    /** an API call the control plane recorded `ms` after T0 */
    call(ms: number, operation: string, input: unknown, extra: Partial<CallRecord> = {}) {
      calls.push({ service: 'ecs', operation, input, at: new Date(T0 + ms), ...extra });
    },
    bus(record: BusRecord) {
      for (const listener of busListeners) listener(record);
    },
    chat(message: ChatMessage) {
      for (const listener of chatListeners) listener(message);
    },
  };
}

const event = (detailType: string, detail: Record<string, unknown>, resources: string[] = []): BusRecord => ({
  kind: 'event',
  event: {
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source: detailType.startsWith('ECS') ? 'aws.ecs' : 'autopilot',
    account: '123456789012',
    time: '2026-11-23T10:00:00Z',
    region: 'eu-west-1',
    resources,
    detail,
  } satisfies EventBridgeEvent,
  eventBusName: 'default',
  origin: 'aws',
  targets: [],
  depth: 0,
});

/** The final record of an invocation of `fn` that ran `durationMs` and returned `decisions`. */
const delivery = (
  fn: string,
  decisions: Record<string, unknown>[],
  durationMs: number,
  extra: Partial<DeliveryRecord> = {},
): BusRecord => ({
  kind: 'delivery',
  function: fn,
  eventId: 'e-1',
  attempt: 1,
  outcome: 'ok',
  result: { decisions },
  requestId: 'r-1',
  durationMs,
  ...extra,
});

const deployed = { action: 'deploy', cluster: 'prod', service: 'api', reason: 'follows tag main' };
const indexedApi = {
  action: 'indexed',
  service: SERVICE_ARN,
  repositories: ['123456789012:eu-west-1:team/api'],
  reason: 'opted in',
};
const deploymentInProgress = event(
  'ECS Deployment State Change',
  { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' },
  [SERVICE_ARN],
);

const times = (lines: readonly TimelineLine[]) => lines.map((l) => l.at.getTime() - T0);

describe('followTimeline', () => {
  it('writes the API calls a function made before the events and the decision that followed', () => {
    // Prepare
    const account = fakeAccount();
    account.call(10, 'RegisterTaskDefinition', { family: 'api' });
    account.call(12, 'UpdateService', { cluster: 'prod', service: 'api', taskDefinition: 'api:2' });

    // Act
    account.at(15);
    account.bus(deploymentInProgress);
    account.at(20);
    account.bus(delivery('deploy-on-push', [deployed], 15));

    // Assess
    expect(account.texts()).toEqual([
      'API: ecs:RegisterTaskDefinition api',
      'API: ecs:UpdateService prod/api → api:2',
      'ECS: prod/api deployment IN_PROGRESS',
      'λ deploy-on-push: deploy prod/api: follows tag main',
    ]);
    expect(times(account.lines)).toEqual([10, 12, 15, 20]);
  });

  it('writes an API call as it happens, without waiting for a delivery', () => {
    // Prepare
    jest.useFakeTimers();
    try {
      const account = fakeAccount({ pollMs: 100 });
      account.call(10, 'UpdateService', { cluster: 'prod', service: 'api', taskDefinition: 'api:2' });

      // Act
      jest.advanceTimersByTime(100);
      const written = account.texts();
      account.timeline();

      // Assess
      expect(written).toEqual(['API: ecs:UpdateService prod/api → api:2']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('never writes a time earlier than one already written', () => {
    // Prepare
    const account = fakeAccount();
    account.at(50);
    account.bus(deploymentInProgress);
    const late: ChatMessage = {
      at: new Date(T0 + 40),
      kind: 'slack',
      channel: 'platform',
      body: { text: 'Deployment Started prod/api' },
      status: 200,
    };

    // Act
    account.chat(late);

    // Assess
    expect(times(account.lines)).toEqual([50, 50]);
    expect(formatLine(account.lines[1] as TimelineLine)).toBe(
      `10:00:00.050  ${'chat'.padEnd(22)} slack platform: Deployment Started prod/api`,
    );
  });

  it('counts the reads of an invocation on its last decision line instead of writing them', () => {
    // Prepare
    const account = fakeAccount();
    account.call(5, 'DescribeServices', { cluster: 'prod', services: ['api'] }); // before: not its own
    account.call(110, 'DescribeServices', { cluster: 'prod', services: ['api', 'payments'] });
    account.call(120, 'DescribeTaskDefinition', { taskDefinition: 'api:1' });
    account.call(130, 'ListTagsForResource', { resourceArn: SERVICE_ARN }, { fault: 'latency' });
    const staging = { ...deployed, cluster: 'staging' };

    // Act
    account.at(150);
    account.bus(delivery('deploy-on-push', [deployed, staging], 50));

    // Assess
    expect(account.texts()).toEqual([
      'λ deploy-on-push: deploy prod/api: follows tag main',
      'λ deploy-on-push: deploy staging/api: follows tag main (3 reads)',
    ]);
  });

  it('writes the reads that were throttled, failed with 5xx or answered an error', () => {
    // Prepare
    const account = fakeAccount();
    account.call(10, 'DescribeServices', { cluster: 'prod', services: ['api'] }, { fault: 'throttle' });
    account.call(20, 'DescribeServices', { cluster: 'prod', services: ['api'] }, { fault: '5xx' });
    account.call(30, 'DescribeTaskDefinition', { taskDefinition: 'api:9' }, { error: 'ClientException' });
    account.call(40, 'DescribeServices', { cluster: 'prod', services: ['api'] });

    // Act
    account.at(50);
    account.bus(
      delivery('watch-deployments', [{ action: 'record', service: 'prod/api', reason: 'in progress' }], 45),
    );

    // Assess
    expect(account.texts()).toEqual([
      'API: ecs:DescribeServices prod/api [injected throttle]',
      'API: ecs:DescribeServices prod/api [injected 5xx]',
      'API: ecs:DescribeTaskDefinition api:9 [ClientException]',
      'λ watch-deployments: record prod/api: in progress (1 read)',
    ]);
  });

  it('writes an index-services decision once when the same indexing repeats within the fold time', () => {
    // Prepare
    const account = fakeAccount();
    const removed = { ...indexedApi, action: 'removed', repositories: [], reason: 'opted out' };

    // Act
    account.at(100);
    account.bus(delivery('index-services', [indexedApi], 10)); // for the CloudTrail UpdateService
    account.at(120);
    account.bus(delivery('index-services', [indexedApi], 10)); // for the deployment IN_PROGRESS
    account.at(120 + FOLD_MS + 1);
    account.bus(delivery('index-services', [indexedApi], 10)); // much later: said again
    account.at(120 + FOLD_MS + 2);
    account.bus(delivery('index-services', [removed], 10)); // another outcome

    // Assess
    expect(account.texts()).toEqual([
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      'λ index-services: removed prod/api (opted out)',
    ]);
    expect(times(account.lines)).toEqual([100, 120 + FOLD_MS + 1, 120 + FOLD_MS + 2]);
  });

  it('folds nothing across a flush, and forgets the reads no invocation claimed', () => {
    // Prepare
    const account = fakeAccount();
    account.at(100);
    account.bus(delivery('index-services', [indexedApi], 10));
    account.call(150, 'DescribeServices', { cluster: 'prod', services: ['api'] });
    account.call(160, 'UpdateService', { cluster: 'prod', service: 'api', taskDefinition: 'api:3' });

    // Act
    account.timeline.flush();
    const flushed = account.texts();
    account.at(200);
    account.bus(delivery('index-services', [indexedApi], 100));

    // Assess
    expect(flushed).toEqual([
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      'API: ecs:UpdateService prod/api → api:3',
    ]);
    expect(account.texts().slice(2)).toEqual([
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
    ]);
  });

  it('shows every call and every repeated decision when verbose', () => {
    // Prepare
    const account = fakeAccount({ verbose: true });
    account.call(10, 'DescribeServices', { cluster: 'prod', services: ['api'] });

    // Act
    account.at(20);
    account.bus(delivery('index-services', [indexedApi], 15));
    account.at(30);
    account.bus(delivery('index-services', [indexedApi], 5));
    account.bus(delivery('bake-timer', [], 5));

    // Assess
    expect(account.texts()).toEqual([
      'API: ecs:DescribeServices prod/api',
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      'λ bake-timer: no decision',
    ]);
  });

  it('writes a failed attempt with its error, and an invocation that decided nothing not at all', () => {
    // Prepare
    const account = fakeAccount();
    account.call(10, 'DescribeServices', { cluster: 'prod', services: ['api'] });
    const error = { name: 'ThrottlingException', message: 'Rate exceeded' };

    // Act
    account.at(20);
    account.bus(delivery('deploy-on-push', [], 15, { outcome: 'retry', error, result: undefined }));
    account.bus(delivery('bake-timer', [], 5));

    // Assess
    expect(account.texts()).toEqual([
      'λ deploy-on-push: retry (attempt 1): ThrottlingException: Rate exceeded (1 read)',
    ]);
  });

  it('leaves out the parts a decision or an event does not have', () => {
    // Prepare
    const account = fakeAccount();
    const notified = { action: 'sent', channel: 'platform-slack', reason: 'sent' };
    const held = { action: 'held', channel: 'platform-slack', title: 'prod/api deployed', reason: 'window' };

    // Act
    account.bus(delivery('notify', [notified, held], 0));
    account.bus(delivery('deploy-on-push', [{ action: 'skip', reason: 'no service follows team/x' }], 0));
    account.bus(event('Action Failed', { reason: 'AccessDenied' }));
    account.bus(event('Tag Policy Violation', { cluster: 'prod', service: 'api', reason: 'bad tag' }));
    account.bus(event('CloudWatch Alarm State Change', { alarmName: 'api-5xx' }));

    // Assess
    expect(account.texts()).toEqual([
      'λ notify: sent → platform-slack',
      'λ notify: held → platform-slack: prod/api deployed (window)',
      'λ deploy-on-push: skip: no service follows team/x',
      'autopilot: Action Failed: AccessDenied',
      'autopilot: Tag Policy Violation prod/api: bad tag',
      'CloudWatch: alarm api-5xx',
    ]);
  });

  it('writes an image ECR replicated here with where it came from, as it writes a push', () => {
    // Prepare
    const account = fakeAccount();
    const digest = `sha256:${'b02d1dae9eba'.padEnd(64, '0')}`;
    const image = {
      result: 'SUCCESS',
      'repository-name': 'team/api',
      'image-digest': digest,
      'image-tag': 'main',
    };

    // Act
    account.bus(event('ECR Image Action', { ...image, 'action-type': 'PUSH' }));
    account.bus(
      event('ECR Replication Action', { ...image, 'action-type': 'REPLICATE', 'source-region': 'us-east-1' }),
    );

    // Assess
    expect(account.texts()).toEqual([
      'ECR: push team/api:main sha256:b02d1dae9eba… SUCCESS',
      'ECR: replicated team/api:main sha256:b02d1dae9eba… from us-east-1 SUCCESS',
    ]);
  });

  it('names the restarts: the stopped task with its exit codes, Task Restarted, Task Restart Abandoned', () => {
    // Prepare
    const account = fakeAccount();
    const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/batch/${id}`;

    // Act
    account.bus(
      event('ECS Task State Change', {
        taskArn: task('t1'),
        group: 'family:worker',
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'app', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
          { name: 'log-router', exitCode: 0 },
        ],
      }),
    );
    account.bus(
      event('Task Restarted', {
        cluster: 'batch',
        group: 'family:worker',
        attempt: 1,
        maxAttempts: 5,
        class: 'out-of-memory',
        previousTaskArn: task('t1'),
        taskArn: task('t2'),
      }),
    );
    account.bus(
      event('Task Restart Abandoned', {
        cluster: 'batch',
        taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:3',
        lastTaskArn: task('t6'),
        reason: '5 of 5 restarts made, the task still fails',
      }),
    );
    account.bus(
      delivery(
        'restart-tasks',
        [{ action: 'restart', cluster: 'batch', previousTaskArn: task('t7'), reason: 'on-failure' }],
        0,
      ),
    );

    // Assess
    expect(account.texts()).toEqual([
      'ECS: task batch/t1 of family:worker STOPPED: Essential container in task exited (exit 137: OutOfMemoryError: Container killed due to memory usage)',
      'autopilot: Task Restarted batch/family:worker: batch/t1 → batch/t2, attempt 1 of 5 (out-of-memory)',
      'autopilot: Task Restart Abandoned batch/worker:3 (batch/t6): 5 of 5 restarts made, the task still fails',
      'λ restart-tasks: restart batch/t7: on-failure',
    ]);
  });

  it('writes what is pending when it stops, and nothing after', () => {
    // Prepare
    const account = fakeAccount();
    account.call(10, 'StopTask', {
      cluster: 'prod',
      task: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/abc',
    });

    // Act
    account.timeline();
    account.at(20);
    account.bus(deploymentInProgress);

    // Assess
    expect(account.texts()).toEqual(['API: ecs:StopTask prod/abc']);
  });
});

describe('describeCall', () => {
  const call = (service: 'ecs' | 'ecr', operation: string, input: unknown): CallRecord => ({
    service,
    operation,
    input,
    at: new Date(T0),
  });

  it.each([
    [call('ecs', 'CreateCluster', { clusterName: 'prod' }), 'ecs:CreateCluster prod'],
    [
      call('ecs', 'DescribeClusters', { clusters: ['prod', 'staging'] }),
      'ecs:DescribeClusters prod, staging',
    ],
    [call('ecs', 'ListServices', { cluster: 'prod' }), 'ecs:ListServices prod'],
    [call('ecs', 'ListClusters', {}), 'ecs:ListClusters'],
    [
      call('ecs', 'RegisterTaskDefinition', { family: 'api', containerDefinitions: [] }),
      'ecs:RegisterTaskDefinition api',
    ],
    [
      call('ecs', 'DescribeTaskDefinition', {
        taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:3',
      }),
      'ecs:DescribeTaskDefinition api:3',
    ],
    [call('ecs', 'ListTaskDefinitions', { familyPrefix: 'api' }), 'ecs:ListTaskDefinitions api'],
    [
      call('ecs', 'RunTask', { cluster: 'staging', taskDefinition: 'worker:1' }),
      'ecs:RunTask staging → worker:1',
    ],
    [
      call('ecs', 'DescribeServices', {
        cluster: 'prod',
        services: ['api', SERVICE_ARN.replace('api', 'payments')],
      }),
      'ecs:DescribeServices prod/api, prod/payments',
    ],
    [call('ecs', 'ListTasks', { cluster: 'prod', serviceName: 'api' }), 'ecs:ListTasks prod/api'],
    [call('ecs', 'DescribeTasks', { cluster: 'prod', tasks: ['abc'] }), 'ecs:DescribeTasks prod/abc'],
    [call('ecs', 'TagResource', { resourceArn: SERVICE_ARN, tags: [] }), 'ecs:TagResource prod/api'],
    [
      call('ecs', 'StopServiceDeployment', {
        serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/api/xyz',
      }),
      'ecs:StopServiceDeployment prod/api/xyz',
    ],
    [call('ecr', 'CreateRepository', { repositoryName: 'team/api' }), 'ecr:CreateRepository team/api'],
    [
      call('ecr', 'PutImage', { repositoryName: 'team/api', imageTag: 'main', imageManifest: '{}' }),
      'ecr:PutImage team/api:main',
    ],
    [
      call('ecr', 'BatchGetImage', {
        repositoryName: 'team/api',
        imageIds: [{ imageDigest: `sha256:${'a'.repeat(64)}` }],
      }),
      'ecr:BatchGetImage team/api@sha256:aaaaaaaaaaaa…',
    ],
    [
      call('ecr', 'DescribeImages', {
        repositoryName: 'team/api',
        imageIds: [{ imageTag: 'a' }, { imageTag: 'b' }],
      }),
      'ecr:DescribeImages team/api (2 images)',
    ],
    [
      call('ecr', 'DescribeRepositories', { repositoryNames: ['team/api'] }),
      'ecr:DescribeRepositories team/api',
    ],
  ])('names what %o is about', (record, expected) => {
    // Prepare
    const input = record;

    // Act
    const line = describeCall(input);

    // Assess
    expect(line.text).toBe(expected);
  });

  it('marks an injected fault, and an error after injected latency', () => {
    // Prepare
    const update = call('ecs', 'UpdateService', { cluster: 'prod', service: 'api', taskDefinition: 'api:2' });
    const throttled: CallRecord = { ...update, fault: 'throttle', error: 'ThrottlingException' };
    const slowAndMissing: CallRecord = { ...update, fault: 'latency', error: 'ServiceNotFoundException' };

    // Act
    const texts = [throttled, slowAndMissing].map((c) => describeCall(c).text);

    // Assess
    expect(texts).toEqual([
      'ecs:UpdateService prod/api → api:2 [injected throttle]',
      'ecs:UpdateService prod/api → api:2 [injected latency; ServiceNotFoundException]',
    ]);
  });
});

describe('scenario headings', () => {
  it('come before the lines of their scenario, and the expectations after them', async () => {
    // Prepare
    const account = fakeAccount();
    const out: string[] = [];
    account.timeline(); // this test writes through its own follower, as npm start does
    const timeline = followTimeline(account.sources, (line) => out.push(`${line.source}: ${line.text}`), {
      pollMs: 0,
      now: () => new Date(T0),
    });
    const scenario = (name: string, operation: string): Scenario => ({
      name,
      run: async () => {
        account.call(0, operation, { cluster: 'prod', service: 'api' });
        account.bus(delivery('index-services', [indexedApi], 0));
        return [{ description: `${name} done`, ok: true }];
      },
    });

    // Act
    await playScenarios(
      account.sources as unknown as Sandbox,
      [scenario('first', 'UpdateService'), scenario('second', 'StopServiceDeployment')],
      (result) => {
        timeline.flush();
        for (const e of result.expectations) out.push(`  ${e.ok ? '✔' : '✘'} ${e.description}`);
      },
      (started) => {
        timeline.flush();
        out.push(`— ${started.name}`);
      },
    );
    timeline();

    // Assess
    expect(out).toEqual([
      '— first',
      'API: ecs:UpdateService prod/api',
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      '  ✔ first done',
      '— second',
      'API: ecs:StopServiceDeployment prod/api',
      'λ index-services: indexed prod/api 123456789012:eu-west-1:team/api (opted in)',
      '  ✔ second done',
    ]);
  });
});
