/**
 * A person releases a quarantined image (`autopilot quarantine release <repository>@<digest>`),
 * naming the repository as people do: by its name in ECR (`team/api`) or by its index key
 * (`<account>:<region>:team/api`).
 */
import type { Quarantine, QuarantinedImage } from '../../ports';

/**
 * Releases the quarantined image of that repository and digest.
 *
 * @param repository - `team/api`, or the index key `<account>:<region>:team/api`
 * @param digest - `sha256:…`
 * @returns the image released; undefined when no such image is quarantined (or another release
 *   came first)
 * @example
 * await releaseQuarantined(quarantine, 'team/api', 'sha256:…'); // { repositoryKey: '123…:eu-west-1:team/api', … }
 */
export async function releaseQuarantined(
  quarantine: Pick<Quarantine, 'listQuarantined' | 'release'>,
  repository: string,
  digest: string,
): Promise<QuarantinedImage | undefined> {
  const found = (await quarantine.listQuarantined()).find(
    (q) => q.digest === digest && (q.repository === repository || q.repositoryKey === repository),
  );
  if (!found) return undefined;
  return (await quarantine.release(found.repositoryKey, digest)) ? found : undefined;
}
