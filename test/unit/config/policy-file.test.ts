import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMPTY_POLICY_FILE,
  loadPolicyFile,
  type PolicyFile,
  PolicyFileError,
  type PolicyFileIssue,
  sealPolicyFile,
} from '../../../shared/config/policy-file';
import { parsePolicyFile } from '../../../shared/config/policy-yaml';
import { ConfigError } from '../../../shared/errors';

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

/** The issues of a file that must be rejected. */
function issuesOf(text: string): PolicyFileIssue[] {
  try {
    parsePolicyFile(text, 'autopilot.yml');
  } catch (error) {
    if (error instanceof PolicyFileError) return error.issues;
    throw error;
  }
  throw new Error('expected the policy file to be rejected');
}

const VALID = yaml(
  '# yaml-language-server: $schema=./schemas/autopilot.schema.json',
  'version: 1',
  'maxServicesPerPush: 10',
  'defaults:',
  '  allowPrerelease: false',
  'policies:',
  '  careful:',
  '    description: production',
  '    tags:',
  '      semver: ">=1.0.0"',
  '    minImageAge: 1h',
  '    windows:',
  '      - days: [mon, tue, wed, thu]',
  '        start: "09:00"',
  '        end: "16:00"',
  '        timezone: Europe/Berlin',
  '  releases:',
  '    deploy: match',
  '    tags:',
  '      glob: "release-*"',
  '      regex: "release-\\\\d{4}\\\\.\\\\d{2}"',
  'clusters:',
  '  "prod-*":',
  '    policy: careful',
);

/** What an absent `notifications` section means: no channels, summaries after 3 similar events a minute. */
const NO_NOTIFICATIONS = {
  channels: {},
  routes: [],
  default: [],
  always: [],
  aggregate: { window: '1m', after: 3 },
};

describe('parsePolicyFile: restart rules', () => {
  it("fills in a rule's mode, backoff and limit", () => {
    // Prepare
    const text = yaml('version: 1', 'restart:', '  - match: { family: "worker*" }');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.restart).toEqual([
      {
        match: { family: 'worker*' },
        mode: 'on-failure',
        backoff: { initial: '10s', max: '5m', resetAfter: '10m' },
        maxAttempts: 5,
        launchSpecWait: '15m',
      },
    ]);
  });

  it.each([
    [
      'a rule that matches nothing named',
      ['  - mode: always', '    match: {}'],
      /restart\.0\.match: name at least one of cluster, group, family, startedBy/,
    ],
    ['an unknown mode', ['  - match: { cluster: batch }', '    mode: sometimes'], /restart\.0\.mode/],
    [
      'a backoff that is not a duration',
      ['  - match: { cluster: batch }', '    backoff: { initial: soon }'],
      /restart\.0\.backoff\.initial/,
    ],
    [
      'a launch spec wait longer than an hour',
      ['  - match: { cluster: batch }', '    launchSpecWait: 2h'],
      /:4:\d+ restart\.0\.launchSpecWait: at most 1h/,
    ],
  ])('refuses %s, with its line and field', (_name, lines, message) => {
    // Prepare
    const text = yaml('version: 1', 'restart:', ...lines);

    // Act
    const parse = () => parsePolicyFile(text);

    // Assess
    expect(parse).toThrow(message);
  });
});

