import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ImageNotFoundException,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import { sandboxControlFile } from '../../../cli/target';
import type { Sandbox } from '../../../sandbox/account';
import { serveControl } from '../../../sandbox/control-server';
import { EcrGateway } from '../../../shared/adapters/aws/ecr-gateway';
import { EcrReplicationActionEventSchema } from '../../../shared/events/ecr-replication-action';
import { ACCOUNT, failure, REGION, useControlPlane } from './support';

const harness = useControlPlane();

describe('repositories', () => {
  it('creates, describes and refuses duplicates and unknown names with the SDK exception classes', async () => {
    // Prepare
    const { ecr } = harness();

    // Act
    const created = await ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'team/api', tags: [{ Key: 'team', Value: 'core' }] }),
    );
    const duplicate = await failure(ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' })));
    const described = await ecr.send(new DescribeRepositoriesCommand({}));
    const unknown = await failure(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['ghost'] })));
    const tags = await ecr.send(
      new ListTagsForResourceCommand({ resourceArn: created.repository?.repositoryArn }),
    );

    // Assess
    expect(created.repository).toMatchObject({
      repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/api`,
      registryId: ACCOUNT,
      repositoryName: 'team/api',
      repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/api`,
      imageTagMutability: 'MUTABLE',
    });
    expect(created.repository?.createdAt).toBeInstanceOf(Date);
    expect(duplicate).toBeInstanceOf(RepositoryAlreadyExistsException);
    expect(described.repositories?.map((r) => r.repositoryName)).toEqual(['team/api']);
    expect(unknown).toBeInstanceOf(RepositoryNotFoundException);
    expect(tags.tags).toEqual([{ Key: 'team', Value: 'core' }]);
  });
});

