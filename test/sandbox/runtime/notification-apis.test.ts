/**
 * The sandbox's Parameter Store, Secrets Manager and SNS, called by the real AWS SDK clients (and
 * Powertools Parameters) through the endpoint variables the functions get (AWS_ENDPOINT_URL_SSM,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SNS), so the SDK's own serialisation and error
 * parsing are part of the test.
 */

import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateTopicCommand,
  InvalidParameterException,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  GetParameterCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type AwsJsonServer, startAwsJsonServer } from '../../../sandbox/runtime/aws-json-server';
import { type AwsQueryServer, startAwsQueryServer } from '../../../sandbox/runtime/aws-query-server';
import { LocalSecrets, secretsManagerOperations } from '../../../sandbox/runtime/secrets-manager';
import { LocalTopics, type PublishedMessage, SNS_XMLNS, snsOperations } from '../../../sandbox/runtime/sns';
import { LocalParameters, ssmOperations } from '../../../sandbox/runtime/ssm';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const VARIABLES = ['AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_SNS'];

let jsonServer: AwsJsonServer;
let queryServer: AwsQueryServer;
let parameters: LocalParameters;
let secrets: LocalSecrets;
let topics: LocalTopics;
let ssm: SSMClient;
let secretsManager: SecretsManagerClient;
let sns: SNSClient;

beforeAll(async () => {
  parameters = new LocalParameters(ACCOUNT, REGION);
  secrets = new LocalSecrets(ACCOUNT, REGION);
  topics = new LocalTopics(ACCOUNT, REGION);
  jsonServer = await startAwsJsonServer({
    operations: { ...ssmOperations(parameters), ...secretsManagerOperations(secrets) },
  });
  queryServer = await startAwsQueryServer({ xmlns: SNS_XMLNS, operations: snsOperations(topics) });
  process.env.AWS_ENDPOINT_URL_SSM = jsonServer.endpoint;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = jsonServer.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = queryServer.endpoint;
  ssm = new SSMClient({ maxAttempts: 1 });
  secretsManager = new SecretsManagerClient({ maxAttempts: 1 });
  sns = new SNSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  ssm.destroy();
  secretsManager.destroy();
  sns.destroy();
  await jsonServer.close();
  await queryServer.close();
  for (const name of VARIABLES) delete process.env[name];
});

