/**
 * How much of a commit Ferry reads. A repository of a few megabytes can hold gigabytes
 * of compressible YAML (a git bomb); sizes are checked from object headers before any
 * content is read, and what is over a limit becomes a finding on the PR.
 */
export interface ReadLimits {
  /** Largest single file read or written for a render. */
  maxBlobBytes: number;
  /** Total bytes read from one commit in one plan (every file, every app). */
  maxTreeBytes: number;
  /** Total bytes written to disk for one app's render. */
  maxRenderBytes: number;
  /** Files a symlinked folder may expand to when it is copied for a render. */
  maxLinkedFiles: number;
  /** Files written for one render, links expanded (many links to one big folder). */
  maxRenderFiles: number;
}

const MiB = 1024 * 1024;

function fromEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** `defaultReadLimits().maxBlobBytes`, reading only its own variable. */
export function maxBlobBytesFromEnv(): number {
  return fromEnv('FERRY_MAX_FILE_MB', 64) * MiB;
}

export function defaultReadLimits(): ReadLimits {
  return {
    maxBlobBytes: maxBlobBytesFromEnv(),
    maxTreeBytes: fromEnv('FERRY_MAX_COMMIT_READ_MB', 1024) * MiB,
    maxRenderBytes: fromEnv('FERRY_MAX_RENDER_INPUT_MB', 256) * MiB,
    maxLinkedFiles: 10_000,
    maxRenderFiles: fromEnv('FERRY_MAX_RENDER_FILES', 20_000),
  };
}

export function mib(bytes: number): string {
  const v = bytes / MiB;
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} MiB`;
}

/** A read refused by a limit; `path` is repository-relative. */
export class ReadLimitError extends Error {
  constructor(
    readonly path: string,
    readonly kind: 'file' | 'commit',
    message: string,
  ) {
    super(message);
    this.name = 'ReadLimitError';
  }
}
