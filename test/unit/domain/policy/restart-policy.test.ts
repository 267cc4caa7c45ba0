import { type RestartRuleText, restartRuleFor } from '../../../../shared/domain/policy/restart-policy';

const rule = (match: RestartRuleText['match'], maxAttempts = 5): RestartRuleText => ({
  match,
  mode: 'on-failure',
  backoff: { initial: '10s', max: '5m', resetAfter: '10m' },
  maxAttempts,
});

describe('restartRuleFor', () => {
  it.each<[string, RestartRuleText['match'], boolean]>([
    ['a cluster glob', { cluster: 'batch-*' }, true],
    ['a family among several globs', { family: ['report', 'work*'] }, true],
    ['every glob given', { cluster: 'batch-eu', startedBy: 'nightly' }, true],
    ['a startedBy the task does not have', { startedBy: 'events-rule/*' }, false],
    ['a group glob', { group: 'family:worker' }, true],
    ['another cluster', { cluster: 'prod' }, false],
  ])('matches %s: %s', (_name, match, expected) => {
    // Prepare
    const task = { cluster: 'batch-eu', family: 'worker', group: 'family:worker', startedBy: 'nightly' };

    // Act
    const found = restartRuleFor([rule(match)], task);

    // Assess
    expect(found !== undefined).toBe(expected);
  });

  it('takes the first matching rule, with its backoff in seconds', () => {
    // Prepare
    const rules = [rule({ cluster: 'prod' }, 1), rule({ family: 'worker' }, 3), rule({ cluster: '*' }, 9)];

    // Act
    const found = restartRuleFor(rules, { cluster: 'batch', family: 'worker' });

    // Assess
    expect(found).toEqual({
      mode: 'on-failure',
      backoff: { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 },
      maxAttempts: 3,
      launchSpecWaitSeconds: 900,
      name: 'restart[1]',
    });
  });
});
