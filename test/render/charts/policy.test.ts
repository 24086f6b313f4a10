import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorization, credentialFor, loadCredentials } from '../../../src/render/charts/credentials.js';
import { guardedLookup, isLoopbackHost, isPrivateAddress, redactUrl } from '../../../src/render/charts/guard.js';
import { chartFetcherFromEnv } from '../../../src/render/charts/index.js';
import { isExact, resolveVersion } from '../../../src/render/charts/version.js';
import { tempDir } from '../../helpers/gitrepo.js';
import { packageChart, podinfoChartDir, serveHelmRepo } from '../../helpers/helm-repo.js';

describe('address policy', () => {
  it('refuses loopback, private, link-local, unspecified, multicast and their IPv6 spellings', () => {
    const refused = ['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1', 'fe80::1%eth0', 'not-an-address'];
    const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'];
    expect(refused.filter((a) => !isPrivateAddress(a))).toEqual([]);
    expect(allowed.filter((a) => isPrivateAddress(a))).toEqual([]);
  });

  it('knows loopback hosts (plain http goes only to them)', () => {
    expect(['localhost', '127.0.0.1', '127.9.9.9', '[::1]', 'a.localhost'].every(isLoopbackHost)).toBe(true);
    expect(['example.com', '10.0.0.1', '[::2]', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('checks the addresses a name resolves to, in the lookup the socket uses', async () => {
    const look = (allow: boolean, all: boolean) =>
      new Promise<unknown>((resolve) => guardedLookup(allow)('localhost', { all }, (err, address) => resolve(err ? err.message : address)));
    expect(await look(false, false)).toBe('host resolves to a private address (set FERRY_CHART_ALLOW_PRIVATE=1 to allow)');
    expect(await look(false, true)).toBe('host resolves to a private address (set FERRY_CHART_ALLOW_PRIVATE=1 to allow)');
    expect(await look(true, false)).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(Array.isArray(await look(true, true))).toBe(true);
  });

  it('shows URLs without user info or query', () => {
    expect(redactUrl('https://u:p4ss@charts.example.com/x?token=abc#f')).toBe('https://charts.example.com/x');
    expect(redactUrl('oci://u:p4ss@ghcr.io/org')).toBe('oci://ghcr.io/org');
  });
});

describe('credentials', () => {
  const creds = [
    { url: 'https://charts.example.com', token: 'a' },
    { url: 'https://charts.example.com/private/', username: 'u', password: 'p' },
    { url: 'oci://ghcr.io/org/', token: 'c' },
  ];

  it('match by prefix at a path boundary, the longest prefix first', () => {
    expect(credentialFor(creds, 'https://charts.example.com/index.yaml')?.token).toBe('a');
    expect(credentialFor(creds, 'https://charts.example.com/private/index.yaml')?.username).toBe('u');
    expect(credentialFor(creds, 'https://charts.example.com.evil.test/index.yaml')).toBeUndefined();
    expect(credentialFor(creds, 'https://charts.example.com:8443/index.yaml')).toBeUndefined();
    expect(credentialFor(creds, 'oci://ghcr.io/org/podinfo')?.token).toBe('c');
    expect(credentialFor(creds, 'oci://ghcr.io/organisation/podinfo')).toBeUndefined();
    expect(authorization(creds[1])).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('load from YAML or JSON, and a bad file names the entry, never a value', () => {
    const dir = tempDir('ferry-creds-');
    const yaml = path.join(dir, 'c.yaml');
    writeFileSync(yaml, 'credentials:\n  - url: https://charts.example.com/\n    username: bot\n    password: yaml-secret\n');
    expect(loadCredentials(yaml)).toEqual([{ url: 'https://charts.example.com/', username: 'bot', password: 'yaml-secret', token: undefined }]);
    const json = path.join(dir, 'c.json');
    writeFileSync(json, JSON.stringify([{ url: 'oci://ghcr.io/org/', token: 'json-secret' }]));
    expect(loadCredentials(json)).toEqual([{ url: 'oci://ghcr.io/org/', token: 'json-secret', username: undefined, password: undefined }]);
    writeFileSync(json, JSON.stringify([{ url: 'https://ok.example/', token: 'fine' }, { url: 'https://u:leaked-secret@x.example/', password: 'leaked-secret' }]));
    expect(() => loadCredentials(json)).toThrow('FERRY_CHART_CREDENTIALS entry 2: url must be an https://, http:// or oci:// prefix without user info');
    writeFileSync(json, JSON.stringify([{ url: 'https://ok.example/', pasword: 'typo-secret' }]));
    expect(() => loadCredentials(json)).toThrow('FERRY_CHART_CREDENTIALS entry 1: unknown key "pasword"');
    expect(() => loadCredentials(path.join(dir, 'missing.yaml'))).toThrow('FERRY_CHART_CREDENTIALS: cannot read the file (ENOENT)');
  });
});

describe('versions', () => {
  const versions = ['6.5.0', '6.4.0', '6.6.0-rc.1', '1.0.0-alpha', '7.0.0+build.1', 'not-semver'];
  it.each([
    [undefined, '7.0.0+build.1'],
    ['', '7.0.0+build.1'],
    ['6.x', '6.5.0'],
    ['~6.4', '6.4.0'],
    ['^6', '6.5.0'],
    ['>=1.0.0-alpha', '7.0.0+build.1'],
    ['>=1.0.0-alpha <7.0.0', '6.6.0-rc.1'],
    ['>= 6.0.0, < 6.5.0', '6.4.0'],
    ['1.0.0-alpha', '1.0.0-alpha'],
  ])('%s resolves to %s', (constraint, want) => {
    expect(resolveVersion(versions, constraint)).toEqual({ ok: true, version: want });
  });

  it('says why nothing matched', () => {
    expect(resolveVersion(versions, '9.x')).toEqual({ ok: false, reason: 'no version matches 9.x (latest 7.0.0+build.1)' });
    expect(resolveVersion(['1.0.0-rc.1'], '')).toEqual({ ok: false, reason: 'no version matches (latest) (latest 1.0.0-rc.1)' });
    expect(resolveVersion(versions, 'a || (')).toEqual({ ok: false, reason: 'a || ( is not a version or a semver constraint' });
    expect(resolveVersion([], '1.0.0')).toEqual({ ok: false, reason: 'no versions in the repository' });
  });

  it('an exact version is one written in full', () => {
    expect(['1.2.3', '7.0.0+build.1', '1.0.0-rc.1'].every(isExact)).toBe(true);
    expect(['1.2', 'v1.2.3', '=1.2.3', '6.x', '', undefined].some(isExact)).toBe(false);
  });
});

describe('chartFetcherFromEnv', () => {
  it('reads the operator settings and keeps charts under <cache>/charts', async () => {
    const chart = packageChart(podinfoChartDir(), '6.4.0');
    const r = await serveHelmRepo([chart]);
    try {
      const cache = tempDir('ferry-cache-');
      const got = await chartFetcherFromEnv({ FERRY_CHART_ALLOW_PRIVATE: '1', FERRY_CHART_TIMEOUT_MS: '10000' }, cache).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' });
      expect(got.ok && path.relative(cache, got.file).split(path.sep)[0]).toBe('charts');
      const refused = await chartFetcherFromEnv({}, cache).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' });
      expect(refused.ok ? refused.version : refused.message).toContain('host resolves to a private address');
      const off = await chartFetcherFromEnv({ FERRY_CHARTS: 'off', FERRY_CHART_ALLOW_PRIVATE: '1' }, cache).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.x' });
      expect(off.ok ? off.version : off.message).toBe(`chart podinfo 6.x from ${r.url}: not fetched: chart fetching is off (FERRY_CHARTS=off)`);
      const small = await chartFetcherFromEnv({ FERRY_CHART_ALLOW_PRIVATE: '1', FERRY_CHART_MAX_MB: '0.001' }, tempDir('ferry-cache-')).fetch({ repoUrl: r.url, chart: 'podinfo', version: '6.4.0' });
      expect(small.ok ? small.version : small.message).toBe(`chart podinfo 6.4.0 from ${r.url}: larger than 1 KiB`);
      expect(r.requests.filter((q) => q.url.endsWith('.tgz'))).toHaveLength(2);
    } finally {
      await r.close();
    }
  });

  it('refuses settings it cannot read', () => {
    expect(() => chartFetcherFromEnv({ FERRY_CHART_TIMEOUT_MS: 'soon' }, '/tmp/x')).toThrow('FERRY_CHART_TIMEOUT_MS must be a positive number, not "soon"');
    expect(() => chartFetcherFromEnv({ FERRY_CHARTS: 'maybe' }, '/tmp/x')).toThrow('FERRY_CHARTS must be on or off');
    expect(() => chartFetcherFromEnv({ FERRY_CHART_MAX_MB: '-1' }, '/tmp/x')).toThrow('FERRY_CHART_MAX_MB must be a positive number');
  });
});
