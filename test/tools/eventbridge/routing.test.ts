/**
 * Routing (autopilot dispatch, the local bus) follows the rules in serverless.yml: every sample in
 * events/ reaches the functions a deployed stack would invoke, and nothing else.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRoutes, route } from '../../../tools/eventbridge/routing';
import { sampleEvent } from '../../support/handler';

const root = join(__dirname, '..', '..', '..');

/** Where each sample goes; exhaustive over events/ (a new sample must be added here). */
const EXPECTED: Record<string, string[]> = {
  'autopilot-action-failed': ['notify'],
  'autopilot-configuration-problem': ['notify'],
  'autopilot-deployment-rolled-back': ['notify'],
  'autopilot-deployment-scheduled': ['notify'],
  'autopilot-deployment-started': ['notify'],
  'autopilot-deployment-succeeded': ['notify'],
  'autopilot-image-quarantined': ['notify'],
  'autopilot-rollback-failed': ['notify'],
  'cloudtrail-ecs-create-service': ['index-services'],
  'cloudtrail-ecs-delete-service': ['index-services'],
  'cloudtrail-ecs-tag-resource': ['index-services'],
  'cloudtrail-ecs-untag-resource': ['index-services'],
  'cloudtrail-ecs-update-service': ['index-services'],
  'cloudwatch-alarm-state-change': ['watch-deployments'],
  'ecr-image-delete': [],
  'ecr-image-push': ['deploy-on-push'],
  'ecr-image-push-digest-only': [],
  'ecr-image-push-failed': [],
  'ecr-image-push-semver': ['deploy-on-push'],
  'ecs-deployment-completed': ['watch-deployments'],
  'ecs-deployment-failed': ['watch-deployments'],
  'ecs-deployment-in-progress': ['index-services', 'watch-deployments'],
  'ecs-task-stopped-crash': ['watch-deployments'],
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

  it('delivers schedule events by rule name, for any stage', () => {
    // Prepare
    const event = sampleEvent<{ resources: string[] }>('scheduled-reconcile');
    event.resources = ['arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-staging-deploy-due'];

    // Act
    const targets = route(routes, event);

    // Assess
    expect(targets).toEqual(['deploy-due']);
  });
});
