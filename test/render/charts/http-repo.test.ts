import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chartFetcher, type ChartCredential, type ChartFetch, type ChartFetcherOptions } from '../../../src/render/charts/index.js';
import { tempDir } from '../../helpers/gitrepo.js';
import { type PackagedChart, type Served, packageChart, podinfoChartDir, serveHelmRepo } from '../../helpers/helm-repo.js';

let charts: Record<string, PackagedChart>;
const servers: Served[] = [];

beforeAll(() => {
  const dir = podinfoChartDir();
  charts = Object.fromEntries(['6.4.0', '6.5.0', '6.6.0-rc.1', '1.0.0-alpha'].map((v) => [v, packageChart(dir, v)]));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function repo(opts: Parameters<typeof serveHelmRepo>[1] = {}) {
  const r = await serveHelmRepo(Object.values(charts), opts);
  servers.push(r);
  return r;
}

function fetcher(opts: Partial<ChartFetcherOptions> = {}) {
  return chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 30_000, maxChartBytes: 20 * 2 ** 20, maxIndexBytes: 64 * 2 ** 20, credentials: [], allowPrivateNetworks: true, ...opts });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function ok(r: ChartFetch): Extract<ChartFetch, { ok: true }> {
  if (!r.ok) throw new Error(`expected a chart, got: ${r.message}`);
  return r;
}

function failed(r: ChartFetch): string {
  if (r.ok) throw new Error(`expected a failure, got ${r.version}`);
  return r.message;
}

const chartGets = (r: Served) => r.requests.filter((q) => q.url.endsWith('.tgz'));

describe('Helm repository (index.yaml) charts', () => {
  it('fetches an exact version into the cache, byte for byte what helm packaged', async () => {
    const r = await repo();
    const cacheDir = tempDir('ferry-charts-');
    const got = ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    expect(got.version).toBe('6.4.0');
    expect(path.isAbsolute(got.file)).toBe(true);
    expect(got.file.startsWith(cacheDir)).toBe(true);
    expect(readFileSync(got.file).equals(readFileSync(charts['6.4.0']!.file))).toBe(true);
    expect(got.digest).toBe(sha(charts['6.4.0']!.file));
    expect(r.requests.map((q) => q.url)).toEqual(['/index.yaml', '/podinfo-6.4.0.tgz']);
  });

  it('resolves constraints the way Flux does: prereleases only when the constraint names one', async () => {
    const r = await repo();
    const f = fetcher();
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' })).version).toBe('6.5.0');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '*' })).version).toBe('6.5.0');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo' })).version).toBe('6.5.0');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '>=1.0.0-alpha' })).version).toBe('6.6.0-rc.1');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '>=6.0.0, <6.5.0' })).version).toBe('6.4.0');
    expect(ok(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.6.0-rc.1' })).version).toBe('6.6.0-rc.1');
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '7.x' }))).toBe(`chart podinfo 7.x from ${r.url}: no version matches 7.x (latest 6.5.0)`);
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'nginx', version: '1.0.0' }))).toBe(`chart nginx 1.0.0 from ${r.url}: not in the repository index`);
    // The index is parsed once for all of these (kept in memory for a few minutes).
    expect(r.requests.filter((q) => q.url === '/index.yaml')).toHaveLength(1);
  });

  it('follows relative chart URLs in the index', async () => {
    const r = await repo();
    const index = path.join(r.dir, 'index.yaml');
    writeFileSync(index, readFileSync(index, 'utf8').split(r.url).join(''));
    expect(readFileSync(index, 'utf8')).toContain('- podinfo-6.4.0.tgz');
    expect(ok(await fetcher().fetch({ repoUrl: r.url.replace(/\/$/, ''), chart: 'podinfo', version: '6.4.0' })).version).toBe('6.4.0');
    expect(chartGets(r).map((q) => q.url)).toEqual(['/podinfo-6.4.0.tgz']);
  });

  it('refuses a download whose digest is not the one in the index, and caches nothing', async () => {
    const other = readFileSync(charts['6.5.0']!.file);
    const r = await repo({ override: (req, res) => (req.url === '/podinfo-6.4.0.tgz' ? (res.writeHead(200).end(other), true) : false) });
    const cacheDir = tempDir('ferry-charts-');
    const msg = failed(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    expect(msg).toMatch(/^chart podinfo 6\.4\.0 from http:\/\/127\.0\.0\.1:\d+\/: digest mismatch: the index says sha256:[0-9a-f]{64}, the download is sha256:[0-9a-f]{64}$/);
    expect(msg).toContain(sha(charts['6.4.0']!.file));
    expect(msg).not.toContain(cacheDir);
    expect(readdirSync(cacheDir, { recursive: true }).filter((f) => String(f).endsWith('.tgz'))).toEqual([]);
  });

  it('caps the size of a chart, whether or not the server says how long it is', async () => {
    const big = Buffer.alloc(4096, 1);
    const r = await repo({
      override: (req, res) => {
        if (req.url !== '/podinfo-6.5.0.tgz') return false;
        res.writeHead(200); // no content-length: chunked
        res.write(big.subarray(0, 2048));
        res.end(big.subarray(2048));
        return true;
      },
    });
    const size = readFileSync(charts['6.4.0']!.file).length;
    const f = fetcher({ maxChartBytes: 1024 });
    expect(size).toBeGreaterThan(1024);
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: larger than 1 KiB`);
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.5.0' }))).toBe(`chart podinfo 6.5.0 from ${r.url}: larger than 1 KiB`);
  });

  it('gives up on a server that stalls, after the timeout', async () => {
    const r = await repo({ override: (req) => req.url === '/podinfo-6.4.0.tgz' }); // never answers
    expect(failed(await fetcher({ timeoutMs: 400 }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: timed out after 0.4 s`);
  });

  it('says HTTP 404 for a missing index and a missing chart', async () => {
    const r = await repo({ override: (req, res) => (req.url === '/podinfo-6.4.0.tgz' ? (res.writeHead(404).end(), true) : false) });
    const f = fetcher();
    expect(failed(await f.fetch({ repoUrl: `${r.url}nothing/`, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}nothing/: index.yaml: HTTP 404`);
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: HTTP 404`);
  });

  it('sends a credential only to URLs it prefixes, and never shows it', async () => {
    const a = await repo();
    const b = await repo({ override: (_req, res) => (res.writeHead(500).end(), true) });
    const credentials: ChartCredential[] = [
      { url: a.url, username: 'ferry', password: 'pa55-w0rd-A' },
      { url: `${b.url}private/`, token: 'tok-for-b-private' },
      { url: `http://127.0.0.1:${a.port}0/`, token: 'tok-port-lookalike' },
    ];
    const f = fetcher({ credentials });
    ok(await f.fetch({ repoUrl: a.url, chart: 'podinfo', version: '6.4.0' }));
    const basic = `Basic ${Buffer.from('ferry:pa55-w0rd-A').toString('base64')}`;
    expect(a.requests.map((q) => q.headers.authorization)).toEqual([basic, basic]);
    const msg = failed(await f.fetch({ repoUrl: b.url, chart: 'podinfo', version: '6.4.0' }));
    expect(msg).toBe(`chart podinfo 6.4.0 from ${b.url}: index.yaml: HTTP 500`);
    expect(b.requests.map((q) => q.headers.authorization)).toEqual([undefined]);
    const secret = failed(await f.fetch({ repoUrl: `${b.url}private/`, chart: 'podinfo', version: '6.4.0' }));
    expect(b.requests.at(-1)?.headers.authorization).toBe('Bearer tok-for-b-private');
    for (const m of [msg, secret]) for (const s of ['pa55-w0rd-A', 'tok-for-b-private', basic.slice(6)]) expect(m).not.toContain(s);
  });

  it('refuses a repository URL with user info without echoing the password', async () => {
    const r = await repo();
    const url = r.url.replace('http://', 'http://someone:pw-in-the-url@');
    const msg = failed(await fetcher().fetch({ repoUrl: url, chart: 'podinfo', version: '6.4.0' }));
    expect(msg).toBe(`chart podinfo 6.4.0 from ${r.url}: refused a repository URL with user info (credentials belong in FERRY_CHART_CREDENTIALS)`);
    expect(r.requests).toEqual([]);
  });

  it('scrubs a configured secret even from text the server chose (a reflected error)', async () => {
    const r = await repo();
    const msg = failed(await fetcher({ credentials: [{ url: r.url, token: 'reflected-secret' }] }).fetch({ repoUrl: r.url, chart: 'reflected-secret', version: '1.0.0' }));
    expect(msg).toBe(`chart *** 1.0.0 from ${r.url}: not in the repository index`);
  });

  it('refuses loopback and private hosts unless private networks are allowed, before any request', async () => {
    const r = await repo();
    const f = fetcher({ allowPrivateNetworks: false });
    const refused = 'host resolves to a private address (set FERRY_CHART_ALLOW_PRIVATE=1 to allow)';
    expect(failed(await f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: ${refused}`);
    // A name is checked on the address it resolves to (the lookup the socket uses).
    const byName = `http://localhost:${r.port}/`;
    expect(failed(await f.fetch({ repoUrl: byName, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${byName}: ${refused}`);
    expect(failed(await f.fetch({ repoUrl: `http://[::ffff:127.0.0.1]:${r.port}/`, chart: 'podinfo', version: '6.4.0' }))).toContain(refused);
    expect(r.requests).toEqual([]);
  });

  it('works from the cache with the server gone: an exact version needs no network at all', async () => {
    const r = await repo();
    const cacheDir = tempDir('ferry-charts-');
    const first = ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }));
    ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' }));
    const seen = r.requests.length;
    expect(ok(await fetcher({ cacheDir }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toEqual(first);
    expect(r.requests.length).toBe(seen);
    await r.close();
    const again = fetcher({ cacheDir }); // a new process: nothing in memory
    expect(ok(await again.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toEqual(first);
    // A constraint resolves against the last index on disk when the repository is unreachable.
    expect(ok(await again.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' })).version).toBe('6.5.0');
    // …but a version never downloaded still needs the network.
    expect(failed(await again.fetch({ repoUrl: r.url, chart: 'podinfo', version: '>=1.0.0-alpha' }))).toBe(`chart podinfo >=1.0.0-alpha from ${r.url}: connection refused`);
  });

  it('downloads once for concurrent fetches of one chart, even through different constraints', async () => {
    const r = await repo();
    const f = fetcher();
    const got = await Promise.all([f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' }), f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' }), f.fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.5.0' })]);
    expect(got.map((g) => ok(g).file)).toEqual([ok(got[0]!).file, ok(got[0]!).file, ok(got[0]!).file]);
    expect(chartGets(r).map((q) => q.url)).toEqual(['/podinfo-6.5.0.tgz']);
    expect(r.requests.filter((q) => q.url === '/index.yaml')).toHaveLength(1);
  });

  it('fails plainly on an alias bomb, a malformed index and a document that is not an index', async () => {
    let index = '';
    const r = await repo({ override: (req, res) => (req.url === '/index.yaml' ? (res.writeHead(200).end(index), true) : false) });
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const cases: Array<[string, string]> = [
      [`apiVersion: v1\n${bomb.join('\n')}\nentries:\n  podinfo: *i\n`, 'index.yaml uses YAML anchors, which a Helm repository index never does'],
      ['apiVersion: v1\nentries: [\n', 'index.yaml is not valid YAML ('],
      ['hello: world\n', 'index.yaml has no entries: not a Helm repository index'],
      ['apiVersion: v1\nentries:\n  podinfo: 3\n', 'the index entry is not a list of versions'],
    ];
    for (const [text, want] of cases) {
      index = text;
      expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' }))).toContain(`from ${r.url}: ${want}`);
    }
  });

  it('follows at most three redirects and drops credentials when the host changes', async () => {
    const target = await repo();
    const hops = await repo({
      override: (req, res) => {
        const m = /^\/hop(\d)\/(.*)$/.exec(req.url ?? '');
        if (m) {
          res.writeHead(302, { location: m[1] === '0' ? `http://localhost:${target.port}/${m[2]}` : `/hop${Number(m[1]) - 1}/${m[2]}` }).end();
          return true;
        }
        return false;
      },
    });
    const index = path.join(hops.dir, 'index.yaml');
    const text = readFileSync(index, 'utf8');
    // Both hosts have a credential: the redirect rule, not prefix matching, keeps it from the second.
    const credentials = [
      { url: hops.url, password: 'first-host-secret', username: 'u' },
      { url: `http://localhost:${target.port}/`, token: 'second-host-token' },
    ];
    writeFileSync(index, text.replace(`${hops.url}podinfo-6.4.0.tgz`, `${hops.url}hop2/podinfo-6.4.0.tgz`).replace(`${hops.url}podinfo-6.5.0.tgz`, `${hops.url}hop3/podinfo-6.5.0.tgz`));
    const f = fetcher({ credentials });
    const got = ok(await f.fetch({ repoUrl: hops.url, chart: 'podinfo', version: '6.4.0' }));
    expect(got.digest).toBe(sha(charts['6.4.0']!.file));
    expect(hops.requests.filter((q) => q.url.startsWith('/hop')).map((q) => [q.url, !!q.headers.authorization])).toEqual([
      ['/hop2/podinfo-6.4.0.tgz', true],
      ['/hop1/podinfo-6.4.0.tgz', true],
      ['/hop0/podinfo-6.4.0.tgz', true],
    ]);
    expect(target.requests.map((q) => [q.url, q.headers.authorization])).toEqual([['/podinfo-6.4.0.tgz', undefined]]);
    expect(failed(await f.fetch({ repoUrl: hops.url, chart: 'podinfo', version: '6.5.0' }))).toBe(`chart podinfo 6.5.0 from ${hops.url}: more than 3 redirects`);
  });

  it('checks names before they become paths, and fetches nothing when chart fetching is off', async () => {
    const r = await repo();
    expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: '../../etc', version: '1.0.0' }))).toBe(`chart ../../etc 1.0.0 from ${r.url}: not a valid chart name`);
    expect(failed(await fetcher().fetch({ repoUrl: r.url, chart: 'podinfo', version: '1.0.0\n::error::x' }))).toBe(`chart podinfo 1.0.0\\u000a::error::x from ${r.url}: not a valid version or constraint`);
    expect(failed(await fetcher().fetch({ repoUrl: 'file:///etc/', chart: 'podinfo' }))).toBe('chart podinfo (latest) from file:///etc/: only https://, http:// and oci:// repositories are fetched');
    expect(failed(await fetcher({ offline: true }).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' }))).toBe(`chart podinfo 6.4.0 from ${r.url}: not fetched: chart fetching is off (FERRY_CHARTS=off)`);
    expect(r.requests).toEqual([]);
    expect(existsSync(r.dir)).toBe(true);
  });
});
