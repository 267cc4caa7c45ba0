/**
 * Property-based fuzzing of the policy file: arbitrary text, YAML made of hostile pieces (aliases,
 * anchors that refer to themselves, tags, merge keys, deep nesting, duplicate keys), and files of the
 * right shape with hostile values. parsePolicyFile only ever returns a file or throws a
 * PolicyFileError with a line and a field; a file it returns is one the domain can use: every
 * duration is read, every glob and regex matches (in linear time), routing and policy resolution
 * answer without throwing, and tag policy rules evaluate and plan any resource, writing only tags
 * AWS accepts, never over a value that is there.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { type PolicyFile, PolicyFileError } from '../../shared/config/policy-file';
import { parsePolicyFile } from '../../shared/config/policy-yaml';
import { routeMessage } from '../../shared/domain/notify/route';
import { parseDuration } from '../../shared/domain/policy/duration';
import { clusterPolicyName } from '../../shared/domain/policy/effective-policy';
import { rejectedByFilters } from '../../shared/domain/policy/tag-filter';
import { evaluateResource } from '../../shared/domain/tags/evaluate';
import { planTags } from '../../shared/domain/tags/tag-plan';
import { tagKeyProblem, tagValueProblem } from '../../shared/domain/tags/tag-rules';
import { fuzzRun } from './arbitraries';

/** Parses, and keeps the file or the error; anything but a PolicyFileError fails the property. */
function parse(text: string): PolicyFile | PolicyFileError {
  try {
    return parsePolicyFile(text, 'fuzz.yml');
  } catch (error) {
    if (error instanceof PolicyFileError) return error;
    throw error;
  }
}

/** What a rejection must say: a line and a field for each problem. */
function located(error: PolicyFileError): void {
  expect(error.issues.length).toBeGreaterThan(0);
  for (const issue of error.issues) {
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.path.length).toBeGreaterThan(0);
    expect(issue.message.length).toBeGreaterThan(0);
  }
}

/** What the domain does with a file it is given, for names people and pushes choose. */
function usable(file: PolicyFile, name: string): void {
  const policies = [file.defaults, ...Object.values(file.policies)];
  for (const policy of policies) {
    for (const duration of [
      policy.minImageAge,
      policy.rollback?.bakeTime,
      policy.rollback?.cooldown,
      policy.rollback?.crashLoop?.window,
    ]) {
      if (duration !== undefined) expect(parseDuration(duration)).toBeDefined();
    }
    rejectedByFilters(policy, name);
  }
  clusterPolicyName(file, name);
  routeMessage(
    {
      eventType: 'Deployment Started',
      id: 'x',
      severity: 'info',
      title: name,
      text: name,
      facts: [],
      links: [],
      cluster: name,
      service: name,
      at: '2026-11-23T10:00:00Z',
      dryRun: false,
    },
    file.notifications,
    { team: name },
  );
}

const PIECES = [
  'version: 1',
  'version: 2',
  'policies:',
  'clusters:',
  'defaults:',
  'notifications:',
  '  channels:',
  '  routes:',
  '  p: {}',
  '  p: { minImageAge: 1h }',
  '  "prod-*": { policy: p }',
  '  minImageAge: 100000000d',
  '  minImageAge: 99999999999999999999999999s',
  '  tags: { regex: "([a-z0-9]+-?)+" }',
  '  tags: { regex: "(?=x)" }',
  '  tags: { glob: "*a*a*a*a*a*a*a*a*a*a*b" }',
  '  tags: { glob: "!(main)" }',
  '  tags: { glob: [a, "{b,c", "[z-a]"] }',
  '  windows: [{ days: [mon], start: "09:00", end: "10:00", timezone: "Mars/Olympus" }]',
  '  ops: { type: slack, webhook: { ssm: /autopilot/x } }',
  '  - { channels: [ops], services: ["**/*"] }',
  '  aggregate: { window: 0s }',
  'a: &a [x, x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'self: &s [*s]',
  'loop: &l { k: *l }',
  '<<: *a',
  'x: *undefined',
  'y: !!binary aGVsbG8=',
  'z: !custom thing',
  '? [a, b]',
  ': 1',
  '  p: {}',
  '\tp: tab',
  '"unterminated',
  '{',
  '[',
  '---',
  '...',
  '%YAML 1.1',
  '\uFEFFversion: 1',
  `deep: ${'['.repeat(200)}${']'.repeat(200)}`,
  `long: ${'x'.repeat(3000)}`,
];

