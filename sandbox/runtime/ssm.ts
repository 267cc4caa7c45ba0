/**
 * The sandbox's AWS Systems Manager Parameter Store: parameters in memory, with versions, and the
 * operations `AmazonSSM.GetParameter`, `GetParameters`, `PutParameter` and `DeleteParameter` over the
 * AWS JSON 1.1 protocol (served by `startAwsJsonServer`), so Powertools Parameters' `SSMProvider`
 * (`getParameter(name, { decrypt: true })`) reads chat webhook URLs and tokens from it.
 *
 * SecureString values are not encrypted; without `WithDecryption` they come back as a made-up
 * ciphertext (base64, as SSM returns the KMS blob), so a caller that forgets to decrypt notices.
 *
 * @see https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 * @see https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
 */
import { createHash } from 'node:crypto';
import { type AwsJsonOperation, AwsServiceError, type JsonObject } from './aws-json-server';

/** The parameter types of Parameter Store. */
export type ParameterType = 'String' | 'StringList' | 'SecureString';

/** One version of a parameter. */
export interface ParameterVersion {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: Date;
  dataType: string;
  description?: string;
}

/** Options of {@link LocalParameters.put}. */
export interface PutParameterOptions {
  /** `SecureString` by default (chat webhooks are secrets) */
  type?: ParameterType;
  /** false refuses to replace an existing parameter (ParameterAlreadyExists); true by default */
  overwrite?: boolean;
  description?: string;
  /** `text` by default */
  dataType?: string;
}

const NAME = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const TYPES = new Set<string>(['String', 'StringList', 'SecureString']);

/** The parameters of one local account, in memory. */
export class LocalParameters {
  private readonly byName = new Map<string, ParameterVersion[]>();

  /**
   * @param account - the account id in ARNs
   * @param region - the region in ARNs
   */
  constructor(
    readonly account: string,
    readonly region: string,
  ) {}

