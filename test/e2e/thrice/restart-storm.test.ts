/**
 * End to end, alone on a fresh local account, every event delivered three times, shuffled (see
 * ../play-alone.ts). 60 tasks rather than 200: each event is handled three times, and the storm's
 * promises (one restart each, none lost, one RunTask at a time, summaries) do not depend on its size.
 */
import { restartStormOf } from '../../../sandbox/scenarios';
import { playAlone } from '../play-alone';
import { THRICE } from './thrice';

playAlone(restartStormOf(60), THRICE);
