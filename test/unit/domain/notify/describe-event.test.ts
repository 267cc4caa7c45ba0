import { shortTaskDefinition } from '../../../../shared/domain/aws/arn';
import {
  type DescribableEvent,
  describeEvent,
  FORMATTERS,
  imageConsoleUrl,
  serviceConsoleUrl,
  shortDigest,
  summarise,
  taskDefinitionConsoleUrl,
} from '../../../../shared/domain/notify/describe-event';
import type { Severity } from '../../../../shared/domain/notify/message';
import { type AutopilotDetailType, AutopilotEventSchemas } from '../../../../shared/events/autopilot-events';
import {
  AUTOPILOT_DETAIL_TYPES,
  autopilotDetail,
  autopilotSample,
  describableSample,
} from '../../../support/autopilot-samples';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ORIGIN = { account: ACCOUNT, region: REGION };
const taskDefinition = (revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:${revision}`;
const DIGEST = `sha256:${'4f'.repeat(32)}`;
/** The image of the samples in events/autopilot-*.json (api:8 runs it, then it is quarantined). */
const SAMPLE_DIGEST = 'sha256:fb97d0ca1fde2a198d7507bb9cd9899f8e0ac8c976e24f8fbe709ca00d474ead';
/** The crash-loop signal of the Deployment Rolled Back sample, and the decision it led to. */
const CRASH_LOOP =
  '3 tasks of the new revision crashed within 10m (last: essential container exited with code 1 (app))';
const CRASH_LOOP_REASON = `crash-loop: ${CRASH_LOOP}; stopping the deployment with ECS's rollback`;
const CONSOLE = `https://${REGION}.console.aws.amazon.com`;
/** The service of the tag policy samples. */
const API_SERVICE = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;

/** What each detail-type must say; exhaustive, like the formatters. */
const EXPECTED: {
  [K in AutopilotDetailType]: { severity: Severity; title: string; threadKey: string | undefined };
} = {
  'Deployment Started': {
    severity: 'info',
    title: 'prod/api deploying api:8 (team/api:main)',
    threadKey: `prod/api@${taskDefinition(8)}`,
  },
  'Deployment Scheduled': {
    severity: 'info',
    title: 'prod/api deploy of team/api:main scheduled for 2025-03-14 10:06:47 UTC',
    threadKey: undefined,
  },
  'Deployment Reverted': {
    severity: 'warning',
    title:
      'prod/api reverted to api:7 by AWSCloudFormation (cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1)',
    threadKey: undefined,
  },
  'Action Failed': { severity: 'error', title: 'prod/api: deploy failed', threadKey: undefined },
  'Deployment Rolled Back': {
    severity: 'warning',
    title: 'prod/api rolled back to api:7',
    threadKey: `prod/api@${taskDefinition(8)}`,
  },
  'Rollback Failed': { severity: 'error', title: 'prod/api rollback to api:7 failed', threadKey: 'prod/api' },
  'Image Quarantined': {
    severity: 'warning',
    title: 'team/api@sha256:fb97d0ca1fde quarantined',
    threadKey: `prod/api@${taskDefinition(8)}`,
  },
  'Deployment Succeeded': {
    severity: 'success',
    title: 'prod/api deployed api:7',
    threadKey: `prod/api@${taskDefinition(7)}`,
  },
  'Configuration Problem': {
    severity: 'warning',
    title: 'prod/api: invalid tag autopilot:deploy=tags:main',
    threadKey: 'prod/api#autopilot:deploy=tags:main',
  },
  'Task Restarted': {
    severity: 'warning',
    title: 'batch/worker:3 restarted (attempt 1 of 5)',
    threadKey: `restart#arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch#0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c`,
  },
  'Task Restart Abandoned': {
    severity: 'error',
    title: 'batch/worker:3: restarts abandoned after 5 of 5',
    threadKey: `restart#arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch#0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c`,
  },
  'Tag Policy Violation': {
    severity: 'warning',
    title: 'prod/api: tag policy owner violated',
    threadKey: `tag-policy#${API_SERVICE}`,
  },
  'Tag Policy Remediated': {
    severity: 'info',
    title: 'prod/api: 1 tag added by tag policy owner',
    threadKey: `tag-policy#${API_SERVICE}`,
  },
  'Tag Policy Enforced': {
    severity: 'error',
    title: 'prod/api scaled to zero by tag policy owner',
    threadKey: `tag-policy#${API_SERVICE}`,
  },
  'Tag Policy Restored': {
    severity: 'info',
    title: 'prod/api scaled back to 2 (tag policy owner)',
    threadKey: `tag-policy#${API_SERVICE}`,
  },
  'Tag Policy Summary': {
    severity: 'warning',
    title: 'Tag policy sweep: 6 violations in 214 resources',
    threadKey: 'tag-sweep#6e2b9d4a-3f1c-4a8e-b7d5-0c9e8f7a6b5d',
  },
};

const TYPES = AUTOPILOT_DETAIL_TYPES;

/** An event with a detail of the test's own (the samples come from events/autopilot-*.json). */
function event(detailType: string, detail: unknown): DescribableEvent {
  return {
    id: 'event-1',
    time: '2026-11-23T10:00:05Z',
    account: ACCOUNT,
    region: REGION,
    detailType,
    detail,
  };
}

describe('samples', () => {
  it.each(TYPES)('%s is valid against its contract', (type) => {
    // Prepare
    const detail = autopilotDetail(type);

    // Act
    const result = AutopilotEventSchemas[type].safeParse(detail);

    // Assess
    expect(result.success).toBe(true);
  });
});

describe('FORMATTERS', () => {
  it('has a formatter for every autopilot detail-type, and no other', () => {
    // Prepare
    const types = Object.keys(AutopilotEventSchemas).sort();

    // Act
    const formatted = Object.keys(FORMATTERS).sort();

    // Assess
    expect(formatted).toEqual(types);
  });
});

describe('describeEvent', () => {
  it.each(TYPES)('describes %s: severity, title, thread and the event around it', (type) => {
    // Prepare
    const expected = EXPECTED[type];
    const sample = autopilotSample(type);

    // Act
    const message = describeEvent(describableSample(type));

    // Assess
    expect(message).toMatchObject({
      eventType: type,
      id: sample.id,
      at: sample.time,
      severity: expected.severity,
      title: expected.title,
      dryRun: false,
    });
    expect(message.threadKey).toBe(expected.threadKey);
    expect(message.title).not.toMatch(/\n/);
    expect(message.text.length).toBeGreaterThan(0);
  });

  it.each(TYPES)('describes %s as the snapshot shows', (type) => {
    // Prepare
    const input = describableSample(type);

    // Act
    const message = describeEvent(input);

    // Assess
    expect(message).toMatchSnapshot();
  });

  it.each(TYPES)('marks a dry run of %s in its title and text', (type) => {
    // Prepare
    const detail = { ...autopilotDetail(type), dryRun: true };

    // Act
    const message = describeEvent(describableSample(type, detail));

    // Assess
    expect(message.dryRun).toBe(true);
    expect(message.title).toBe(`[dry run] ${EXPECTED[type].title}`);
    expect(message.text).toMatch(/Dry run: autopilot changed nothing\.$/);
  });

  it('gives the decision reason, the revisions in short form and the signals of a rollback', () => {
    // Prepare
    const detail = autopilotDetail('Deployment Rolled Back');
    detail.signals.push({ kind: 'alarm', reason: 'api-5xx in ALARM', at: '2025-03-14T10:12:40.000Z' });
    const input = describableSample('Deployment Rolled Back', detail);

    // Act
    const message = describeEvent(input);

    // Assess
    expect(message.reason).toBe(CRASH_LOOP_REASON);
    expect(message.text).toBe(
      'Autopilot rolled prod/api back from api:8 to api:7 by stopping the deployment. 2 unhealthy signals preceded it.',
    );
    expect(message.facts).toEqual([
      { label: 'Cluster', value: 'prod' },
      { label: 'Service', value: 'api' },
      { label: 'Revision before', value: 'api:8' },
      { label: 'Revision after', value: 'api:7' },
      { label: 'By', value: 'autopilot' },
      { label: 'Method', value: 'stop-deployment' },
      {
        label: 'Signals',
        value: `crash-loop: ${CRASH_LOOP}\nalarm: api-5xx in ALARM`,
      },
    ]);
  });

  it('says who rolled back when it was not autopilot', () => {
    // Prepare
    const byEcs = {
      ...autopilotDetail('Deployment Rolled Back'),
      by: 'ecs',
      method: 'none',
      signals: [],
    } as const;
    const byPerson = { ...byEcs, by: 'person' } as const;

    // Act
    const ecs = describeEvent(describableSample('Deployment Rolled Back', byEcs));
    const person = describeEvent(describableSample('Deployment Rolled Back', byPerson));

    // Assess
    expect(ecs.text).toBe('ECS rolled prod/api back from api:8 to api:7 on its own.');
    expect(ecs.facts).toContainEqual({ label: 'By', value: 'ECS' });
    expect(person.text).toBe('Someone rolled prod/api back from api:8 to api:7.');
  });

  it('shows the digest short and links the full one', () => {
    // Prepare
    const input = describableSample('Deployment Started');

    // Act
    const message = describeEvent(input);

    // Assess
    expect(message.facts).toContainEqual({ label: 'Digest', value: 'sha256:fb97d0ca1fde' });
    expect(message.facts).toContainEqual({ label: 'Image tag', value: 'team/api:main' });
    expect(message.facts).toContainEqual({ label: 'Containers', value: 'app' });
    expect(message.links).toEqual([
      { label: 'ECS service', url: `${CONSOLE}/ecs/v2/clusters/prod/services/api/health?region=${REGION}` },
      {
        label: 'Task definition api:8',
        url: `${CONSOLE}/ecs/v2/task-definitions/api/8/containers?region=${REGION}`,
      },
      {
        label: 'ECR image',
        url: `${CONSOLE}/ecr/repositories/private/${ACCOUNT}/team/api/_/image/${SAMPLE_DIGEST}/details?region=${REGION}`,
      },
    ]);
  });

  it('has no deployment thread for a quarantine that names no revision', () => {
    // Prepare
    const { taskDefinition: _, ...detail } = autopilotDetail('Image Quarantined');

    // Act
    const message = describeEvent(describableSample('Image Quarantined', detail));

    // Assess
    expect(message.threadKey).toBeUndefined();
    expect(message.text).toBe(
      'Deploy on push will not deploy team/api@sha256:fb97d0ca1fde again until it is released. It was found unhealthy on prod/api.',
    );
  });

  it.each([
    [
      'paused until 2026-12-05T09:00:00.000Z by alice (incident 42): follows tag main',
      'the service is paused',
    ],
    ['follows tag main; outside deploy window (mon-fri 09:00-17:00 UTC) until …', 'its deploy window'],
    ['follows tag main; image is younger than the minimum age 2h, due at …', 'its cooldown'],
  ])('says what a scheduled deployment waits for: %s', (reason, waits) => {
    // Prepare
    const detail = {
      cluster: 'prod',
      service: 'api',
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`,
      repository: 'team/api',
      tag: 'main',
      digest: `sha256:${'f'.repeat(64)}`,
      dueAt: '2026-12-05T09:00:00.000Z',
      reason,
      dryRun: false,
      triggeredBy: 'e-1',
    };

    // Act
    const message = describeEvent(event('Deployment Scheduled', detail));

    // Assess
    expect(message.text).toContain(`but waits (${waits}): autopilot will deploy it at 2026-12-05 09:00 UTC`);
    expect(message.reason).toBe(reason);
  });

  it('names the action of an Action Failed without a service', () => {
    // Prepare
    const detail = { action: 'release', reason: 'no such digest', dryRun: false, triggeredBy: 'cli' };

    // Act
    const message = describeEvent(event('Action Failed', detail));

    // Assess
    expect(message).toMatchObject({
      title: 'Autopilot action release failed',
      text: 'Autopilot decided to release but could not; nothing was half-applied.',
      links: [],
      severity: 'error',
    });
  });

  describe('Configuration Problem', () => {
    const SERVICE_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;

    it('says which service, which tag, what is wrong, what it does meanwhile and how to fix it', () => {
      // Prepare
      const input = describableSample('Configuration Problem');

      // Act
      const message = describeEvent(input);

      // Assess
      expect(message.text).toBe(
        'The ECS service prod/api has the tag autopilot:deploy=tags:main, which autopilot cannot use. Deploy on push ignores the service, and its deployments are not watched for rollback, until the tag is fixed. To fix it, set the tag to autopilot:deploy=tag:main on the service.',
      );
      expect(message.reason).toBe(
        'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
      );
      expect(message.facts).toEqual([
        { label: 'Cluster', value: 'prod' },
        { label: 'Service', value: 'api' },
        { label: 'Tag', value: 'autopilot:deploy=tags:main' },
        { label: 'Suggested value', value: 'tag:main' },
        {
          label: 'Fix with',
          value: `aws ecs tag-resource --resource-arn ${SERVICE_ARN} --tags key=autopilot:deploy,value=tag:main`,
        },
      ]);
      expect(message.links).toEqual([
        { label: 'ECS service', url: `${CONSOLE}/ecs/v2/clusters/prod/services/api/health?region=${REGION}` },
      ]);
    });

    it.each<[string, string, string]>([
      [
        'autopilot:policy',
        'carefull',
        'To fix it, name a policy of autopilot.yml in the tag, define "carefull" there, or remove the tag.',
      ],
      ['autopilot:deploy', 'always', 'To fix it, correct the tag on the service or remove it.'],
    ])('says how to fix %s=%s without a suggestion', (tagKey, tagValue, fix) => {
      // Prepare
      const { suggestion: _, ...detail } = { ...autopilotDetail('Configuration Problem'), tagKey, tagValue };

      // Act
      const message = describeEvent(describableSample('Configuration Problem', detail));

      // Assess
      expect(message.text.endsWith(fix)).toBe(true);
      expect(message.facts.map((f) => f.label)).toEqual(['Cluster', 'Service', 'Tag']);
    });

    it('tells that a problem is resolved as good news, in the thread of the problem', () => {
      // Prepare
      const { effect: _, suggestion: __, ...problem } = autopilotDetail('Configuration Problem');
      const detail = { ...problem, resolved: true };

      // Act
      const message = describeEvent(describableSample('Configuration Problem', detail));

      // Assess
      expect(message).toMatchObject({
        severity: 'success',
        title: 'prod/api: autopilot:deploy problem resolved',
        text: 'The autopilot:deploy tag of prod/api no longer has the problem autopilot reported, so autopilot acts on the service as its tags say again.',
        reason: problem.problem,
        threadKey: EXPECTED['Configuration Problem'].threadKey,
      });
      expect(message).toMatchSnapshot();
    });
  });

  describe('fallback', () => {
    it('describes a detail-type without a formatter from its detail fields', () => {
      // Prepare
      const detail = {
        cluster: 'prod',
        service: 'api',
        taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/0123456789abcdef`,
        taskDefinition: taskDefinition(8),
        restarts: 3,
        reason: 'essential container app exited with code 137',
        dryRun: false,
        triggeredBy: 'task-event-1',
      };

      // Act
      const message = describeEvent(event('Task Rescheduled', detail));

      // Assess
      expect(message).toMatchSnapshot();
      expect(message).toMatchObject({
        eventType: 'Task Rescheduled',
        severity: 'info',
        title: 'prod/api: Task Rescheduled',
        text: 'Autopilot reported "Task Rescheduled" for prod/api.',
        reason: 'essential container app exited with code 137',
        cluster: 'prod',
        service: 'api',
        threadKey: `prod/api@${taskDefinition(8)}`,
      });
      expect(message.facts).toEqual([
        { label: 'Cluster', value: 'prod' },
        { label: 'Service', value: 'api' },
        { label: 'Revision', value: 'api:8' },
        { label: 'Task arn', value: detail.taskArn },
        { label: 'Restarts', value: '3' },
      ]);
    });

    it.each<[string, Severity]>([
      ['Task Rescheduled', 'info'],
      ['Schedule Abandoned', 'warning'],
      ['Budget Violation', 'warning'],
      ['Image Remediated', 'success'],
      ['Release Failed', 'error'],
    ])('guesses the severity of %s from its name', (type, severity) => {
      // Prepare
      const detail = { cluster: 'prod', service: 'api', reason: 'because', dryRun: true };

      // Act
      const message = describeEvent(event(type, detail));

      // Assess
      expect(message.severity).toBe(severity);
      expect(message.title).toBe(`[dry run] prod/api: ${type}`);
    });

    it('describes a known detail-type whose detail does not match its contract, with its severity', () => {
      // Prepare
      const detail = { ...autopilotDetail('Deployment Rolled Back'), by: 'robot', extra: 'field' };

      // Act
      const message = describeEvent(describableSample('Deployment Rolled Back', detail));

      // Assess
      expect(message).toMatchObject({
        eventType: 'Deployment Rolled Back',
        severity: 'warning',
        title: 'prod/api: Deployment Rolled Back',
        reason: CRASH_LOOP_REASON,
      });
      expect(message.text).toContain('does not match the "Deployment Rolled Back" contract');
      expect(message.facts).toContainEqual({ label: 'Revision before', value: 'api:8' });
      expect(message.facts).toContainEqual({ label: 'By', value: 'robot' });
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a string', 'oops'],
      ['an array', [1, 2]],
      ['nested objects only', { nested: { deep: true } }],
    ])('never throws on a detail that is %s', (_, detail) => {
      // Prepare
      const input = event('Deployment Started', detail);

      // Act
      const message = describeEvent(input);

      // Assess
      expect(message).toMatchObject({
        eventType: 'Deployment Started',
        severity: 'info',
        title: 'Deployment Started',
        facts: [],
        links: [],
        dryRun: false,
      });
    });

    it('keeps a title on one line and long values short', () => {
      // Prepare
      const detail = { cluster: 'prod', note: 'x'.repeat(1000) };

      // Act
      const message = describeEvent(event('Something\nHappened', detail));

      // Assess
      expect(message.title).toBe('prod: Something Happened');
      expect(message.facts[1]?.value).toHaveLength(300);
    });
  });
});

