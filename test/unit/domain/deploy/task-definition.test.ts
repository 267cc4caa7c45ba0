import { REGISTERED_REVISION_FIELDS } from '../../../../shared/domain/aws/task-definition';
import { copyWithImage, SOURCE_TAG_KEYS } from '../../../../shared/domain/deploy/task-definition';
import type { TaskDefinitionDocument } from '../../../../shared/ports';
import { aDigest, aTaskDefinitionDoc, IMAGE, pinnedImage, SIDECAR_IMAGE } from '../../../support/in-memory';

const DIGEST = aDigest('new build');
const PINNED = pinnedImage(DIGEST);
const CHANGE = {
  containers: ['app'],
  image: PINNED,
  sourceImage: 'team/api:main',
  digest: DIGEST,
  triggeredBy: '0693ee7f-aa6b-41a9-81b7-77aefdc2eddf',
  from: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
};

function userTags(count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ key: `tag-${i}`, value: `value-${i}` }));
}

function containerImages(doc: TaskDefinitionDocument): Record<string, string> {
  return Object.fromEntries(doc.definition.containerDefinitions.map((c) => [c.name, c.image]));
}

describe('copyWithImage', () => {
  it('strips exactly the read-only fields and keeps every other field', () => {
    // Prepare
    const source = aTaskDefinitionDoc({
      fields: { deregisteredAt: '2026-01-10T00:00:00Z', deleteRequestedAt: '2026-01-11T00:00:00Z' },
    });
    const { containerDefinitions: _containers, ...sourceFields } = source.definition;
    const expectedFields = Object.fromEntries(
      Object.entries(sourceFields).filter(
        ([key]) => !(REGISTERED_REVISION_FIELDS as readonly string[]).includes(key),
      ),
    );

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    const { containerDefinitions: _copied, ...copyFields } = copy.definition;
    expect(copyFields).toEqual(expectedFields);
    expect(Object.keys(copy.definition).sort()).toEqual(
      [
        'containerDefinitions',
        'cpu',
        'ephemeralStorage',
        'executionRoleArn',
        'family',
        'memory',
        'networkMode',
        'placementConstraints',
        'requiresCompatibilities',
        'runtimePlatform',
        'taskRoleArn',
        'volumes',
      ].sort(),
    );
    for (const field of REGISTERED_REVISION_FIELDS) expect(copy.definition).not.toHaveProperty(field);
  });

  it('keeps fields it does not know about, at any depth', () => {
    // Prepare
    const source = aTaskDefinitionDoc({
      fields: {
        pidMode: 'task',
        proxyConfiguration: {
          type: 'APPMESH',
          containerName: 'envoy',
          properties: [{ name: 'AppPorts', value: '8080' }],
        },
        enableFaultInjection: true,
        someFutureField: { nested: [1, 2, { deeper: 'yes' }] },
      },
    });
    const app = source.definition.containerDefinitions[0];
    if (app) app.someFutureContainerField = { restartPolicy: { enabled: true, ignoredExitCodes: [0] } };

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.definition).toMatchObject({
      pidMode: 'task',
      proxyConfiguration: source.definition.proxyConfiguration,
      enableFaultInjection: true,
      someFutureField: { nested: [1, 2, { deeper: 'yes' }] },
    });
    expect(copy.definition.containerDefinitions[0]).toMatchObject({
      someFutureContainerField: { restartPolicy: { enabled: true, ignoredExitCodes: [0] } },
    });
  });

  it('changes only the image of the listed containers', () => {
    // Prepare
    const source = aTaskDefinitionDoc();
    const [app, sidecar] = source.definition.containerDefinitions;

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    const [copiedApp, copiedSidecar] = copy.definition.containerDefinitions;
    expect(copiedApp).toEqual({ ...app, image: PINNED });
    expect(copiedSidecar).toEqual(sidecar);
    expect(containerImages(copy)).toEqual({ app: PINNED, 'log-router': SIDECAR_IMAGE });
  });

  it('changes several listed containers and keeps the container order', () => {
    // Prepare
    const source = aTaskDefinitionDoc({
      containers: [
        { name: 'migrate', image: IMAGE, essential: false },
        { name: 'log-router', image: SIDECAR_IMAGE },
        { name: 'app', image: IMAGE, essential: true },
      ],
    });

    // Act
    const copy = copyWithImage(source, { ...CHANGE, containers: ['app', 'migrate'] });

    // Assess
    expect(copy.definition.containerDefinitions.map((c) => [c.name, c.image])).toEqual([
      ['migrate', PINNED],
      ['log-router', SIDECAR_IMAGE],
      ['app', PINNED],
    ]);
  });

  it('keeps the family', () => {
    // Prepare
    const source = aTaskDefinitionDoc({ family: 'payments-api' });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.definition.family).toBe('payments-api');
  });

  it('records the source image, digest, trigger and source revision as tags after the existing ones', () => {
    // Prepare
    const source = aTaskDefinitionDoc({ tags: [{ key: 'team', value: 'payments' }] });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.tags).toEqual([
      { key: 'team', value: 'payments' },
      { key: SOURCE_TAG_KEYS.image, value: 'team/api:main' },
      { key: SOURCE_TAG_KEYS.digest, value: DIGEST },
      { key: SOURCE_TAG_KEYS.trigger, value: CHANGE.triggeredBy },
      { key: SOURCE_TAG_KEYS.source, value: CHANGE.from },
    ]);
  });

  it('replaces source tags recorded on an earlier revision', () => {
    // Prepare
    const source = aTaskDefinitionDoc({
      tags: [
        { key: 'team', value: 'payments' },
        { key: SOURCE_TAG_KEYS.image, value: 'team/api:old' },
        { key: SOURCE_TAG_KEYS.digest, value: aDigest('old') },
        { key: SOURCE_TAG_KEYS.trigger, value: 'old-event' },
        { key: SOURCE_TAG_KEYS.source, value: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:6' },
      ],
    });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.tags.filter((t) => t.key.startsWith('autopilot:'))).toEqual([
      { key: SOURCE_TAG_KEYS.image, value: 'team/api:main' },
      { key: SOURCE_TAG_KEYS.digest, value: DIGEST },
      { key: SOURCE_TAG_KEYS.trigger, value: CHANGE.triggeredBy },
      { key: SOURCE_TAG_KEYS.source, value: CHANGE.from },
    ]);
    expect(copy.tags).toHaveLength(5);
  });

  it('replaces characters ECS does not allow in tag values', () => {
    // Prepare
    const source = aTaskDefinitionDoc();

    // Act
    const copy = copyWithImage(source, {
      ...CHANGE,
      sourceImage: 'team/api:main',
      triggeredBy: 'event#1,(retry)',
    });

    // Assess
    expect(copy.tags.find((t) => t.key === SOURCE_TAG_KEYS.trigger)?.value).toBe('event_1__retry_');
  });

  it.each(['aws:cloudformation:stack-name', 'AWS:Reserved', 'aws:ecs:clusterName'])(
    'drops the reserved tag key %j',
    (key) => {
      // Prepare
      const source = aTaskDefinitionDoc({
        tags: [
          { key, value: 'x' },
          { key: 'team', value: 'payments' },
        ],
      });

      // Act
      const copy = copyWithImage(source, CHANGE);

      // Assess
      expect(copy.tags.map((t) => t.key)).toEqual([
        'team',
        SOURCE_TAG_KEYS.image,
        SOURCE_TAG_KEYS.digest,
        SOURCE_TAG_KEYS.trigger,
        SOURCE_TAG_KEYS.source,
      ]);
    },
  );

  it('keeps tags whose key merely contains aws:', () => {
    // Prepare
    const source = aTaskDefinitionDoc({ tags: [{ key: 'team:aws:owner', value: 'x' }] });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.tags[0]).toEqual({ key: 'team:aws:owner', value: 'x' });
  });

  it.each<[string, number, number, boolean]>([
    ['46 user tags: the source tags fit (50 in all)', 46, 50, true],
    ['47 user tags: the source tags yield', 47, 47, false],
    ['50 user tags: all kept, no source tags', 50, 50, false],
  ])('respects the 50-tag limit: %s', (_name, count, expectedLength, recorded) => {
    // Prepare
    const source = aTaskDefinitionDoc({ tags: userTags(count) });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.tags).toHaveLength(expectedLength);
    expect(copy.tags.length).toBeLessThanOrEqual(50);
    expect(copy.tags.slice(0, count)).toEqual(userTags(count));
    expect(copy.tags.some((t) => t.key === SOURCE_TAG_KEYS.digest)).toBe(recorded);
  });

  it('does not count reserved aws: tags against the limit', () => {
    // Prepare
    const source = aTaskDefinitionDoc({
      tags: [...userTags(46), { key: 'aws:cloudformation:stack-id', value: 'stack' }],
    });

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(copy.tags).toHaveLength(50);
    expect(copy.tags.some((t) => t.key === SOURCE_TAG_KEYS.digest)).toBe(true);
  });

  it('does not mutate its input', () => {
    // Prepare
    const source = aTaskDefinitionDoc({ tags: [{ key: 'aws:cloudformation:stack-name', value: 'api' }] });
    const snapshot = structuredClone(source);

    // Act
    const copy = copyWithImage(source, CHANGE);

    // Assess
    expect(source).toEqual(snapshot);
    expect(copy.definition.containerDefinitions[0]).not.toBe(source.definition.containerDefinitions[0]);
    expect(copy.definition.volumes).not.toBe(source.definition.volumes);
    expect(copy.tags).not.toBe(source.tags);
  });

  it('shares no objects with its input, so changing the copy leaves the source intact', () => {
    // Prepare
    const source = aTaskDefinitionDoc();
    const snapshot = structuredClone(source);

    // Act
    const copy = copyWithImage(source, CHANGE);
    (copy.definition.volumes as { name: string }[]).push({ name: 'added' });
    const sidecar = copy.definition.containerDefinitions[1];
    if (sidecar) (sidecar.firelensConfiguration as { type: string }).type = 'fluentd';

    // Assess
    expect(source).toEqual(snapshot);
  });
});
