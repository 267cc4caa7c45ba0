/** End to end, alone on a fresh local account, every event delivered three times, shuffled (see ../play-alone.ts). */
import { revertedByOthers } from '../../../sandbox/scenarios';
import { playAlone } from '../play-alone';
import { THRICE } from './thrice';

playAlone(revertedByOthers, THRICE);
