import fc from 'fast-check';
import {
  type ArnScope,
  clusterNameOf,
  clusterOfServiceArn,
  parseClusterArn,
  parseLegacyServiceArn,
  parseRepositoryArn,
  parseServiceArn,
  parseServiceDeploymentArn,
  parseTaskArn,
  parseTaskDefinition,
  SERVICE_ARN,
  serviceArnIn,
  shortTaskDefinition,
  taskDefinitionArn,
} from '../../../../shared/domain/aws/arn';
import { ACCOUNT, REGION } from '../../../support/in-memory';

const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
const SCOPE: ArnScope = { partition: 'aws', region: REGION, account: ACCOUNT };
const clusterArn = (name: string) => `${ECS}:cluster/${name}`;

// Arbitraries: what AWS may put in each part of an ARN.
const partition = fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso-b');
const region = fc.constantFrom('eu-west-1', 'us-east-1', 'cn-north-1', 'us-gov-west-1', 'ap-southeast-3');
const account = fc.stringMatching(/^\d{12}$/);
const scope = fc.record({ partition, region, account });
/** ECS cluster and service names: letters, digits, hyphens and underscores, up to 255. */
const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,255}$/);
const revision = fc.integer({ min: 1, max: 1_000_000 });
const ecsArn = (s: ArnScope, resource: string) =>
  `arn:${s.partition}:ecs:${s.region}:${s.account}:${resource}`;

describe('clusterNameOf', () => {
  it('takes the name from a cluster ARN and keeps a bare name', () => {
    // Prepare
    const arn = clusterArn('prod-eu');

    // Act
    const names = [clusterNameOf(arn), clusterNameOf('prod-eu')];

    // Assess
    expect(names).toEqual(['prod-eu', 'prod-eu']);
  });
});

