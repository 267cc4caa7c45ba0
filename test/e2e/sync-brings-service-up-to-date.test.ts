/** End to end, alone on a fresh local account (see play-alone.ts). */
import { syncBringsServiceUpToDate } from '../../sandbox/scenarios';
import { playAlone } from './play-alone';

playAlone(syncBringsServiceUpToDate);
