/** End to end, alone on a fresh local account (see play-alone.ts). */
import { pauseHoldsPush } from '../../sandbox/scenarios';
import { playAlone } from './play-alone';

playAlone(pauseHoldsPush);
