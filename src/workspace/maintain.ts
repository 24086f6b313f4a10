import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { git } from './git.js';

/**
 * Keeps a long-running server's cache folder bounded: the render cache is cut back to a
 * size cap, least recently used first (a disk hit refreshes a render's mtime), and each
 * git mirror is packed (`git gc --auto`: mirrors are made with gc.auto=0 so that no fetch
 * ever waits for a gc) or, unfetched for `mirrorMaxAgeMs`, removed.
 */
export interface MaintainOptions {
  /** Bytes the render cache may hold; it is cut to 90% of this when over. */
  renderCacheMaxBytes: number;
  /** A mirror not fetched for this long is deleted (fetched again when needed). */
  mirrorMaxAgeMs: number;
  /** A fetched chart (or a repository index) not used for this long is deleted (default 30 days). */
  chartMaxAgeMs?: number;
  /** Loose objects past which a mirror is packed (git's default, 6,700). */
  gcAutoThreshold?: number;
  now?: number;
}

export interface MaintainResult {
  renderFilesRemoved: number;
  renderBytesRemoved: number;
  renderBytesKept: number;
  mirrorsPacked: number;
  mirrorsRemoved: number;
  chartFilesRemoved: number;
}

/** A half-written render older than this was left by a process that died. */
const STALE_TEMP_MS = 60 * 60_000;

export async function maintainCache(cacheDir: string, opts: MaintainOptions): Promise<MaintainResult> {
  const renders = await pruneRenders(path.join(cacheDir, 'renders'), opts.renderCacheMaxBytes, opts.now ?? Date.now());
  const mirrors = await maintainMirrors(path.join(cacheDir, 'mirrors'), opts.mirrorMaxAgeMs, opts.now ?? Date.now(), opts.gcAutoThreshold ?? 6700);
  const charts = await pruneCharts(path.join(cacheDir, 'charts'), opts.chartMaxAgeMs ?? 30 * 86_400_000, opts.now ?? Date.now());
  return { ...renders, ...mirrors, chartFilesRemoved: charts };
}

/**
 * Charts fetched from outside the repository (`<repo hash>/<chart>/<version>.tgz` and each
 * repository's `index.yaml`): a use refreshes a chart's mtime, so one unused for the max
 * age goes, and so does a half-written download a dead process left.
 */
async function pruneCharts(dir: string, maxAgeMs: number, now: number): Promise<number> {
  let removed = 0;
  const consider = async (file: string) => {
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) return;
    const age = now - s.mtimeMs;
    if (file.endsWith('.tmp') ? age > STALE_TEMP_MS : age > maxAgeMs) {
      await rm(file, { force: true });
      removed++;
    }
  };
  for (const repo of await entries(dir)) {
    const repoDir = path.join(dir, repo);
    for (const name of await entries(repoDir)) {
      const p = path.join(repoDir, name);
      const sub = await entries(p);
      if (sub.length === 0) await consider(p);
      for (const f of sub) await consider(path.join(p, f));
    }
  }
  return removed;
}

async function pruneRenders(dir: string, maxBytes: number, now: number): Promise<Pick<MaintainResult, 'renderFilesRemoved' | 'renderBytesRemoved' | 'renderBytesKept'>> {
  const files: Array<{ file: string; size: number; mtime: number; temp: boolean }> = [];
  for (const shard of await entries(dir)) {
    const sub = path.join(dir, shard);
    for (const name of await entries(sub)) {
      const file = path.join(sub, name);
      try {
        const s = await stat(file);
        if (s.isFile()) files.push({ file, size: s.size, mtime: s.mtimeMs, temp: !name.endsWith('.yaml') });
      } catch {
        /* gone meanwhile */
      }
    }
  }
  let total = files.reduce((n, f) => n + f.size, 0);
  let removed = 0;
  let freed = 0;
  const drop = async (f: (typeof files)[number]) => {
    await rm(f.file, { force: true });
    total -= f.size;
    removed++;
    freed += f.size;
  };
  for (const f of files.filter((x) => x.temp && now - x.mtime > STALE_TEMP_MS)) await drop(f);
  if (total > maxBytes) {
    const target = Math.floor(maxBytes * 0.9);
    for (const f of files.filter((x) => !x.temp).sort((a, b) => a.mtime - b.mtime)) {
      if (total <= target) break;
      await drop(f);
    }
  }
  return { renderFilesRemoved: removed, renderBytesRemoved: freed, renderBytesKept: total };
}

async function maintainMirrors(dir: string, maxAgeMs: number, now: number, gcAuto: number): Promise<Pick<MaintainResult, 'mirrorsPacked' | 'mirrorsRemoved'>> {
  let packed = 0;
  let removed = 0;
  for (const name of await entries(dir)) {
    if (!name.endsWith('.git')) continue;
    const gitDir = path.join(dir, name);
    if (!existsSync(path.join(gitDir, 'HEAD'))) continue;
    // FETCH_HEAD is rewritten by every fetch: its age is the mirror's idle time.
    const used = await stat(path.join(gitDir, 'FETCH_HEAD')).then((s) => s.mtimeMs, () => stat(path.join(gitDir, 'HEAD')).then((s) => s.mtimeMs));
    if (now - used > maxAgeMs) {
      await rm(gitDir, { recursive: true, force: true });
      removed++;
      continue;
    }
    try {
      // git's own thresholds (6,700 loose objects, 50 packs), counted exactly rather than
      // sampled as `gc --auto` does. gc takes its own lock and keeps recent unreachable
      // objects, so a fetch running meanwhile is safe.
      const counts = (await git(gitDir, ['count-objects', '-v'])).stdout.toString('utf8');
      const loose = Number(/^count: (\d+)/m.exec(counts)?.[1] ?? 0);
      const packs = Number(/^packs: (\d+)/m.exec(counts)?.[1] ?? 0);
      if (loose < gcAuto && packs < 50) continue;
      await git(gitDir, ['gc', '--quiet'], { timeoutMs: 600_000 });
      packed++;
    } catch {
      /* another gc runs, or the disk is full: the next round tries again */
    }
  }
  return { mirrorsPacked: packed, mirrorsRemoved: removed };
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
