/**
 * The Amazon ECR operations of the control plane (target prefix `AmazonEC2ContainerRegistry_V20150921`)
 * and the image push that `docker push` amounts to. Shapes as in the ECR API reference
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/); pushes and deletions send
 * "ECR Image Action" events.
 */
import type {
  BatchDeleteImageRequest,
  BatchGetImageRequest,
  CreateRepositoryRequest,
  DeleteRepositoryRequest,
  DescribeImagesRequest,
  DescribeRepositoriesRequest,
  ImageDetail,
  ImageFailure,
  ImageIdentifier,
  ListImagesRequest,
  ListTagsForResourceRequest,
  PutImageRequest,
  Repository,
  TagResourceRequest,
  UntagResourceRequest,
} from '@aws-sdk/client-ecr';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { copy, type OperationTable, paginate, requireString } from './api-support';
import { AwsApiError, invalidParameter } from './errors';
import type { EventFactory } from './events';
import {
  type ControlPlaneModel,
  HEALTHY,
  type ImageBehaviour,
  type ImageRecord,
  type RepositoryRecord,
} from './model';
import { sha256Hex } from './random';

/** The failure of an image id that names no image of the repository. */
const imageNotFound = (id: ImageIdentifier): ImageFailure => ({
  imageId: copy(id),
  failureCode: 'ImageNotFound',
  failureReason: 'Requested image not found',
});

/** The most user tags a repository can have (`aws:` ones are not counted). */
const MAX_TAGS = 50;

/** Letters, spaces, numbers and `_ . : / = + - @`, as ECS and most services allow in tags. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** ECR's `InvalidTagParameterException`, with the message of its API reference. */
const invalidTag = () =>
  new AwsApiError(
    'InvalidTagParameterException',
    'An invalid parameter has been specified. Tag keys can have a maximum character length of 128 characters, and tag values can have a maximum length of 256 characters.',
  );

/** ECR's `TooManyTagsException`, with the message of its API reference. */
const tooManyTags = () =>
  new AwsApiError(
    'TooManyTagsException',
    'The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a repository is 50.',
  );

/**
 * Checks ECR tags (`Key`/`Value`): keys 1-128 characters, values up to 256, letters, spaces, numbers
 * and `_ . : / = + - @`, no key with the reserved `aws:` prefix; `InvalidTagParameterException`
 * otherwise. The count is checked by the caller, against the tags the repository will have.
 */
export function validateEcrTags(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): { Key: string; Value: string }[] {
  return (tags ?? []).map((tag) => {
    const key = tag.Key ?? '';
    const value = tag.Value ?? '';
    if (
      key.length === 0 ||
      [...key].length > 128 ||
      [...value].length > 256 ||
      !TAG_CHARACTERS.test(key) ||
      !TAG_CHARACTERS.test(value) ||
      key.toLowerCase().startsWith('aws:')
    )
      throw invalidTag();
    return { Key: key, Value: value };
  });
}

/** What the ECR handlers work with. */
export interface EcrApiDeps {
  model: ControlPlaneModel;
  events: EventFactory;
  emit: (event: EventBridgeEvent) => void;
  now: () => Date;
}

/** Docker image manifest v2, schema 2: what `docker push` sends by default. */
export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
/** The config media type of a Docker image. */
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/**
 * Manifest annotation a PutImage caller can set to choose what containers of the image do, e.g.
 * `{"annotations": {"sandbox.ecs-autopilot/behaviour": "{\"kind\":\"crash\",\"exitCode\":137}"}}`.
 */
export const BEHAVIOUR_ANNOTATION = 'sandbox.ecs-autopilot/behaviour';

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/;

/** The ECR operations, and image pushes. */
export class EcrApi {
  /** @param deps - model, event builders, emit callback and clock */
  constructor(private readonly deps: EcrApiDeps) {}

  /** Every operation with its handler; the mutating ones are delivered through CloudTrail. */
  operations(): OperationTable {
    const op = (handler: (input: never) => unknown, mutating: boolean) => ({
      handler: handler.bind(this) as (input: unknown) => unknown,
      mutating,
    });
    return {
      CreateRepository: op(this.createRepository, true),
      DescribeRepositories: op(this.describeRepositories, false),
      DeleteRepository: op(this.deleteRepository, true),
      DescribeImages: op(this.describeImages, false),
      ListImages: op(this.listImages, false),
      BatchGetImage: op(this.batchGetImage, false),
      BatchDeleteImage: op(this.batchDeleteImage, true),
      PutImage: op(this.putImageOperation, true),
      TagResource: op(this.tagResource, true),
      UntagResource: op(this.untagResource, true),
      ListTagsForResource: op(this.listTagsForResource, false),
    };
  }

