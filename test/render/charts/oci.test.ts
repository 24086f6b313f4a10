import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chartFetcher, type ChartFetch, type ChartFetcherOptions } from '../../../src/render/charts/index.js';
import { tempDir } from '../../helpers/gitrepo.js';
import { type OciOptions, type PackagedChart, type Served, helmAsync, packageChart, podinfoChartDir, serveOciRegistry } from '../../helpers/helm-repo.js';

let charts: PackagedChart[];
const servers: Served[] = [];

beforeAll(() => {
  const dir = podinfoChartDir();
  charts = ['6.4.0', '6.5.0', '6.6.0-rc.1', '7.0.0+build.1'].map((v) => packageChart(dir, v));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function registry(opts: OciOptions = {}) {
  const r = await serveOciRegistry(charts, opts);
  servers.push(r);
  return r;
}

function fetcher(opts: Partial<ChartFetcherOptions> = {}) {
  return chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 30_000, maxChartBytes: 20 * 2 ** 20, maxIndexBytes: 64 * 2 ** 20, credentials: [], allowPrivateNetworks: true, ...opts });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytes = (version: string) => readFileSync(charts.find((c) => c.version === version)!.file);

function ok(r: ChartFetch): Extract<ChartFetch, { ok: true }> {
  if (!r.ok) throw new Error(`expected a chart, got: ${r.message}`);
  return r;
}

function failed(r: ChartFetch): string {
  if (r.ok) throw new Error(`expected a failure, got ${r.version}`);
  return r.message;
}

describe('OCI registry charts', () => {
  it('the fake registry is faithful: the real helm pulls a chart from it', async () => {
    const r = await registry();
    const out = tempDir('ferry-helm-pull-');
    await helmAsync(['pull', `${r.url}/podinfo`, '--plain-http', '--version', '6.5.0', '-d', out]);
    expect(readdirSync(out)).toEqual(['podinfo-6.5.0.tgz']);
    expect(readFileSync(path.join(out, 'podinfo-6.5.0.tgz')).equals(bytes('6.5.0'))).toBe(true);
  });

  it('fetches an exact version straight from its manifest, and resolves constraints from the tags', async () => {
    const r = await registry();
    const f = fetcher();
    const exact = ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    expect(exact.version).toBe('6.4.0');
    expect(readFileSync(exact.file).equals(bytes('6.4.0'))).toBe(true);
    expect(exact.digest).toBe(sha(bytes('6.4.0')));
    expect(r.requests.map((q) => q.url)).toEqual(['/v2/charts/podinfo/manifests/6.4.0', `/v2/charts/podinfo/blobs/sha256:${sha(bytes('6.4.0'))}`]);
    expect(r.requests[0]!.headers.accept).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' })).version).toBe('6.5.0');
    expect(ok(await f.fetch({ repoUrl: `${r.url}/`, chart: 'podinfo' })).version).toBe('7.0.0+build.1');
    expect(r.requests.map((q) => q.url)).toContain('/v2/charts/podinfo/manifests/7.0.0_build.1');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '>=6.6.0-alpha <7.0.0' })).version).toBe('6.6.0-rc.1');
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '8.x' }))).toBe(`chart podinfo 8.x from ${r.url}: no version matches 8.x (latest 7.0.0+build.1)`);
  });

  it('answers the bearer challenge, sending the credential to a realm on the registry host only', async () => {
    const basic = { username: 'robot', password: 'registry-s3cret' };
    const r = await registry({ token: { basic } });
    const f = fetcher({ credentials: [{ url: `oci://127.0.0.1:${r.port}/charts/`, ...basic }] });
    const got = ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' }));
    expect(got.version).toBe('6.5.0');
    const auth = (url: string) => r.requests.filter((q) => q.url.startsWith(url)).map((q) => q.headers.authorization ?? null);
    expect(auth('/token')).toEqual([`Basic ${Buffer.from('robot:registry-s3cret').toString('base64')}`]);
    expect(auth('/v2/charts/podinfo/tags/list')).toEqual([null, `Bearer ${r.token}`]);
    expect(auth('/v2/charts/podinfo/manifests/')).toEqual([`Bearer ${r.token}`]);
    expect(auth('/v2/charts/podinfo/blobs/')).toEqual([`Bearer ${r.token}`]);
    expect(new URL(r.requests.find((q) => q.url.startsWith('/token'))!.url, 'http://x').searchParams.get('scope')).toBe('repository:charts/podinfo:pull');
  });

  it('fails with the token status when the registry wants a credential it was not given, and shows no secret', async () => {
    const r = await registry({ token: { basic: { username: 'robot', password: 'right' } } });
    const f = fetcher({ credentials: [{ url: `oci://127.0.0.1:${r.port}/other/`, username: 'robot', password: 'wrong-pass-123' }] });
    const msg = failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    expect(msg).toBe(`chart podinfo 6.4.0 from ${r.url}: token: HTTP 401`);
    expect(r.requests.every((q) => q.headers.authorization === undefined)).toBe(true);
    const wrong = fetcher({ credentials: [{ url: r.url, username: 'robot', password: 'wrong-pass-123' }] });
    const msg2 = failed(await wrong.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    expect(msg2).toBe(`chart podinfo 6.4.0 from ${r.url}: token: HTTP 401`);
    expect(r.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('robot:wrong-pass-123').toString('base64')}`);
    for (const m of [msg, msg2]) expect(m).not.toMatch(/wrong-pass-123|cm9ib3Q6d3Jvbmc/);
  });

  it('fetches by manifest digest (Flux\'s spec.ref.digest) as the real helm pulls it, and refuses a manifest that does not hash to it', async () => {
    const r = await registry();
    const manifest = (await fetch(`http://127.0.0.1:${r.port}/v2/charts/podinfo/manifests/6.5.0`).then((x) => x.arrayBuffer()).then((b) => Buffer.from(b)));
    const digest = `sha256:${sha(manifest)}`;
    // The real helm pulls the same chart by that digest.
    const out = tempDir('ferry-helm-pull-');
    await helmAsync(['pull', `${r.url}/podinfo@${digest}`, '--plain-http', '-d', out]);
    const pulled = readFileSync(path.join(out, readdirSync(out)[0]!));
    expect(pulled.equals(bytes('6.5.0'))).toBe(true);
    r.requests.length = 0;
    const cacheDir = tempDir('ferry-charts-');
    const got = ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', digest }));
    expect(readFileSync(got.file).equals(pulled)).toBe(true);
    expect(got).toMatchObject({ version: digest, digest: sha(bytes('6.5.0')) });
    // No tag list: the digest names the manifest.
    expect(r.requests.map((q) => q.url)).toEqual([`/v2/charts/podinfo/manifests/${digest}`, `/v2/charts/podinfo/blobs/sha256:${sha(bytes('6.5.0'))}`]);
    // Content-addressed: served from the cache with the registry gone.
    await r.close();
    expect(ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', digest }))).toEqual(got);

    // A registry answering a digest with another manifest is refused.
    const other = await registry({ override: (req, res) => (req.url === `/v2/charts/podinfo/manifests/${digest}` ? (res.writeHead(200).end(JSON.stringify({ layers: [] })), true) : false) });
    const sent = sha(Buffer.from(JSON.stringify({ layers: [] })));
    expect(failed(await fetcher().fetch({ repoUrl: other.url, chart: 'podinfo', digest }))).toBe(
      `chart podinfo @${digest} from ${other.url}: digest mismatch: the pinned manifest is ${digest}, the registry sent sha256:${sent}`,
    );
    expect(failed(await fetcher().fetch({ repoUrl: other.url, chart: 'podinfo', digest: `sha256:${'0'.repeat(64)}` }))).toBe(`chart podinfo @sha256:${'0'.repeat(64)} from ${other.url}: manifest: HTTP 404`);
    expect(failed(await fetcher().fetch({ repoUrl: other.url, chart: 'podinfo', digest: 'sha256:abc' }))).toMatch(/: not a sha256 digest/);
    expect(failed(await fetcher().fetch({ repoUrl: 'https://charts.example.invalid', chart: 'podinfo', digest }))).toMatch(/: a digest pins OCI charts only$/);
  });

  it('refuses a blob whose digest is not the manifest one', async () => {
    const other = bytes('6.5.0');
    const r = await registry({ override: (req, res) => (req.url === `/v2/charts/podinfo/blobs/sha256:${sha(bytes('6.4.0'))}` ? (res.writeHead(200).end(other), true) : false) });
    expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(
      `chart podinfo 6.4.0 from ${r.url}: digest mismatch: the manifest says sha256:${sha(bytes('6.4.0'))}, the download is sha256:${sha(other)}`,
    );
  });

  it('says HTTP 404 for a tag or a repository that is not there, and caps the chart size', async () => {
    const r = await registry();
    expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: 'podinfo', version: '9.9.9' }))).toBe(`chart podinfo 9.9.9 from ${r.url}: manifest: HTTP 404`);
    expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: 'nginx', version: '1.x' }))).toBe(`chart nginx 1.x from ${r.url}: tags: HTTP 404`);
    expect(failed(await fetcher({ maxChartBytes: 1024 }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: larger than 1 KiB`);
  });

  it('refuses a loopback registry unless private networks are allowed', async () => {
    const r = await registry();
    expect(failed(await fetcher({ allowPrivateNetworks: false }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(
      `chart podinfo 6.4.0 from ${r.url}: host resolves to a private address (set FERRY_CHART_ALLOW_PRIVATE=1 to allow)`,
    );
    expect(r.requests).toEqual([]);
  });

  it('serves an exact version from the cache with the registry gone', async () => {
    const r = await registry();
    const cacheDir = tempDir('ferry-charts-');
    const first = ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '7.0.0+build.1' }));
    await r.close();
    expect(ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '7.0.0+build.1' }))).toEqual(first);
    expect(failed(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: connection refused`);
  });

  it('rejects repository names that are not OCI names', async () => {
    const f = fetcher();
    expect(failed(await f.fetch({ repoUrl: 'oci://127.0.0.1:1/Charts/../x', chart: 'podinfo' }))).toMatch(/: the oci:\/\/ path is not a valid repository name$/);
    expect(failed(await f.fetch({ repoUrl: 'oci://127.0.0.1:1/Charts', chart: 'podinfo' }))).toMatch(/: the oci:\/\/ path is not a valid repository name$/);
    expect(failed(await f.fetch({ repoUrl: 'oci://user:pw-oci@127.0.0.1:1/charts', chart: 'podinfo' }))).not.toContain('pw-oci');
  });
});
