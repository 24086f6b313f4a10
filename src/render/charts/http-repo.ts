import yaml from 'js-yaml';
import { authorization, credentialFor } from './credentials.js';
import type { ChartCache } from './cache.js';
import { sha256 } from './cache.js';
import { printable, validVersionName } from './guard.js';
import { get } from './net.js';
import type { ChartFetcherOptions, ChartRef } from './types.js';
import { ChartError } from './types.js';
import { isExact, resolveVersion } from './version.js';

export interface Fetched {
  file: string;
  version: string;
  digest: string;
}

interface Entry {
  version: string;
  urls: string[];
  digest?: string;
}

type Entries = Record<string, unknown>;

/** How long a parsed index is trusted before it is fetched again. */
const INDEX_TTL_MS = 5 * 60 * 1000;
/** Parsed indexes kept in memory: a big one (bitnami) is hundreds of MB once parsed. */
const INDEX_MEMORY = 4;
const MAX_ENTRIES = 100_000;
/** About four times what a 20 MB index written by Helm holds. */
const MAX_INDEX_NODES = 3_000_000;

/** The repository URL as a base for relative chart URLs (with its trailing slash) and as a cache key (without). */
export function httpRepo(raw: string): { base: URL; key: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ChartError('not a valid repository URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ChartError('only https://, http:// and oci:// repositories are fetched');
  if (u.username || u.password) throw new ChartError('refused a repository URL with user info (credentials belong in FERRY_CHART_CREDENTIALS)');
  if (u.search || u.hash) throw new ChartError('refused a repository URL with a query or a fragment');
  const key = u.href.replace(/\/+$/, '');
  return { base: new URL(`${key}/`), key };
}

/**
 * Parses index.yaml. js-yaml is ten times faster than `yaml` on a 20 MB index. It never
 * copies an alias (so an alias bomb costs no memory), but an index Helm writes has no
 * anchors at all: one is refused so a crafted document fails plainly.
 */
export function parseIndex(text: string): Entries {
  let doc: unknown;
  let nodes = 0;
  try {
    doc = yaml.load(text, {
      listener(event, state) {
        if (event !== 'close') return;
        if ((state as { anchor?: string | null }).anchor) throw new ChartError('index.yaml uses YAML anchors, which a Helm repository index never does');
        // Memory follows the number of nodes, not the bytes: `{},` is an object every 3 bytes,
        // and 64 MB of them held over 1 GB. A real index has about one node per 25 bytes.
        if (++nodes > MAX_INDEX_NODES) throw new ChartError(`index.yaml has more than ${MAX_INDEX_NODES} YAML nodes`);
      },
    });
  } catch (err) {
    if (err instanceof ChartError) throw err;
    const reason = (err as { reason?: string }).reason ?? 'parse error';
    throw new ChartError(`index.yaml is not valid YAML (${printable(reason, 120)})`);
  }
  const entries = doc && typeof doc === 'object' ? (doc as { entries?: unknown }).entries : undefined;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new ChartError('index.yaml has no entries: not a Helm repository index');
  return entries as Entries;
}

function entriesOf(entries: Entries, chart: string): Entry[] {
  if (!Object.prototype.hasOwnProperty.call(entries, chart)) throw new ChartError('not in the repository index');
  const list = entries[chart];
  if (!Array.isArray(list)) throw new ChartError('the index entry is not a list of versions');
  const out: Entry[] = [];
  for (const item of list.slice(0, MAX_ENTRIES)) {
    if (!item || typeof item !== 'object') continue;
    const { version, urls, digest } = item as Record<string, unknown>;
    if (typeof version !== 'string' || !Array.isArray(urls) || typeof urls[0] !== 'string') continue;
    out.push({ version, urls: urls as string[], digest: typeof digest === 'string' ? digest : undefined });
  }
  if (out.length === 0) throw new ChartError('the index lists no usable versions');
  return out;
}

export class HttpRepos {
  private readonly memory = new Map<string, { at: number; entries: Entries }>();
  private readonly loading = new Map<string, Promise<Entries>>();

  constructor(private readonly cache: ChartCache, private readonly opts: ChartFetcherOptions, private readonly now: () => number = Date.now) {}

  private authFor = (url: URL): string | undefined => authorization(credentialFor(this.opts.credentials, url.href));

  async fetch(ref: ChartRef, signal: AbortSignal): Promise<Fetched> {
    const { base, key } = httpRepo(ref.repoUrl);
    if (isExact(ref.version)) {
      // A version pinned exactly and already downloaded needs nothing from the network.
      const hit = await this.cache.readChart(this.cache.chartFile(key, ref.chart, ref.version));
      if (hit) return { ...hit, version: ref.version };
    }
    let entries: Entries;
    try {
      entries = await this.index(base, key, signal);
    } catch (err) {
      const fallback = err instanceof ChartError && err.kind === 'policy' ? null : await this.fromDiskIndex(key, ref);
      if (fallback) return fallback;
      throw err;
    }
    const list = entriesOf(entries, ref.chart);
    const resolved = resolveVersion(list.map((e) => e.version), ref.version);
    if (!resolved.ok) throw new ChartError(resolved.reason);
    const entry = list.find((e) => e.version === resolved.version)!;
    if (!validVersionName(entry.version)) throw new ChartError('the index names a version that is not a valid file name');
    const file = this.cache.chartFile(key, ref.chart, entry.version);
    const hit = await this.cache.readChart(file);
    if (hit) return { ...hit, version: entry.version };
    return { file, version: entry.version, digest: await this.cache.once(file, () => this.download(base, entry, file, signal)) };
  }

  /** With the repository unreachable, the last index on disk still resolves a version already downloaded. */
  private async fromDiskIndex(key: string, ref: ChartRef): Promise<Fetched | null> {
    const text = await this.cache.readText(this.cache.indexFile(key));
    if (text === null) return null;
    try {
      const list = entriesOf(parseIndex(text), ref.chart);
      const resolved = resolveVersion(list.map((e) => e.version), ref.version);
      if (!resolved.ok || !validVersionName(resolved.version)) return null;
      const hit = await this.cache.readChart(this.cache.chartFile(key, ref.chart, resolved.version));
      return hit ? { ...hit, version: resolved.version } : null;
    } catch {
      return null;
    }
  }

  private async index(base: URL, key: string, signal: AbortSignal): Promise<Entries> {
    const kept = this.memory.get(key);
    if (kept && this.now() - kept.at < INDEX_TTL_MS) return kept.entries;
    // Fetches of several charts (or constraints) from one repository share one index download.
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.loadIndex(base, key, signal).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async loadIndex(base: URL, key: string, signal: AbortSignal): Promise<Entries> {
    const res = await get(new URL('index.yaml', base), { signal, maxBytes: this.opts.maxIndexBytes, allowPrivate: this.opts.allowPrivateNetworks, authFor: this.authFor });
    if (res.status !== 200) throw new ChartError(`index.yaml: HTTP ${res.status}`);
    const text = res.body.toString('utf8');
    const entries = parseIndex(text);
    await this.cache.write(this.cache.indexFile(key), text);
    this.memory.delete(key);
    this.memory.set(key, { at: this.now(), entries });
    while (this.memory.size > INDEX_MEMORY) this.memory.delete(this.memory.keys().next().value!);
    return entries;
  }

  private async download(base: URL, entry: Entry, file: string, signal: AbortSignal): Promise<string> {
    let url: URL;
    try {
      url = new URL(entry.urls[0]!, base);
    } catch {
      throw new ChartError('the index gives an invalid chart URL');
    }
    const res = await get(url, { signal, maxBytes: this.opts.maxChartBytes, allowPrivate: this.opts.allowPrivateNetworks, authFor: this.authFor });
    if (res.status !== 200) throw new ChartError(`HTTP ${res.status}`);
    const digest = sha256(res.body);
    const expected = entry.digest?.replace(/^sha256:/, '').toLowerCase();
    if (expected && /^[0-9a-f]{64}$/.test(expected) && expected !== digest) throw new ChartError(`digest mismatch: the index says sha256:${expected}, the download is sha256:${digest}`);
    if (res.body[0] !== 0x1f || res.body[1] !== 0x8b) throw new ChartError('the download is not a gzip archive');
    await this.cache.write(file, res.body);
    return digest;
  }
}
