/** End to end, alone on a fresh local account, every event delivered three times, shuffled (see ../play-alone.ts). */
import { replicaDeployedAsPush } from '../../../sandbox/scenarios';
import { playAlone } from '../play-alone';
import { THRICE } from './thrice';

playAlone(replicaDeployedAsPush, THRICE);
