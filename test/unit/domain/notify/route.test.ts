import type { Notifications } from '../../../../shared/config/notifications';
import type { NotificationMessage } from '../../../../shared/domain/notify/message';
import { carriedTags, routeMessage, routesNeedTags } from '../../../../shared/domain/notify/route';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    eventType: 'Deployment Rolled Back',
    id: 'event-1',
    severity: 'warning',
    title: 'prod/payments rolled back to payments:7',
    text: 'autopilot returned prod/payments to its last known good revision.',
    facts: [],
    links: [],
    cluster: 'prod',
    service: 'payments',
    at: '2026-11-23T10:00:00Z',
    dryRun: false,
    ...overrides,
  };
}

const ROUTES: Pick<Notifications, 'routes' | 'default'> = {
  routes: [
    { events: ['Deployment Rolled Back', 'Rollback Failed', 'Image Quarantined'], channels: ['incidents'] },
    { severity: ['error'], channels: ['incidents', 'pager'] },
    { clusters: ['prod-*', 'prod'], services: ['payments'], channels: ['payments-team'] },
    { services: ['staging/*'], channels: ['staging'] },
    { tags: { team: ['search', 'ranking'] }, channels: ['search-team'] },
    { events: ['Deployment *'], clusters: ['dev'], channels: ['dev'] },
  ],
  default: ['platform'],
};

describe('routeMessage', () => {
  it.each([
    {
      name: 'a rollback in prod/payments: the incident route and the team route',
      message: message(),
      tags: undefined,
      expected: ['incidents', 'payments-team'],
    },
    {
      name: 'an error: both channels of the severity route, without repeating incidents',
      message: message({ eventType: 'Rollback Failed', severity: 'error' }),
      tags: undefined,
      expected: ['incidents', 'pager', 'payments-team'],
    },
    {
      name: 'services given as cluster/service globs',
      message: message({
        eventType: 'Deployment Started',
        severity: 'info',
        cluster: 'staging',
        service: 'api',
      }),
      tags: undefined,
      expected: ['staging'],
    },
    {
      name: 'event type globs with a cluster filter',
      message: message({
        eventType: 'Deployment Succeeded',
        severity: 'success',
        cluster: 'dev',
        service: 'api',
      }),
      tags: undefined,
      expected: ['dev'],
    },
    {
      name: 'a team tag picks the team channel',
      message: message({
        eventType: 'Deployment Started',
        severity: 'info',
        cluster: 'eu',
        service: 'search',
      }),
      tags: { team: 'ranking' },
      expected: ['search-team'],
    },
    {
      name: 'a tag value not listed does not match',
      message: message({
        eventType: 'Deployment Started',
        severity: 'info',
        cluster: 'eu',
        service: 'search',
      }),
      tags: { team: 'payments' },
      expected: ['platform'],
    },
    {
      name: 'nothing matches: the default channels',
      message: message({ eventType: 'Deployment Started', severity: 'info', cluster: 'eu', service: 'api' }),
      tags: undefined,
      expected: ['platform'],
    },
    {
      name: 'an event without a service never matches cluster or service filters',
      message: message({
        eventType: 'Action Failed',
        severity: 'info',
        cluster: undefined,
        service: undefined,
      }),
      tags: undefined,
      expected: ['platform'],
    },
  ])('$name', ({ message: m, tags, expected }) => {
    // Prepare: the routes above

    // Act
    const channels = routeMessage(m, ROUTES, tags);

    // Assess
    expect(channels).toEqual(expected);
  });

  it('sends nowhere when nothing matches and there is no default', () => {
    // Prepare
    const routes = { routes: [{ clusters: ['prod'], channels: ['ops'] }], default: [] };

    // Act
    const channels = routeMessage(message({ cluster: 'dev' }), routes);

    // Assess
    expect(channels).toEqual([]);
  });
});