describe('parsePolicyFile: tag policies', () => {
  const rules = (...lines: string[]) => yaml('version: 1', 'tagPolicies:', ...lines);

  it("fills in a rule's mode, grace, required keys and actions, and the run cap", () => {
    // Prepare
    const text = rules('  - name: owner', '    resources: [ecs:service]');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.tagPolicies).toEqual([
      { name: 'owner', resources: ['ecs:service'], required: [], mode: 'audit', grace: '7d', actions: {} },
    ]);
    expect(file.tagPolicySettings).toEqual({ maxChangesPerRun: 50 });
  });

  it('reads a rule with every field', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'tagPolicySettings: { maxChangesPerRun: 200 }',
      'tagPolicies:',
      '  - name: cost',
      '    description: every prod service says who pays',
      '    resources: [ecs:service, ecs:task]',
      '    clusters: ["prod-*"]',
      '    names: ["api-*", "web"]',
      '    tags: { "aws:cloudformation:stack-name": "platform-*" }',
      '    required: [owner, cost-centre, env]',
      '    allowed:',
      '      env: { values: [prod, staging], caseInsensitive: true }',
      '      cost-centre: { regex: "cc-[0-9]{4}" }',
      '    defaults: { env: Prod }',
      '    inherit:',
      '      keys: [owner, cost-centre]',
      '      from:',
      '        ecs:service: [cluster]',
      '        ecs:task: [service, task-definition, cluster]',
      '    exempt:',
      '      tags: { autopilot:exempt: "*" }',
      '      arns: ["arn:aws:ecs:*:*:service/prod-legacy/**"]',
      '    mode: enforce',
      '    grace: 90d',
      '    actions: { stopTask: true, scaleServiceToZero: true }',
    );

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.tagPolicySettings).toEqual({ maxChangesPerRun: 200 });
    expect(file.tagPolicies[0]).toMatchObject({
      name: 'cost',
      resources: ['ecs:service', 'ecs:task'],
      allowed: { env: { values: ['prod', 'staging'], caseInsensitive: true } },
      inherit: {
        keys: ['owner', 'cost-centre'],
        from: { 'ecs:task': ['service', 'task-definition', 'cluster'] },
      },
      exempt: { tags: { 'autopilot:exempt': '*' } },
      mode: 'enforce',
      grace: '90d',
      actions: { stopTask: true, scaleServiceToZero: true },
    });
  });

  it.each<[string, string[], Omit<PolicyFileIssue, 'column'>]>([
    [
      'an unknown key (typo) in a rule, at the key',
      ['  - name: owner', '    resources: [ecs:service]', '    requierd: [owner]'],
      { line: 5, path: 'tagPolicies.0', message: 'Unrecognized key: "requierd"' },
    ],
    [
      'a rule that selects no resource type',
      ['  - name: owner', '    resources: []'],
      { line: 4, path: 'tagPolicies.0.resources', message: 'Too small: expected array to have >=1 items' },
    ],
    [
      'an unknown resource type',
      ['  - name: owner', '    resources: [ecs:container-instance]'],
      {
        line: 4,
        path: 'tagPolicies.0.resources.0',
        message: expect.stringContaining('ecs:capacity-provider'),
      },
    ],
    [
      'a rule name that cannot be written in the mark',
      ['  - name: "owner required"', '    resources: [ecs:service]'],
      { line: 3, path: 'tagPolicies.0.name', message: expect.stringContaining('1 to 64 letters') },
    ],
    [
      'a required key with the aws: prefix',
      ['  - name: owner', '    resources: [ecs:service]', '    required: [owner, "AWS:owner"]'],
      {
        line: 5,
        path: 'tagPolicies.0.required.1',
        message: 'key "AWS:owner" starts with aws:, which AWS reserves',
      },
    ],
    [
      'a required key longer than 128 characters',
      ['  - name: owner', '    resources: [ecs:service]', `    required: [${'k'.repeat(129)}]`],
      {
        line: 5,
        path: 'tagPolicies.0.required.0',
        message: expect.stringContaining('has 129 characters; a tag key has 1 to 128'),
      },
    ],
    [
      'a key with characters AWS refuses',
      ['  - name: owner', '    resources: [ecs:service]', '    required: ["owner;team"]'],
      {
        line: 5,
        path: 'tagPolicies.0.required.0',
        message:
          'key "owner;team" has characters AWS refuses: only letters, digits, spaces and _ . : / = + - @',
      },
    ],
    [
      "autopilot's own mark as a key",
      ['  - name: owner', '    resources: [ecs:service]', '    defaults: { "autopilot:violation": x }'],
      {
        line: 5,
        path: 'tagPolicies.0.defaults.autopilot:violation',
        message: expect.stringContaining("autopilot's own mark"),
      },
    ],
    [
      'a default value longer than 256 characters',
      ['  - name: owner', '    resources: [ecs:service]', `    defaults: { owner: ${'v'.repeat(257)} }`],
      {
        line: 5,
        path: 'tagPolicies.0.defaults.owner',
        message: expect.stringContaining('has 257 characters; a tag value has at most 256'),
      },
    ],
    [
      'an allowed value with characters AWS refuses',
      ['  - name: env', '    resources: [ecs:service]', '    allowed: { env: { values: ["prod!"] } }'],
      {
        line: 5,
        path: 'tagPolicies.0.allowed.env.values.0',
        message: expect.stringContaining('characters AWS refuses'),
      },
    ],
    [
      'a default that is not among its allowed values',
      [
        '  - name: env',
        '    resources: [ecs:service]',
        '    allowed: { env: { values: [prod, staging] } }',
        '    defaults: { env: dev }',
      ],
      {
        line: 6,
        path: 'tagPolicies.0.defaults.env',
        message: 'default "dev" is not among the values allowed for env',
      },
    ],
    [
      'a default that its allowed regex does not match',
      [
        '  - name: cost',
        '    resources: [ecr:repository]',
        '    allowed: { cost-centre: { regex: "cc-[0-9]{4}" } }',
        '    defaults: { cost-centre: cc-12 }',
      ],
      {
        line: 6,
        path: 'tagPolicies.0.defaults.cost-centre',
        message: expect.stringContaining('not among the values allowed'),
      },
    ],
    [
      'a regex RE2 refuses (lookahead)',
      ['  - name: env', '    resources: [ecs:service]', '    allowed: { env: { regex: "(?=prod)prod" } }'],
      {
        line: 5,
        path: 'tagPolicies.0.allowed.env.regex',
        message: expect.stringContaining('invalid regular expression: error parsing regexp'),
      },
    ],
    [
      'a regex longer than 256 characters',
      [
        '  - name: env',
        '    resources: [ecs:service]',
        `    allowed: { env: { regex: "${'a'.repeat(257)}" } }`,
      ],
      {
        line: 5,
        path: 'tagPolicies.0.allowed.env.regex',
        message: 'invalid regular expression: at most 256 characters',
      },
    ],
    [
      'allowed values given both as a list and a regex',
      [
        '  - name: env',
        '    resources: [ecs:service]',
        '    allowed: { env: { values: [prod], regex: "prod" } }',
      ],
      { line: 5, path: 'tagPolicies.0.allowed.env', message: 'give either values or regex' },
    ],
    [
      'a name glob it cannot match',
      ['  - name: env', '    resources: [ecs:service]', '    names: ["!(api)"]'],
      { line: 5, path: 'tagPolicies.0.names.0', message: expect.stringContaining('invalid glob: extglob') },
    ],
    [
      'clusters on a type that is in no cluster',
      ['  - name: env', '    resources: [ecs:service, ecr:repository]', '    clusters: ["prod-*"]'],
      {
        line: 5,
        path: 'tagPolicies.0.clusters',
        message:
          'clusters selects only ecs:cluster, ecs:service, ecs:task; the rule also names ecr:repository',
      },
    ],
    [
      'inheritance a type cannot have',
      [
        '  - name: owner',
        '    resources: [ecs:service]',
        '    inherit:',
        '      from: { ecs:service: [family] }',
      ],
      {
        line: 6,
        path: 'tagPolicies.0.inherit.from.ecs:service.0',
        message: 'ecs:service cannot inherit from family; it can from cluster',
      },
    ],
    [
      'inheritance for a type the rule does not select',
      [
        '  - name: owner',
        '    resources: [ecs:service]',
        '    inherit:',
        '      from: { ecs:task: [cluster] }',
      ],
      { line: 6, path: 'tagPolicies.0.inherit.from.ecs:task', message: 'the rule does not select ecs:task' },
    ],
    [
      'a grace longer than 90 days',
      ['  - name: owner', '    resources: [ecs:service]', '    grace: 91d'],
      { line: 5, path: 'tagPolicies.0.grace', message: 'expected a duration like 12h or 7d, at most 90d' },
    ],
    [
      'an action that is not opt-in-able',
      [
        '  - name: owner',
        '    resources: [ecs:service]',
        '    mode: enforce',
        '    actions: { deleteService: true }',
      ],
      { line: 6, path: 'tagPolicies.0.actions', message: 'Unrecognized key: "deleteService"' },
    ],
    [
      'an unknown mode',
      ['  - name: owner', '    resources: [ecs:service]', '    mode: fix'],
      {
        line: 5,
        path: 'tagPolicies.0.mode',
        message: expect.stringContaining('"audit"|"remediate"|"enforce"'),
      },
    ],
    [
      'more than 50 required keys',
      [
        '  - name: owner',
        '    resources: [ecs:service]',
        `    required: [${Array.from({ length: 51 }, (_, i) => `k${i}`).join(', ')}]`,
      ],
      { line: 5, path: 'tagPolicies.0.required', message: 'Too big: expected array to have <=50 items' },
    ],
    [
      'more than 50 defaults',
      [
        '  - name: owner',
        '    resources: [ecs:service]',
        `    defaults: { ${Array.from({ length: 51 }, (_, i) => `k${i}: v`).join(', ')} }`,
      ],
      { line: 5, path: 'tagPolicies.0.defaults', message: 'at most 50 keys' },
    ],
    [
      'two rules of one name',
      ['  - name: owner', '    resources: [ecs:service]', '  - name: owner', '    resources: [ecs:task]'],
      { line: 5, path: 'tagPolicies.1.name', message: 'rule name "owner" is used twice' },
    ],
  ])('refuses %s, with its line and field', (_name, lines, expected) => {
    // Prepare
    const text = rules(...lines);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map(({ line, path, message }) => ({ line, path, message }))).toEqual([expected]);
  });

  it.each([
    ['a run cap of 0', 'tagPolicySettings: { maxChangesPerRun: 0 }', 'tagPolicySettings.maxChangesPerRun'],
    [
      'a run cap of 1001',
      'tagPolicySettings: { maxChangesPerRun: 1001 }',
      'tagPolicySettings.maxChangesPerRun',
    ],
    ['an unknown setting', 'tagPolicySettings: { maxChanges: 10 }', 'tagPolicySettings'],
  ])('refuses tag policy settings with %s, at its line', (_name, line, path) => {
    // Prepare
    const text = yaml('version: 1', line);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([expect.objectContaining({ line: 2, path })]);
  });

  it('refuses more than 100 rules', () => {
    // Prepare
    const many = Array.from({ length: 101 }, (_, i) => `{ name: r${i}, resources: [ecs:task] }`);
    const text = yaml('version: 1', `tagPolicies: [${many.join(', ')}]`);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map(({ line, path, message }) => ({ line, path, message }))).toEqual([
      { line: 2, path: 'tagPolicies', message: 'Too big: expected array to have <=100 items' },
    ]);
  });
});

