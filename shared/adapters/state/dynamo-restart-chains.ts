/**
 * {@link RestartChains} on the autopilot table: launch specs (`RESTART#<clusterArn>` /
 * `SPEC#<taskArn>`, 30 days) and chains (`RESTART` / `CHAIN#<clusterArn>#<chainId>`, 30 days after
 * their last write), each chain written only over the version it was read at.
 */
import type { LaunchSpec, LaunchSpecSource, RestartChain, RestartChains } from '../../ports';
import { DAY, DynamoTableStore, recordOf } from './dynamo-table';
import { launchSpecKey, restartChainKey, restartChainsOf } from './keys';

/** A launch spec is kept this long: a standalone task that runs longer is restarted only by a RUNNING capture's spec. */
const SPEC_TTL = 30 * DAY;
/** A chain is forgotten this long after its last write. */
const CHAIN_TTL = 30 * DAY;

/** Launch specs and restart chains in DynamoDB. */
export class DynamoRestartChains extends DynamoTableStore implements RestartChains {
  async getSpec(
    clusterArn: string,
    taskArn: string,
  ): Promise<{ spec: LaunchSpec; source: LaunchSpecSource } | undefined> {
    const item = await this.table.get(launchSpecKey(clusterArn, taskArn));
    return item ? { spec: item.spec as LaunchSpec, source: item.source as LaunchSpecSource } : undefined;
  }

  saveSpec(
    clusterArn: string,
    taskArn: string,
    spec: LaunchSpec,
    source: LaunchSpecSource,
  ): Promise<boolean> {
    // The RunTask record is what was asked: it replaces a spec read from the RUNNING event, never
    // the reverse, whichever event arrives first.
    return this.table.put(
      { ...launchSpecKey(clusterArn, taskArn), spec, source, expiresAt: this.table.expiresIn(SPEC_TTL) },
      source === 'run-task'
        ? {
            if: 'attribute_not_exists(pk) OR #source = :running',
            names: { '#source': 'source' },
            values: { ':running': 'running' },
          }
        : { if: 'attribute_not_exists(pk)' },
    );
  }

  async getChain(clusterArn: string, chainId: string): Promise<RestartChain | undefined> {
    const item = await this.table.get(restartChainKey(clusterArn, chainId));
    return item ? recordOf<RestartChain>(item) : undefined;
  }

  saveChain(chain: RestartChain): Promise<boolean> {
    return this.table.put(
      {
        ...restartChainKey(chain.clusterArn, chain.chainId),
        ...chain,
        expiresAt: this.table.expiresIn(CHAIN_TTL),
      },
      chain.version === 1
        ? { if: 'attribute_not_exists(pk)' }
        : {
            if: '#version = :read',
            names: { '#version': 'version' },
            values: { ':read': chain.version - 1 },
          },
    );
  }

  async liveChains(clusterArn?: string): Promise<RestartChain[]> {
    const items = await this.table.query(restartChainsOf(clusterArn), {
      filter: {
        if: '#state <> :abandoned',
        names: { '#state': 'state' },
        values: { ':abandoned': 'abandoned' },
      },
    });
    return items.map((item) => recordOf<RestartChain>(item));
  }
}
