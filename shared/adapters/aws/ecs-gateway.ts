/**
 * {@link ContainerPlatform} on Amazon ECS: reads, service updates, and registering revisions.
 */
import type { ContainerPlatform } from '../../ports';
import { EcsRollbackPlatform } from './ecs-rollback-platform';

/**
 * Reads and changes ECS through the AWS SDK: what rollback does ({@link EcsRollbackPlatform}: reads,
 * UpdateService, RegisterTaskDefinition through a client the SDK does not retry, and finding a
 * revision whose register answer was lost), which is all deploy on push needs too.
 */
export class EcsGateway extends EcsRollbackPlatform implements ContainerPlatform {}
