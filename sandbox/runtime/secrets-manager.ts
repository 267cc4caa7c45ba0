/**
 * The sandbox's AWS Secrets Manager: secrets in memory, with versions and the staging labels
 * AWSCURRENT / AWSPREVIOUS, and the operations `secretsmanager.GetSecretValue`, `CreateSecret` and
 * `PutSecretValue` over the AWS JSON 1.1 protocol (served by `startAwsJsonServer`), so Powertools
 * Parameters' `SecretsProvider` (`getSecret(name)`) reads chat webhooks and signing secrets from it.
 *
 * A secret is found by name, by full ARN, or by partial ARN (without the six-character suffix
 * Secrets Manager appends to the name), as the service does.
 *
 * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 */
import { randomInt, randomUUID } from 'node:crypto';
import { type AwsJsonOperation, AwsServiceError, type JsonObject } from './aws-json-server';

/** A secret value: a string (usually JSON) or binary data (base64, as the JSON protocol carries it). */
export type SecretValue = { string: string } | { binaryBase64: string };

/** One version of a secret. */
export interface SecretVersion {
  versionId: string;
  value: SecretValue;
  created: Date;
  /** AWSCURRENT, AWSPREVIOUS */
  stages: string[];
}

/** A secret and its versions. */
export interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  created: Date;
  versions: SecretVersion[];
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function notFound(message = "Secrets Manager can't find the specified secret."): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', message);
}

function invalidParameter(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterException', message);
}

/** The secrets of one local account, in memory. */
export class LocalSecrets {
  private readonly byName = new Map<string, StoredSecret>();

  /**
   * @param account - the account id in ARNs
   * @param region - the region in ARNs
   */
  constructor(
    readonly account: string,
    readonly region: string,
  ) {}

  /**
   * Creates a secret with its first version (AWSCURRENT), as CreateSecret does.
   *
   * @param value - a string, or `{ binaryBase64 }`
   * @throws AwsServiceError ResourceExistsException when a secret of that name exists,
   *   InvalidParameterException for a malformed name
   * @example
   * secrets.create('autopilot/sandbox/webhook', JSON.stringify({ url, signingSecret }));
   */
  create(
    name: string,
    value: string | SecretValue,
    options: { description?: string; versionId?: string } = {},
  ): StoredSecret {
    if (!NAME.test(name)) {
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    if (this.byName.has(name)) {
      throw new AwsServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const suffix = Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join(
      '',
    );
    const created = new Date();
    const secret: StoredSecret = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${suffix}`,
      created,
      versions: [
        {
          versionId: options.versionId ?? randomUUID(),
          value: typeof value === 'string' ? { string: value } : value,
          created,
          stages: ['AWSCURRENT'],
        },
      ],
      ...(options.description === undefined ? {} : { description: options.description }),
    };
    this.byName.set(name, secret);
    return secret;
  }

  /**
   * Adds a version and makes it AWSCURRENT (the one before becomes AWSPREVIOUS), as PutSecretValue does.
   *
   * @throws AwsServiceError ResourceNotFoundException for an unknown secret
   */
  put(secretId: string, value: string | SecretValue, versionId: string = randomUUID()): SecretVersion {
    const secret = this.find(secretId);
    if (!secret) throw notFound();
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) return existing;
    for (const version of secret.versions) {
      const wasCurrent = version.stages.includes('AWSCURRENT');
      version.stages = version.stages.filter((s) => s !== 'AWSCURRENT' && s !== 'AWSPREVIOUS');
      if (wasCurrent) version.stages.push('AWSPREVIOUS');
    }
    const version: SecretVersion = {
      versionId,
      value: typeof value === 'string' ? { string: value } : value,
      created: new Date(),
      stages: ['AWSCURRENT'],
    };
    secret.versions.push(version);
    return version;
  }

  /** A secret by name, full ARN or partial ARN; undefined when there is none. */
  find(secretId: string): StoredSecret | undefined {
    const byName = this.byName.get(secretId);
    if (byName) return byName;
    for (const secret of this.byName.values()) {
      if (secret.arn === secretId || secret.arn.slice(0, -'-XXXXXX'.length) === secretId) return secret;
    }
    return undefined;
  }

  /** The string of a secret's AWSCURRENT version (tests, seeding checks); undefined when there is none. */
  current(secretId: string): string | undefined {
    const version = this.find(secretId)?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    return version && 'string' in version.value ? version.value.string : undefined;
  }

  /** The names of every secret, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

function secretValueOf(input: JsonObject): SecretValue | undefined {
  const { SecretString, SecretBinary } = input;
  if (SecretString !== undefined && SecretBinary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (typeof SecretString === 'string') return { string: SecretString };
  if (typeof SecretBinary === 'string') return { binaryBase64: SecretBinary };
  return undefined;
}

function requiredString(input: JsonObject, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value null at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/**
 * The Secrets Manager operations on `secrets`, keyed by target for `startAwsJsonServer`.
 *
 * @example
 * startAwsJsonServer({ operations: { ...secretsManagerOperations(new LocalSecrets(account, region)) } });
 */
export function secretsManagerOperations(secrets: LocalSecrets): Record<string, AwsJsonOperation> {
  return {
    'secretsmanager.GetSecretValue': (input) => {
      const secret = secrets.find(requiredString(input, 'SecretId'));
      if (!secret) throw notFound();
      const { VersionId, VersionStage } = input;
      let version: SecretVersion | undefined;
      if (typeof VersionId === 'string') {
        version = secret.versions.find((v) => v.versionId === VersionId);
        if (!version) {
          throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${VersionId}`);
        }
        if (typeof VersionStage === 'string' && !version.stages.includes(VersionStage)) {
          throw invalidParameter(
            `You provided a VersionStage that is not associated to the provided VersionId.`,
          );
        }
      } else {
        const stage = typeof VersionStage === 'string' ? VersionStage : 'AWSCURRENT';
        version = secret.versions.find((v) => v.stages.includes(stage));
        if (!version) {
          throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${stage}`);
        }
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        ...('string' in version.value
          ? { SecretString: version.value.string }
          : { SecretBinary: version.value.binaryBase64 }),
        VersionStages: [...version.stages],
        CreatedDate: version.created.getTime() / 1000,
      };
    },
    'secretsmanager.CreateSecret': (input) => {
      const name = requiredString(input, 'Name');
      const value = secretValueOf(input);
      if (!value) {
        // Secrets Manager allows a secret without a value; autopilot's never are, so refuse early.
        throw invalidParameter('The sandbox needs SecretString or SecretBinary in CreateSecret.');
      }
      const secret = secrets.create(name, value, {
        description: typeof input.Description === 'string' ? input.Description : undefined,
        versionId: typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined,
      });
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versions[0]?.versionId };
    },
    'secretsmanager.PutSecretValue': (input) => {
      const secretId = requiredString(input, 'SecretId');
      const value = secretValueOf(input);
      if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
      const secret = secrets.find(secretId);
      if (!secret) throw notFound();
      const version = secrets.put(
        secretId,
        value,
        typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined,
      );
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      };
    },
  };
}
