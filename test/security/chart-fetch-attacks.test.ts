import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/render/charts/guard.js';
import { chartFetcher, type ChartFetcherOptions } from '../../src/render/charts/index.js';
import { tempDir } from '../helpers/gitrepo.js';
import { type PackagedChart, type Served, packageChart, podinfoChartDir, serveHelmRepo, serveOciRegistry } from '../helpers/helm-repo.js';

/** Attacks on the chart fetcher from a pull request that chooses the repository URL. */

let charts: PackagedChart[];
const servers: Served[] = [];

beforeAll(() => {
  charts = [packageChart(podinfoChartDir(), '6.4.0')];
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function fetcher(opts: Partial<ChartFetcherOptions> = {}) {
  return chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 30_000, maxChartBytes: 20 * 2 ** 20, maxIndexBytes: 64 * 2 ** 20, credentials: [], allowPrivateNetworks: true, ...opts });
}

describe('OCI token realm chosen by an attacker registry', () => {
  it('never spends an operator credential on a token for a registry that has none (the token would go to the attacker)', async () => {
    // The operator's registry (think Harbor: chart repository and token service on one host),
    // with a credential for its https/http prefix.
    const basic = { username: 'robot', password: 'corp-registry-s3cret' };
    const corp = await serveOciRegistry(charts, { token: { basic } });
    servers.push(corp);
    // The attacker's registry, named by the PR: it challenges with the operator's token service as realm.
    const evil = await serveOciRegistry(charts, {
      override: (req, res) => {
        if (req.url?.startsWith('/v2/') && req.headers.authorization === undefined) {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${corp.port}/token",service="corp",scope="repository:private/secret-chart:pull"` }).end('{}');
          return true;
        }
        return false;
      },
    });
    servers.push(evil);
    const f = fetcher({ credentials: [{ url: `http://127.0.0.1:${corp.port}/`, ...basic }] });
    await f.fetch({ repoUrl: evil.url, chart: 'podinfo', version: '6.4.0' });
    // The operator's credential never went to the token service on the attacker's behalf...
    expect(corp.requests.filter((q) => q.headers.authorization !== undefined)).toEqual([]);
    // ...so the attacker never saw a token minted with it.
    expect(evil.requests.map((q) => q.headers.authorization).filter((a) => a === `Bearer ${corp.token}`)).toEqual([]);
  });
});

describe('IPv6 spellings of internal IPv4 addresses a name could resolve to', () => {
  it('refuses IPv4-translated, local-use NAT64 and Teredo addresses; public ones stay allowed', () => {
    for (const a of ['::ffff:0:127.0.0.1', '::ffff:0:a9fe:a9fe', '64:ff9b:1::a9fe:a9fe', '64:ff9b:1:fffe::a00:1', '2001:0:4136:e378:8000:63bf:3fff:fdd2']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '2001:4860:4860::8888']) expect(isPrivateAddress(a), a).toBe(false);
  });
});

describe('an index.yaml made to fill memory', () => {
  it('refuses an index denser than any Helm writes (an object every 3 bytes), before keeping it', async () => {
    // 12 MB of `{},`: about 4 million objects, which js-yaml held as over 250 MB of heap.
    const dense = `apiVersion: v1\nentries:\n  podinfo: [${'{},'.repeat(4_000_000)}{}]\n`;
    const r = await serveHelmRepo(charts, { override: (req, res) => (req.url === '/index.yaml' ? (res.writeHead(200, { 'content-type': 'text/yaml' }).end(dense), true) : false) });
    servers.push(r);
    const got = await fetcher().fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' });
    expect(got.ok ? got.version : got.message).toBe(`chart podinfo 6.4.0 from ${r.url}: index.yaml has more than 3000000 YAML nodes`);
  });
});
