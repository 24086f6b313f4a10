import type { ChartCache } from './cache.js';
import { sha256 } from './cache.js';
import { authorization, credentialFor } from './credentials.js';
import { isLoopbackHost, validVersionName } from './guard.js';
import type { Fetched } from './http-repo.js';
import { get, mib, type Response } from './net.js';
import type { ChartCredential, ChartFetcherOptions, ChartRef } from './types.js';
import { ChartError } from './types.js';
import { isExact, resolveVersion } from './version.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const SMALL = 4 * 2 ** 20; // manifests, tag lists, tokens
const TAG_PAGES = 20;
/** A repository path component (OCI distribution spec). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export interface OciRepo {
  /** https://host[:port]/, or http:// for a loopback host (tests, a registry on this machine). */
  base: URL;
  repository: string;
  /** Cache key and the URL credentials are matched against: oci://host[:port]/path. */
  key: string;
}

export function ociRepo(raw: string, chart: string): OciRepo {
  if (!raw.startsWith('oci://')) throw new ChartError('not an oci:// URL');
  // Checked as written: URL parsing would quietly resolve "a/../b".
  const rawPath = raw.slice('oci://'.length).replace(/^[^/]*/, '').replace(/^\/+|\/+$/g, '');
  if (rawPath && !rawPath.split('/').every((p) => COMPONENT.test(p))) throw new ChartError('the oci:// path is not a valid repository name');
  let u: URL;
  try {
    u = new URL(`https://${raw.slice('oci://'.length)}`);
  } catch {
    throw new ChartError('not a valid oci:// URL');
  }
  if (u.username || u.password) throw new ChartError('refused a repository URL with user info (credentials belong in FERRY_CHART_CREDENTIALS)');
  if (u.search || u.hash) throw new ChartError('refused a repository URL with a query or a fragment');
  const path = u.pathname.replace(/^\/+|\/+$/g, '');
  const parts = path ? path.split('/') : [];
  if (!parts.every((p) => COMPONENT.test(p))) throw new ChartError('the oci:// path is not a valid repository name');
  if (!COMPONENT.test(chart)) throw new ChartError('the chart name is not a valid OCI repository name (lowercase letters, digits, . _ -)');
  const base = new URL(`${isLoopbackHost(u.hostname) ? 'http' : 'https'}://${u.host}/`);
  return { base, repository: [...parts, chart].join('/'), key: `oci://${u.host}${path ? `/${path}` : ''}` };
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: m[1]!.toLowerCase(), params };
}

/** One chart fetch from one registry repository: remembers the token it was given. */
class Registry {
  private auth: string | undefined;
  private readonly credential: ChartCredential | undefined;

  constructor(private readonly repo: OciRepo, private readonly ref: ChartRef, private readonly opts: ChartFetcherOptions, private readonly signal: AbortSignal) {
    this.credential = credentialFor(opts.credentials, `${repo.key}/${ref.chart}`);
  }

  async get(path: string, maxBytes: number, accept?: string): Promise<Response> {
    const url = new URL(path, this.repo.base);
    const send = () => get(url, { signal: this.signal, maxBytes, allowPrivate: this.opts.allowPrivateNetworks, headers: accept ? { accept } : undefined, authFor: () => this.auth });
    let res = await send();
    if (res.status === 401 && (await this.authenticate(res.headers['www-authenticate']))) res = await send();
    return res;
  }

  /** Answers a 401 challenge; false when there is nothing to answer it with. */
  private async authenticate(header: string | string[] | undefined): Promise<boolean> {
    const challenge = parseChallenge(Array.isArray(header) ? header[0] : header);
    if (challenge?.scheme === 'basic') {
      this.auth = authorization(this.credential);
      return this.auth !== undefined;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return false;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm, this.repo.base);
    } catch {
      throw new ChartError('the registry gave an invalid token realm');
    }
    realm.searchParams.set('scope', challenge.params.scope || `repository:${this.repo.repository}:pull`);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    // The registry's credential goes to a realm on the registry's own host; a realm elsewhere
    // (auth.docker.io) gets only a credential whose url prefixes the realm itself. A registry
    // the operator gave no credential for gets none: its realm is its own choice (the PR's),
    // and the token minted would be sent back to it.
    const cred = this.credential ? (credentialFor(this.opts.credentials, realm.href) ?? (realm.host === this.repo.base.host ? this.credential : undefined)) : undefined;
    const res = await get(realm, { signal: this.signal, maxBytes: SMALL, allowPrivate: this.opts.allowPrivateNetworks, authFor: () => authorization(cred) });
    if (res.status !== 200) throw new ChartError(`token: HTTP ${res.status}`);
    const body = json(res, 'the token response');
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) throw new ChartError('the token response has no token');
    this.auth = `Bearer ${token}`;
    return true;
  }
}

