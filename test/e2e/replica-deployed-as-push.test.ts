/** End to end, alone on a fresh local account (see play-alone.ts). */
import { replicaDeployedAsPush } from '../../sandbox/scenarios';
import { playAlone } from './play-alone';

playAlone(replicaDeployedAsPush);
