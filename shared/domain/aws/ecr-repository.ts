/**
 * A private Amazon ECR repository: account, region and name. Pushes name one, images point into one,
 * and the repository index and the quarantine are keyed by one.
 */

/** A private ECR repository. */
export interface EcrRepository {
  accountId: string;
  region: string;
  repositoryName: string;
}

/**
 * The repository key used by the index and the quarantine: account, region and name.
 *
 * @example repositoryKey({ accountId: '123456789012', region: 'eu-west-1', repositoryName: 'team/api' })
 * // '123456789012:eu-west-1:team/api'
 */
export function repositoryKey(repo: EcrRepository): string {
  return `${repo.accountId}:${repo.region}:${repo.repositoryName}`;
}
