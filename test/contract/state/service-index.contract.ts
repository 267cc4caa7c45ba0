/** The contract of {@link ServiceIndex}: the repository index and the alarm index. */
import type { ServiceIndex } from '../../../shared/ports';
import { API_REPO, describeContract, type MakeSubject, service, WORKER_REPO } from './contract';

export function describeServiceIndexContract(name: string, make: MakeSubject<ServiceIndex>): void {
  describeContract('ServiceIndex', name, make, (index) => {
    const [api, web, worker] = [service('api'), service('web'), service('worker')];

    describe('repositories', () => {
      it('is empty for a repository nothing is indexed under', async () => {
        // Act
        const services = await index().servicesForRepository(API_REPO);

        // Assess
        expect(services).toEqual([]);
      });

      it('lists a service under every repository it is indexed under, and only those of the repository', async () => {
        // Prepare
        await index().indexRepositories(web, [API_REPO]);
        await index().indexRepositories(worker, [WORKER_REPO]);

        // Act
        await index().indexRepositories(api, [API_REPO, WORKER_REPO]);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual(expect.arrayContaining([api, web]));
        expect(await index().servicesForRepository(API_REPO)).toHaveLength(2);
        expect(await index().servicesForRepository(WORKER_REPO)).toEqual(
          expect.arrayContaining([api, worker]),
        );
      });

      it('drops the repositories a service is no longer indexed under', async () => {
        // Prepare
        await index().indexRepositories(api, [API_REPO, WORKER_REPO]);

        // Act
        await index().indexRepositories(api, [API_REPO]);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual([api]);
        expect(await index().servicesForRepository(WORKER_REPO)).toEqual([]);
      });

      it('keeps the details of the latest indexing of a service', async () => {
        // Prepare
        await index().indexRepositories(api, [API_REPO]);
        const renamed = { ...api, clusterArn: `${api.clusterArn}-2` };

        // Act
        await index().indexRepositories(renamed, [API_REPO]);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual([renamed]);
      });

      it('removes a service from every repository', async () => {
        // Prepare
        await index().indexRepositories(api, [API_REPO, WORKER_REPO]);
        await index().indexRepositories(web, [API_REPO]);

        // Act
        await index().unindexRepositories(api.serviceArn);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual([web]);
        expect(await index().servicesForRepository(WORKER_REPO)).toEqual([]);
      });

      it('removes nothing for a service that is not indexed', async () => {
        // Prepare
        await index().indexRepositories(web, [API_REPO]);

        // Act
        await index().unindexRepositories(service('ghost').serviceArn);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual([web]);
      });

      it('indexes a service again after it was removed', async () => {
        // Prepare
        await index().indexRepositories(api, [API_REPO]);
        await index().unindexRepositories(api.serviceArn);

        // Act
        await index().indexRepositories(api, [WORKER_REPO]);

        // Assess
        expect(await index().servicesForRepository(API_REPO)).toEqual([]);
        expect(await index().servicesForRepository(WORKER_REPO)).toEqual([api]);
      });
    });

    describe('alarms', () => {
      it('lists the services that named an alarm, and nothing for an alarm none named', async () => {
        // Act
        await index().indexAlarms(api, ['api-5xx', 'cluster-cpu']);
        await index().indexAlarms(worker, ['cluster-cpu']);

        // Assess
        expect(await index().servicesForAlarm('api-5xx')).toEqual([api]);
        expect(await index().servicesForAlarm('cluster-cpu')).toEqual(expect.arrayContaining([api, worker]));
        expect(await index().servicesForAlarm('cluster-cpu')).toHaveLength(2);
        expect(await index().servicesForAlarm('unknown')).toEqual([]);
      });

      it('replaces the alarms of a service', async () => {
        // Prepare
        await index().indexAlarms(api, ['api-5xx', 'api-latency']);
        await index().indexAlarms(worker, ['api-5xx']);

        // Act
        await index().indexAlarms(api, ['api-latency', 'api-errors']);

        // Assess
        expect(await index().servicesForAlarm('api-5xx')).toEqual([worker]);
        expect(await index().servicesForAlarm('api-latency')).toEqual([api]);
        expect(await index().servicesForAlarm('api-errors')).toEqual([api]);
      });

      it('removes a service from every alarm when it names none any more', async () => {
        // Prepare
        await index().indexAlarms(api, ['api-5xx']);

        // Act
        await index().indexAlarms(api, []);

        // Assess
        expect(await index().servicesForAlarm('api-5xx')).toEqual([]);
      });
    });

    it('keeps the repositories and the alarms of a service apart', async () => {
      // Prepare
      await index().indexRepositories(api, [API_REPO]);
      await index().indexAlarms(api, ['api-5xx']);

      // Act
      await index().unindexRepositories(api.serviceArn);
      await index().indexRepositories(web, ['api-5xx']);

      // Assess
      expect(await index().servicesForAlarm('api-5xx')).toEqual([api]);
      expect(await index().servicesForRepository('api-5xx')).toEqual([web]);
      expect(await index().servicesForRepository(API_REPO)).toEqual([]);
    });
  });
}
