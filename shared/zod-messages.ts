/**
 * English messages for the zod/mini schemas. `zod/mini` (the contracts' zod: its functions are
 * tree-shaken, where full zod's methods kept 58 KiB more in every bundle) ships no locale, so
 * without this every issue would read "Invalid input"; full zod configures the same English locale
 * when it is imported. Imported for its effect by every module of shared/ that builds a schema, so
 * a message is English whichever of them a bundle or a test loads first. The configuration is
 * zod's, global to the process (shared with full zod, which the CLI and tests may load too, and
 * which sets the same).
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
