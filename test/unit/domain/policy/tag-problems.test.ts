import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  checkServiceTags,
  suggestDeployMode,
  type TagProblem,
} from '../../../../shared/domain/policy/tag-problems';
import type { ServiceState } from '../../../../shared/ports';
import { aService } from '../../../support/in-memory';

const MODES =
  'is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off';
const IGNORED_DEPLOY =
  'Deploy on push ignores the service, and its deployments are not watched for rollback, until the tag is fixed.';
const SKIPPED_POLICY =
  "Deploy on push skips the service, and rollback uses the default settings instead of the policy's, until this is fixed.";
const IGNORED_ROLLBACK =
  'Autopilot ignores the tag until it is fixed: the service is watched for rollback only while it deploys on push.';

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

describe('checkServiceTags', () => {
  const file = policyFile({ policies: { careful: { deploy: 'semver:minor' }, fast: {} } });

  it.each<[string, Record<string, string>]>([
    ['no autopilot tags', { team: 'payments' }],
    ['a followed tag', { 'autopilot:deploy': 'tag:main' }],
    ['semver', { 'autopilot:deploy': 'semver:patch' }],
    ['numeric builds', { 'autopilot:deploy': 'numeric:main-' }],
    ['alphabetic date stamps', { 'autopilot:deploy': 'alphabetic' }],
    ['match and off', { 'autopilot:deploy': 'off', 'autopilot:rollback': 'on' }],
    ['a defined policy', { 'autopilot:policy': 'careful' }],
    ['rollback off in capitals with spaces', { 'autopilot:rollback': ' OFF ' }],
    ['any alarm names', { 'autopilot:alarms': 'api-5xx  api-latency' }],
  ])('finds nothing wrong with %s', (_name, tags) => {
    // Prepare
    const service = aService({ tags });

    // Act
    const problems = checkServiceTags(service, file);

    // Assess
    expect(problems).toEqual([]);
  });

  it.each<[string, Record<string, string>, TagProblem]>([
    [
      'a typo of tag:',
      { 'autopilot:deploy': 'tags:main' },
      {
        tagKey: 'autopilot:deploy',
        tagValue: 'tags:main',
        problem: `autopilot:deploy value "tags:main" ${MODES}`,
        effect: IGNORED_DEPLOY,
        suggestion: 'tag:main',
      },
    ],
    [
      "Flux's name for the numeric mode",
      { 'autopilot:deploy': 'numerical:main-' },
      {
        tagKey: 'autopilot:deploy',
        tagValue: 'numerical:main-',
        problem: `autopilot:deploy value "numerical:main-" ${MODES}`,
        effect: IGNORED_DEPLOY,
        suggestion: 'numeric:main-',
      },
    ],
    [
      'a deploy mode without a likely meaning',
      { 'autopilot:deploy': 'always' },
      {
        tagKey: 'autopilot:deploy',
        tagValue: 'always',
        problem: `autopilot:deploy value "always" ${MODES}`,
        effect: IGNORED_DEPLOY,
      },
    ],
    [
      'an invalid deploy mode on a service that rollback watches anyway',
      { 'autopilot:deploy': 'OFF', 'autopilot:rollback': 'on' },
      {
        tagKey: 'autopilot:deploy',
        tagValue: 'OFF',
        problem: `autopilot:deploy value "OFF" ${MODES}`,
        effect: 'Deploy on push ignores the service until the tag is fixed.',
        suggestion: 'off',
      },
    ],
    [
      'a policy the policy file does not define',
      { 'autopilot:policy': 'carefull' },
      {
        tagKey: 'autopilot:policy',
        tagValue: 'carefull',
        problem: 'autopilot:policy "carefull" is not defined in the policy file; it defines careful, fast',
        effect: SKIPPED_POLICY,
        suggestion: 'careful',
      },
    ],
    [
      'a policy name inherited from Object.prototype',
      { 'autopilot:policy': 'constructor' },
      {
        tagKey: 'autopilot:policy',
        tagValue: 'constructor',
        problem: 'autopilot:policy "constructor" is not defined in the policy file; it defines careful, fast',
        effect: SKIPPED_POLICY,
      },
    ],
    [
      'a rollback switch that is neither on nor off',
      { 'autopilot:rollback': 'yes' },
      {
        tagKey: 'autopilot:rollback',
        tagValue: 'yes',
        problem: 'autopilot:rollback "yes" is neither on nor off',
        effect: IGNORED_ROLLBACK,
        suggestion: 'on',
      },
    ],
  ])('finds %s', (_name, tags, expected) => {
    // Prepare
    const service = aService({ tags });

    // Act
    const problems = checkServiceTags(service, file);

    // Assess
    expect(problems).toEqual([expected]);
  });

  it('says a policy file defines no policies when it has none', () => {
    // Prepare
    const service = aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'careful' } });

    // Act
    const problems = checkServiceTags(service, policyFile());

    // Assess
    expect(problems.map((p) => [p.problem, p.suggestion])).toEqual([
      ['autopilot:policy "careful" is not defined in the policy file; it defines no policies', undefined],
    ]);
  });

  it('lists the problems of several tags in the order deploy, policy, rollback', () => {
    // Prepare
    const service = aService({
      tags: { 'autopilot:rollback': 'true', 'autopilot:policy': 'nope', 'autopilot:deploy': 'latest' },
    });

    // Act
    const problems = checkServiceTags(service, file);

    // Assess
    expect(problems.map((p) => p.tagKey)).toEqual([
      'autopilot:deploy',
      'autopilot:policy',
      'autopilot:rollback',
    ]);
  });

  it.each<Partial<ServiceState>>([{ status: 'DRAINING' }, { status: 'INACTIVE' }])(
    'finds nothing on a service that is $status (it is going away)',
    (overrides) => {
      // Prepare
      const service = aService({ ...overrides, tags: { 'autopilot:deploy': 'tags:main' } });

      // Act
      const problems = checkServiceTags(service, file);

      // Assess
      expect(problems).toEqual([]);
    },
  );
});

describe('suggestDeployMode', () => {
  it.each<[string, string | undefined]>([
    ['tags:main', 'tag:main'],
    ['tag=main', 'tag:main'],
    ['tag main', 'tag:main'],
    ['Tag:Main', 'tag:Main'],
    ['tg:release', 'tag:release'],
    ['semvar:minor', 'semver:minor'],
    ['Semver:Minor', 'semver:minor'],
    ['minor', 'semver:minor'],
    ['OFF', 'off'],
    [' Match ', 'match'],
    ['numerical:main-', 'numeric:main-'],
    ['Numeric=main-', 'numeric:main-'],
    ['numric:Main-', 'numeric:Main-'],
    ['alphabetical:2026-', 'alphabetic:2026-'],
    ['numerical', 'numeric'],
    ['numeric:', 'numeric'],
    ['Alphabetical', 'alphabetic'],
    ['alphabetic:-x', undefined],
    ['semver:mjor', undefined],
    ['tag:', undefined],
    ['always', undefined],
    ['latest', undefined],
    ['x:main', undefined],
  ])('suggests %s -> %s', (value, expected) => {
    // Prepare
    const text = value;

    // Act
    const suggestion = suggestDeployMode(text);

    // Assess
    expect(suggestion).toBe(expected);
  });
});
