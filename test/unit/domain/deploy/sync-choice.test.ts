/**
 * `autopilot sync`'s choice of the newest image a service accepts, per deploy mode: pure, table-tested.
 */
import type { Policy } from '../../../../shared/config/policy-file';
import { chooseSyncImage, type SyncChoice } from '../../../../shared/domain/deploy/sync-choice';
import { parseDeployMode } from '../../../../shared/domain/policy/deploy-mode';
import type { ImageDescription } from '../../../../shared/ports';
import { aDigest } from '../../../support/in-memory';

/** An image of the repository under `tags`, pushed at `pushedAt` (hh:mm of 2026-01-13). */
function image(pushedAt: string, ...tags: string[]): ImageDescription {
  return { digest: aDigest(tags.join(',')), tags, pushedAt: `2026-01-13T${pushedAt}:00.000Z` };
}

/** What each row expects: the tag chosen, or the kind and the words of why not. */
type Expected = { chosen: string; why: string } | { kind: 'current' | 'none'; why: string };

interface Row {
  mode: string;
  /** the tags the running image is known by */
  running: string[];
  images: ImageDescription[];
  policy?: Pick<Policy, 'tags' | 'allowPrerelease'>;
  expected: Expected;
}

const VERSIONS = [image('09:00', '1.5.0'), image('09:10', '1.6.0'), image('09:20', '2.0.0')];