describe('the tag policies example of the README', () => {
  it('is a valid tag policies section, and its refusal is the one the README shows', () => {
    // Prepare
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const section = /## Tag policies[\s\S]*?(?=\n## )/.exec(readme)?.[0] ?? '';
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    const shown = /```text\n\$ npx autopilot validate-config\n(.*)\n```/.exec(section)?.[1];
    const text = `version: 1\n${example}`;

    // Act
    const file = parsePolicyFile(text, 'autopilot.yml');
    const refused = () => parsePolicyFile(text.replace('defaults: { env: prod }', 'defaults: { env: dev }'));

    // Assess
    expect(file.tagPolicies.map((rule) => rule.mode)).toEqual(['enforce']);
    expect(file.tagPolicySettings).toEqual({ maxChangesPerRun: 50 });
    expect(shown).toBeDefined();
    expect(refused).toThrow(shown);
  });
});

describe('parsePolicyFile', () => {
  it('parses a valid file', () => {
    // Prepare
    const text = VALID;

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file).toEqual<PolicyFile>({
      version: 1,
      maxServicesPerPush: 10,
      defaults: { allowPrerelease: false },
      policies: {
        careful: {
          description: 'production',
          tags: { semver: '>=1.0.0' },
          minImageAge: '1h',
          windows: [
            { days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' },
          ],
        },
        releases: { deploy: 'match', tags: { glob: 'release-*', regex: 'release-\\d{4}\\.\\d{2}' } },
      },
      clusters: { 'prod-*': { policy: 'careful' } },
      notifications: NO_NOTIFICATIONS,
      restart: [],
      tagPolicies: [],
      tagPolicySettings: { maxChangesPerRun: 50 },
    });
  });

  it('fills in the defaults of a minimal file', () => {
    // Prepare
    const text = yaml('version: 1');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file).toEqual({
      version: 1,
      maxServicesPerPush: 25,
      defaults: {},
      policies: {},
      clusters: {},
      notifications: NO_NOTIFICATIONS,
      restart: [],
      tagPolicies: [],
      tagPolicySettings: { maxChangesPerRun: 50 },
    });
    expect(file).toEqual(EMPTY_POLICY_FILE);
  });

  it('accepts a list of globs and every deploy mode', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'policies:',
      '  a: { deploy: "tag:main", tags: { glob: [release-*, hotfix-*] } }',
      '  b: { deploy: "semver:major" }',
      '  c: { deploy: "semver:minor" }',
      '  d: { deploy: "semver:patch" }',
      '  e: { deploy: match }',
      '  f: { deploy: "off" }',
      '  g: { deploy: "numeric:main-", tags: { regex: "main-\\\\d{4,}" } }',
      '  h: { deploy: numeric }',
      '  i: { deploy: "alphabetic:release-" }',
      '  j: { deploy: alphabetic }',
    );

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(Object.values(file.policies).map((p) => p.deploy)).toEqual([
      'tag:main',
      'semver:major',
      'semver:minor',
      'semver:patch',
      'match',
      'off',
      'numeric:main-',
      'numeric',
      'alphabetic:release-',
      'alphabetic',
    ]);
    expect(file.policies.g?.tags?.regex).toBe('main-\\d{4,}');
    expect(file.policies.a?.tags?.glob).toEqual(['release-*', 'hotfix-*']);
  });

  it.each<[string, string, PolicyFileIssue]>([
    [
      'unknown key (typo) in a policy, at the key',
      yaml('version: 1', 'policies:', '  careful:', '    minImageAge: 1h', '    minImageAg: 2h'),
      { line: 5, column: 5, path: 'policies.careful', message: 'Unrecognized key: "minImageAg"' },
    ],
    [
      'unknown top-level key',
      yaml('version: 1', 'maxServicePerPush: 3'),
      { line: 2, column: 1, path: '(root)', message: 'Unrecognized key: "maxServicePerPush"' },
    ],
    [
      'bad duration',
      yaml('version: 1', 'defaults:', '  minImageAge: 1 hour'),
      {
        line: 3,
        column: 16,
        path: 'defaults.minImageAge',
        message: 'expected a duration like 30s, 15m, 2h or 7d, at most 365d',
      },
    ],
    [
      'bad time zone',
      yaml(
        'version: 1',
        'policies:',
        '  office:',
        '    windows:',
        '      - days: [mon]',
        '        start: "09:00"',
        '        end: "16:00"',
        '        timezone: Europe/Berlinn',
      ),
      {
        line: 8,
        column: 19,
        path: 'policies.office.windows.0.timezone',
        message: 'expected an IANA time zone such as Europe/Berlin or UTC',
      },
    ],
    [
      'bad clock time',
      yaml(
        'version: 1',
        'policies:',
        '  office:',
        '    windows:',
        '      - days: [mon]',
        '        start: "09:00"',
        '        end: "24:00"',
        '        timezone: UTC',
      ),
      { line: 7, column: 14, path: 'policies.office.windows.0.end', message: 'expected a 24h time HH:MM' },
    ],
    [
      'clock time without two-digit hour, in the second window',
      yaml(
        'version: 1',
        'defaults:',
        '  windows:',
        '    - { days: [mon], start: "09:00", end: "16:00", timezone: UTC }',
        '    - { days: [tue], start: "9:00", end: "16:00", timezone: UTC }',
      ),
      { line: 5, column: 29, path: 'defaults.windows.1.start', message: 'expected a 24h time HH:MM' },
    ],
    [
      'unknown day',
      yaml(
        'version: 1',
        'defaults:',
        '  windows:',
        '    - { days: [monday], start: "09:00", end: "16:00", timezone: UTC }',
      ),
      {
        line: 4,
        column: 16,
        path: 'defaults.windows.0.days.0',
        message: 'Invalid option: expected one of "mon"|"tue"|"wed"|"thu"|"fri"|"sat"|"sun"',
      },
    ],
    [
      'invalid regex',
      yaml('version: 1', 'policies:', '  releases:', '    tags:', '      regex: "release-("'),
      {
        line: 5,
        column: 14,
        path: 'policies.releases.tags.regex',
        message: 'invalid regular expression: error parsing regexp: missing closing ): `release-(`',
      },
    ],
    [
      'invalid semver range',
      yaml('version: 1', 'policies:', '  releases:', '    tags:', '      semver: "not a range"'),
      { line: 5, column: 15, path: 'policies.releases.tags.semver', message: 'not a valid semver range' },
    ],
    [
      'invalid deploy mode',
      yaml('version: 1', 'defaults:', '  deploy: "tag:"'),
      {
        line: 3,
        column: 11,
        path: 'defaults.deploy',
        message:
          'expected tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
      },
    ],
    [
      "an ordered mode under Flux's name, in a named policy",
      yaml('version: 1', 'policies:', '  builds:', '    deploy: "numerical:main-"'),
      {
        line: 4,
        column: 13,
        path: 'policies.builds.deploy',
        message:
          'expected tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
      },
    ],
    [
      'an ordered mode with an empty prefix',
      yaml('version: 1', 'defaults:', '  deploy: "numeric:"'),
      {
        line: 3,
        column: 11,
        path: 'defaults.deploy',
        message:
          'expected tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
      },
    ],
    [
      'an ordered mode whose prefix no ECR tag can start with',
      yaml('version: 1', 'defaults:', '  deploy: "alphabetic:.hidden"'),
      {
        line: 3,
        column: 11,
        path: 'defaults.deploy',
        message:
          'expected tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
      },
    ],
    [
      'cluster referencing an unknown policy',
      yaml(
        'version: 1',
        'policies:',
        '  careful:',
        '    minImageAge: 1h',
        'clusters:',
        '  prod:',
        '    policy: carefull',
      ),
      { line: 7, column: 13, path: 'clusters.prod.policy', message: 'unknown policy "carefull"' },
    ],
    [
      'cluster referencing a name inherited from Object.prototype',
      yaml('version: 1', 'clusters:', '  prod:', '    policy: constructor'),
      { line: 4, column: 13, path: 'clusters.prod.policy', message: 'unknown policy "constructor"' },
    ],
    [
      'invalid policy name, at the name',
      yaml('version: 1', 'policies:', '  "bad name":', '    minImageAge: 1h'),
      { line: 3, column: 3, path: 'policies.bad name', message: 'Invalid key in record' },
    ],
    [
      'wrong version',
      yaml('version: 2'),
      { line: 1, column: 10, path: 'version', message: 'Invalid input: expected 1' },
    ],
    [
      'missing version',
      yaml('maxServicesPerPush: 3'),
      { line: 1, column: 1, path: 'version', message: 'Invalid input: expected 1' },
    ],
    [
      'maxServicesPerPush not positive',
      yaml('version: 1', 'maxServicesPerPush: 0'),
      { line: 2, column: 21, path: 'maxServicesPerPush', message: 'Too small: expected number to be >0' },
    ],
    [
      'YAML syntax error',
      yaml('version: 1', 'defaults:', '  minImageAge: 1h: 2h'),
      { line: 3, column: 16, path: '(yaml)', message: 'Nested mappings are not allowed in compact mappings' },
    ],
    [
      'YAML tab indentation',
      yaml('version: 1', 'defaults:', '\tminImageAge: 1h'),
      { line: 3, column: 1, path: '(yaml)', message: 'Tabs are not allowed as indentation' },
    ],
    [
      'duplicate keys',
      yaml('version: 1', 'policies:', '  careful:', '    minImageAge: 1h', '    minImageAge: 2h'),
      {
        line: 5,
        column: 5,
        path: '(yaml)',
        message: 'Map keys must be unique: "minImageAge" is given twice',
      },
    ],
    [
      'duplicate policy names',
      yaml('version: 1', 'policies:', '  careful: {}', '  careful: {}'),
      { line: 4, column: 3, path: '(yaml)', message: 'Map keys must be unique: "careful" is given twice' },
    ],
  ])('locates %s', (_name, text, expected) => {
    // Prepare
    const input = text;

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toEqual([expected]);
  });

  it('reports every problem, each with file, line, column and path in the message', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'defaults:',
      '  minImageAge: soon',
      'policies:',
      '  a:',
      '    deplo: "off"',
    );

    // Act
    const run = () => parsePolicyFile(text, 'config/autopilot.yml');

    // Assess
    expect(run).toThrow(PolicyFileError);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      [
        'config/autopilot.yml:3:16 defaults.minImageAge: expected a duration like 30s, 15m, 2h or 7d, at most 365d',
        'config/autopilot.yml:6:5 policies.a: Unrecognized key: "deplo"',
      ].join('\n'),
    );
  });

  it('names the file in the error', () => {
    // Prepare
    const text = yaml('version: 2');

    // Act
    const run = () => parsePolicyFile(text, 'ops/prod.yml');

    // Assess
    expect(run).toThrow(expect.objectContaining({ file: 'ops/prod.yml' }));
  });
});