  // ------------------------------------------------------------- helpers

  private repositoryNotFound(name: string): AwsApiError {
    return new AwsApiError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${this.deps.model.accountId}'`,
    );
  }

  private repository(name: unknown): RepositoryRecord {
    const repositoryName = requireString(name, 'repositoryName');
    const record = this.deps.model.repositories.get(repositoryName);
    if (!record) throw this.repositoryNotFound(repositoryName);
    return record;
  }

  /** The repository and the image ids of a Batch*Image call, which ECR takes 1 to 100 at a time. */
  private imageBatch(input: { registryId?: string; repositoryName?: string; imageIds?: ImageIdentifier[] }) {
    this.checkRegistry(input.registryId);
    const record = this.repository(input.repositoryName);
    const ids = input.imageIds ?? [];
    if (ids.length === 0 || ids.length > 100)
      throw invalidParameter('imageIds must have between 1 and 100 items.');
    return { record, ids };
  }

  private checkRegistry(registryId: string | undefined): void {
    if (registryId !== undefined && registryId !== this.deps.model.accountId) {
      throw invalidParameter(
        `Invalid parameter at 'registryId' failed to satisfy constraint: 'the registry ${registryId} is not this account'`,
      );
    }
  }

  private find(record: RepositoryRecord, id: ImageIdentifier): ImageRecord | undefined {
    if (id.imageDigest !== undefined) {
      const image = record.images.get(id.imageDigest);
      return image && (id.imageTag === undefined || image.tags.includes(id.imageTag)) ? image : undefined;
    }
    return [...record.images.values()].find((i) => id.imageTag !== undefined && i.tags.includes(id.imageTag));
  }

  private detail(record: RepositoryRecord, image: ImageRecord): ImageDetail {
    return {
      registryId: this.deps.model.accountId,
      repositoryName: record.name,
      imageDigest: image.digest,
      imageTags: image.tags.length > 0 ? [...image.tags] : undefined,
      imageSizeInBytes: image.sizeInBytes,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: image.manifestMediaType,
      artifactMediaType: image.artifactMediaType,
      lastRecordedPullTime: image.lastRecordedPullTime,
      imageStatus: 'ACTIVE',
    };
  }

  private images(record: RepositoryRecord, tagStatus: string | undefined): ImageRecord[] {
    return [...record.images.values()].filter((i) =>
      tagStatus === 'TAGGED' ? i.tags.length > 0 : tagStatus === 'UNTAGGED' ? i.tags.length === 0 : true,
    );
  }

  private emit(event: EventBridgeEvent): void {
    this.deps.emit(event);
  }

  // --------------------------------------------------------------- pushes

  /**
   * Stores an image manifest and moves `tag` to it (as PutImage, the last step of `docker push`), then
   * sends "ECR Image Action" PUSH SUCCESS; for an image ECR replicated into this registry
   * (`replicatedFrom`: the source region, and account when not this one), "ECR Replication Action"
   * SUCCESS instead, as ECR sends no push in the destination.
   *
   * @param behaviour - what containers of the image do; by default the behaviour the image already
   *   has (a retag) or {@link HEALTHY}
   */
  putImage(
    repositoryName: string,
    manifest: string,
    options: {
      tag?: string;
      mediaType?: string;
      digest?: string;
      behaviour?: ImageBehaviour;
      replicatedFrom?: { region: string; accountId?: string };
    } = {},
  ): ImageRecord {
    const { model, now, events } = this.deps;
    const record = this.repository(repositoryName);
    const digest = `sha256:${sha256Hex(manifest)}`;
    if (options.digest !== undefined && options.digest !== digest) {
      throw new AwsApiError(
        'ImageDigestDoesNotMatchException',
        `Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The calculated digest ${digest} does not match the provided digest ${options.digest}'`,
      );
    }
    const tag = options.tag;
    if (tag !== undefined && !IMAGE_TAG.test(tag))
      throw invalidParameter(`Invalid parameter at 'imageTag': '${tag}'`);
    const existing = record.images.get(digest);
    if (existing && (tag === undefined || existing.tags.includes(tag))) {
      throw new AwsApiError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}'${tag === undefined ? '' : ` and tag '${tag}'`} already exists in the repository with name '${record.name}' in registry with id '${model.accountId}'`,
      );
    }
    const holder =
      tag === undefined ? undefined : [...record.images.values()].find((i) => i.tags.includes(tag));
    const mutability = record.repository.imageTagMutability ?? 'MUTABLE';
    if (holder && mutability.startsWith('IMMUTABLE')) {
      throw new AwsApiError(
        'ImageTagAlreadyExistsException',
        `The image tag '${tag}' already exists in the '${record.name}' repository and cannot be overwritten because the repository is immutable.`,
      );
    }
    if (holder && tag !== undefined) holder.tags = holder.tags.filter((t) => t !== tag);
    const mediaType = options.mediaType ?? mediaTypeOf(manifest) ?? DOCKER_MANIFEST_V2;
    const image: ImageRecord = existing ?? {
      digest,
      tags: [],
      pushedAt: now(),
      sizeInBytes: imageSize(manifest),
      manifest,
      manifestMediaType: mediaType,
      artifactMediaType: DOCKER_CONFIG,
      behaviour: options.behaviour ?? behaviourOf(manifest) ?? HEALTHY,
    };
    if (existing && options.behaviour) existing.behaviour = options.behaviour;
    if (tag !== undefined) image.tags.push(tag);
    record.images.set(digest, image);
    this.emit(
      options.replicatedFrom === undefined
        ? events.ecrImageAction({
            actionType: 'PUSH',
            result: 'SUCCESS',
            repositoryName: record.name,
            digest,
            tag,
            manifestMediaType: image.manifestMediaType,
            artifactMediaType: image.artifactMediaType,
          })
        : events.ecrReplicationAction({
            repositoryName: record.name,
            digest,
            tag,
            from: options.replicatedFrom,
          }),
    );
    return image;
  }

  // --------------------------------------------------------- repositories

  private createRepository(input: CreateRepositoryRequest) {
    const { model, now } = this.deps;
    this.checkRegistry(input.registryId);
    const name = requireString(input.repositoryName, 'repositoryName');
    if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
      throw invalidParameter(
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${REPOSITORY_NAME.source}''`,
      );
    }
    if (model.repositories.has(name)) {
      throw new AwsApiError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${model.accountId}'`,
      );
    }
    const tags = validateEcrTags(input.tags);
    if (tags.length > MAX_TAGS) throw tooManyTags();
    const repository: Repository = {
      repositoryArn: model.repositoryArn(name),
      registryId: model.accountId,
      repositoryName: name,
      repositoryUri: `${model.registryHost}/${name}`,
      createdAt: now(),
      imageTagMutability: input.imageTagMutability ?? 'MUTABLE',
      imageTagMutabilityExclusionFilters: copy(input.imageTagMutabilityExclusionFilters),
      imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false },
      encryptionConfiguration: copy(input.encryptionConfiguration ?? { encryptionType: 'AES256' }),
    };
    model.repositories.set(name, { name, repository, images: new Map() });
    model.ecrTags.set(repository.repositoryArn ?? '', tags);
    return { repository: copy(repository) };
  }

  private describeRepositories(input: DescribeRepositoriesRequest) {
    const { model } = this.deps;
    this.checkRegistry(input.registryId);
    let records: RepositoryRecord[];
    if (input.repositoryNames?.length) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalidParameter('Cannot specify maxResults or nextToken with repositoryNames.');
      }
      records = input.repositoryNames.map((name) => this.repository(name));
    } else {
      records = [...model.repositories.values()];
    }
    const { page, nextToken } = paginate(
      records.map((r) => copy(r.repository)),
      input,
      1000,
    );
    return { repositories: page, nextToken };
  }

  private deleteRepository(input: DeleteRepositoryRequest) {
    const { model } = this.deps;
    this.checkRegistry(input.registryId);
    const record = this.repository(input.repositoryName);
    if (record.images.size > 0 && !input.force) {
      throw new AwsApiError(
        'RepositoryNotEmptyException',
        `The repository with name '${record.name}' in registry with id '${model.accountId}' cannot be deleted because it still contains images`,
      );
    }
    model.repositories.delete(record.name);
    model.ecrTags.delete(record.repository.repositoryArn ?? '');
    return { repository: copy(record.repository) };
  }

  // --------------------------------------------------------------- images

  private describeImages(input: DescribeImagesRequest) {
    const { model } = this.deps;
    this.checkRegistry(input.registryId);
    const record = this.repository(input.repositoryName);
    if (input.imageIds?.length) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalidParameter('Cannot specify maxResults or nextToken with imageIds.');
      }
      const details = input.imageIds.map((id) => {
        const image = this.find(record, id);
        if (!image) {
          throw new AwsApiError(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${record.name}' in the registry with id '${model.accountId}'`,
          );
        }
        return this.detail(record, image);
      });
      return { imageDetails: copy(details) };
    }
    const { page, nextToken } = paginate(this.images(record, input.filter?.tagStatus), input, 1000, 100);
    return { imageDetails: copy(page.map((image) => this.detail(record, image))), nextToken };
  }

  private listImages(input: ListImagesRequest) {
    this.checkRegistry(input.registryId);
    const record = this.repository(input.repositoryName);
    const ids: ImageIdentifier[] = this.images(record, input.filter?.tagStatus).flatMap((image) =>
      image.tags.length === 0
        ? [{ imageDigest: image.digest }]
        : image.tags.map((imageTag) => ({ imageDigest: image.digest, imageTag })),
    );
    const { page, nextToken } = paginate(ids, input, 1000, 100);
    return { imageIds: page, nextToken };
  }

  private batchGetImage(input: BatchGetImageRequest) {
    const { model } = this.deps;
    const { record, ids } = this.imageBatch(input);
    const images = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      const image = this.find(record, id);
      if (!image) {
        failures.push(imageNotFound(id));
        continue;
      }
      images.push({
        registryId: model.accountId,
        repositoryName: record.name,
        imageId: {
          imageDigest: image.digest,
          ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }),
        },
        imageManifest: image.manifest,
        imageManifestMediaType: image.manifestMediaType,
      });
    }
    return { images, failures };
  }

  private batchDeleteImage(input: BatchDeleteImageRequest) {
    const { events } = this.deps;
    const { record, ids } = this.imageBatch(input);
    const deleted: ImageIdentifier[] = [];
    const failures: ImageFailure[] = [];
    const notices: { digest: string; tag?: string }[] = [];
    for (const id of ids) {
      if (id.imageDigest === undefined && id.imageTag === undefined) {
        failures.push({
          imageId: copy(id),
          failureCode: 'MissingDigestAndTag',
          failureReason: 'Missing digest and tag',
        });
        continue;
      }
      const image = this.find(record, id);
      if (!image) {
        const byDigest = id.imageDigest === undefined ? undefined : record.images.get(id.imageDigest);
        failures.push(
          byDigest
            ? {
                imageId: copy(id),
                failureCode: 'ImageTagDoesNotMatchDigest',
                failureReason: 'Invalid image tag for image digest',
              }
            : imageNotFound(id),
        );
        continue;
      }
      if (id.imageDigest === undefined && id.imageTag !== undefined && image.tags.length > 1) {
        // Deleting one of several tags only untags the image.
        image.tags = image.tags.filter((t) => t !== id.imageTag);
        deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
        notices.push({ digest: image.digest, tag: id.imageTag });
        continue;
      }
      record.images.delete(image.digest);
      if (image.tags.length === 0) {
        deleted.push({ imageDigest: image.digest });
        notices.push({ digest: image.digest });
      }
      for (const tag of image.tags) {
        deleted.push({ imageDigest: image.digest, imageTag: tag });
        notices.push({ digest: image.digest, tag });
      }
    }
    for (const notice of notices) {
      this.emit(
        events.ecrImageAction({
          actionType: 'DELETE',
          result: 'SUCCESS',
          repositoryName: record.name,
          digest: notice.digest,
          tag: notice.tag,
        }),
      );
    }
    return { imageIds: deleted, failures };
  }

  private putImageOperation(input: PutImageRequest) {
    this.checkRegistry(input.registryId);
    const manifest = requireString(input.imageManifest, 'imageManifest');
    const image = this.putImage(requireString(input.repositoryName, 'repositoryName'), manifest, {
      tag: input.imageTag,
      mediaType: input.imageManifestMediaType,
      digest: input.imageDigest,
    });
    return {
      image: {
        registryId: this.deps.model.accountId,
        repositoryName: input.repositoryName,
        imageId: {
          imageDigest: image.digest,
          ...(input.imageTag === undefined ? {} : { imageTag: input.imageTag }),
        },
        imageManifest: image.manifest,
        imageManifestMediaType: image.manifestMediaType,
      },
    };
  }

  // ----------------------------------------------------------------- tags

  private repositoryByArn(arn: unknown): RepositoryRecord {
    const resourceArn = requireString(arn, 'resourceArn');
    const record = [...this.deps.model.repositories.values()].find(
      (r) => r.repository.repositoryArn === resourceArn,
    );
    if (!record) throw this.repositoryNotFound(resourceArn.split(':repository/')[1] ?? resourceArn);
    return record;
  }

  private tagResource(input: TagResourceRequest) {
    const record = this.repositoryByArn(input.resourceArn);
    const arn = record.repository.repositoryArn ?? '';
    const tags = validateEcrTags(input.tags);
    if (tags.length === 0) throw invalidParameter('tags can not be empty.');
    // Merged into a copy, so a call over the limit changes nothing.
    const merged = (this.deps.model.ecrTags.get(arn) ?? []).map((t) => ({ ...t }));
    for (const tag of tags) {
      const existing = merged.find((t) => t.Key === tag.Key);
      if (existing) existing.Value = tag.Value;
      else merged.push(tag);
    }
    if (merged.filter((t) => !t.Key.toLowerCase().startsWith('aws:')).length > MAX_TAGS) throw tooManyTags();
    this.deps.model.ecrTags.set(arn, merged);
    return {};
  }

  private untagResource(input: UntagResourceRequest) {
    const record = this.repositoryByArn(input.resourceArn);
    const arn = record.repository.repositoryArn ?? '';
    const keys: unknown = input.tagKeys;
    if (!Array.isArray(keys) || keys.length === 0) throw invalidParameter('tagKeys can not be empty.');
    for (const key of keys) {
      if (
        typeof key !== 'string' ||
        key.length === 0 ||
        [...key].length > 128 ||
        key.toLowerCase().startsWith('aws:')
      )
        throw invalidTag();
    }
    this.deps.model.ecrTags.set(
      arn,
      (this.deps.model.ecrTags.get(arn) ?? []).filter((t) => !keys.includes(t.Key)),
    );
    return {};
  }

  private listTagsForResource(input: ListTagsForResourceRequest) {
    const record = this.repositoryByArn(input.resourceArn);
    return { tags: copy(this.deps.model.ecrTags.get(record.repository.repositoryArn ?? '') ?? []) };
  }
}

