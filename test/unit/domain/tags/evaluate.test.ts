import { evaluateResource, type TagResourceView } from '../../../../shared/domain/tags/evaluate';
import { aResource, aRule, aService, aTask, DUE_IN_7D, manyTags, NOW } from './tag-fixtures';

describe('evaluateResource: which rules select a resource', () => {
  it.each<[string, Record<string, unknown>, TagResourceView, boolean]>([
    ['a type the rule names', { resources: ['ecs:service'] }, aService(), true],
    ['a type the rule does not name', { resources: ['ecs:task'] }, aService(), false],
    ['a service in a cluster matching a glob', { clusters: ['prod*'] }, aService(), true],
    ['a service in another cluster', { clusters: ['staging-*'] }, aService(), false],
    [
      'a cluster by its own name',
      { resources: ['ecs:cluster'], clusters: ['prod'] },
      aResource('ecs:cluster', 'prod'),
      true,
    ],
    ['a name matching one of the globs', { names: ['web', 'api*'] }, aService(), true],
    ['a name matching none', { names: ['web'] }, aService(), false],
    [
      'a tag whose value matches its glob',
      { tags: { team: 'pay*' } },
      aService({ tags: { team: 'payments' } }),
      true,
    ],
    [
      'a tag whose value does not match',
      { tags: { team: 'pay*' } },
      aService({ tags: { team: 'search' } }),
      false,
    ],
    ['a tag that is absent', { tags: { team: '*' } }, aService(), false],
    ["a task by its task definition's family", { resources: ['ecs:task'], names: ['worker'] }, aTask(), true],
    [
      'a repository by an AWS-owned tag',
      { resources: ['ecr:repository'], tags: { 'aws:cloudformation:stack-name': 'platform-*' } },
      aResource('ecr:repository', 'team/web', { tags: { 'aws:cloudformation:stack-name': 'platform-ci' } }),
      true,
    ],
  ])('%s: selected %s', (_name, fields, resource, selected) => {
    // Prepare
    const rule = aRule(fields);

    // Act
    const { results } = evaluateResource(resource, [rule], NOW);

    // Assess
    expect(results.length).toBe(selected ? 1 : 0);
  });
});

describe('evaluateResource: violations', () => {
  it.each<[string, Record<string, unknown>, Record<string, string>, unknown[]]>([
    ['nothing required, nothing allowed', {}, {}, []],
    ['a required key missing', { required: ['owner'] }, {}, [{ key: 'owner', problem: 'missing' }]],
    ['a required key present with an empty value', { required: ['owner'] }, { owner: '' }, []],
    [
      'a required key present under another case',
      { required: ['owner'] },
      { Owner: 'x' },
      [{ key: 'owner', problem: 'missing' }],
    ],
    [
      'a value not in the list',
      { allowed: { env: { values: ['prod', 'staging'] } } },
      { env: 'Prod' },
      [
        {
          key: 'env',
          problem: 'not-allowed',
          value: 'Prod',
          allowed: { values: ['prod', 'staging'] },
          expected: 'one of prod, staging',
        },
      ],
    ],
    [
      'a value in the list ignoring case',
      { allowed: { env: { values: ['prod'], caseInsensitive: true } } },
      { env: 'PROD' },
      [],
    ],
    [
      'a value matching the whole regex',
      { allowed: { cc: { regex: 'cc-[0-9]{4}' } } },
      { cc: 'cc-1234' },
      [],
    ],
    [
      'a value matching only part of the regex',
      { allowed: { cc: { regex: 'cc-[0-9]{4}' } } },
      { cc: 'cc-12345' },
      [expect.objectContaining({ key: 'cc', problem: 'not-allowed', expected: 'matching /cc-[0-9]{4}/' })],
    ],
    [
      'a regex ignoring case',
      { allowed: { cc: { regex: 'cc-[0-9]+', caseInsensitive: true } } },
      { cc: 'CC-7' },
      [],
    ],
    ['an allowed key that is absent (not required)', { allowed: { env: { values: ['prod'] } } }, {}, []],
  ])('%s', (_name, fields, tags, violations) => {
    // Prepare
    const rule = aRule(fields);

    // Act
    const [result] = evaluateResource(aService({ tags }), [rule], NOW).results;

    // Assess
    expect(result?.violations).toEqual(violations);
    expect(result?.status).toBe(violations.length > 0 ? 'violating' : 'compliant');
  });
});