describe('parsePolicyFile, fuzzed', () => {
  it('reads arbitrary text as a file or a located PolicyFileError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        // Act
        const result = parse(text);

        // Assess
        if (result instanceof PolicyFileError) located(result);
      }),
      fuzzRun(1500),
    );
  });

  // YAML nested thousands deep is one case of its own (test/unit/config/policy-file.test.ts): each
  // such file costs milliseconds of stack unwinding, too many for a thousand runs.
  it('reads YAML made of hostile pieces as a file or a located PolicyFileError, nothing else', () => {
    const text = fc
      .array(fc.tuple(fc.constantFrom(...PIECES), fc.constantFrom('', '  ', '    ')), {
        minLength: 1,
        maxLength: 14,
      })
      .map((lines) => lines.map(([line, indent]) => `${indent}${line}`).join('\n'));
    fc.assert(
      fc.property(text, fc.string({ maxLength: 40 }), (yaml, name) => {
        // Act
        const result = parse(yaml);

        // Assess
        if (result instanceof PolicyFileError) located(result);
        else usable(result, name);
      }),
      fuzzRun(600),
    );
  });

  it('reads files of the right shape with hostile values, and what it accepts the domain can use', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom(
        '1h',
        '365d',
        '366d',
        '0s',
        'main',
        'release-*',
        '([a-z]+)+',
        '**',
        '{a,b}',
        '[!a]',
        '\\',
      ),
      fc.integer({ min: -5, max: 2_000_000 }),
      fc.constant('x'.repeat(300)),
    );
    const policy = fc.record(
      {
        deploy: fc.oneof(fc.constantFrom('tag:main', 'semver:minor', 'match', 'off'), hostile),
        minImageAge: hostile,
        tags: fc.record(
          { glob: fc.oneof(hostile, fc.array(hostile, { maxLength: 60 })), regex: hostile },
          { requiredKeys: [] },
        ),
        rollback: fc.record(
          { bakeTime: hostile, cooldown: hostile, crashLoop: fc.record({ tasks: hostile, window: hostile }) },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    const file = fc.record(
      {
        version: fc.constantFrom(1, 1, 1, 2, '1'),
        maxServicesPerPush: hostile,
        defaults: policy,
        policies: fc.dictionary(fc.string({ maxLength: 10 }), policy, { maxKeys: 5 }),
        clusters: fc.dictionary(hostile.map(String), fc.record({ policy: fc.string({ maxLength: 10 }) }), {
          maxKeys: 5,
        }),
        notifications: fc.record(
          {
            channels: fc.dictionary(
              fc.string({ minLength: 1, maxLength: 10 }),
              fc.constant({ type: 'slack', webhook: { ssm: '/autopilot/x' } }),
              { maxKeys: 3 },
            ),
            routes: fc.array(
              fc.record(
                {
                  events: fc.array(hostile.map(String), { maxLength: 3 }),
                  clusters: fc.array(hostile.map(String), { maxLength: 3 }),
                  channels: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
                },
                { requiredKeys: ['channels'] },
              ),
              { maxLength: 4 },
            ),
            aggregate: fc.record({ window: hostile, after: hostile }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['version'] },
    );
    fc.assert(
      fc.property(file, fc.string({ maxLength: 128 }), (content, name) => {
        // Act
        const result = parse(stringify(content));

        // Assess
        if (result instanceof PolicyFileError) located(result);
        else usable(result, name);
      }),
      fuzzRun(400),
    );
  });
  it('reads tag policy rules with hostile values, and what it accepts evaluates and plans any resource', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom(
        '',
        ' ',
        'aws:owner',
        'AWS:x',
        'autopilot:violation',
        '(?=x)',
        '([a-z]+-?)+',
        '*a*a*a*b',
      ),
      fc.constantFrom(
        'ecs:service',
        'ecs:task',
        'ecr:repository',
        'cluster',
        'family',
        'enforce',
        '91d',
        '7d',
      ),
      fc.integer({ min: -5, max: 2_000 }),
      fc.constant('x'.repeat(300)),
    );
    // Mostly values a rule may hold, so that many files are accepted and then evaluated.
    const mostly = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: hostile, weight: 1 });
    const key = fc.oneof(
      { arbitrary: fc.constantFrom('owner', 'env', 'team'), weight: 20 },
      { arbitrary: fc.constantFrom('aws:owner', 'a;b', '', 'autopilot:violation'), weight: 1 },
      { arbitrary: fc.string({ maxLength: 10 }), weight: 1 },
    );
    const glob = fc.constantFrom('*', 'prod-*', '**', '{a,b}*', '[a-z]*');
    const rule = fc.record(
      {
        name: mostly(fc.constantFrom('owner', 'env', 'cost', 'team')),
        resources: mostly(
          fc.subarray(['ecs:task', 'ecr:repository']).map((more) => ['ecs:service', ...more]),
        ),
        names: mostly(fc.array(glob, { minLength: 1, maxLength: 2 })),
        tags: fc.dictionary(key, mostly(glob), { maxKeys: 2 }),
        required: fc.array(key, { maxLength: 3 }),
        allowed: fc.dictionary(
          key,
          fc.oneof(
            fc.record(
              {
                values: fc.array(mostly(fc.constantFrom('prod', 'x', 'Team A')), {
                  minLength: 1,
                  maxLength: 3,
                }),
                caseInsensitive: fc.boolean(),
              },
              { requiredKeys: ['values'] },
            ),
            fc.record(
              {
                regex: mostly(fc.constantFrom('[a-z]+', '([a-z0-9]+-?)+', 'x|y')),
                caseInsensitive: fc.boolean(),
              },
              { requiredKeys: ['regex'] },
            ),
          ),
          { maxKeys: 2 },
        ),
        defaults: fc.dictionary(key, mostly(fc.constantFrom('prod', 'x', 'team-a')), { maxKeys: 2 }),
        inherit: fc.record(
          {
            keys: fc.array(key, { minLength: 1, maxLength: 2 }),
            from: mostly(fc.constant({ 'ecs:service': ['cluster'] })),
          },
          { requiredKeys: ['from'] },
        ),
        exempt: fc.record(
          {
            tags: fc.dictionary(key, mostly(glob), { maxKeys: 2 }),
            arns: fc.array(mostly(glob), { minLength: 1, maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        mode: mostly(fc.constantFrom('audit', 'remediate', 'enforce')),
        grace: mostly(fc.constantFrom('0s', '1h', '7d', '90d')),
        actions: fc.record(
          { stopTask: fc.boolean(), scaleServiceToZero: fc.boolean() },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['name', 'resources'] },
    );
    const file = fc.record({
      version: fc.constant(1),
      tagPolicies: fc.array(rule, { maxLength: 2 }),
      tagPolicySettings: fc.record(
        { maxChangesPerRun: mostly(fc.integer({ min: 1, max: 5 })) },
        { requiredKeys: [] },
      ),
    });
    const tags = fc.dictionary(key, fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 4 });
    fc.assert(
      fc.property(file, tags, fc.string({ maxLength: 40 }), (content, resourceTags, name) => {
        // Act
        const result = parse(stringify(content));

        // Assess
        if (result instanceof PolicyFileError) return located(result);
        const now = new Date('2026-12-04T00:00:00Z');
        for (const type of ['ecs:service', 'ecs:task', 'ecr:repository'] as const) {
          const resource = {
            type,
            arn: `arn:aws:ecs:eu-west-1:123456789012:${type.slice(4)}/prod/${name}`,
            name,
            cluster: name,
            desiredCount: 2,
            tags: resourceTags,
            parentTags: { cluster: resourceTags, service: resourceTags, taskDefinition: resourceTags },
          };
          const evaluation = evaluateResource(resource, result.tagPolicies, now);
          const plan = planTags([evaluation], result.tagPolicies, result.tagPolicySettings, now);
          // What autopilot would write is what AWS accepts, and never over a value that is there.
          for (const effect of plan.effects) {
            const written = effect.kind === 'tag-resource' ? effect.tags : {};
            for (const [tagKey, value] of Object.entries(written)) {
              expect(resourceTags[tagKey]).toBeUndefined();
              expect([tagKeyProblem(tagKey, { writable: true }), tagValueProblem(value)]).toEqual([
                undefined,
                undefined,
              ]);
            }
            if (effect.kind === 'mark') expect(tagValueProblem(effect.value)).toBeUndefined();
          }
        }
      }),
      fuzzRun(300),
    );
  });
});
