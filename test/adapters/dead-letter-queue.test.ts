import 'aws-sdk-client-mock-jest';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DeadLetterQueue } from '../../shared/adapters/aws/dead-letter-queue';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-dlq';

const sqs = mockClient(SQSClient);

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: '5fea7756-0ea4-451a-a703-a558b933e274' });
});

describe('DeadLetterQueue.park', () => {
  it('sends the event with the function that rejected it and the reason', async () => {
    // Prepare
    const event = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      detail: { 'action-type': 'PUSH', 'repository-name': 'payments/api', 'image-tag': 'not a version' },
    };
    const queue = new DeadLetterQueue(QUEUE_URL, new SQSClient({}));

    // Act
    await queue.park('deploy-on-push', 'tag "not a version" is not a version', event);

    // Assess
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: QUEUE_URL,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'tag "not a version" is not a version' },
      },
    });
    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(JSON.parse(call?.args[0].input.MessageBody ?? '')).toEqual({
      rejectedBy: 'deploy-on-push',
      reason: 'tag "not a version" is not a version',
      event,
    });
  });

  it('keeps the whole reason in the body and a shortened one in the attribute', async () => {
    // Prepare
    const reason = `RegisterTaskDefinition api failed: ClientException: ${'x'.repeat(400)}`;
    const queue = new DeadLetterQueue(QUEUE_URL, new SQSClient({}));

    // Act
    await queue.park('deploy-on-push', reason, { id: 'e1' });

    // Assess
    const [call] = sqs.commandCalls(SendMessageCommand);
    const input = call?.args[0].input;
    expect(JSON.parse(input?.MessageBody ?? '').reason).toBe(reason);
    expect(input?.MessageAttributes?.reason?.StringValue).toBe(reason.slice(0, 256));
  });
});