describe('routeMessage with stop', () => {
  const STOPPING: Pick<Notifications, 'routes' | 'default'> = {
    routes: [
      { severity: ['error'], channels: ['pager'] },
      { services: ['staging/*'], channels: ['staging'], stop: true },
      { events: ['Deployment *'], channels: ['deploys'] },
      { channels: ['everything-else'] },
    ],
    default: ['platform'],
  };

  it('ends the routing at a matching route: the routes before it count, the routes after it do not', () => {
    // Prepare
    const m = message({
      eventType: 'Rollback Failed',
      severity: 'error',
      cluster: 'staging',
      service: 'api',
    });

    // Act
    const channels = routeMessage(m, STOPPING);

    // Assess
    expect(channels).toEqual(['pager', 'staging']);
  });

  it('does nothing when its route does not match', () => {
    // Prepare
    const m = message({ eventType: 'Deployment Started', severity: 'info', cluster: 'prod', service: 'api' });

    // Act
    const channels = routeMessage(m, STOPPING);

    // Assess
    expect(channels).toEqual(['deploys', 'everything-else']);
  });

  it('counts as a match, so the default channels are not told', () => {
    // Prepare
    const routes = {
      routes: [{ clusters: ['staging'], channels: ['staging'], stop: true }],
      default: ['platform'],
    };

    // Act
    const channels = routeMessage(message({ cluster: 'staging' }), routes);

    // Assess
    expect(channels).toEqual(['staging']);
  });
});

describe('routeMessage with a route without filters', () => {
  it('matches every event, so the default channels are never told', () => {
    // Prepare
    const routes = { routes: [{ channels: ['audit'] }], default: ['platform'] };

    // Act
    const channels = [
      routeMessage(message(), routes),
      routeMessage(message({ eventType: 'Action Failed', cluster: undefined, service: undefined }), routes),
    ];

    // Assess
    expect(channels).toEqual([['audit'], ['audit']]);
  });
});

describe('routeMessage with always channels', () => {
  const ALWAYS: Pick<Notifications, 'routes' | 'default' | 'always'> = {
    routes: [
      { events: ['Deployment Rolled Back'], channels: ['incidents'] },
      { clusters: ['staging'], channels: ['staging', 'audit'], stop: true },
      { channels: ['never'] },
    ],
    default: ['platform'],
    always: ['audit', 'archive'],
  };

  it('tells them besides the channels of the matching routes', () => {
    // Prepare
    const m = message({ cluster: 'prod' });

    // Act
    const channels = routeMessage(m, { ...ALWAYS, routes: ALWAYS.routes.slice(0, 2) });

    // Assess
    expect(channels).toEqual(['incidents', 'audit', 'archive']);
  });

  it('tells them besides the default channels when no route matches: they are not a match', () => {
    // Prepare
    const m = message({ eventType: 'Deployment Started', severity: 'info', cluster: 'prod' });

    // Act
    const channels = routeMessage(m, { ...ALWAYS, routes: ALWAYS.routes.slice(0, 2) });

    // Assess
    expect(channels).toEqual(['platform', 'audit', 'archive']);
  });

  it('tells them after a route that stops, each channel once', () => {
    // Prepare
    const m = message({ cluster: 'staging' });

    // Act
    const channels = routeMessage(m, ALWAYS);

    // Assess
    expect(channels).toEqual(['incidents', 'staging', 'audit', 'archive']);
  });

  it('tells them even when there are no routes and no default', () => {
    // Prepare
    const routes = { routes: [], default: [], always: ['audit'] };

    // Act
    const channels = routeMessage(message(), routes);

    // Assess
    expect(channels).toEqual(['audit']);
  });
});

describe('routesNeedTags', () => {
  it('is true only when a route filters on tags', () => {
    // Prepare
    const withTags = { routes: ROUTES.routes };
    const without = { routes: ROUTES.routes.filter((r) => r.tags === undefined) };

    // Act
    const answers = [routesNeedTags(withTags), routesNeedTags(without)];

    // Assess
    expect(answers).toEqual([true, false]);
  });
});

describe('carriedTags', () => {
  it.each<[string, unknown, Record<string, string> | undefined]>([
    [
      'the tags of a tag policy event',
      { resourceType: 'ecr:repository', tags: { team: 'search' } },
      { team: 'search' },
    ],
    ['no tags at all, said by the event', { tags: {} }, {}],
    [
      'an event without tags (a service event: its tags are looked up)',
      { cluster: 'prod', service: 'api' },
      undefined,
    ],
    ['tags that are not a map', { tags: ['team=search'] }, undefined],
    ['a value that is not a string', { tags: { team: 7 } }, undefined],
    [
      'more than 50 tags',
      { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      undefined,
    ],
    ['a detail that is not an object', 'oops', undefined],
  ])('reads %s', (_, detail, expected) => {
    // Prepare
    const input = structuredClone(detail);

    // Act
    const tags = carriedTags(input);

    // Assess
    expect(tags).toEqual(expected);
  });
});
