import {
  DecryptionFailure,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ParametersSecretSource } from '../../../shared/adapters/secrets/parameters-secret-source';
import { PermanentError, RetryableError } from '../../../shared/errors';
import { failedRequestMetadata, unmodeledAwsError } from '../../support/aws-errors';
import { failure } from '../../support/failure';

const WEBHOOK = 'https://hooks.slack.com/services/T0001/B0002/s3cr3tW3bh00k';
const TOKEN = 'xoxb-1111-2222-s3cr3tB0tT0k3n';

const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);

/** A source with its own clients, so its cache starts empty. */
function source(): ParametersSecretSource {
  return new ParametersSecretSource({
    ssmClient: new SSMClient({}),
    secretsManagerClient: new SecretsManagerClient({}),
  });
}

/** Every message of an error and its causes. */
function messages(error: unknown): string {
  return error instanceof Error ? `${error.message}\n${messages(error.cause)}` : '';
}

beforeEach(() => {
  ssm.reset();
  secretsManager.reset();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('ParametersSecretSource.get from SSM', () => {
  it('reads a SecureString decrypted', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/autopilot/slack', Value: WEBHOOK } });

    // Act
    const value = await source().get({ ssm: '/autopilot/slack' });

    // Assess
    expect(value).toBe(WEBHOOK);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/autopilot/slack',
      WithDecryption: true,
    });
  });

  it('caches a value for five minutes', async () => {
    // Prepare
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 12, 8, 0, 0) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: WEBHOOK } });
    const secrets = source();

    // Act
    await secrets.get({ ssm: '/autopilot/slack' });
    jest.setSystemTime(Date.UTC(2026, 0, 12, 8, 4, 59));
    await secrets.get({ ssm: '/autopilot/slack' });
    const callsWithinFiveMinutes = ssm.commandCalls(GetParameterCommand).length;
    jest.setSystemTime(Date.UTC(2026, 0, 12, 8, 5, 1));
    await secrets.get({ ssm: '/autopilot/slack' });

    // Assess
    expect(callsWithinFiveMinutes).toBe(1);
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it('shares one cache between sources built on the default clients', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: WEBHOOK } });

    // Act
    const first = await new ParametersSecretSource().get({ ssm: '/autopilot/shared-cache' });
    const second = await new ParametersSecretSource().get({ ssm: '/autopilot/shared-cache' });

    // Assess
    expect([first, second]).toEqual([WEBHOOK, WEBHOOK]);
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('fails for good when the parameter is missing, naming it', async () => {
    // Prepare
    ssm
      .on(GetParameterCommand)
      .rejects(
        new ParameterNotFound({ message: 'ParameterNotFound', $metadata: failedRequestMetadata(400) }),
      );

    // Act
    const error = await failure(source().get({ ssm: '/autopilot/slack' }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('SSM parameter /autopilot/slack not found');
  });

  it('fails for good when the parameter is empty', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: ' ' } });

    // Act
    const error = await failure(source().get({ ssm: '/autopilot/slack' }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('SSM parameter /autopilot/slack is empty');
  });

  it.each([
    ['AccessDeniedException', PermanentError],
    ['ThrottlingException', RetryableError],
  ])('classifies %s', async (name, expected) => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(unmodeledAwsError(SSMServiceException, name, `${name} on parameter`));

    // Act
    const error = await failure(source().get({ ssm: '/autopilot/slack' }));

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect(error.message).toBe(
      `reading SSM parameter /autopilot/slack failed: ${name}: ${name} on parameter`,
    );
  });
});

describe('ParametersSecretSource.get from Secrets Manager', () => {
  it('reads a whole secret string', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });

    // Act
    const value = await source().get({ secretsManager: 'autopilot/slack-token' });

    // Assess
    expect(value).toBe(TOKEN);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'autopilot/slack-token',
    });
  });

  it('reads a binary secret as UTF-8', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(TOKEN) });

    // Act
    const value = await source().get({ secretsManager: 'autopilot/slack-token' });

    // Assess
    expect(value).toBe(TOKEN);
  });

  it('takes a field of a JSON secret, reading the secret once for all its fields', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ slackToken: TOKEN, webhook: WEBHOOK }) });
    const secrets = source();

    // Act
    const token = await secrets.get({ secretsManager: 'autopilot/chat', key: 'slackToken' });
    const webhook = await secrets.get({ secretsManager: 'autopilot/chat', key: 'webhook' });

    // Assess
    expect([token, webhook]).toEqual([TOKEN, WEBHOOK]);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it.each([
    [
      'a missing field',
      JSON.stringify({ webhook: WEBHOOK }),
      'secret autopilot/chat has no string field "slackToken"',
    ],
    [
      'a field that is no string',
      JSON.stringify({ slackToken: { value: TOKEN } }),
      'secret autopilot/chat has no string field "slackToken"',
    ],
    [
      'a secret that is not JSON',
      `token=${TOKEN}`,
      'secret autopilot/chat is not JSON, so it has no field "slackToken"',
    ],
  ])('fails for good on %s, without the value in the error', async (_, secretString, message) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString });

    // Act
    const error = await failure(source().get({ secretsManager: 'autopilot/chat', key: 'slackToken' }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(message);
    expect(messages(error)).not.toContain('s3cr3t');
  });

  it('fails for good when the secret is missing, naming it', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );

    // Act
    const error = await failure(source().get({ secretsManager: 'autopilot/chat', key: 'slackToken' }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('secret autopilot/chat not found');
  });

  it('fails for good when KMS cannot decrypt the secret', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new DecryptionFailure({ message: 'Access to KMS is not allowed', $metadata: {} }));

    // Act
    const error = await failure(source().get({ secretsManager: 'autopilot/chat' }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      'reading secret autopilot/chat failed: DecryptionFailure: Access to KMS is not allowed',
    );
  });
});