describe('evaluateResource: what remediation would add', () => {
  const cluster = { owner: 'payments', env: 'prod' };
  it.each<[string, Record<string, unknown>, TagResourceView, unknown[]]>([
    [
      'nothing without a default or a source',
      { required: ['owner'] },
      aService({ parentTags: { cluster } }),
      [],
    ],
    [
      'a default',
      { required: ['owner'], defaults: { owner: 'platform' } },
      aService(),
      [{ key: 'owner', value: 'platform', from: 'default' }],
    ],
    [
      "a service's value from its cluster, before the default",
      {
        required: ['owner'],
        defaults: { owner: 'platform' },
        inherit: { from: { 'ecs:service': ['cluster'] } },
      },
      aService({ parentTags: { cluster } }),
      [{ key: 'owner', value: 'payments', from: 'cluster' }],
    ],
    [
      "a task's value from the first source that has it: service, then task definition, then cluster",
      {
        resources: ['ecs:task'],
        required: ['owner'],
        inherit: { from: { 'ecs:task': ['service', 'task-definition', 'cluster'] } },
      },
      aTask({ parentTags: { cluster, taskDefinition: { owner: 'etl' } } }),
      [{ key: 'owner', value: 'etl', from: 'task-definition' }],
    ],
    [
      "a revision's value from its family's other revisions",
      {
        resources: ['ecs:task-definition'],
        required: ['owner'],
        inherit: { from: { 'ecs:task-definition': ['family'] } },
      },
      aResource('ecs:task-definition', 'worker', { parentTags: { family: { owner: 'etl' } } }),
      [{ key: 'owner', value: 'etl', from: 'family' }],
    ],
    [
      'only the keys named to inherit (default: the required ones)',
      { required: ['owner', 'env'], inherit: { keys: ['env'], from: { 'ecs:service': ['cluster'] } } },
      aService({ parentTags: { cluster } }),
      [{ key: 'env', value: 'prod', from: 'cluster' }],
    ],
    [
      'an inherited value the rule does not allow is passed over for the default',
      {
        required: ['env'],
        allowed: { env: { values: ['production', 'staging'] } },
        defaults: { env: 'staging' },
        inherit: { from: { 'ecs:service': ['cluster'] } },
      },
      aService({ parentTags: { cluster } }),
      [{ key: 'env', value: 'staging', from: 'default' }],
    ],
    [
      'never over a present value, even one that is not allowed',
      { allowed: { env: { values: ['staging'] } }, required: ['env'], defaults: { env: 'staging' } },
      aService({ tags: { env: 'dev' } }),
      [],
    ],
    [
      'a default of a key that is not required (tag hygiene)',
      { defaults: { 'managed-by': 'platform' } },
      aService(),
      [{ key: 'managed-by', value: 'platform', from: 'default' }],
    ],
  ])('%s', (_name, fields, resource, additions) => {
    // Prepare
    const rule = aRule(fields);

    // Act
    const [result] = evaluateResource(resource, [rule], NOW).results;

    // Assess
    expect(result?.additions).toEqual(additions);
  });

  it('says which violations remediation cannot fix', () => {
    // Prepare
    const rule = aRule({
      required: ['owner', 'cost-centre'],
      allowed: { env: { values: ['prod'] } },
      defaults: { owner: 'platform' },
    });

    // Act
    const [result] = evaluateResource(aService({ tags: { env: 'dev' } }), [rule], NOW).results;

    // Assess
    expect(result?.unfixed.map((v) => `${v.key} ${v.problem}`)).toEqual([
      'cost-centre missing',
      'env not-allowed',
    ]);
  });
});

describe('evaluateResource: exemptions', () => {
  it.each<[string, Record<string, unknown>, TagResourceView, string | undefined]>([
    [
      'a tag matching its glob',
      { tags: { 'autopilot:exempt': '*' } },
      aService({ tags: { 'autopilot:exempt': 'yes' } }),
      'tag autopilot:exempt=*',
    ],
    [
      'a tag not matching its glob',
      { tags: { team: 'legacy-*' } },
      aService({ tags: { team: 'web' } }),
      undefined,
    ],
    [
      'an ARN glob',
      { arns: ['arn:aws:ecs:*:*:service/prod/**'] },
      aService(),
      'arn arn:aws:ecs:*:*:service/prod/**',
    ],
    [
      'an ARN glob of another cluster',
      { arns: ['arn:aws:ecs:*:*:service/legacy/**'] },
      aService(),
      undefined,
    ],
  ])('exempt by %s: %s', (_name, exempt, resource, exemptBy) => {
    // Prepare
    const rule = aRule({ required: ['owner'], exempt });

    // Act
    const [result] = evaluateResource(resource, [rule], NOW).results;

    // Assess
    if (exemptBy === undefined) {
      expect(result?.status).toBe('violating');
    } else {
      expect(result).toMatchObject({ status: 'exempt', exemptBy, violations: [], additions: [] });
    }
  });
});

