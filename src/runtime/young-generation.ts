/**
 * The V8 young generation the engine runs with, wherever it runs: the CLI's and CI
 * entry's shebangs, the GitHub Action's `node` call, and the server's plan workers.
 *
 * Parsing and validating manifests makes many short-lived objects. With V8's default
 * 16 MB semi-spaces, many of them outlive two scavenges while their app is still being
 * worked on, are promoted, and then wait for a full mark-compact: the old generation
 * grows to about 2.5 times its live size before one runs. With 32 MB semi-spaces they
 * die young. On 50,246 resources: peak RSS about 590 → 465 MB, 10–18% fewer page faults
 * and less CPU; 64 MB gave most of the memory back (518 MB). Figures and the command:
 * docs/performance.md, "A larger young generation".
 */
export const ENGINE_SEMI_SPACE_MB = 32;

/** The node flag that sets it for a process (it cannot be changed once V8 runs). */
export const ENGINE_NODE_FLAG = `--max-semi-space-size=${ENGINE_SEMI_SPACE_MB}`;

/**
 * The same for a worker thread, as `resourceLimits.maxYoungGenerationSizeMb`: V8 sizes
 * the young generation at three semi-spaces (two, and the new large-object space).
 */
export const ENGINE_YOUNG_GENERATION_MB = 3 * ENGINE_SEMI_SPACE_MB;
