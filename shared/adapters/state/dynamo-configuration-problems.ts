/**
 * {@link ConfigurationProblems} on the autopilot table: `PROBLEM` / `<serviceArn>#<tagKey>` holding
 * the tag's value (not the problem's wording, which may change without announcing it again).
 */
import type { AnnouncedProblem, ConfigurationProblems } from '../../ports';
import { INDEX_TTL } from './dynamo-service-index';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { problemKey, problemsOf, problemsOfCluster } from './keys';

/**
 * Announced problems not seen again for this long are forgotten (a service deleted while no event
 * said so); every sighting renews it, and the reconcile sees every service every few hours.
 */
const PROBLEM_TTL = INDEX_TTL;

/** Announced configuration problems in DynamoDB. */
export class DynamoConfigurationProblems extends DynamoTableStore implements ConfigurationProblems {
  async announcedProblems(serviceArn: string): Promise<AnnouncedProblem[]> {
    return (await this.table.query(problemsOf(serviceArn))).map((item) => recordOf<AnnouncedProblem>(item));
  }

  async announcedProblemsOfCluster(clusterArn: string): Promise<AnnouncedProblem[]> {
    const items = await this.table.query(problemsOfCluster(clusterArn));
    return items.map((item) => recordOf<AnnouncedProblem>(item));
  }

  async rememberProblem(problem: AnnouncedProblem): Promise<boolean> {
    const key = problemKey(problem.serviceArn, problem.tagKey);
    const expiresAt = this.table.expiresIn(PROBLEM_TTL);
    const news = await this.table.put(
      { ...key, ...problem, expiresAt },
      {
        // News: nothing remembered, another value, a retry of the event that announced it, or one
        // whose resolution is being announced (it came back; the put drops the claim).
        if: 'attribute_not_exists(pk) OR tagValue <> :value OR triggeredBy = :by OR attribute_exists(resolvedBy)',
        values: { ':value': problem.tagValue, ':by': problem.triggeredBy },
      },
    );
    if (news) return true;
    // Announced by another event and still there: keep it (and its latest wording) from expiring. If
    // it was forgotten or replaced meanwhile, whoever did that announces what changed.
    await this.table.update(key, {
      set: 'SET problem = :problem, expiresAt = :expiresAt',
      if: 'tagValue = :value',
      values: { ':problem': problem.problem, ':expiresAt': expiresAt, ':value': problem.tagValue },
    });
    return false;
  }

  async resolveProblem(serviceArn: string, tagKey: string, triggeredBy: string): Promise<boolean> {
    // Only the invocation that claims it announces the resolution (again, when it is retried).
    const claimed = await this.table.update(problemKey(serviceArn, tagKey), {
      set: 'SET resolvedBy = :by',
      if: 'attribute_exists(pk) AND (attribute_not_exists(resolvedBy) OR resolvedBy = :by)',
      values: { ':by': triggeredBy },
    });
    return claimed !== undefined;
  }

  forgetProblem(serviceArn: string, tagKey: string, resolvedBy?: string): Promise<boolean> {
    if (resolvedBy === undefined) return this.table.remove(problemKey(serviceArn, tagKey));
    // Remembered again since the claim (it came back): it stays.
    return this.table.delete(problemKey(serviceArn, tagKey), {
      if: 'resolvedBy = :by',
      values: { ':by': resolvedBy },
    });
  }
}
