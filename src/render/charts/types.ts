/**
 * Charts from outside the repository, as the engine asks for them. The engine needs only
 * this port; the fetcher behind it (HTTP index or OCI, with its cache) is the server's.
 */
export interface ChartRef {
  /** https://… Helm repository URL (index.yaml lives under it) or oci://host[:port]/path (the chart is <path>/<chart>). */
  repoUrl: string;
  chart: string;
  /** Exact version, or a semver constraint (Flux: ">=1.0.0-alpha", "6.x", "*"); empty or unset: latest stable. */
  version?: string;
}

export type ChartFetch =
  | { ok: true; /** Absolute path of the cached .tgz. */ file: string; /** The version resolved. */ version: string; /** sha256 hex of the .tgz. */ digest: string }
  | { ok: false; /** Readable; names no credential and no server path. */ message: string };

export interface ChartFetcher {
  fetch(ref: ChartRef, signal?: AbortSignal): Promise<ChartFetch>;
}
