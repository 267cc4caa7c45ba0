/**
 * The credentials of a function bundle: what Lambda gives, and nothing else. scripts/build.ts
 * aliases `@aws-sdk/credential-provider-node` (the SDK's default chain, which every client's runtime
 * config imports) to this file, so the bundles hold neither the SSO, INI, process and web-identity
 * providers nor the STS and SSO clients they bring (about 90 KiB of every bundle, never used in
 * Lambda). The CLI, the sandbox and the tests are not bundled: they keep the SDK's whole chain.
 *
 * Lambda puts the role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN); SnapStart and container images get them from the container credentials
 * endpoint instead (AWS_CONTAINER_CREDENTIALS_FULL_URI and its authorization token), which expire
 * and are fetched again before they do.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

/** What a client's runtime config passes to the default provider (its config and logger). */
type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];
type AwsCredentialIdentityProvider = ReturnType<typeof fromEnv>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

/** The environment variables that name a container credentials endpoint. */
const CONTAINER_URIS = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/**
 * The provider the SDK clients of a bundle use when given no credentials: the environment's keys,
 * else the container credentials endpoint; cached, and fetched again within five minutes of their
 * expiry (as the SDK's default chain does).
 *
 * @param init - the client's config, as the SDK passes it to `credentialDefaultProvider`
 * @returns a memoized provider; it rejects when neither source is there
 */
export function defaultProvider(init: ProviderInit = {}): AwsCredentialIdentityProvider {
  const provider = async (): Promise<AwsCredentialIdentity> => {
    if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
    // fromHttp reads the endpoint when it is created (and throws without one): created per fetch.
    if (CONTAINER_URIS.some((name) => process.env[name])) return fromHttp(init)();
    throw new Error(
      'No AWS credentials: a function bundle reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)',
    );
  };
  return memoizeIdentityProvider(
    provider,
    isIdentityExpired,
    doesIdentityRequireRefresh,
  ) as AwsCredentialIdentityProvider;
}

/** As the SDK's default chain exports it: credentials with an expiry are fetched again. */
export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity | undefined): boolean =>
  credentials?.expiration !== undefined;

/** As the SDK's default chain exports it: within five minutes of the expiry counts as expired. */
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity | undefined): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