describe('pushImage and image queries', () => {
  it('emits ECR Image Action PUSH and answers DescribeImages by tag and by digest', async () => {
    // Prepare
    const { ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));

    // Act
    const first = plane.pushImage('team/api', 'main');
    const second = plane.pushImage('team/api', 'main');
    const byTag = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'main' }] }),
    );
    const byDigest = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageDigest: first.digest }] }),
    );
    const listed = await ecr.send(new ListImagesCommand({ repositoryName: 'team/api' }));
    const untagged = await ecr.send(
      new ListImagesCommand({ repositoryName: 'team/api', filter: { tagStatus: 'UNTAGGED' } }),
    );

    // Assess
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).not.toBe(first.digest);
    const pushes = events.filter((e) => e['detail-type'] === 'ECR Image Action');
    expect(pushes.map((e) => e.detail)).toEqual([
      {
        result: 'SUCCESS',
        'repository-name': 'team/api',
        'image-digest': first.digest,
        'action-type': 'PUSH',
        'image-tag': 'main',
        'manifest-media-type': 'application/vnd.docker.distribution.manifest.v2+json',
        'artifact-media-type': 'application/vnd.docker.container.image.v1+json',
      },
      expect.objectContaining({ 'image-digest': second.digest, 'image-tag': 'main' }),
    ]);
    expect(pushes[0]).toMatchObject({ source: 'aws.ecr', account: ACCOUNT, region: REGION, resources: [] });
    expect(byTag.imageDetails?.[0]).toMatchObject({ imageDigest: second.digest, imageTags: ['main'] });
    expect(byTag.imageDetails?.[0]?.imagePushedAt).toBeInstanceOf(Date);
    expect(byDigest.imageDetails?.[0]?.imageTags).toBeUndefined();
    expect(listed.imageIds).toHaveLength(2);
    expect(untagged.imageIds).toEqual([{ imageDigest: first.digest }]);
  });

  it('emits ECR Replication Action, and no push, for an image ECR replicated here from another region', async () => {
    // Prepare
    const { ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));

    // Act
    const { digest } = plane.pushImage('team/api', 'main', undefined, {
      replicatedFrom: { region: 'us-east-1', accountId: '111122223333' },
    });
    const byTag = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'main' }] }),
    );

    // Assess
    const ecrEvents = events.filter((e) => e.source === 'aws.ecr');
    expect(ecrEvents.map((e) => e['detail-type'])).toEqual([
      'AWS API Call via CloudTrail',
      'ECR Replication Action',
    ]);
    const replication = ecrEvents[1];
    expect(replication).toMatchObject({
      account: ACCOUNT,
      region: REGION,
      resources: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/api`],
      detail: {
        result: 'SUCCESS',
        'repository-name': 'team/api',
        'image-digest': digest,
        'source-account': '111122223333',
        'action-type': 'REPLICATE',
        'source-region': 'us-east-1',
        'image-tag': 'main',
      },
    });
    expect(EcrReplicationActionEventSchema.safeParse(replication).error).toBeUndefined();
    expect(byTag.imageDetails?.[0]).toMatchObject({ imageDigest: digest, imageTags: ['main'] });
  });

  it('gives the same digest to the same content and refuses to move an immutable tag', async () => {
    // Prepare
    const { ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'fixed', imageTagMutability: 'IMMUTABLE' }));
    const { digest } = plane.pushImage('fixed', '1.0.0', undefined, { content: 'build-1' });

    // Act
    const retag = plane.pushImage('fixed', 'stable', undefined, { content: 'build-1' });
    let refused: unknown;
    try {
      plane.pushImage('fixed', '1.0.0', undefined, { content: 'build-2' });
    } catch (error) {
      refused = error;
    }

    // Assess
    expect(retag.digest).toBe(digest);
    expect(refused).toMatchObject({
      name: 'ImageTagAlreadyExistsException',
      message: expect.stringMatching(/cannot be overwritten/),
    });
  });

  it('answers ImageNotFoundException and RepositoryNotFoundException as the SDK expects them', async () => {
    // Prepare
    const { ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const gateway = new EcrGateway(ecr);

    // Act
    const missingImage = await failure(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'nope' }] })),
    );
    const missingRepository = await failure(ecr.send(new DescribeImagesCommand({ repositoryName: 'ghost' })));
    const { digest } = plane.pushImage('team/api', '1.4.2');
    const viaAdapter = await gateway.tagsOfDigest(
      { registryId: ACCOUNT, repositoryName: 'team/api' },
      digest,
    );
    const viaAdapterMissing = await gateway.tagsOfDigest(
      { registryId: ACCOUNT, repositoryName: 'team/api' },
      `sha256:${'0'.repeat(64)}`,
    );

    // Assess
    expect(missingImage).toBeInstanceOf(ImageNotFoundException);
    expect(missingRepository).toBeInstanceOf(RepositoryNotFoundException);
    expect(viaAdapter).toEqual(['1.4.2']);
    expect(viaAdapterMissing).toEqual([]);
  });

  it('throws from pushImage when the repository does not exist', () => {
    // Prepare
    const { plane } = harness();

    // Act
    const push = () => plane.pushImage('ghost', 'main');

    // Assess
    expect(push).toThrow("The repository with name 'ghost' does not exist");
  });
});

describe('BatchGetImage, PutImage and BatchDeleteImage', () => {
  it('retags through PutImage, reads manifests and deletes with DELETE events', async () => {
    // Prepare
    const { ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const { digest } = plane.pushImage('team/api', '1.2.0');
    const got = await ecr.send(
      new BatchGetImageCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: '1.2.0' }] }),
    );
    const manifest = got.images?.[0]?.imageManifest ?? '';

    // Act
    const put = await ecr.send(
      new PutImageCommand({ repositoryName: 'team/api', imageManifest: manifest, imageTag: 'latest' }),
    );
    const untag = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'latest' }] }),
    );
    const remove = await ecr.send(
      new BatchDeleteImageCommand({
        repositoryName: 'team/api',
        imageIds: [{ imageDigest: digest }, { imageTag: 'gone' }],
      }),
    );
    const left = await ecr.send(new ListImagesCommand({ repositoryName: 'team/api' }));

    // Assess
    expect(put.image?.imageId).toEqual({ imageDigest: digest, imageTag: 'latest' });
    expect(untag.imageIds).toEqual([{ imageDigest: digest, imageTag: 'latest' }]);
    expect(remove.imageIds).toEqual([{ imageDigest: digest, imageTag: '1.2.0' }]);
    expect(remove.failures).toEqual([
      {
        imageId: { imageTag: 'gone' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    expect(left.imageIds).toEqual([]);
    const actions = events
      .filter((e) => e['detail-type'] === 'ECR Image Action')
      .map((e) => [e.detail['action-type'], e.detail['image-tag']]);
    expect(actions).toEqual([
      ['PUSH', '1.2.0'],
      ['PUSH', 'latest'],
      ['DELETE', 'latest'],
      ['DELETE', '1.2.0'],
    ]);
  });

  it('tags repositories', async () => {
    // Prepare
    const { ecr } = harness();
    const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const resourceArn = created.repository?.repositoryArn;

    // Act
    await ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'owner', Value: 'platform' }] }));
    const out = await ecr.send(new ListTagsForResourceCommand({ resourceArn }));

    // Assess
    expect(out.tags).toEqual([{ Key: 'owner', Value: 'platform' }]);
  });
});

describe('the control endpoint', () => {
  it('pushes an image ECR replicated here through the push op (autopilot sandbox push --replicated-from)', async () => {
    // Prepare
    const { ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const root = mkdtempSync(join(tmpdir(), 'control-replica-'));
    const runtime = { operatorEnvironment: () => ({}) };
    const stop = await serveControl({ plane, runtime } as unknown as Sandbox, root);
    const { url } = JSON.parse(readFileSync(sandboxControlFile(root, {}), 'utf8')) as { url: string };
    const push = (body: Record<string, unknown>) =>
      fetch(url, {
        method: 'POST',
        body: JSON.stringify({ op: 'push', repository: 'team/api', tag: 'main', ...body }),
      });

    // Act
    const ok = await push({ replicatedFrom: 'us-east-1' });
    const refused = await push({ replicatedFrom: 'us east 1' });
    await stop();
    rmSync(root, { recursive: true, force: true });

    // Assess
    expect(ok.status).toBe(200);
    expect(refused.status).toBe(400);
    const arrivals = events.filter(
      (e) => e['detail-type'] === 'ECR Replication Action' || e['detail-type'] === 'ECR Image Action',
    );
    expect(
      arrivals.map((e) => [e['detail-type'], (e.detail as Record<string, unknown>)['source-region']]),
    ).toEqual([['ECR Replication Action', 'us-east-1']]);
  });
});