describe('chooseSyncImage', () => {
  it.each<[string, Row]>([
    [
      'semver:minor takes the highest minor upgrade over what runs, not the major one',
      {
        mode: 'semver:minor',
        running: ['1.4.0'],
        images: VERSIONS,
        expected: { chosen: '1.6.0', why: 'the highest of 2 tags semver:minor accepts' },
      },
    ],
    [
      'semver:minor running the highest it accepts has nothing newer, and says what it refused',
      {
        mode: 'semver:minor',
        running: ['1.6.0'],
        images: VERSIONS,
        expected: {
          kind: 'current',
          why: 'it runs team/payments:1.6.0, and semver:minor accepts no newer tag (2.0.0 is a major upgrade from 1.6.0; semver:minor allows minor upgrades at most)',
        },
      },
    ],
    [
      'semver:major takes the major upgrade',
      {
        mode: 'semver:major',
        running: ['1.4.0'],
        images: VERSIONS,
        expected: { chosen: '2.0.0', why: 'the highest of 3 tags semver:major accepts' },
      },
    ],
    [
      'semver:patch leaves a pre-release out when the policy does not allow them',
      {
        mode: 'semver:patch',
        running: ['1.4.0'],
        images: [image('09:00', '1.4.1'), image('09:10', '1.4.2-rc.1')],
        expected: { chosen: '1.4.1', why: 'the highest of 1 tag semver:patch accepts' },
      },
    ],
    [
      'semver:patch takes a pre-release the policy allows',
      {
        mode: 'semver:patch',
        running: ['1.4.0'],
        images: [image('09:00', '1.4.1'), image('09:10', '1.4.2-rc.1')],
        policy: { allowPrerelease: true },
        expected: { chosen: '1.4.2-rc.1', why: 'the highest of 2 tags semver:patch accepts' },
      },
    ],
    [
      "semver: keeps to the policy's version range",
      {
        mode: 'semver:minor',
        running: ['1.4.0'],
        images: VERSIONS,
        policy: { tags: { semver: '<1.6.0' } },
        expected: { chosen: '1.5.0', why: 'the highest of 1 tag semver:minor accepts' },
      },
    ],
    [
      'semver: of one version under two tags, the later push',
      {
        mode: 'semver:minor',
        running: ['1.4.0'],
        images: [image('09:00', 'v1.6.0'), image('09:30', '1.6.0'), image('09:10', '1.5.0')],
        expected: { chosen: '1.6.0', why: 'the highest of 3 tags semver:minor accepts' },
      },
    ],
    [
      'semver: refuses when the running version cannot be told',
      {
        mode: 'semver:minor',
        running: ['main'],
        images: VERSIONS,
        expected: {
          kind: 'none',
          why: 'semver:minor accepts no tag of team/payments (3 tags read; cannot tell the running version of container app (no version tag))',
        },
      },
    ],
    [
      'numeric:main- takes the highest build number, never a tag it does not follow',
      {
        mode: 'numeric:main-',
        running: ['main-999'],
        images: [
          image('09:00', 'main-1234'),
          image('09:10', 'main-1000'),
          image('09:20', 'main-hotfix-99999'),
          image('09:30', 'release-5000'),
        ],
        expected: { chosen: 'main-1234', why: 'the highest of 2 tags numeric:main- accepts' },
      },
    ],
    [
      'numeric:main- running the highest build has nothing newer',
      {
        mode: 'numeric:main-',
        running: ['main-1234'],
        images: [image('09:00', 'main-1234'), image('09:30', 'main-999')],
        expected: {
          kind: 'current',
          why: 'it runs team/payments:main-1234, and numeric:main- accepts no newer tag',
        },
      },
    ],
    [
      'alphabetic:2026- takes the last stamp by text',
      {
        mode: 'alphabetic:2026-',
        running: ['2026-12-01'],
        images: [image('09:00', '2026-12-03.1'), image('09:30', '2026-11-30'), image('09:40', 'latest')],
        expected: { chosen: '2026-12-03.1', why: 'the highest of 1 tag alphabetic:2026- accepts' },
      },
    ],
    [
      'tag:main takes what main points at',
      {
        mode: 'tag:main',
        running: [],
        images: [image('09:00', 'main', 'build-42')],
        expected: { chosen: 'main', why: 'the image team/payments:main points at now' },
      },
    ],
    [
      'tag:main refuses when main does not exist',
      {
        mode: 'tag:main',
        running: [],
        images: [],
        expected: { kind: 'none', why: 'team/payments:main does not exist in ECR' },
      },
    ],
    [
      "match takes the last pushed image with a tag the policy's filters pass",
      {
        mode: 'match',
        running: [],
        images: [image('10:00', 'release-1'), image('09:00', 'release-2'), image('11:00', 'main')],
        policy: { tags: { glob: 'release-*' } },
        expected: { chosen: 'release-1', why: "the last pushed of 2 tags the policy's filters pass" },
      },
    ],
    [
      "match refuses when no tag passes the policy's filters",
      {
        mode: 'match',
        running: [],
        images: [image('11:00', 'main'), image('11:10', 'dev')],
        policy: { tags: { glob: 'release-*' } },
        expected: {
          kind: 'none',
          why: 'match accepts no tag of team/payments (2 tags read; main: tag main does not match glob release-*)',
        },
      },
    ],
    [
      'refuses a repository without a tagged image',
      {
        mode: 'semver:minor',
        running: ['1.4.0'],
        images: [],
        expected: { kind: 'none', why: 'team/payments has no tagged image in ECR' },
      },
    ],
  ])('%s', (_name, row) => {
    // Prepare
    const mode = parseDeployMode(row.mode);
    if ('invalid' in mode) throw new Error(mode.invalid);
    const input = {
      repository: 'team/payments',
      mode,
      policy: row.policy ?? {},
      running: [{ container: 'app', tags: row.running }],
      images: row.images,
    };

    // Act
    const choice = chooseSyncImage(input);

    // Assess
    const { expected } = row;
    if ('chosen' in expected) {
      const chosen = row.images.find((i) => i.tags.includes(expected.chosen));
      expect(choice).toEqual<SyncChoice>({
        kind: 'chosen',
        tag: expected.chosen,
        digest: chosen?.digest ?? '',
        pushedAt: chosen?.pushedAt ?? '',
        why: expected.why,
      });
    } else {
      expect(choice).toEqual<SyncChoice>({ kind: expected.kind, why: expected.why });
    }
  });

  it('gives the same answer whatever order ECR lists the images in', () => {
    // Prepare: two tags of one build number on images pushed at the same time
    const mode = parseDeployMode('numeric:main-');
    if ('invalid' in mode) throw new Error(mode.invalid);
    const images = [image('09:00', 'main-0042'), image('09:00', 'main-42'), image('08:00', 'main-7')];
    const choose = (listed: ImageDescription[]) =>
      chooseSyncImage({ repository: 'team/api', mode, policy: {}, running: [], images: listed });

    // Act
    const forwards = choose(images);
    const backwards = choose([...images].reverse());

    // Assess
    expect(forwards).toEqual(backwards);
    expect(forwards).toMatchObject({ kind: 'chosen', tag: 'main-42' });
  });
});
