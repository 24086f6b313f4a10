import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RawRender } from './render.js';

/**
 * Renders keyed by the content of everything they read. A re-plan after a push renders
 * only apps whose inputs changed; the rest come from memory or disk. Failed renders are
 * not cached: a transient failure (a timeout) must not stick.
 */
export class RenderCache {
  private readonly memory = new Map<string, string>();
  private memoryChars = 0;

  /**
   * `maxChars` bounds the renders kept in memory (UTF-16 code units, about bytes for
   * YAML): a plan over thousands of apps must not hold every output it rendered. The
   * disk copy has no such bound.
   */
  constructor(private readonly dir: string | null, private readonly maxEntries = 2000, private readonly maxChars = 16 * 2 ** 20) {}

  static key(parts: string[]): string {
    const h = createHash('sha256');
    for (const p of parts) h.update(p).update('\0');
    return h.digest('hex');
  }

  async get(key: string): Promise<string | null> {
    const hit = this.memory.get(key);
    if (hit !== undefined) {
      // Refresh its place: the least recently used goes first.
      this.memory.delete(key);
      this.memory.set(key, hit);
      return hit;
    }
    if (!this.dir) return null;
    try {
      const file = this.file(key);
      const text = await readFile(file, 'utf8');
      this.remember(key, text);
      // Its mtime is its last use: the server's cache pruning removes the least recently used.
      const now = new Date();
      void utimes(file, now, now).catch(() => undefined);
      return text;
    } catch {
      return null;
    }
  }

  async put(key: string, render: RawRender): Promise<void> {
    if (!render.ok) return;
    this.remember(key, render.text);
    if (!this.dir) return;
    const file = this.file(key);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      // Write then rename: a concurrent reader never sees half a render.
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      await writeFile(tmp, render.text);
      await rename(tmp, file);
    } catch {
      /* the cache is an optimisation; a full disk must not fail the plan */
    }
  }

  private remember(key: string, text: string) {
    const prev = this.memory.get(key);
    if (prev !== undefined) {
      this.memory.delete(key);
      this.memoryChars -= prev.length;
    }
    // One render larger than a quarter of the budget would push out many: disk only.
    if (text.length > this.maxChars / 4) return;
    this.memory.set(key, text);
    this.memoryChars += text.length;
    for (const [k, v] of this.memory) {
      if (this.memory.size <= this.maxEntries && this.memoryChars <= this.maxChars) break;
      this.memory.delete(k);
      this.memoryChars -= v.length;
    }
  }

  private file(key: string) {
    return path.join(this.dir!, key.slice(0, 2), `${key}.yaml`);
  }
}
