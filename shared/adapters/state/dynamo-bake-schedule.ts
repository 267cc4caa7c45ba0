/** {@link BakeSchedule} on the autopilot table: `BAKING` / `<serviceArn>#<deploymentId>` with `dueAt`. */
import type { BakeSchedule, BakeTimer } from '../../ports';
import { DAY, DynamoTableStore } from './dynamo-table';
import { bakeKey, bakes } from './keys';

/** Timers are due within hours; a week is plenty for a bake-timer that was down. */
const BAKE_TTL = 7 * DAY;

/** Bake timers in DynamoDB. */
export class DynamoBakeSchedule extends DynamoTableStore implements BakeSchedule {
  async scheduleBake(serviceArn: string, deploymentId: string, dueAt: string): Promise<void> {
    await this.table.put({
      ...bakeKey(serviceArn, deploymentId),
      serviceArn,
      deploymentId,
      dueAt,
      expiresAt: this.table.expiresIn(BAKE_TTL),
    });
  }

  async listBaked(now: Date): Promise<BakeTimer[]> {
    const due = await this.table.query(bakes, {
      filter: { if: 'dueAt <= :now', values: { ':now': now.toISOString() } },
    });
    return due.map((item) => ({
      serviceArn: String(item.serviceArn),
      deploymentId: String(item.deploymentId),
    }));
  }

  async deleteBake(serviceArn: string, deploymentId: string): Promise<void> {
    await this.table.delete(bakeKey(serviceArn, deploymentId));
  }
}
