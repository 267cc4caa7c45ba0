/**
 * The contract of {@link ConfigurationProblems}: each problem announced once, and its resolution once
 * (claimed before it is announced, forgotten after).
 */
import type { AnnouncedProblem, ConfigurationProblems } from '../../../shared/ports';
import { CLUSTER, describeContract, type MakeSubject, serviceArn } from './contract';

const API = serviceArn('api');
const CANARY = serviceArn('api-canary');

function problem(overrides: Partial<AnnouncedProblem> = {}): AnnouncedProblem {
  return {
    serviceArn: API,
    cluster: 'prod',
    service: 'api',
    tagKey: 'autopilot:deploy',
    tagValue: 'tags:main',
    problem:
      'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
    triggeredBy: 'event-1',
    ...overrides,
  };
}

export function describeConfigurationProblemsContract(
  name: string,
  make: MakeSubject<ConfigurationProblems>,
): void {
  describeContract('ConfigurationProblems', name, make, (problems) => {
    it('is news the first time, and then remembered', async () => {
      // Act
      const news = await problems().rememberProblem(problem());

      // Assess
      expect(news).toBe(true);
      expect(await problems().announcedProblems(API)).toEqual([problem()]);
    });

    it('is no news when another event announced the same value, whose wording it keeps current', async () => {
      // Prepare
      await problems().rememberProblem(problem());

      // Act
      const news = await problems().rememberProblem(problem({ triggeredBy: 'event-2', problem: 'reworded' }));

      // Assess
      expect(news).toBe(false);
      expect(await problems().announcedProblems(API)).toEqual([problem({ problem: 'reworded' })]);
    });

    it('is news again for a retry of the event that announced it', async () => {
      // Prepare
      await problems().rememberProblem(problem());

      // Act
      const news = await problems().rememberProblem(problem());

      // Assess
      expect(news).toBe(true);
    });

    it('is news for another value of the same tag, which replaces the one remembered', async () => {
      // Prepare
      await problems().rememberProblem(problem());
      const other = problem({ tagValue: 'always', problem: 'not a mode', triggeredBy: 'event-2' });

      // Act
      const news = await problems().rememberProblem(other);

      // Assess
      expect(news).toBe(true);
      expect(await problems().announcedProblems(API)).toEqual([other]);
    });

    it('keeps the tags of a service and the services apart (api is no prefix of api-canary)', async () => {
      // Prepare
      const rollback = problem({
        tagKey: 'autopilot:rollback',
        tagValue: 'yes',
        problem: 'neither on nor off',
      });
      const ofCanary = problem({ serviceArn: CANARY, service: 'api-canary' });

      // Act
      for (const p of [problem(), rollback, ofCanary]) await problems().rememberProblem(p);

      // Assess
      expect(await problems().announcedProblems(API)).toEqual(expect.arrayContaining([problem(), rollback]));
      expect(await problems().announcedProblems(API)).toHaveLength(2);
      expect(await problems().announcedProblems(CANARY)).toEqual([ofCanary]);
    });

    it("lists the problems of a cluster's services, not those of a cluster whose name it starts", async () => {
      // Prepare
      const ofOther = problem({ serviceArn: API.replace('/prod/', '/prod-eu/'), cluster: 'prod-eu' });
      for (const p of [problem(), problem({ serviceArn: CANARY, service: 'api-canary' }), ofOther]) {
        await problems().rememberProblem(p);
      }

      // Act
      const ofProd = await problems().announcedProblemsOfCluster(CLUSTER);

      // Assess
      expect(ofProd.map((p) => p.serviceArn).sort()).toEqual([API, CANARY]);
      expect(await problems().announcedProblemsOfCluster(CLUSTER.replace('/prod', '/prod-eu'))).toEqual([
        ofOther,
      ]);
    });

    it('forgets a problem once: only the first to forget it announces the resolution', async () => {
      // Prepare
      await problems().rememberProblem(problem());

      // Act
      const first = await problems().forgetProblem(API, 'autopilot:deploy');
      const second = await problems().forgetProblem(API, 'autopilot:deploy');

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(await problems().announcedProblems(API)).toEqual([]);
    });

    it('claims a resolution for one event: again for a retry of it, not for another event', async () => {
      // Prepare
      await problems().rememberProblem(problem());

      // Act
      const claimed = await problems().resolveProblem(API, 'autopilot:deploy', 'event-2');
      const retried = await problems().resolveProblem(API, 'autopilot:deploy', 'event-2');
      const other = await problems().resolveProblem(API, 'autopilot:deploy', 'event-3');

      // Assess
      expect([claimed, retried, other]).toEqual([true, true, false]);
      expect(await problems().announcedProblems(API)).toEqual([problem({ resolvedBy: 'event-2' })]);
    });

    it('claims no resolution of a problem not remembered', async () => {
      // Act
      const claimed = await problems().resolveProblem(API, 'autopilot:deploy', 'event-2');

      // Assess
      expect(claimed).toBe(false);
      expect(await problems().announcedProblems(API)).toEqual([]);
    });

    it('forgets a problem under the claim of the event that resolved it, and not under another', async () => {
      // Prepare
      await problems().rememberProblem(problem());
      await problems().resolveProblem(API, 'autopilot:deploy', 'event-2');

      // Act
      const byOther = await problems().forgetProblem(API, 'autopilot:deploy', 'event-3');
      const byClaim = await problems().forgetProblem(API, 'autopilot:deploy', 'event-2');

      // Assess
      expect([byOther, byClaim]).toEqual([false, true]);
      expect(await problems().announcedProblems(API)).toEqual([]);
    });

    it('is news when it comes back while its resolution is announced, and is then kept', async () => {
      // Prepare
      await problems().rememberProblem(problem());
      await problems().resolveProblem(API, 'autopilot:deploy', 'event-2');

      // Act
      const news = await problems().rememberProblem(problem({ triggeredBy: 'event-3' }));
      const forgotten = await problems().forgetProblem(API, 'autopilot:deploy', 'event-2');

      // Assess
      expect([news, forgotten]).toEqual([true, false]);
      expect(await problems().announcedProblems(API)).toEqual([problem({ triggeredBy: 'event-3' })]);
    });

    it('is news again once forgotten', async () => {
      // Prepare
      await problems().rememberProblem(problem());
      await problems().forgetProblem(API, 'autopilot:deploy');

      // Act
      const news = await problems().rememberProblem(problem({ triggeredBy: 'event-3' }));

      // Assess
      expect(news).toBe(true);
    });
  });
}
