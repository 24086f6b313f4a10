import v8 from 'node:v8';

/**
 * How far the old generation may grow past what was live after a full collection before
 * the next one, in percent. V8's own factor follows the ratio of allocation speed to
 * collection speed and goes up to 4 when allocation is fast, as it is while parsing: the
 * same 50,246-resource validate peaked anywhere between 440 and 606 MiB from run to run,
 * its live heap about 130 MB each time. At 100% (the heap at most doubles) it peaks at
 * 431–444 MiB for the same CPU; at 50% at 389–402 MiB, but with twice the full collections
 * it cost about 5% more CPU. Figures and the command: docs/performance.md, "A bounded old
 * generation".
 */
export const ENGINE_HEAP_GROWING_PERCENT = 100;

/**
 * Applies the growth bound to this process's V8, all its isolates (worker threads) too.
 * V8 reads the flag at every full collection, so it works when set at run time, whatever
 * flags node was started with.
 */
export function boundEngineHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${ENGINE_HEAP_GROWING_PERCENT}`);
}