describe('tag policy events', () => {
  it('says what a violation is, when its mark is due and what enforcement does then', () => {
    // Prepare
    const input = describableSample('Tag Policy Violation');

    // Act
    const message = describeEvent(input);

    // Assess
    expect(message.text).toBe(
      'The ECS service prod/api does not carry the tags rule owner asks for: cost-centre is missing; env is "production", expected one of prod, staging (ignoring case). Autopilot marked it: if it still does not comply after 2025-03-21 09:06 UTC, autopilot scales the service to zero, keeping its desired count to restore once it complies. Fix its tags to clear the mark.',
    );
    expect(message.facts).toEqual([
      { label: 'Resource', value: 'ECS service prod/api' },
      { label: 'Cluster', value: 'prod' },
      { label: 'Rule', value: 'owner' },
      { label: 'Mode', value: 'enforce' },
      { label: 'Missing', value: 'cost-centre' },
      { label: 'Not allowed', value: 'env=production (expected one of prod, staging (ignoring case))' },
      { label: 'Due', value: '2025-03-21 09:06 UTC' },
      { label: 'When due', value: 'scale to zero' },
    ]);
    expect(message).toMatchObject({ cluster: 'prod', service: 'api' });
  });

  it('says an audit rule only reports, with the date enforce would act after', () => {
    // Prepare
    const detail = {
      ...autopilotDetail('Tag Policy Violation'),
      mode: 'audit',
      whenDue: 'report-only',
    } as const;

    // Act
    const message = describeEvent(describableSample('Tag Policy Violation', detail));

    // Assess
    expect(message.text).toContain(
      'rule owner is in audit mode, so autopilot only reports it (in enforce mode it would act after 2025-03-21 09:06 UTC)',
    );
  });

  it.each<[string, Record<string, unknown>, string, string | undefined, { label: string; url: string }[]]>([
    [
      'an ECR repository',
      {
        resourceType: 'ecr:repository',
        resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/api`,
        name: 'team/api',
        cluster: undefined,
      },
      'team/api',
      undefined,
      [
        {
          label: 'ECR repository',
          url: `${CONSOLE}/ecr/repositories/private/${ACCOUNT}/team/api?region=${REGION}`,
        },
      ],
    ],
    [
      'a task definition revision',
      {
        resourceType: 'ecs:task-definition',
        resourceArn: taskDefinition(3),
        name: 'api',
        cluster: undefined,
      },
      'api:3',
      undefined,
      [
        {
          label: 'Task definition api:3',
          url: `${CONSOLE}/ecs/v2/task-definitions/api/3/containers?region=${REGION}`,
        },
      ],
    ],
    [
      'a standalone task',
      {
        resourceType: 'ecs:task',
        resourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/batch/0b1c2d3e`,
        name: 'worker',
        cluster: 'batch',
      },
      'batch/worker task 0b1c2d3e',
      'batch',
      [
        {
          label: 'ECS task',
          url: `${CONSOLE}/ecs/v2/clusters/batch/tasks/0b1c2d3e/configuration?region=${REGION}`,
        },
      ],
    ],
    [
      'a cluster',
      {
        resourceType: 'ecs:cluster',
        resourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        name: 'prod',
        cluster: undefined,
      },
      'prod',
      'prod',
      [{ label: 'ECS cluster', url: `${CONSOLE}/ecs/v2/clusters/prod/services?region=${REGION}` }],
    ],
    [
      'a capacity provider (it has no console page of its own)',
      {
        resourceType: 'ecs:capacity-provider',
        resourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:capacity-provider/spot`,
        name: 'spot',
        cluster: undefined,
      },
      'spot',
      undefined,
      [],
    ],
  ])('names %s as people do and links its console page', (_, resource, name, cluster, links) => {
    // Prepare
    const detail = { ...autopilotDetail('Tag Policy Violation'), ...resource };

    // Act
    const message = describeEvent(describableSample('Tag Policy Violation', detail));

    // Assess
    expect(message.title).toBe(`${name}: tag policy owner violated`);
    expect(message.links).toEqual(links);
    expect(message.cluster).toBe(cluster);
    expect(message.service).toBeUndefined();
    expect(message.threadKey).toBe(`tag-policy#${resource.resourceArn}`);
  });

  it('says where each added tag came from, and that the resource complies when nothing is left', () => {
    // Prepare
    const detail = {
      ...autopilotDetail('Tag Policy Remediated'),
      added: [
        { key: 'owner', value: 'payments', from: 'task-definition' },
        { key: 'env', value: 'prod', from: 'default' },
      ],
      remaining: [],
    } as const;

    // Act
    const message = describeEvent(describableSample('Tag Policy Remediated', detail));

    // Assess
    expect(message.title).toBe('prod/api: 2 tags added by tag policy owner');
    expect(message.text).toBe(
      "Autopilot added owner=payments (from its task definition), env=prod (the rule's default) to the ECS service prod/api. It complies with rule owner now.",
    );
  });

  it('tells an enforcement that could only notify as a warning', () => {
    // Prepare
    const { desiredCount: _, ...scaled } = autopilotDetail('Tag Policy Enforced');
    const detail = { ...scaled, action: 'notify-only' } as const;

    // Act
    const message = describeEvent(describableSample('Tag Policy Enforced', detail));

    // Assess
    expect(message.severity).toBe('warning');
    expect(message.title).toBe('prod/api: tag policy owner overdue');
    expect(message.text).toContain('Autopilot only notifies: no safe action is opted in for it.');
  });

  it('tells a mark cleared without a desired count, and why', () => {
    // Prepare
    const { desiredCount: _, ...restored } = autopilotDetail('Tag Policy Restored');
    const detail = { ...restored, restored: 'mark-cleared', because: 'rule-removed' } as const;

    // Act
    const message = describeEvent(describableSample('Tag Policy Restored', detail));

    // Assess
    expect(message.title).toBe('prod/api: tag policy owner mark cleared');
    expect(message.text).toBe(
      'Autopilot cleared the violation mark of the ECS service prod/api (due 2025-03-21 09:06 UTC): its rule is no longer in the policy file.',
    );
  });

  it('sums a sweep up per rule, as good news when nothing violates, and says when it continues', () => {
    // Prepare
    const rows = [
      {
        rule: 'owner',
        resourceType: 'ecs:service',
        compliant: 4,
        violating: 0,
        exempt: 1,
        skipped: 0,
        remediated: 2,
        enforced: 0,
        restored: 0,
      },
    ] as const;
    const detail = {
      ...autopilotDetail('Tag Policy Summary'),
      rows: [...rows],
      resourcesSeen: 5,
      complete: false,
    };

    // Act
    const message = describeEvent(describableSample('Tag Policy Summary', detail));

    // Assess
    expect(message.severity).toBe('info');
    expect(message.title).toBe('Tag policy sweep: 0 violations in 5 resources, continuing');
    expect(message.text).toBe(
      'Autopilot swept 5 resources (so far: the sweep goes on in its next invocation). By rule: 4 compliant, 0 violating, 1 exempt, 2 remediated, 0 enforced, 0 restored.',
    );
    expect(message.facts).toContainEqual({
      label: 'owner · ecs:service',
      value: '4 compliant, 1 exempt, 2 remediated',
    });
  });

  it('warns of a sweep the run cap held, saying it changed nothing', () => {
    // Prepare
    const detail = { ...autopilotDetail('Tag Policy Summary'), rows: [], overCap: { changes: 80, max: 50 } };

    // Act
    const message = describeEvent(describableSample('Tag Policy Summary', detail));

    // Assess
    expect(message.severity).toBe('warning');
    expect(message.text).toContain(
      'The run would have changed 80 resources, more than maxChangesPerRun 50, so it changed none.',
    );
  });
});

describe('console links', () => {
  it('encodes path segments and keeps the separators of repository names', () => {
    // Prepare
    const odd = 'a b/c?d';

    // Act
    const service = serviceConsoleUrl('prod east', odd, ORIGIN);
    const revision = taskDefinitionConsoleUrl(taskDefinition(8), ORIGIN);
    const image = imageConsoleUrl('team/my app', DIGEST, ORIGIN);

    // Assess
    expect(service).toBe(
      `${CONSOLE}/ecs/v2/clusters/prod%20east/services/a%20b%2Fc%3Fd/health?region=${REGION}`,
    );
    expect(revision).toBe(`${CONSOLE}/ecs/v2/task-definitions/api/8/containers?region=${REGION}`);
    expect(image).toBe(
      `${CONSOLE}/ecr/repositories/private/${ACCOUNT}/team/my%20app/_/image/${DIGEST}/details?region=${REGION}`,
    );
  });

  it('gives no link for a region or account that cannot be a console host or path', () => {
    // Prepare
    const hostile = { account: ACCOUNT, region: 'evil.example.com/x' };

    // Act
    const service = serviceConsoleUrl('prod', 'api', hostile);
    const image = imageConsoleUrl('api', DIGEST, { account: '../x', region: REGION });

    // Assess
    expect(service).toBeUndefined();
    expect(image).toBeUndefined();
  });

  it('gives no task-definition link for something that is not a revision', () => {
    // Prepare
    const notARevision = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api';

    // Act
    const url = taskDefinitionConsoleUrl(notARevision, ORIGIN);

    // Assess
    expect(url).toBeUndefined();
  });
});

describe('short forms', () => {
  it.each([
    [taskDefinition(8), 'api:8'],
    ['api:12', 'api:12'],
    ['not-a-revision', 'not-a-revision'],
  ])('shortens the task definition %s to %s', (input, expected) => {
    // Prepare
    const value = input;

    // Act
    const short = shortTaskDefinition(value);

    // Assess
    expect(short).toBe(expected);
  });

  it.each([
    [DIGEST, 'sha256:4f4f4f4f4f4f'],
    ['latest', 'latest'],
  ])('shortens the digest %s to %s', (input, expected) => {
    // Prepare
    const value = input;

    // Act
    const short = shortDigest(value);

    // Assess
    expect(short).toBe(expected);
  });
});

describe('summarise', () => {
  const WINDOW = {
    channel: 'ops',
    groupKey: 'Deployment Started|prod|info',
    windowStart: '2026-11-23T10:00:00.000Z',
    windowEnd: '2026-11-23T10:01:00.000Z',
    count: 12,
    examples: Array.from({ length: 7 }, (_, i) => `prod/svc-${i} deploying svc-${i}:2 (team/svc-${i}:main)`),
  };
  const SAMPLE = { eventType: 'Deployment Started', severity: 'info', cluster: 'prod' } as const;

  it('says how many similar events were held back, where and within how long', () => {
    // Prepare
    const window = structuredClone(WINDOW);

    // Act
    const summary = summarise(window, SAMPLE);

    // Assess
    expect(summary).toMatchObject({
      eventType: 'Deployment Started',
      id: 'summary:ops:Deployment Started|prod|info:2026-11-23T10:00:00.000Z',
      severity: 'info',
      title: '12 more "Deployment Started" events in prod within 1m',
      text: 'Autopilot held back 12 similar notifications in prod between 2026-11-23 10:00 UTC and 2026-11-23 10:01 UTC and aggregated them into this summary, to keep the channel readable.',
      cluster: 'prod',
      at: '2026-11-23T10:01:00.000Z',
      dryRun: false,
      links: [],
      aggregate: {
        count: 12,
        examples: WINDOW.examples,
        windowStart: WINDOW.windowStart,
        windowEnd: WINDOW.windowEnd,
      },
    });
  });

  it('lists at most five examples as facts and counts the rest', () => {
    // Prepare
    const window = structuredClone(WINDOW);

    // Act
    const summary = summarise(window, SAMPLE);

    // Assess
    const examples = summary.facts.filter((f) => f.label.startsWith('Example'));
    expect(examples.map((f) => f.value)).toEqual(WINDOW.examples.slice(0, 5));
    expect(summary.facts).toContainEqual({ label: 'Not listed', value: '7 more' });
  });

  it('says "event" for one and omits the cluster when there is none', () => {
    // Prepare
    const window = {
      ...structuredClone(WINDOW),
      count: 1,
      examples: ['x'],
      windowEnd: '2026-11-23T11:30:00.000Z',
    };

    // Act
    const summary = summarise(window, { eventType: 'Action Failed', severity: 'error' });

    // Assess
    expect(summary.title).toBe('1 more "Action Failed" event within 1h 30m');
    expect(summary.facts).not.toContainEqual(expect.objectContaining({ label: 'Not listed' }));
    expect(summary.cluster).toBeUndefined();
  });
});
