/** A chart that lives outside the repository: what a Flux HelmRelease or an Argo CD Application names. */
export interface ChartRef {
  /** https://… Helm repository URL (index.yaml lives under it) or oci://host[:port]/path (chart is <path>/<chart>). */
  repoUrl: string;
  chart: string;
  /** Exact version, or a semver constraint (Flux: ">=1.0.0-alpha", "6.x", "*"); empty/undefined = latest stable. Argo's targetRevision is the same. */
  version?: string;
}

export type ChartFetch =
  | { ok: true; file: string /* absolute path of the cached .tgz */; version: string /* resolved */; digest: string /* sha256 hex of the tgz */ }
  | { ok: false; message: string /* readable, no credentials, no internal paths */ };

export interface ChartFetcher {
  fetch(ref: ChartRef, signal?: AbortSignal): Promise<ChartFetch>;
}

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
