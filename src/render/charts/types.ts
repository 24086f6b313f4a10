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
  /**
   * OCI only: the chart's manifest digest, `sha256:<hex>` (Flux's OCIRepository
   * `spec.ref.digest`, which wins over any tag or semver). The manifest fetched must hash to it.
   */
  digest?: string;
}

export type ChartFetch =
  | { ok: true; /** Absolute path of the cached .tgz. */ file: string; /** The version resolved. */ version: string; /** sha256 hex of the .tgz. */ digest: string }
  | { ok: false; /** Readable; names no credential and no server path. */ message: string };

export interface ChartFetcher {
  fetch(ref: ChartRef, signal?: AbortSignal): Promise<ChartFetch>;
}

/** One entry of FERRY_CHART_CREDENTIALS. */
export interface ChartCredential {
  /** Prefix match on the URL a request goes to: https://charts.example.com/ or oci://ghcr.io/org/ */
  url: string;
  username?: string;
  password?: string;
  token?: string;
}

export interface ChartFetcherOptions {
  cacheDir: string; // e.g. <FERRY_CACHE_DIR>/charts
  timeoutMs: number; // per fetch (whole operation), default 30 s
  maxChartBytes: number; // cap on one .tgz, default 20 MiB
  maxIndexBytes: number; // cap on index.yaml, default 64 MiB (real indexes are big, e.g. bitnami)
  credentials: ChartCredential[];
  /** Loopback, private, link-local, unspecified and multicast addresses are refused unless this is set. */
  allowPrivateNetworks: boolean;
  offline?: boolean; // FERRY_CHARTS=off: every fetch returns a clear "not fetched: chart fetching is off" failure
}

/** A failure whose message is safe to show: no credentials, no internal paths. */
export class ChartError extends Error {
  constructor(message: string, readonly kind: 'policy' | 'other' = 'other') {
    super(message);
    this.name = 'ChartError';
  }
}