  /**
   * Creates a parameter or adds a version to it, as PutParameter does.
   *
   * @returns the new version number
   * @throws AwsServiceError ValidationException for a malformed name or an empty value,
   *   ParameterAlreadyExists when it exists and `overwrite` is false
   * @example
   * parameters.put('/autopilot/sandbox/slack-webhook', 'http://127.0.0.1:4000/slack/platform');
   */
  put(name: string, value: string, options: PutParameterOptions = {}): number {
    checkName(name);
    if (value === '') {
      throw validation(
        "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const versions = this.byName.get(name) ?? [];
    const latest = versions.at(-1);
    if (latest && options.overwrite === false) {
      throw new AwsServiceError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const type = options.type ?? latest?.type ?? 'SecureString';
    const version: ParameterVersion = {
      name,
      type,
      value,
      version: (latest?.version ?? 0) + 1,
      lastModified: new Date(),
      dataType: options.dataType ?? latest?.dataType ?? 'text',
      ...(options.description === undefined ? {} : { description: options.description }),
    };
    versions.push(version);
    this.byName.set(name, versions);
    return version.version;
  }

  /** The latest version of a parameter, or the version given; undefined when there is none. */
  get(name: string, version?: number): ParameterVersion | undefined {
    const versions = this.byName.get(name);
    return version === undefined ? versions?.at(-1) : versions?.find((v) => v.version === version);
  }

  /** Deletes a parameter and its versions; whether it existed. */
  delete(name: string): boolean {
    return this.byName.delete(name);
  }

  /** The names of every parameter, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>` */
  arnOf(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.account}:parameter/${name.replace(/^\//, '')}`;
  }
}

function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message);
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw validation(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_',
    );
  }
  // A hierarchy must be fully qualified (`/a/b`, not `a/b`).
  if (name.includes('/') && !name.startsWith('/')) {
    throw validation('Parameter name must be a fully qualified name.');
  }
}

function parameterNotFound(name: string): AwsServiceError {
  return new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
}

/** A made-up KMS ciphertext of a SecureString (what GetParameter returns without decryption). */
function ciphertextOf(value: string): string {
  const digest = createHash('sha256').update(value).digest();
  return `AQICAHh${Buffer.concat([Buffer.from('sandbox-kms'), digest]).toString('base64')}`;
}

/** `name`, `name:3` (a version); labels are not supported and are not found. */
function parseSelector(
  raw: string,
): { name: string; version?: number; selector?: string } | { name: string; label: string } {
  const at = raw.lastIndexOf(':');
  if (at <= 0) return { name: raw };
  const name = raw.slice(0, at);
  const selector = raw.slice(at + 1);
  return /^\d+$/.test(selector)
    ? { name, version: Number(selector), selector: `:${selector}` }
    : { name, label: selector };
}

/**
 * The Parameter Store operations on `parameters`, keyed by target for `startAwsJsonServer`.
 *
 * @example
 * startAwsJsonServer({ operations: { ...ssmOperations(new LocalParameters(account, region)) } });
 */
export function ssmOperations(parameters: LocalParameters): Record<string, AwsJsonOperation> {
  const describe = (raw: string, decrypt: boolean): JsonObject | undefined => {
    const wanted = parseSelector(raw);
    if ('label' in wanted) return undefined;
    const found = parameters.get(wanted.name, wanted.version);
    if (!found) return undefined;
    return {
      Name: found.name,
      Type: found.type,
      Value: found.type === 'SecureString' && !decrypt ? ciphertextOf(found.value) : found.value,
      Version: found.version,
      ...(wanted.selector ? { Selector: wanted.selector } : {}),
      LastModifiedDate: found.lastModified.getTime() / 1000,
      ARN: parameters.arnOf(found.name),
      DataType: found.dataType,
    };
  };
  const nameOf = (input: JsonObject): string => {
    if (typeof input.Name !== 'string' || input.Name === '') {
      throw validation(
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      );
    }
    return input.Name;
  };
  return {
    'AmazonSSM.GetParameter': (input) => {
      const name = nameOf(input);
      const parameter = describe(name, input.WithDecryption === true);
      if (!parameter) {
        const wanted = parseSelector(name);
        if ('version' in wanted && wanted.version !== undefined && parameters.get(wanted.name)) {
          throw new AwsServiceError(
            'ParameterVersionNotFound',
            `Systems Manager could not find version ${wanted.version} of ${wanted.name}. Verify the version and try again.`,
          );
        }
        throw parameterNotFound(name);
      }
      return { Parameter: parameter };
    },
    'AmazonSSM.GetParameters': (input) => {
      const names = input.Names;
      if (!Array.isArray(names) || names.length === 0 || names.length > 10) {
        throw validation(
          "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1",
        );
      }
      const found: JsonObject[] = [];
      const invalid: string[] = [];
      for (const name of new Set(names.map(String))) {
        const parameter = describe(name, input.WithDecryption === true);
        if (parameter) found.push(parameter);
        else invalid.push(name);
      }
      return { Parameters: found, InvalidParameters: invalid };
    },
    'AmazonSSM.PutParameter': (input) => {
      const name = nameOf(input);
      if (typeof input.Value !== 'string') {
        throw validation(
          "1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null",
        );
      }
      const type = input.Type;
      if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) {
        throw validation(
          `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
        );
      }
      if (type === undefined && !parameters.get(name)) {
        throw validation('A parameter type is required when you create a parameter.');
      }
      const version = parameters.put(name, input.Value, {
        type: type as ParameterType | undefined,
        overwrite: input.Overwrite === true,
        description: typeof input.Description === 'string' ? input.Description : undefined,
        dataType: typeof input.DataType === 'string' ? input.DataType : undefined,
      });
      return { Version: version, Tier: 'Standard' };
    },
    'AmazonSSM.DeleteParameter': (input) => {
      const name = nameOf(input);
      if (!parameters.delete(name)) throw parameterNotFound(name);
      return {};
    },
  };
}
