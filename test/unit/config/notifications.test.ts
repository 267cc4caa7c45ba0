import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyFileError, type PolicyFileIssue } from '../../../shared/config/policy-file';
import { parsePolicyFile } from '../../../shared/config/policy-yaml';
import { AutopilotEventSchemas } from '../../../shared/events/autopilot-events';

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

function issuesOf(text: string): PolicyFileIssue[] {
  try {
    parsePolicyFile(text, 'autopilot.yml');
  } catch (error) {
    if (error instanceof PolicyFileError) return error.issues;
    throw error;
  }
  throw new Error('expected the policy file to be rejected');
}

describe('the notifications section of the policy file', () => {
  it('parses every channel kind, routes and aggregation', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'notifications:',
      '  channels:',
      '    platform: { type: slack, webhook: { ssm: /autopilot/slack/platform } }',
      '    deploys: { type: slack, token: { secretsManager: autopilot/slack-bot, key: token }, channel: C0123456789 }',
      '    payments: { type: teams, webhook: { ssm: /autopilot/teams/payments } }',
      '    search: { type: discord, webhook: { ssm: /autopilot/discord/search }, rateLimit: { perSecond: 2 } }',
      '    sre: { type: google-chat, webhook: { secretsManager: autopilot/google-chat } }',
      '    audit: { type: webhook, url: { ssm: /autopilot/audit/url }, signingSecret: { ssm: /autopilot/audit/key } }',
      '    chatbot: { type: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:autopilot-chatbot" }',
      '  routes:',
      '    - { events: ["Deployment Rolled Back", "Rollback Failed"], channels: [sre, chatbot] }',
      '    - { tags: { team: payments }, channels: [payments] }',
      '    - { severity: [error], clusters: ["prod-*"], services: [api], channels: [sre] }',
      '  default: [platform, audit]',
      '  aggregate: { window: 30s, after: 5 }',
    );

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(Object.keys(file.notifications.channels)).toEqual([
      'platform',
      'deploys',
      'payments',
      'search',
      'sre',
      'audit',
      'chatbot',
    ]);
    expect(file.notifications.routes).toHaveLength(3);
    expect(file.notifications.default).toEqual(['platform', 'audit']);
    expect(file.notifications.aggregate).toEqual({ window: '30s', after: 5 });
  });

  it.each([
    {
      name: 'a route to an unknown channel',
      lines: [
        '  channels: { ops: { type: teams, webhook: { ssm: /autopilot/t } } }',
        '  routes: [{ channels: [opz] }]',
      ],
      issue: { line: 4, path: 'notifications.routes.0.channels.0', message: 'unknown channel "opz"' },
    },
    {
      name: 'a default channel that does not exist',
      lines: ['  default: [nobody]'],
      issue: { line: 3, path: 'notifications.default.0', message: 'unknown channel "nobody"' },
    },
    {
      name: 'a webhook URL written into the file instead of a reference',
      lines: ['  channels: { ops: { type: teams, webhook: "https://example.webhook.office.com/x" } }'],
      issue: { line: 3, path: 'notifications.channels.ops.webhook' },
    },
    {
      name: 'a parameter outside /autopilot/, which the notifier may not read',
      lines: ['  channels: { ops: { type: discord, webhook: { ssm: /other/discord } } }'],
      issue: {
        line: 3,
        path: 'notifications.channels.ops.webhook.ssm',
        message: 'expected an SSM parameter under /autopilot/, e.g. /autopilot/slack/platform-webhook',
      },
    },
    {
      name: 'a Slack channel with both a webhook and a token',
      lines: [
        '  channels:',
        '    ops: { type: slack, webhook: { ssm: /autopilot/a }, token: { ssm: /autopilot/b }, channel: C1 }',
      ],
      issue: { line: 4, path: 'notifications.channels.ops.webhook', message: 'give either webhook or token' },
    },
    {
      name: 'a Slack bot token without a channel id',
      lines: ['  channels: { ops: { type: slack, token: { ssm: /autopilot/b } } }'],
      issue: {
        line: 3,
        path: 'notifications.channels.ops.channel',
        message: 'a bot token needs a channel id',
      },
    },
    {
      name: 'an SNS topic autopilot may not publish to',
      lines: ['  channels: { ops: { type: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts" } }'],
      issue: { line: 3, path: 'notifications.channels.ops.topicArn' },
    },
    {
      name: 'an unknown channel type',
      lines: ['  channels: { ops: { type: pager, webhook: { ssm: /autopilot/p } } }'],
      issue: { line: 3, path: 'notifications.channels.ops.type' },
    },
    {
      name: 'a plain http Slack API outside 127.0.0.1',
      lines: [
        '  channels:',
        '    ops: { type: slack, token: { ssm: /autopilot/b }, channel: C1, apiUrl: "http://slack.example.com/api" }',
      ],
      issue: { line: 4, path: 'notifications.channels.ops.apiUrl' },
    },
  ])('rejects $name with its line and field', ({ lines, issue }) => {
    // Prepare
    const text = yaml('version: 1', 'notifications:', ...lines);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([expect.objectContaining(issue)]);
  });
});

