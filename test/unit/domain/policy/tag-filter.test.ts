import type { Policy } from '../../../../shared/config/policy-file';
import { rejectedByFilters } from '../../../../shared/domain/policy/tag-filter';

describe('rejectedByFilters', () => {
  it.each<[string, Policy, string, string | undefined]>([
    ['a glob', { tags: { glob: ['release-*', 'hotfix-*'] } }, 'hotfix-2', undefined],
    [
      'a glob, not matching',
      { tags: { glob: 'release-*' } },
      'main',
      'tag main does not match glob release-*',
    ],
    [
      'a regex, the whole tag',
      { tags: { regex: 'build-\\d+' } },
      'build-12-x',
      'tag build-12-x does not match regex build-\\d+',
    ],
    ['a semver range', { tags: { semver: '>=1.2.0 <2' } }, '1.5.0', undefined],
  ])('%s', (_name, policy, tag, expected) => {
    // Prepare
    const input = { policy, tag };

    // Act
    const reason = rejectedByFilters(input.policy, input.tag);

    // Assess
    expect(reason).toBe(expected);
  });

  it('judges a chosen tag against a nested-quantifier regex at once (JavaScript`s engine took a minute)', () => {
    // Prepare: ^(?:([a-z0-9]+-?)+)$ backtracks 2^29 times on this tag with a backtracking engine.
    const policy: Policy = { tags: { regex: '([a-z0-9]+-?)+' } };
    const tag = `${'a'.repeat(29)}!`;

    // Act
    const reason = rejectedByFilters(policy, tag);

    // Assess
    expect(reason).toBe(`tag ${tag} does not match regex ([a-z0-9]+-?)+`);
  });

  it('judges a chosen tag against a many-star glob at once (picomatch backtracked for hours)', () => {
    // Prepare
    const glob = `${'*a'.repeat(12)}*b`;
    const tag = 'a'.repeat(128);

    // Act
    const reason = rejectedByFilters({ tags: { glob } }, tag);

    // Assess
    expect(reason).toBe(`tag ${tag} does not match glob ${glob}`);
  });

  it('accepts no tag when a filter could not be compiled (fail closed), should one pass validation', () => {
    // Prepare
    const policies: Policy[] = [{ tags: { regex: '(?=x)x' } }, { tags: { glob: '!(main)' } }];

    // Act
    const reasons = policies.map((policy) => rejectedByFilters(policy, 'x'));

    // Assess
    expect(reasons).toEqual([
      'regex (?=x)x cannot be used: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
      'tag x does not match glob !(main)',
    ]);
  });
});
