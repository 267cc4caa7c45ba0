/**
 * Powertools' tracer and the X-Ray SDK it loads, required by `tracer()` in observability.ts only
 * when tracing is switched on. The build bundles this file on its own, as `.build/tracing.js` beside
 * the functions' folders (packaged with every function), and each function's bundle requires it from
 * there: the X-Ray SDK (about 80 KB) is neither in a function's bundle nor read at its cold start.
 * Run from the sources (tests, the CLI) it is an ordinary module.
 */
export { Tracer } from '@aws-lambda-powertools/tracer';
