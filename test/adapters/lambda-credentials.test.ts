import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultProvider } from '../../shared/adapters/aws/lambda-credentials';

/** The credential variables a test sets; each test starts without them and they are put back. */
const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;

const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

beforeEach(() => {
  for (const name of VARIABLES) delete process.env[name];
});

afterEach(() => {
  for (const name of VARIABLES) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A container credentials endpoint on loopback answering `answers` in turn; the requests it got. */
async function containerEndpoint(answers: { key: string; expiresInMs: number }[]) {
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.headers);
    const answer = answers[Math.min(requests.length, answers.length) - 1];
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        AccessKeyId: answer?.key,
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: new Date(Date.now() + (answer?.expiresInMs ?? 0)).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/credentials`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the credentials of a function bundle', () => {
  it('are the keys Lambda puts in the environment, with their session token', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'ASIAENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_SESSION_TOKEN = 'env-token';

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
  });

  it('come from the container endpoint without keys in the environment (SnapStart), sent its token, and are fetched again when within five minutes of their expiry', async () => {
    // Prepare: the first answer expires within the five minutes that count as expired, the second not.
    const endpoint = await containerEndpoint([
      { key: 'ASIAFIRST', expiresInMs: 60_000 },
      { key: 'ASIASECOND', expiresInMs: 3_600_000 },
    ]);
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.url;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-auth';
    const provider = defaultProvider();

    try {
      // Act
      const first = await provider();
      const again = await provider();

      // Assess
      expect(first).toMatchObject({ accessKeyId: 'ASIASECOND', sessionToken: 'container-token' });
      expect(again.accessKeyId).toBe('ASIASECOND');
      expect(endpoint.requests).toHaveLength(2);
      expect(endpoint.requests[0]?.authorization).toBe('container-auth');
    } finally {
      await endpoint.close();
    }
  });

  it('fail naming what a bundle reads when neither source is there', async () => {
    // Prepare
    const provider = defaultProvider();

    // Act
    const fetching = provider();

    // Assess
    await expect(fetching).rejects.toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*AWS_CONTAINER_CREDENTIALS_FULL_URI/,
    );
  });
});
