/** End to end, alone on a fresh local account (see play-alone.ts). */
import { lateRunTaskRecordRestarted } from '../../sandbox/scenarios';
import { playAlone } from './play-alone';

playAlone(lateRunTaskRecordRestarted);
