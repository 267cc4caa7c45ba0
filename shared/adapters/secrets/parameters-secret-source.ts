/**
 * {@link SecretSource} on Powertools Parameters: SSM SecureString parameters (decrypted) and Secrets
 * Manager secrets, each cached for five minutes by the provider. Errors name the parameter or secret,
 * never its value.
 */
import { GetParameterError, ParameterNotFoundError } from '@aws-lambda-powertools/parameters';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretRef } from '../../config/notifications';
import { PermanentError } from '../../errors';
import type { SecretSource } from '../../ports';
import { classifyAwsError } from '../aws/aws-errors';
import { cachedClient, clientConfig } from '../aws/clients';

/** AWS errors after which reading the same secret again cannot work. */
const PERMANENT = [
  'AccessDeniedException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'ResourceNotFoundException',
  'InvalidKeyId',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
];

/** Options of {@link ParametersSecretSource}. */
export interface ParametersSecretSourceOptions {
  /** the SSM client; the shared traced one by default (honours AWS_ENDPOINT_URL_SSM) */
  ssmClient?: SSMClient;
  /** the Secrets Manager client; the shared traced one by default (AWS_ENDPOINT_URL_SECRETS_MANAGER) */
  secretsManagerClient?: SecretsManagerClient;
  /** how long a value is cached; default 300 s */
  maxAgeSeconds?: number;
}

/**
 * Reads secrets by reference. With the default clients every instance shares one process-wide
 * provider per service, so the cache outlives an invocation even when each one builds its own source;
 * with clients given, the cache belongs to the instance.
 *
 * @example
 * const secrets = new ParametersSecretSource();
 * const url = await secrets.get({ ssm: '/autopilot/slack-webhook' });
 * const token = await secrets.get({ secretsManager: 'autopilot/chat', key: 'slackToken' });
 */
export class ParametersSecretSource implements SecretSource {
  private readonly ssm: SSMProvider;
  private readonly secrets: SecretsProvider;
  private readonly maxAge: number;

  /** @param options - clients and cache age; see {@link ParametersSecretSourceOptions} */
  constructor(options: ParametersSecretSourceOptions = {}) {
    this.ssm = options.ssmClient ? new SSMProvider({ awsSdkV3Client: options.ssmClient }) : defaultSsm();
    this.secrets = options.secretsManagerClient
      ? new SecretsProvider({ awsSdkV3Client: options.secretsManagerClient })
      : defaultSecrets();
    this.maxAge = options.maxAgeSeconds ?? 300;
  }

  /**
   * The secret's value.
   *
   * @throws PermanentError - missing, empty, not readable (access denied, KMS) or, with `key`, not a
   *   JSON object with that string field
   * @throws RetryableError - throttling and other transient AWS failures
   */
  async get(ref: SecretRef): Promise<string> {
    if ('ssm' in ref) {
      const what = `SSM parameter ${ref.ssm}`;
      const value = await read(what, () =>
        this.ssm.get(ref.ssm, { decrypt: true, maxAge: this.maxAge, throwOnMissing: true }),
      );
      return nonEmpty(value, what);
    }
    const what = `secret ${ref.secretsManager}`;
    const raw = await read(what, () =>
      this.secrets.get(ref.secretsManager, { maxAge: this.maxAge, throwOnMissing: true }),
    );
    const value = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
    return ref.key === undefined ? nonEmpty(value, what) : field(value, ref.key, what);
  }
}

let ssmProvider: SSMProvider | undefined;
let secretsProvider: SecretsProvider | undefined;

/** The process-wide SSM provider on the shared client. */
function defaultSsm(): SSMProvider {
  ssmProvider ??= new SSMProvider({
    awsSdkV3Client: cachedClient('ssm', () => new SSMClient(clientConfig())),
  });
  return ssmProvider;
}

/** The process-wide Secrets Manager provider on the shared client. */
function defaultSecrets(): SecretsProvider {
  secretsProvider ??= new SecretsProvider({
    awsSdkV3Client: cachedClient('secrets-manager', () => new SecretsManagerClient(clientConfig())),
  });
  return secretsProvider;
}

/** Runs a provider read and turns its errors into the project's taxonomy. */
async function read<T>(what: string, get: () => Promise<T>): Promise<T> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof ParameterNotFoundError)
      throw new PermanentError(`${what} not found`, { cause: error });
    // Powertools wraps the SDK error; classify the SDK's own (its messages hold names, not values).
    const cause = error instanceof GetParameterError && error.cause ? error.cause : error;
    throw classifyAwsError(cause, `reading ${what}`, PERMANENT);
  }
}

function nonEmpty(value: string, what: string): string {
  if (!value.trim()) throw new PermanentError(`${what} is empty`);
  return value;
}

/** A string field of a JSON secret. */
function field(json: string, key: string, what: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // JSON.parse quotes the text it failed on: no cause, no message.
    throw new PermanentError(`${what} is not JSON, so it has no field "${key}"`);
  }
  const value =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[key]
      : undefined;
  if (typeof value !== 'string') throw new PermanentError(`${what} has no string field "${key}"`);
  return nonEmpty(value, `${what} field "${key}"`);
}
