import { PolicyFileError, type PolicyFileIssue, parsePolicyFile } from '../../../shared/config/policy-file';

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