function json(res: Response, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(res.body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ChartError(`${what} is not JSON`);
}

function nextPage(res: Response): string | null {
  const link = res.headers.link;
  const m = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!m) return null;
  const next = new URL(m[1]!, res.url);
  // Pages stay on the registry: a Link header is not a way to send us elsewhere.
  return next.origin === res.url.origin ? next.pathname + next.search : null;
}

export class OciRegistries {
  constructor(private readonly cache: ChartCache, private readonly opts: ChartFetcherOptions) {}

  async fetch(ref: ChartRef, signal: AbortSignal): Promise<Fetched> {
    const repo = ociRepo(ref.repoUrl, ref.chart);
    const registry = new Registry(repo, ref, this.opts, signal);
    if (ref.digest) {
      // Pinned: the manifest is content-addressed, so a cached chart of that digest is the one.
      const hex = /^sha256:([0-9a-f]{64})$/.exec(ref.digest)?.[1];
      if (!hex) throw new ChartError('not a sha256 digest');
      const file = this.cache.chartFile(repo.key, ref.chart, `sha256-${hex}`);
      const hit = await this.cache.readChart(file);
      if (hit) return { ...hit, version: ref.digest };
      return { file, version: ref.digest, digest: await this.cache.once(file, () => this.download(registry, repo, ref.digest!, file, hex)) };
    }
    let version: string;
    if (isExact(ref.version)) {
      const hit = await this.cache.readChart(this.cache.chartFile(repo.key, ref.chart, ref.version));
      if (hit) return { ...hit, version: ref.version };
      version = ref.version;
    } else {
      const resolved = resolveVersion(await this.tags(registry, repo), ref.version);
      if (!resolved.ok) throw new ChartError(resolved.reason);
      version = resolved.version;
    }
    if (!validVersionName(version)) throw new ChartError('the registry names a version that is not a valid file name');
    const file = this.cache.chartFile(repo.key, ref.chart, version);
    const hit = await this.cache.readChart(file);
    if (hit) return { ...hit, version };
    return { file, version, digest: await this.cache.once(file, () => this.download(registry, repo, version, file)) };
  }

  /** Versions from the tags: OCI tags cannot hold "+", so Helm writes it as "_". */
  private async tags(registry: Registry, repo: OciRepo): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = `/v2/${repo.repository}/tags/list`;
    for (let page = 0; path && page < TAG_PAGES; page++) {
      const res = await registry.get(path, SMALL);
      if (res.status !== 200) throw new ChartError(`tags: HTTP ${res.status}`);
      const tags = json(res, 'the tag list').tags;
      if (Array.isArray(tags)) for (const t of tags) if (typeof t === 'string') out.push(t.replace(/_/g, '+'));
      path = nextPage(res);
    }
    return out;
  }

  /** `reference` is a version (its tag) or, with `manifestDigest`, the manifest's digest. */
  private async download(registry: Registry, repo: OciRepo, reference: string, file: string, manifestDigest?: string): Promise<string> {
    const path = manifestDigest ? reference : encodeURIComponent(reference.replace(/\+/g, '_'));
    const res = await registry.get(`/v2/${repo.repository}/manifests/${path}`, SMALL, MANIFEST);
    if (res.status !== 200) throw new ChartError(`manifest: HTTP ${res.status}`);
    if (manifestDigest && sha256(res.body) !== manifestDigest) {
      throw new ChartError(`digest mismatch: the pinned manifest is sha256:${manifestDigest}, the registry sent sha256:${sha256(res.body)}`);
    }
    const layers = json(res, 'the manifest').layers;
    const layer = Array.isArray(layers) ? (layers as Array<Record<string, unknown>>).find((l) => l && l.mediaType === CHART_LAYER) : undefined;
    if (!layer) throw new ChartError('the manifest has no Helm chart layer (is it a chart?)');
    const digest = typeof layer.digest === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(layer.digest)?.[1] : undefined;
    if (!digest) throw new ChartError('the chart layer has no sha256 digest');
    if (typeof layer.size === 'number' && layer.size > this.opts.maxChartBytes) throw new ChartError(`larger than ${mib(this.opts.maxChartBytes)}`);
    const blob = await registry.get(`/v2/${repo.repository}/blobs/sha256:${digest}`, this.opts.maxChartBytes);
    if (blob.status !== 200) throw new ChartError(`blob: HTTP ${blob.status}`);
    const actual = sha256(blob.body);
    if (actual !== digest) throw new ChartError(`digest mismatch: the manifest says sha256:${digest}, the download is sha256:${actual}`);
    await this.cache.write(file, blob.body);
    return actual;
  }
}
