/**
 * Standalone tasks as ECS describes them, with their tags (DescribeTasks include TAGS): restart-tasks
 * reads whether a stopped task opted in to restarts and the chain it belongs to. RunTask is in
 * `ecs-task-starter.ts`, so this bundle (and its role) holds no RunTask.
 */
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { TaskReader, TaskView } from '../../ports';
import { awsErrorName, classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** Reads a task with its tags. */
export class EcsTaskReader implements TaskReader {
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async describeTask(clusterArn: string, taskArn: string): Promise<TaskView | undefined> {
    try {
      const out = await this.client.send(
        new DescribeTasksCommand({ cluster: clusterArn, tasks: [taskArn], include: ['TAGS'] }),
      );
      const task = out.tasks?.[0];
      // A stopped task is described for about an hour; after that it is in `failures` (MISSING).
      if (!task?.taskArn) return undefined;
      return {
        taskArn: task.taskArn,
        clusterArn: task.clusterArn ?? clusterArn,
        taskDefinitionArn: task.taskDefinitionArn ?? '',
        ...(task.group ? { group: task.group } : {}),
        ...(task.startedBy ? { startedBy: task.startedBy } : {}),
        ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
        tags: Object.fromEntries((task.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
      };
    } catch (error) {
      if (awsErrorName(error) === 'ClusterNotFoundException') return undefined;
      throw classifyAwsError(error, 'DescribeTasks', PERMANENT_ECS_ERRORS);
    }
  }
}
