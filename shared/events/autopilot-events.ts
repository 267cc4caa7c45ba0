/**
 * Contracts of the events autopilot publishes on its bus (`source: "autopilot"`). Other teams may
 * subscribe to them; JSON Schemas generated from these zod schemas are published in `schemas/`.
 */
import { z } from 'zod';

/** The `source` of every event autopilot publishes. */
export const AUTOPILOT_SOURCE = 'autopilot' as const;

export const DEPLOYMENT_STARTED = 'Deployment Started' as const;
export const DEPLOYMENT_SCHEDULED = 'Deployment Scheduled' as const;
export const ACTION_FAILED = 'Action Failed' as const;

const ServiceFields = {
  cluster: z.string().describe('cluster name'),
  service: z.string().describe('service name'),
  serviceArn: z.string(),
};

const ImageFields = {
  repository: z.string().describe('ECR repository name'),
  tag: z.string().describe('the pushed tag'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
};

/** A service was pointed at a new task-definition revision whose images are pinned by digest. */
export const DeploymentStartedSchema = z.strictObject({
  ...ServiceFields,
  ...ImageFields,
  image: z.string().describe('the image reference written into the containers'),
  containers: z.array(z.string()).describe('the containers whose image changed'),
  fromTaskDefinition: z.string(),
  toTaskDefinition: z.string(),
  reason: z.string(),
  dryRun: z.boolean(),
  triggeredBy: z.string().describe('id of the event that caused the deployment'),
});

/** A push is eligible but waits for its cooldown or deploy window. */
export const DeploymentScheduledSchema = z.strictObject({
  ...ServiceFields,
  ...ImageFields,
  dueAt: z.iso.datetime(),
  reason: z.string(),
  dryRun: z.boolean(),
  triggeredBy: z.string(),
});

/** Autopilot decided to act but could not; nothing was half-applied. */
export const ActionFailedSchema = z.strictObject({
  action: z.string().describe('e.g. deploy'),
  cluster: z.string().optional(),
  service: z.string().optional(),
  serviceArn: z.string().optional(),
  reason: z.string(),
  dryRun: z.boolean(),
  triggeredBy: z.string(),
});

/** Every autopilot event, keyed by detail-type. */
export const AutopilotEventSchemas = {
  [DEPLOYMENT_STARTED]: DeploymentStartedSchema,
  [DEPLOYMENT_SCHEDULED]: DeploymentScheduledSchema,
  [ACTION_FAILED]: ActionFailedSchema,
} as const;

export type AutopilotDetailType = keyof typeof AutopilotEventSchemas;

/** An autopilot event before it is put on the bus. */
export type AutopilotEvent = {
  [K in AutopilotDetailType]: { detailType: K; detail: z.infer<(typeof AutopilotEventSchemas)[K]> };
}[AutopilotDetailType];