/** The `mediaType` a manifest declares, if any. */
function mediaTypeOf(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(manifest) as { mediaType?: unknown };
    return typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/** The behaviour a manifest asks for through {@link BEHAVIOUR_ANNOTATION}, if any. */
function behaviourOf(manifest: string): ImageBehaviour | undefined {
  try {
    const parsed = JSON.parse(manifest) as { annotations?: Record<string, unknown> };
    const value = parsed.annotations?.[BEHAVIOUR_ANNOTATION];
    if (typeof value !== 'string') return undefined;
    const behaviour = JSON.parse(value) as ImageBehaviour;
    return ['healthy', 'crash', 'unhealthy', 'exit'].includes(behaviour.kind) ? behaviour : undefined;
  } catch {
    return undefined;
  }
}

/** The size ECR reports: the layers' sizes from the manifest, else the manifest's own length. */
function imageSize(manifest: string): number {
  try {
    const parsed = JSON.parse(manifest) as { layers?: { size?: number }[]; config?: { size?: number } };
    const layers = (parsed.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0);
    return layers + (parsed.config?.size ?? 0) || manifest.length;
  } catch {
    return manifest.length;
  }
}

/**
 * The manifest `docker push` would upload for a build: a config and one layer whose digests derive
 * from `content`, so different content gives a different image digest.
 */
export function buildManifest(content: string): string {
  const config = `sha256:${sha256Hex(`config:${content}`)}`;
  const layer = `sha256:${sha256Hex(`layer:${content}`)}`;
  const layerSize = 20_000_000 + (Number.parseInt(sha256Hex(content).slice(0, 6), 16) % 40_000_000);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST_V2,
    config: { mediaType: DOCKER_CONFIG, size: 1469, digest: config },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layerSize, digest: layer },
    ],
  });
}