describe("evaluateResource: AWS's limits", () => {
  const rule = aRule({ required: ['owner', 'env'], defaults: { owner: 'platform', env: 'prod' } });

  it('ignores AWS-owned tags: not counted towards 50, not evaluated', () => {
    // Prepare
    const tags = { ...manyTags(48), 'aws:cloudformation:stack-name': 'x', 'AWS:other': 'y' };

    // Act
    const evaluation = evaluateResource(aService({ tags }), [rule], NOW);

    // Assess
    expect(evaluation.userTagCount).toBe(48);
    expect(evaluation.ignored).toEqual(['aws:cloudformation:stack-name', 'AWS:other']);
    expect(evaluation.limits).toEqual([]);
    expect(evaluation.results[0]?.additions.map((a) => a.key)).toEqual(['owner', 'env']);
  });

  it('adds no more than the room under 50 tags, and says what had no room', () => {
    // Prepare
    const tags = manyTags(49);

    // Act
    const [result] = evaluateResource(aService({ tags }), [rule], NOW).results;

    // Assess
    expect(result?.additions).toEqual([{ key: 'owner', value: 'platform', from: 'default' }]);
    expect(result?.limits).toEqual([{ problem: 'no-room', wanted: 2, room: 1, dropped: ['env'] }]);
    expect(result?.unfixed).toEqual([{ key: 'env', problem: 'missing' }]);
  });

  it.each<[string, Record<string, string>, unknown[]]>([
    ['more than 50 user tags', manyTags(51), [{ problem: 'too-many-tags', count: 51, max: 50 }]],
    [
      'a key with a character AWS refuses',
      { 'owner;x': 'a' },
      [{ problem: 'bad-key', key: 'owner;x', reason: expect.stringContaining('characters AWS refuses') }],
    ],
    [
      'a value longer than 256 characters',
      { note: 'n'.repeat(257) },
      [{ problem: 'bad-value', key: 'note', reason: expect.stringContaining('257 characters') }],
    ],
    ['letters of any script and the allowed signs', { équipe: 'Zürich @ 5 _.:/=+-' }, []],
  ])('reports %s', (_name, tags, limits) => {
    // Prepare
    const resource = aService({ tags });

    // Act
    const evaluation = evaluateResource(resource, [], NOW);

    // Assess
    expect(evaluation.limits).toEqual(limits);
  });

  it.each([
    [
      'service',
      aService({ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/api' }),
      'old-format service ARN',
    ],
    [
      'task',
      aTask({ arn: 'arn:aws:ecs:eu-west-1:123456789012:task/0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e' }),
      'old-format task ARN',
    ],
  ])(
    'reports an old-format %s ARN as one that cannot be tagged, and adds nothing to it',
    (_type, resource, said) => {
      // Prepare
      const taskRule = aRule({
        resources: ['ecs:service', 'ecs:task'],
        required: ['owner'],
        defaults: { owner: 'x' },
      });

      // Act
      const [result] = evaluateResource(resource, [taskRule], NOW).results;

      // Assess
      expect(result).toMatchObject({
        status: 'violating',
        taggable: false,
        additions: [],
        unfixed: [{ key: 'owner', problem: 'missing' }],
        limits: [{ problem: 'untaggable-arn', reason: expect.stringContaining(said) }],
      });
    },
  );
});

describe('evaluateResource: marks', () => {
  it.each<[string, Partial<TagResourceView>, unknown]>([
    ['no mark', {}, undefined],
    [
      'a mark on the tag, not yet due',
      { tags: { 'autopilot:violation': `other@2026-12-01T00:00Z owner@${DUE_IN_7D}` } },
      { due: DUE_IN_7D, where: 'tag', passed: false },
    ],
    [
      'a mark on the tag whose due date passed',
      { tags: { 'autopilot:violation': 'owner@2026-12-04T01:44Z' } },
      { due: '2026-12-04T01:44Z', where: 'tag', passed: true },
    ],
    [
      'a mark kept in the record',
      { recorded: { marks: { owner: '2026-12-05T00:00Z' } } },
      { due: '2026-12-05T00:00Z', where: 'record', passed: false },
    ],
    ["another rule's mark only", { tags: { 'autopilot:violation': 'other@2026-12-01T00:00Z' } }, undefined],
    ['a tag a person edited into no mark', { tags: { 'autopilot:violation': 'owner soon' } }, undefined],
    [
      'a mark whose date is no date',
      { tags: { 'autopilot:violation': 'owner@2026-13-45T99:99Z' } },
      undefined,
    ],
    ['a recorded mark whose date is no date', { recorded: { marks: { owner: 'soon' } } }, undefined],
  ])('reads %s', (_name, fields, mark) => {
    // Prepare
    const resource = aService(fields);

    // Act
    const [result] = evaluateResource(resource, [aRule({ required: ['owner'] })], NOW).results;

    // Assess
    expect(result?.mark).toEqual(mark);
  });
});