describe('loadPolicyFile', () => {
  it('is the empty policy file without a path', () => {
    // Prepare
    const path = undefined;

    // Act
    const file = loadPolicyFile(path);

    // Assess
    expect(file).toBe(EMPTY_POLICY_FILE);
  });

  it('reads and validates a file, naming it in errors', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
    const good = join(dir, 'good.yml');
    const bad = join(dir, 'bad.yml');
    writeFileSync(good, VALID);
    writeFileSync(bad, yaml('version: 1', 'defaults:', '  minImageAge: later'));

    try {
      // Act
      const file = loadPolicyFile(good);
      const run = () => loadPolicyFile(bad);

      // Assess
      expect(file.maxServicesPerPush).toBe(10);
      expect(run).toThrow(`${bad}:3:16 defaults.minImageAge`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a .json file as the validated file the build wrote, the same file as its YAML', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
    const json = join(dir, 'autopilot.json');
    writeFileSync(json, JSON.stringify(parsePolicyFile(VALID)));

    try {
      // Act
      const file = loadPolicyFile(json);

      // Assess
      expect(file).toEqual(parsePolicyFile(VALID));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates a .json file, naming the field of each problem, and refuses text that is no JSON', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
    const bad = join(dir, 'bad.json');
    const broken = join(dir, 'broken.json');
    writeFileSync(bad, JSON.stringify({ version: 1, defaults: { minImageAge: 'later' } }));
    writeFileSync(broken, 'version: 1');

    try {
      // Act
      const invalid = () => loadPolicyFile(bad);
      const notJson = () => loadPolicyFile(broken);

      // Assess
      expect(invalid).toThrow(PolicyFileError);
      expect(invalid).toThrow(`${bad}:1:1 defaults.minImageAge`);
      expect(notJson).toThrow(ConfigError);
      expect(notJson).toThrow(`policy file ${broken} is not valid JSON`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in a bundle, refuses a YAML file and says to read the JSON the build wrote', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
    const path = join(dir, 'autopilot.yml');
    writeFileSync(path, VALID);
    const before = process.env.AUTOPILOT_BUNDLE;
    process.env.AUTOPILOT_BUNDLE = 'true';

    try {
      // Act
      const run = () => loadPolicyFile(path);

      // Assess
      expect(run).toThrow(ConfigError);
      expect(run).toThrow('.build/autopilot.json');
    } finally {
      if (before === undefined) delete process.env.AUTOPILOT_BUNDLE;
      else process.env.AUTOPILOT_BUNDLE = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws a ConfigError for a file that cannot be read', () => {
    // Prepare
    const path = join(tmpdir(), 'does-not-exist', 'autopilot.yml');

    // Act
    const run = () => loadPolicyFile(path);

    // Assess
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`cannot read policy file ${path}`);
  });
});

describe('the sealed policy file the build writes', () => {
  let dir: string;
  let bundleBefore: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealed-policy-'));
    bundleBefore = process.env.AUTOPILOT_BUNDLE;
  });

  afterEach(() => {
    if (bundleBefore === undefined) delete process.env.AUTOPILOT_BUNDLE;
    else process.env.AUTOPILOT_BUNDLE = bundleBefore;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `text` to a file of `dir` and gives its path. */
  function fileOf(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('is read as it was validated, in a bundle too', () => {
    // Prepare
    const path = fileOf('autopilot.json', sealPolicyFile(parsePolicyFile(VALID)));
    process.env.AUTOPILOT_BUNDLE = 'true';

    // Act
    const file = loadPolicyFile(path);

    // Assess
    expect(file).toEqual(parsePolicyFile(VALID));
  });

  it('is refused once its content changed after sealing, even to a valid policy', () => {
    // Prepare
    const sealed = JSON.parse(sealPolicyFile(parsePolicyFile(VALID)));
    sealed.policyFile.maxServicesPerPush = 500;
    const path = fileOf('autopilot.json', JSON.stringify(sealed));
    process.env.AUTOPILOT_BUNDLE = 'true';

    // Act
    const run = () => loadPolicyFile(path);

    // Assess
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`policy file ${path} changed after the build validated and sealed it`);
  });

  it('is refused when sealed in another format, or when its seal or content is missing', () => {
    // Prepare
    const sealed = JSON.parse(sealPolicyFile(EMPTY_POLICY_FILE));
    const otherFormat = fileOf(
      'other.json',
      JSON.stringify({ ...sealed, sealed: { ...sealed.sealed, format: 2 } }),
    );
    const noSeal = fileOf('no-seal.json', JSON.stringify({ sealed: null, policyFile: sealed.policyFile }));
    const noContent = fileOf('no-content.json', JSON.stringify({ sealed: sealed.sealed }));

    // Act
    const runs = [otherFormat, noSeal, noContent].map((path) => () => loadPolicyFile(path));

    // Assess
    expect(runs[0]).toThrow('is sealed in a format this version does not read (format 2, expected 1)');
    expect(runs[1]).toThrow('is sealed in a format this version does not read');
    expect(runs[2]).toThrow('changed after the build validated and sealed it');
  });

  it('is the only file a bundle reads: an unsealed JSON file or no file at all is refused', () => {
    // Prepare
    const path = fileOf('autopilot.json', JSON.stringify(parsePolicyFile(VALID)));
    process.env.AUTOPILOT_BUNDLE = 'true';

    // Act
    const unsealed = () => loadPolicyFile(path);
    const none = () => loadPolicyFile(undefined);

    // Assess
    expect(unsealed).toThrow(ConfigError);
    expect(unsealed).toThrow(`policy file ${path} is not the file the build validated and sealed`);
    expect(none).toThrow(ConfigError);
    expect(none).toThrow('(AUTOPILOT_CONFIG is not set)');
  });
});

describe('hostile and broken policy files: a PolicyFileError with line and field, never anything else', () => {
  it('refuses an alias bomb at its first alias, instead of a stack trace', () => {
    // Prepare: each level nine aliases of the one before, 9^5 strings in all.
    const text = yaml(
      'version: 1',
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    );

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      {
        line: 3,
        column: 8,
        path: '(yaml)',
        message: expect.stringContaining('aliases expand to too much (more than 100 aliases resolved)'),
      },
    ]);
  });

  it('reads a few aliases as YAML means them', () => {
    // Prepare
    const text = yaml('version: 1', 'policies:', '  a: &careful { minImageAge: 1h }', '  b: *careful');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.policies.b).toEqual({ minImageAge: '1h' });
  });

  it('checks 20,000 keys in one pass (yaml`s own check took 8 s) and refuses more policies than the bound', () => {
    // Prepare
    const names = Array.from({ length: 20_000 }, (_, i) => `  p${i}: {}`);
    const text = yaml('version: 1', 'policies:', ...names);
    const duplicated = yaml('version: 1', 'policies:', ...names, '  p19999: {}');

    // Act
    const issues = [issuesOf(text), issuesOf(duplicated)];

    // Assess
    expect(issues).toEqual([
      [{ line: 3, column: 3, path: 'policies', message: 'at most 500 entries, got 20000' }],
      [
        {
          line: 20_003,
          column: 3,
          path: '(yaml)',
          message: 'Map keys must be unique: "p19999" is given twice',
        },
      ],
    ]);
  });

  it('refuses a file larger than 256 KiB before parsing it (200,000 keys timed out)', () => {
    // Prepare
    const text = `version: 1\npolicies:\n${Array.from({ length: 200_000 }, (_, i) => `  p${i}: {}`).join('\n')}\n`;

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      {
        line: 1,
        column: 1,
        path: '(file)',
        message: expect.stringMatching(/^the file has \d+ bytes; a policy file has at most 262144$/),
      },
    ]);
  });

  it.each([
    [
      'minImageAge: 100000000d',
      'defaults.minImageAge',
      'expected a duration like 30s, 15m, 2h or 7d, at most 365d',
    ],
    ['minImageAge: 366d', 'defaults.minImageAge', 'at most 365d'],
    ['rollback: { cooldown: 9999999999999999999999s }', 'defaults.rollback.cooldown', 'at most 365d'],
    [
      'rollback: { crashLoop: { tasks: 1000000, window: 1m } }',
      'defaults.rollback.crashLoop.tasks',
      'Too big',
    ],
    [
      'tags: { regex: "(?=main)main" }',
      'defaults.tags.regex',
      'invalid regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ],
    ['tags: { regex: "(a)\\\\1" }', 'defaults.tags.regex', 'invalid escape sequence'],
    [
      `tags: { regex: "${'a'.repeat(257)}" }`,
      'defaults.tags.regex',
      'invalid regular expression: at most 256 characters',
    ],
    [
      `tags: { glob: "${'a'.repeat(257)}" }`,
      'defaults.tags.glob',
      'invalid glob: a glob is at most 256 characters',
    ],
    ['tags: { glob: "!(main)" }', 'defaults.tags.glob', 'invalid glob: extglob "!(" is not supported'],
    [`tags: { glob: [${Array(51).fill('a').join(', ')}] }`, 'defaults.tags.glob', 'at most 50 globs, got 51'],
    [
      `windows: [{ days: [mon], start: "09:00", end: "10:00", timezone: "${'A'.repeat(65)}" }]`,
      'defaults.windows.0.timezone',
      'expected an IANA time zone such as Europe/Berlin or UTC (at most 64 characters)',
    ],
  ])('refuses %s with its field', (line, path, message) => {
    // Prepare
    const text = yaml('version: 1', 'defaults:', `  ${line}`);

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({
        line: 3,
        path: expect.stringContaining(path),
        message: expect.stringContaining(message),
      }),
    ]);
  });

  it('accepts a nested-quantifier regex: RE2 matches it in linear time, so it cannot backtrack', () => {
    // Prepare
    const text = yaml('version: 1', 'defaults:', '  tags: { regex: "([a-z0-9]+-?)+" }');

    // Act
    const file = parsePolicyFile(text);

    // Assess
    expect(file.defaults.tags?.regex).toBe('([a-z0-9]+-?)+');
  });

  it('refuses a cluster glob it cannot match, at the cluster', () => {
    // Prepare
    const text = yaml('version: 1', 'policies: { p: {} }', 'clusters:', '  "prod-{eu,us":', '    policy: p');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([
      { line: 5, column: 5, path: 'clusters.prod-{eu,us', message: 'invalid glob: "{" is not closed by "}"' },
    ]);
  });

  const sns = (i: number) =>
    `ch${i}: { type: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:autopilot-${i}" }`;
  it.each([
    [
      'clusters',
      yaml(
        'version: 1',
        'policies: { p: {} }',
        `clusters: { ${Array.from({ length: 501 }, (_, i) => `c${i}: { policy: p }`).join(', ')} }`,
      ),
      { line: 3, path: 'clusters', message: 'at most 500 entries, got 501' },
    ],
    [
      'channels',
      yaml(
        'version: 1',
        'notifications:',
        `  channels: { ${Array.from({ length: 101 }, (_, i) => sns(i)).join(', ')} }`,
      ),
      { line: 3, path: 'notifications.channels', message: 'at most 100 channels, got 101' },
    ],
    [
      'routes',
      yaml(
        'version: 1',
        'notifications:',
        `  channels: { ${sns(0)} }`,
        `  routes: [${Array(201).fill('{ channels: [ch0] }').join(', ')}]`,
      ),
      { line: 4, path: 'notifications.routes', message: 'Too big: expected array to have <=200 items' },
    ],
    [
      'channels of a route',
      yaml(
        'version: 1',
        'notifications:',
        `  channels: { ${sns(0)} }`,
        `  routes: [{ channels: [${Array(51).fill('ch0').join(', ')}] }]`,
      ),
      {
        line: 4,
        path: 'notifications.routes.0.channels',
        message: 'Too big: expected array to have <=50 items',
      },
    ],
  ])('refuses more %s than the bound, naming the field', (_name, text, expected) => {
    // Prepare
    const input = text;

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues.map(({ line, path, message }) => ({ line, path, message }))).toEqual([expected]);
  });

  it.each([
    [
      'YAML nested 5,000 deep',
      yaml('version: 1', `description: ${'['.repeat(5000)}${']'.repeat(5000)}`),
      'the YAML is nested too deeply',
    ],
    [
      'a key that is a list',
      yaml('version: 1', '? [a, b]', ': 1'),
      'a key must be a plain value, not a list, map or alias',
    ],
    [
      'an aggregation window of 0s',
      yaml('version: 1', 'notifications: { aggregate: { window: 0s } }'),
      'expected a window from 1s to 24h',
    ],
    [
      'an aggregation window of 999999h',
      yaml('version: 1', 'notifications: { aggregate: { window: 999999h } }'),
      'expected a window from 1s to 24h',
    ],
  ])('refuses %s', (_name, text, message) => {
    // Prepare
    const input = text;

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues.map((i) => i.message)).toContainEqual(message);
  });

  it('lists 50 problems and counts the rest', () => {
    // Prepare
    const text = yaml(
      'version: 1',
      'policies:',
      ...Array.from({ length: 80 }, (_, i) => `  p${i}: { minImageAge: soon }`),
    );

    // Act
    const run = () => parsePolicyFile(text);

    // Assess
    expect(run).toThrow('autopilot.yml: and 30 more problems');
    expect(issuesOf(text)).toHaveLength(50);
  });

  it('refuses a file larger than 256 KiB without reading it', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
    const path = join(dir, 'huge.yml');
    writeFileSync(path, `version: 1\n#${'x'.repeat(300_000)}\n`);

    try {
      // Act
      const run = () => loadPolicyFile(path);

      // Assess
      expect(run).toThrow(PolicyFileError);
      expect(run).toThrow(`${path}:1:1 (file): the file has 300013 bytes; a policy file has at most 262144`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
