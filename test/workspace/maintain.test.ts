import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RenderCache } from '../../src/render/cache.js';
import { ChartCache } from '../../src/render/charts/cache.js';
import { maintainCache } from '../../src/workspace/maintain.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { tempDir, TestRepo } from '../helpers/gitrepo.js';

const DAY = 86_400_000;

/** A render file of `size` bytes last used `ageMs` ago. */
function render(dir: string, key: string, size: number, ageMs: number, suffix = '.yaml'): string {
  const file = path.join(dir, 'renders', key.slice(0, 2), `${key}${suffix}`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x'.repeat(size));
  const t = new Date(Date.now() - ageMs);
  utimesSync(file, t, t);
  return file;
}

const key = (n: number) => RenderCache.key([String(n)]);

describe('maintainCache: a bounded cache folder', () => {
  it('cuts the render cache to 90% of its cap, least recently used first; a disk hit counts as a use', async () => {
    const dir = tempDir('ferry-cache-');
    const files = [0, 1, 2, 3, 4].map((n) => render(dir, key(n), 1000, (10 - n) * 60_000));
    // The oldest file is read through the cache: it becomes the most recently used.
    expect(await new RenderCache(path.join(dir, 'renders')).get(key(0))).toBe('x'.repeat(1000));
    await new Promise((r) => setTimeout(r, 20));
    const r = await maintainCache(dir, { renderCacheMaxBytes: 3500, mirrorMaxAgeMs: DAY });
    // 5,000 bytes over a 3,500 cap: down to 3,150 or less, so two go: the two least recently used.
    expect(r).toMatchObject({ renderFilesRemoved: 2, renderBytesRemoved: 2000, renderBytesKept: 3000 });
    expect(files.map((f) => existsSync(f))).toEqual([true, false, false, true, true]);
    // Under the cap: nothing more goes.
    expect((await maintainCache(dir, { renderCacheMaxBytes: 3500, mirrorMaxAgeMs: DAY })).renderFilesRemoved).toBe(0);
  });

  it('removes fetched charts and indexes unused for the max age, and dead downloads; a use keeps a chart', async () => {
    const dir = tempDir('ferry-cache-');
    const charts = new ChartCache(path.join(dir, 'charts'));
    const old = (f: string, ageMs: number) => {
      const t = new Date(Date.now() - ageMs);
      utimesSync(f, t, t);
      return f;
    };
    const unused = charts.chartFile('https://charts.example.com/', 'web', '1.0.0');
    const used = charts.chartFile('https://charts.example.com/', 'web', '2.0.0');
    const index = charts.indexFile('https://charts.example.com/');
    for (const f of [unused, used, index]) await charts.write(f, 'x');
    const deadDownload = `${unused}.123.abc.tmp`.replace('1.0.0.tgz', '3.0.0.tgz');
    writeFileSync(deadDownload, 'partial');
    old(deadDownload, 2 * 3_600_000);
    const liveDownload = `${used}.456.def.tmp`;
    writeFileSync(liveDownload, 'partial');
    for (const f of [unused, used, index]) old(f, 40 * DAY);
    // Read through the cache: a use.
    expect(await charts.readChart(used)).toMatchObject({ file: used });
    const r = await maintainCache(dir, { renderCacheMaxBytes: 1e9, mirrorMaxAgeMs: DAY, chartMaxAgeMs: 30 * DAY });
    expect(r.chartFilesRemoved).toBe(3);
    expect([unused, used, index, deadDownload, liveDownload].map((f) => existsSync(f))).toEqual([false, true, false, false, true]);
  });

  it('removes half-written renders a dead process left, not one being written now', async () => {
    const dir = tempDir('ferry-cache-');
    const stale = render(dir, key(1), 10, 2 * 3_600_000, '.yaml.123.abc');
    const fresh = render(dir, key(2), 10, 1000, '.yaml.456.def');
    await maintainCache(dir, { renderCacheMaxBytes: 1e9, mirrorMaxAgeMs: DAY });
    expect([existsSync(stale), existsSync(fresh)]).toEqual([false, true]);
  });

  it('packs a mirror\'s loose objects and removes a mirror nobody fetched for too long', async () => {
    const repo = new TestRepo();
    for (let i = 0; i < 30; i++) repo.write({ [`f${i}.txt`]: `content ${i}\n` }).commit(`c${i}`);
    const bare = path.join(tempDir('ferry-remote-'), 'r.git');
    repo.git('clone', '--quiet', '--bare', repo.dir, bare);
    const dir = tempDir('ferry-cache-');
    const used = await Workspace.open(bare, { cacheDir: dir });
    await used.fetch();
    const idle = await Workspace.open(`${bare}/../r.git`, { cacheDir: dir });
    await idle.fetch();
    // Loose objects, as many small fetches leave them.
    execFileSync('git', ['--git-dir', used.gitDir, 'unpack-objects', '-q'], { input: execFileSync('git', ['--git-dir', used.gitDir, 'pack-objects', '--all', '--stdout'], { input: '' }) });
    const loose = () => Number(/^count: (\d+)/m.exec(execFileSync('git', ['--git-dir', used.gitDir, 'count-objects', '-v'], { encoding: 'utf8' }))![1]);
    const before = loose();
    const old = new Date(Date.now() - 20 * DAY);
    utimesSync(path.join(idle.gitDir, 'FETCH_HEAD'), old, old);
    expect(before).toBeGreaterThan(10);
    // Under the threshold: left alone.
    const calm = await maintainCache(dir, { renderCacheMaxBytes: 1e9, mirrorMaxAgeMs: 30 * DAY, gcAutoThreshold: 10_000 });
    expect(calm.mirrorsPacked).toBe(0);
    expect(loose()).toBe(before);
    const r = await maintainCache(dir, { renderCacheMaxBytes: 1e9, mirrorMaxAgeMs: 14 * DAY, gcAutoThreshold: 10 });
    expect(loose()).toBeLessThan(before);
    expect(r).toMatchObject({ mirrorsRemoved: 1, mirrorsPacked: 1 });
    expect(existsSync(idle.gitDir)).toBe(false);
    // The packed mirror still serves its commits.
    expect(await used.resolve('main')).toBe(repo.git('rev-parse', 'HEAD').trim());
    repo.cleanup();
  });
});