describe('the event types a notification route names', () => {
  const PUBLISHED = Object.keys(AutopilotEventSchemas);
  const EXPECTED = `expected one of: ${PUBLISHED.join(', ')}`;
  const withEvents = (events: string) =>
    yaml(
      'version: 1',
      'notifications:',
      '  channels: { ops: { type: teams, webhook: { ssm: /autopilot/t } } }',
      '  routes:',
      `    - events: ${events}`,
      '      channels: [ops]',
    );

  it.each(PUBLISHED)('accepts the published event type "%s"', (eventType) => {
    // Prepare
    const text = withEvents(JSON.stringify([eventType]));

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.notifications.routes[0]?.events).toEqual([eventType]);
  });

  it('accepts globs that match at least one published event type', () => {
    // Prepare
    const text = withEvents('["Deployment *", "*Failed", "Image Quarantined", "{Rollback,Action} Failed"]');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.notifications.routes[0]?.events).toEqual([
      'Deployment *',
      '*Failed',
      'Image Quarantined',
      '{Rollback,Action} Failed',
    ]);
  });

  it('rejects an event type that is not published, with its line, column and field', () => {
    // Prepare
    const text = withEvents('[Deployment Started, Deployment Rollback]');

    // Act
    const run = () => parsePolicyFile(text, 'autopilot.yml');

    // Assess
    expect(run).toThrow(
      `autopilot.yml:5:36 notifications.routes.0.events.1: unknown event "Deployment Rollback"; ${EXPECTED}`,
    );
  });

  it('rejects an event type in the wrong case and names the one meant', () => {
    // Prepare
    const text = withEvents('[deployment started]');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      {
        line: 5,
        column: 16,
        path: 'notifications.routes.0.events.0',
        message: `unknown event "deployment started" (did you mean "Deployment Started"? names are case-sensitive); ${EXPECTED}`,
      },
    ]);
  });

  it('rejects a glob that matches no published event type', () => {
    // Prepare
    const text = withEvents('["Deployment *", "Deployment Rollback*"]');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      {
        line: 5,
        column: 32,
        path: 'notifications.routes.0.events.1',
        message: `"Deployment Rollback*" matches no event; ${EXPECTED}`,
      },
    ]);
  });

  it('rejects a glob in the wrong case and says so', () => {
    // Prepare
    const text = withEvents('["deployment *"]');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'notifications.routes.0.events.0',
        message: `"deployment *" matches no event (it would, ignoring case: names are case-sensitive); ${EXPECTED}`,
      }),
    ]);
  });

  it('reports every unknown event of every route, each at its own line', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'notifications:',
      '  channels: { ops: { type: teams, webhook: { ssm: /autopilot/t } } }',
      '  routes:',
      '    - channels: [ops]',
      '      events:',
      '        - Deployment Started',
      '        - Deployment Failed',
      '    - { events: [Image Quarantined, Quarantined *], channels: [ops] }',
    );

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 8, column: 11, path: 'notifications.routes.0.events.1' },
      { line: 9, column: 37, path: 'notifications.routes.1.events.1' },
    ]);
  });
});

describe('stop and always in the notifications section', () => {
  it('parses a route that stops the routing and the channels that get every event', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'notifications:',
      '  channels:',
      '    ops: { type: teams, webhook: { ssm: /autopilot/t } }',
      '    audit: { type: webhook, url: { ssm: /autopilot/audit/url }, signingSecret: { ssm: /autopilot/audit/key } }',
      '  routes:',
      '    - { services: ["staging/*"], channels: [ops], stop: true }',
      '    - { channels: [ops] }',
      '  always: [audit]',
    );

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.notifications.routes).toEqual([
      { services: ['staging/*'], channels: ['ops'], stop: true },
      { channels: ['ops'] },
    ]);
    expect(file.notifications.always).toEqual(['audit']);
    expect(file.notifications.default).toEqual([]);
  });

  it('has no always channels when the key is absent', () => {
    // Prepare
    const text = yaml('version: 1', 'notifications:', '  default: []');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.notifications.always).toEqual([]);
  });

  it.each([
    {
      name: 'an always channel that does not exist',
      lines: ['  always: [audit]'],
      issue: { line: 3, column: 12, path: 'notifications.always.0', message: 'unknown channel "audit"' },
    },
    {
      name: 'a stop flag that is not a boolean',
      lines: [
        '  channels: { ops: { type: teams, webhook: { ssm: /autopilot/t } } }',
        '  routes: [{ channels: [ops], stop: "yes" }]',
      ],
      issue: { line: 4, path: 'notifications.routes.0.stop' },
    },
    {
      name: "Alertmanager's continue, which routes do by default here",
      lines: [
        '  channels: { ops: { type: teams, webhook: { ssm: /autopilot/t } } }',
        '  routes: [{ channels: [ops], continue: false }]',
      ],
      issue: {
        line: 4,
        column: 31,
        path: 'notifications.routes.0',
        message:
          'Unrecognized key: "continue" (routes here continue by default: every matching route adds its channels; `stop: true` ends the routing at a route)',
      },
    },
  ])('rejects $name with its line and field', ({ lines, issue }) => {
    // Prepare
    const text = yaml('version: 1', 'notifications:', ...lines);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([expect.objectContaining(issue)]);
  });
});

describe('the notifications example of the README', () => {
  it('is a valid notifications section', () => {
    // Prepare
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const example = /## Notifications[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];

    // Act
    const file = parsePolicyFile(`version: 1\n${example}`, 'README.md');

    // Assess
    expect(file.notifications.routes.map((r) => r.stop ?? false)).toEqual([false, false, true, false]);
    expect(file.notifications).toMatchObject({ default: ['platform'], always: ['audit'] });
  });
});
