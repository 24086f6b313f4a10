import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Charts on disk: <dir>/<sha256 of the repository URL>/<chart>/<version>.tgz, and the
 * repository's last index.yaml beside them. Chart and version are validated before they
 * get here; the URL is hashed, so it never becomes a path.
 */
export class ChartCache {
  private readonly downloading = new Map<string, Promise<string>>();

  constructor(readonly dir: string) {}

  /**
   * Runs one download per file at a time: two constraints that resolve to one version
   * ("6.x" and "6.5.0") fetched together download it once.
   */
  once(file: string, download: () => Promise<string>): Promise<string> {
    let p = this.downloading.get(file);
    if (!p) {
      p = download().finally(() => this.downloading.delete(file));
      this.downloading.set(file, p);
    }
    return p;
  }

  repoDir(repoKey: string): string {
    return path.join(this.dir, sha256(repoKey));
  }

  chartFile(repoKey: string, chart: string, version: string): string {
    return path.join(this.repoDir(repoKey), chart, `${version}.tgz`);
  }

  indexFile(repoKey: string): string {
    return path.join(this.repoDir(repoKey), 'index.yaml');
  }

  /** The cached chart and its digest, or null when it is not there. */
  async readChart(file: string): Promise<{ file: string; digest: string } | null> {
    try {
      const data = await readFile(file);
      // A use: cache maintenance removes charts by how long they went unused.
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return { file, digest: sha256(data) };
    } catch {
      return null;
    }
  }

  async readText(file: string): Promise<string | null> {
    try {
      return await readFile(file, 'utf8');
    } catch {
      return null;
    }
  }

  /** Written beside its final name and renamed: a reader never sees half a file. */
  async write(file: string, data: Buffer | string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