describe('parseClusterArn', () => {
  it('reads every part of a cluster ARN', () => {
    fc.assert(
      fc.property(scope, name, (s, cluster) => {
        // Prepare
        const arn = ecsArn(s, `cluster/${cluster}`);

        // Act
        const parsed = parseClusterArn(arn);

        // Assess
        expect(parsed).toEqual({ ...s, cluster });
      }),
    );
  });

  it.each([
    ['a service ARN', `${ECS}:service/prod/api`],
    ['a cluster name', 'prod'],
    ['another service', `arn:aws:ecr:${REGION}:${ACCOUNT}:cluster/prod`],
    ['no account', `arn:aws:ecs:${REGION}::cluster/prod`],
    ['a nested name', `${ECS}:cluster/prod/api`],
    ['an empty name', `${ECS}:cluster/`],
  ])('is undefined for %s', (_name, value) => {
    // Prepare
    const text = value;

    // Act
    const parsed = parseClusterArn(text);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('parseServiceArn', () => {
  it('reads every part of a long-format service ARN, and serviceArnIn writes it back', () => {
    fc.assert(
      fc.property(scope, name, name, (s, cluster, service) => {
        // Prepare
        const arn = ecsArn(s, `service/${cluster}/${service}`);

        // Act
        const parsed = parseServiceArn(arn);

        // Assess
        expect(parsed).toEqual({ ...s, cluster, service });
        expect(clusterOfServiceArn(arn)).toBe(cluster);
        expect(SERVICE_ARN.test(arn)).toBe(true);
        expect(serviceArnIn({ ...s, cluster }, service)).toBe(arn);
      }),
    );
  });

  it.each([
    ['a legacy service ARN (no cluster)', `${ECS}:service/api`],
    ['a cluster ARN', clusterArn('prod')],
    ['a task ARN', `${ECS}:task/prod/abc`],
    ['a service name', 'prod/api'],
    ['a short account', `arn:aws:ecs:${REGION}:1234:service/prod/api`],
    ['another partition prefix', `arn:azure:ecs:${REGION}:${ACCOUNT}:service/prod/api`],
    ['trailing parts', `${ECS}:service/prod/api/extra`],
  ])('is undefined for %s', (_name, value) => {
    // Prepare
    const text = value;

    // Act
    const parsed = parseServiceArn(text);

    // Assess
    expect(parsed).toBeUndefined();
    expect(clusterOfServiceArn(text)).toBeUndefined();
  });

  it('reads the legacy short format apart', () => {
    // Prepare
    const legacy = `${ECS}:service/api`;

    // Act
    const parsed = [parseLegacyServiceArn(legacy), parseLegacyServiceArn(`${ECS}:service/prod/api`)];

    // Assess
    expect(parsed).toEqual([{ ...SCOPE, service: 'api' }, undefined]);
  });
});

describe('parseTaskArn', () => {
  it.each([
    [
      'the long format',
      `${ECS}:task/prod/6f0c2d8e41b9`,
      { ...SCOPE, cluster: 'prod', taskId: '6f0c2d8e41b9' },
    ],
    ['the legacy format', `${ECS}:task/6f0c2d8e41b9`, { ...SCOPE, taskId: '6f0c2d8e41b9' }],
    ['a task definition', `${ECS}:task-definition/api:7`, undefined],
    ['a task id', '6f0c2d8e41b9', undefined],
  ])('reads %s', (_name, value, expected) => {
    // Prepare
    const text = value;

    // Act
    const parsed = parseTaskArn(text);

    // Assess
    expect(parsed).toEqual(expected);
  });
});

describe('parseTaskDefinition', () => {
  it('reads an ARN and its family:revision alike, and taskDefinitionArn writes the ARN back', () => {
    fc.assert(
      fc.property(scope, name, revision, (s, family, rev) => {
        // Prepare
        const arn = ecsArn(s, `task-definition/${family}:${rev}`);

        // Act
        const fromArn = parseTaskDefinition(arn);
        const fromShort = parseTaskDefinition(`${family}:${rev}`);

        // Assess
        expect(fromArn).toEqual({ family, revision: rev });
        expect(fromShort).toEqual(fromArn);
        expect(shortTaskDefinition(arn)).toBe(`${family}:${rev}`);
        expect(taskDefinitionArn(s, { family, revision: rev })).toBe(arn);
      }),
    );
  });

  it.each([
    ['a family without revision', `${ECS}:task-definition/api`],
    ['a bare family', 'api'],
    ['a revision that is no number', 'api:latest'],
    ['a family with a slash', 'team/api:7'],
    ['a dry run placeholder', '(dry run: not registered)'],
    ['a service ARN', `${ECS}:service/prod/api`],
  ])('is undefined for %s, whose short form is itself', (_name, value) => {
    // Prepare
    const text = value;

    // Act
    const parsed = parseTaskDefinition(text);

    // Assess
    expect(parsed).toBeUndefined();
    expect(shortTaskDefinition(text)).toBe(text);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        // Act
        const short = shortTaskDefinition(text);

        // Assess
        expect(typeof short).toBe('string');
      }),
    );
  });
});

describe('parseServiceDeploymentArn', () => {
  it('reads cluster, service and deployment', () => {
    // Prepare
    const arn = `${ECS}:service-deployment/prod/api/r7Qx3kS1a`;

    // Act
    const parsed = parseServiceDeploymentArn(arn);

    // Assess
    expect(parsed).toEqual({ ...SCOPE, cluster: 'prod', service: 'api', deploymentId: 'r7Qx3kS1a' });
  });

  it('is undefined for a service revision ARN', () => {
    // Prepare
    const arn = `${ECS}:service-revision/prod/api/7215930588047329784`;

    // Act
    const parsed = parseServiceDeploymentArn(arn);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('parseRepositoryArn', () => {
  it.each([
    ['a name with a namespace', `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/api`, 'team/api'],
    ['a plain name', `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/api`, 'api'],
  ])('reads %s', (_name, arn, repositoryName) => {
    // Prepare
    const text = arn;

    // Act
    const parsed = parseRepositoryArn(text);

    // Assess
    expect(parsed?.repositoryName).toBe(repositoryName);
  });

  it('is undefined for an ECS ARN', () => {
    // Prepare
    const arn = `${ECS}:repository/team/api`;

    // Act
    const parsed = parseRepositoryArn(arn);

    // Assess
    expect(parsed).toBeUndefined();
  });
});
