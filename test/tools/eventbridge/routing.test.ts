/**
 * Routing (autopilot dispatch, the local bus) follows the rules in serverless.yml: every sample in
 * events/ reaches the functions a deployed stack would invoke, and nothing else.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PatternError } from '../../../tools/eventbridge/pattern';
import { compileRoute, loadRoutes, route } from '../../../tools/eventbridge/routing';
import { sampleEvent } from '../../support/handler';

const root = join(__dirname, '..', '..', '..');

/** Where each sample goes; exhaustive over events/ (a new sample must be added here). */
const EXPECTED: Record<string, string[]> = {
  'autopilot-action-failed': ['notify'],
  'autopilot-configuration-problem': ['notify'],
  'autopilot-deployment-reverted': ['notify'],
  'autopilot-deployment-rolled-back': ['notify'],
  'autopilot-deployment-scheduled': ['notify'],
  'autopilot-deployment-started': ['notify'],
  'autopilot-deployment-succeeded': ['notify'],
  'autopilot-image-quarantined': ['notify'],
  'autopilot-rollback-failed': ['notify'],
  'autopilot-tag-policy-enforced': ['notify'],
  'autopilot-tag-policy-remediated': ['notify'],
  'autopilot-tag-policy-restored': ['notify'],
  'autopilot-tag-policy-summary': ['notify'],
  'autopilot-tag-policy-violation': ['notify'],
  'autopilot-task-restart-abandoned': ['notify'],
  'autopilot-task-restarted': ['notify'],
  'cloudtrail-ecr-create-repository': ['tag-policies'],
  'cloudtrail-ecr-tag-resource': ['tag-policies'],
  'cloudtrail-ecr-untag-resource': ['tag-policies'],
  'cloudtrail-ecs-create-cluster': ['tag-policies'],
  'cloudtrail-ecs-create-service': ['index-services', 'tag-policies'],
  'cloudtrail-ecs-delete-service': ['index-services'],
  'cloudtrail-ecs-register-task-definition': ['tag-policies'],
  'cloudtrail-ecs-run-task': ['restart-tasks', 'tag-policies'],
  'cloudtrail-ecs-start-task': ['restart-tasks', 'tag-policies'],
  'cloudtrail-ecs-tag-resource': ['index-services', 'tag-policies'],
  'cloudtrail-ecs-untag-resource': ['index-services', 'tag-policies'],
  'cloudtrail-ecs-update-service': ['deploy-on-push', 'index-services', 'tag-policies'],
  'cloudwatch-alarm-state-change': ['watch-deployments'],
  'ecr-image-delete': [],
  'ecr-image-push': ['deploy-on-push'],
  'ecr-image-push-digest-only': [],
  'ecr-image-push-failed': [],
  'ecr-image-push-semver': ['deploy-on-push'],
  'ecr-replication-action': ['deploy-on-push'],
  'ecs-deployment-completed': ['watch-deployments'],
  'ecs-deployment-failed': ['watch-deployments'],
  'ecs-deployment-in-progress': ['index-services', 'watch-deployments'],
  'ecs-task-running-standalone-ec2': ['restart-tasks'],
  'ecs-task-running-standalone-fargate': ['restart-tasks'],
  'ecs-task-stopped-crash': ['watch-deployments'],
  'ecs-task-stopped-standalone-capacity': ['restart-tasks'],
  'ecs-task-stopped-standalone-exit-0': ['restart-tasks'],
  'ecs-task-stopped-standalone-exit-1': ['restart-tasks'],
  'ecs-task-stopped-standalone-missing-image': ['restart-tasks'],
  'ecs-task-stopped-standalone-missing-secret': ['restart-tasks'],
  'ecs-task-stopped-standalone-oom': ['restart-tasks'],
  'ecs-task-stopped-standalone-pull-timeout': ['restart-tasks'],
  'ecs-task-stopped-standalone-spot': ['restart-tasks'],
  'ecs-task-stopped-standalone-termination': ['restart-tasks'],
  'ecs-task-stopped-standalone-user': ['restart-tasks'],
  'ecs-task-stopped-user': ['watch-deployments'],
  'scheduled-reconcile': ['index-services'],
};

const samples = readdirSync(join(root, 'events'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('route', () => {
  const routes = loadRoutes(root);

  it('knows where every sample goes', () => {
    // Prepare
    const known = Object.keys(EXPECTED).sort();

    // Act
    const present = [...samples].sort();

    // Assess
    expect(present).toEqual(known);
  });

  it.each(samples)('delivers %s to the functions whose rules match', (name) => {
    // Prepare
    const event = sampleEvent(name);

    // Act
    const targets = route(routes, event);

    // Assess
    expect(targets).toEqual(EXPECTED[name]);
  });

  it.each([
    ['a failed replication', { result: 'FAILED' }],
    ['a replication of an untagged image', { 'image-tag': undefined }],
  ])('delivers %s to no function', (_, patch) => {
    // Prepare
    const event = sampleEvent<{ source: string; detail: Record<string, unknown> }>('ecr-replication-action');
    event.detail = JSON.parse(JSON.stringify({ ...event.detail, ...patch }));

    // Act
    const targets = route(routes, event);

    // Assess
    expect(targets).toEqual([]);
  });

  it('delivers schedule events by rule name, for any stage', () => {
    // Prepare
    const event = sampleEvent<{ resources: string[] }>('scheduled-reconcile');
    event.resources = ['arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-staging-deploy-due'];

    // Act
    const targets = route(routes, event);

    // Assess
    expect(targets).toEqual(['deploy-due']);
  });

  it('delivers the tag policy sweep schedule to tag-policies alone', () => {
    // Prepare
    const event = sampleEvent<{ resources: string[] }>('scheduled-reconcile');
    event.resources = ['arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-prod-tag-sweep'];

    // Act
    const targets = route(routes, event);

    // Assess
    expect(targets).toEqual(['tag-policies']);
  });
});

describe('compileRoute', () => {
  it('compiles every pattern of serverless.yml when the routes are loaded', () => {
    // Prepare
    const routes = loadRoutes(root);

    // Act
    const compiled = routes.map((r) => [r.functionName, r.matchers.length]);

    // Assess
    expect(compiled).toEqual(routes.map((r) => [r.functionName, r.patterns.length]));
    expect(compiled.some(([, count]) => Number(count) > 0)).toBe(true);
  });

  it('rejects a pattern EventBridge would reject before any event is routed', () => {
    // Prepare
    const definition = { functionName: 'broken', patterns: [{ source: 'autopilot' }], schedules: [] };

    // Act
    const act = () => compileRoute(definition);

    // Assess
    expect(act).toThrow(PatternError);
  });

  it('routes with the compiled matchers', () => {
    // Prepare
    const notify = compileRoute({
      functionName: 'notify',
      patterns: [{ source: ['autopilot'] }],
      schedules: [],
    });

    // Act
    const targets = [route([notify], { source: 'autopilot' }), route([notify], { source: 'aws.ecr' })];

    // Assess
    expect(targets).toEqual([['notify'], []]);
  });
});