describe('Parameter Store', () => {
  it('answers GetParameter with decryption in the shape of the API reference', async () => {
    // Prepare
    const before = Date.now();
    await ssm.send(
      new PutParameterCommand({
        Name: '/autopilot/test/slack-webhook',
        Value: 'http://127.0.0.1:1/slack/ops',
        Type: 'SecureString',
      }),
    );

    // Act
    const out = await ssm.send(
      new GetParameterCommand({ Name: '/autopilot/test/slack-webhook', WithDecryption: true }),
    );

    // Assess
    expect(out.Parameter).toEqual({
      Name: '/autopilot/test/slack-webhook',
      Type: 'SecureString',
      Value: 'http://127.0.0.1:1/slack/ops',
      Version: 1,
      ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/autopilot/test/slack-webhook`,
      LastModifiedDate: expect.any(Date),
      DataType: 'text',
    });
    expect(out.Parameter?.LastModifiedDate?.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('returns a ciphertext, not the value, of a SecureString read without decryption', async () => {
    // Prepare
    parameters.put('/autopilot/test/token', 'xoxb-secret-token');

    // Act
    const out = await ssm.send(new GetParameterCommand({ Name: '/autopilot/test/token' }));

    // Assess
    expect(out.Parameter?.Value).toMatch(/^AQICAH[A-Za-z0-9+/=]+$/);
    expect(out.Parameter?.Value).not.toContain('xoxb');
  });

  it('versions overwritten parameters, reads a version by selector, and refuses to overwrite without Overwrite', async () => {
    // Prepare
    const name = '/autopilot/test/versioned';
    await ssm.send(new PutParameterCommand({ Name: name, Value: 'one', Type: 'String' }));

    // Act
    const second = await ssm.send(new PutParameterCommand({ Name: name, Value: 'two', Overwrite: true }));
    const first = await ssm.send(new GetParameterCommand({ Name: `${name}:1` }));
    const refused = await ssm
      .send(new PutParameterCommand({ Name: name, Value: 'three', Type: 'String' }))
      .catch((e: unknown) => e);

    // Assess
    expect(second).toEqual(expect.objectContaining({ Version: 2, Tier: 'Standard' }));
    expect(first.Parameter).toEqual(expect.objectContaining({ Value: 'one', Version: 1, Selector: ':1' }));
    expect(refused).toBeInstanceOf(ParameterAlreadyExists);
  });

  it('answers ParameterNotFound for a parameter that does not exist', async () => {
    // Prepare
    const call = ssm.send(new GetParameterCommand({ Name: '/autopilot/test/missing', WithDecryption: true }));

    // Act
    const error = await call.catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ParameterNotFound);
    expect(error).toEqual(expect.objectContaining({ name: 'ParameterNotFound' }));
  });

  it('answers GetParameters with the ones found and the invalid names', async () => {
    // Prepare
    parameters.put('/autopilot/test/a', 'A', { type: 'String' });

    // Act
    const out = await ssm.send(
      new GetParametersCommand({ Names: ['/autopilot/test/a', '/autopilot/test/nope'] }),
    );

    // Assess
    expect(out.Parameters?.map((p) => [p.Name, p.Value])).toEqual([['/autopilot/test/a', 'A']]);
    expect(out.InvalidParameters).toEqual(['/autopilot/test/nope']);
  });

  it('serves Powertools Parameters getParameter with decrypt, as the notify function reads it', async () => {
    // Prepare
    parameters.put('/autopilot/test/teams-webhook', 'http://127.0.0.1:1/teams/ops');

    // Act
    const value = await getParameter('/autopilot/test/teams-webhook', { decrypt: true, maxAge: 0 });

    // Assess
    expect(value).toBe('http://127.0.0.1:1/teams/ops');
  });
});

describe('Secrets Manager', () => {
  it('answers GetSecretValue in the shape of the API reference, by name and by ARN', async () => {
    // Prepare
    const created = await secretsManager.send(
      new CreateSecretCommand({
        Name: 'autopilot/test/google-chat',
        SecretString: 'http://127.0.0.1:1/google-chat/ops',
      }),
    );

    // Act
    const byName = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: 'autopilot/test/google-chat' }),
    );
    const byArn = await secretsManager.send(new GetSecretValueCommand({ SecretId: created.ARN }));

    // Assess
    expect(created.ARN).toMatch(
      new RegExp(
        `^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:autopilot/test/google-chat-[A-Za-z0-9]{6}$`,
      ),
    );
    expect(byName).toEqual(
      expect.objectContaining({
        ARN: created.ARN,
        Name: 'autopilot/test/google-chat',
        VersionId: created.VersionId,
        SecretString: 'http://127.0.0.1:1/google-chat/ops',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: expect.any(Date),
      }),
    );
    expect(byArn.SecretString).toBe(byName.SecretString);
  });

  it('moves AWSCURRENT to a new version and keeps the old one as AWSPREVIOUS', async () => {
    // Prepare
    const name = 'autopilot/test/rotated';
    secrets.create(name, 'old');

    // Act
    await secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'new' }));
    const current = await secretsManager.send(new GetSecretValueCommand({ SecretId: name }));
    const previous = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );

    // Assess
    expect([current.SecretString, current.VersionStages]).toEqual(['new', ['AWSCURRENT']]);
    expect([previous.SecretString, previous.VersionStages]).toEqual(['old', ['AWSPREVIOUS']]);
  });

  it('answers ResourceNotFoundException for an unknown secret and ResourceExistsException for a duplicate', async () => {
    // Prepare
    secrets.create('autopilot/test/taken', 'x');

    // Act
    const missing = await secretsManager
      .send(new GetSecretValueCommand({ SecretId: 'autopilot/test/missing' }))
      .catch((e: unknown) => e);
    const duplicate = await secretsManager
      .send(new CreateSecretCommand({ Name: 'autopilot/test/taken', SecretString: 'y' }))
      .catch((e: unknown) => e);

    // Assess
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing).toEqual(
      expect.objectContaining({ message: "Secrets Manager can't find the specified secret." }),
    );
    expect(duplicate).toBeInstanceOf(ResourceExistsException);
  });

  it('serves Powertools Parameters getSecret with the json transform (a JSON secret)', async () => {
    // Prepare
    secrets.create(
      'autopilot/test/webhook',
      JSON.stringify({ url: 'http://127.0.0.1:1/webhook/ops', signingSecret: 's' }),
    );

    // Act
    const value = await getSecret('autopilot/test/webhook', { transform: 'json', maxAge: 0 });

    // Assess
    expect(value).toEqual({ url: 'http://127.0.0.1:1/webhook/ops', signingSecret: 's' });
  });
});

describe('SNS', () => {
  it('creates a topic and publishes to it, handing the message to the subscribers', async () => {
    // Prepare
    const seen: PublishedMessage[] = [];
    const unsubscribe = topics.subscribe((message) => seen.push(message));
    const message = JSON.stringify({ version: '1.0', source: 'custom', content: { description: 'hello' } });

    // Act
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'autopilot-test' }));
    const again = await sns.send(new CreateTopicCommand({ Name: 'autopilot-test' }));
    const out = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: message,
        Subject: 'Deployment Started',
        MessageAttributes: { team: { DataType: 'String', StringValue: 'platform' } },
      }),
    );
    unsubscribe();

    // Assess
    expect(TopicArn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:autopilot-test`);
    expect(again.TopicArn).toBe(TopicArn);
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual([
      expect.objectContaining({
        messageId: out.MessageId,
        topicArn: TopicArn,
        topicName: 'autopilot-test',
        message,
        subject: 'Deployment Started',
        attributes: { team: { DataType: 'String', StringValue: 'platform' } },
      }),
    ]);
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics).toContainEqual({ TopicArn });
  });

  it('answers NotFound (404) for a topic that does not exist', async () => {
    // Prepare
    const call = sns.send(
      new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:autopilot-nope`, Message: 'x' }),
    );

    // Act
    const error = await call.catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toEqual(
      expect.objectContaining({
        message: 'Topic does not exist',
        $metadata: expect.objectContaining({ httpStatusCode: 404 }),
      }),
    );
  });

  it('requires MessageGroupId on FIFO topics and drops duplicates within five minutes', async () => {
    // Prepare
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({
        Name: 'autopilot-test.fifo',
        Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' },
      }),
    );
    const publish = (extra: { MessageGroupId?: string; MessageDeduplicationId?: string }) =>
      sns.send(new PublishCommand({ TopicArn, Message: 'm', ...extra }));
    const before = topics.published().length;

    // Act
    const missingGroup = await publish({ MessageDeduplicationId: 'event-1' }).catch((e: unknown) => e);
    const first = await publish({ MessageGroupId: 'prod/api', MessageDeduplicationId: 'event-1' });
    const duplicate = await publish({ MessageGroupId: 'prod/api', MessageDeduplicationId: 'event-1' });

    // Assess
    expect(missingGroup).toBeInstanceOf(InvalidParameterException);
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(duplicate).toEqual(
      expect.objectContaining({ MessageId: first.MessageId, SequenceNumber: first.SequenceNumber }),
    );
    expect(topics.published().length - before).toBe(1);
  });

  it('answers the awsQuery XML shapes on the wire', async () => {
    // Prepare
    topics.create('autopilot-wire');
    const body = new URLSearchParams({
      Action: 'Publish',
      Version: '2010-03-31',
      TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:autopilot-wire`,
      Message: 'a <b> & c',
    });

    // Act
    const ok = await fetch(queryServer.endpoint, { method: 'POST', body });
    const missing = await fetch(queryServer.endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        Action: 'Publish',
        Version: '2010-03-31',
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:x',
        Message: 'm',
      }),
    });

    // Assess
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(
      /^<PublishResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><PublishResult><MessageId>[0-9a-f-]{36}<\/MessageId><\/PublishResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/PublishResponse>$/,
    );
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(
      /^<ErrorResponse><Error><Type>Sender<\/Type><Code>NotFound<\/Code><Message>Topic does not exist<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect(topics.published().at(-1)?.message).toBe('a <b> & c');
  });
});
