import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every source file with the modules it imports (relative ones resolved to src paths). */
function imports(): Array<{ file: string; from: string[] }> {
  const out: Array<{ file: string; from: string[] }> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        const from = [...text.matchAll(/^(?:import|export)[^'"]*?from '([^']+)'/gm)].map((m) => {
          const spec = m[1]!;
          return spec.startsWith('.') ? path.relative(src, path.resolve(path.dirname(p), spec)).replace(/\.js$/, '') : spec;
        });
        out.push({ file: path.relative(src, p), from });
      }
    }
  };
  walk(src);
  return out;
}

const ENGINE = /^(engine|types|config|workspace|render|plan|validate|promote|report|review|protect)(\/|\.ts$)/;

describe('layers (docs/architecture.md)', () => {
  const all = imports();

  it('only the GitHub adapter imports probot or Octokit', () => {
    const offenders = all.filter((f) => !f.file.startsWith('forge/github/') && f.from.some((m) => m === 'probot' || m.startsWith('@octokit/')));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it('only the GitLab adapter imports gitbeaker', () => {
    const offenders = all.filter((f) => !f.file.startsWith('forge/gitlab/') && f.from.some((m) => m.startsWith('@gitbeaker/')));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it('the engine and the report import nothing from forge/, bot/, runtime/ or the server', () => {
    const offenders = all.filter((f) => ENGINE.test(f.file) && f.from.some((m) => /^(forge|bot|runtime)\//.test(m) || m === 'server'));
    expect(offenders.map((f) => `${f.file}: ${f.from.filter((m) => /^(forge|bot|runtime)\//.test(m)).join(', ')}`)).toEqual([]);
  });

  it('the bot core and the runtime import no forge adapter', () => {
    const offenders = all.filter((f) => /^(bot|runtime)\//.test(f.file) && f.from.some((m) => /^forge\/(github|gitlab)\//.test(m)));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it('only runtime/redis-queue.ts names bullmq or ioredis, and only as types: they are loaded with import() when REDIS_URL is set', () => {
    const offenders = all.filter((f) => f.file !== 'runtime/redis-queue.ts' && f.from.some((m) => m === 'bullmq' || m === 'ioredis'));
    expect(offenders.map((f) => f.file)).toEqual([]);
    const text = readFileSync(path.join(src, 'runtime', 'redis-queue.ts'), 'utf8');
    expect(text).toMatch(/^import type \{[^}]*\} from 'bullmq';$/m);
    expect(text.match(/^import (?!type )[^;]*from '(bullmq|ioredis)'/gm)).toBeNull();
    // The server loads the module itself lazily too.
    const server = readFileSync(path.join(src, 'server.ts'), 'utf8');
    expect(server).toContain("await import('./runtime/redis-queue.js')");
    expect(all.find((f) => f.file === 'server.ts')?.from).not.toContain('runtime/redis-queue');
  });

  it('only runtime/metrics.ts imports prom-client: the rest is given callbacks', () => {
    const offenders = all.filter((f) => f.file !== 'runtime/metrics.ts' && f.from.includes('prom-client'));
    expect(offenders.map((f) => f.file)).toEqual([]);
    expect(all.find((f) => f.file === 'runtime/metrics.ts')?.from).toContain('prom-client');
  });

  it('the scan sees the code (a check over nothing would pass anyway)', () => {
    expect(all.find((f) => f.file === 'forge/github/app.ts')?.from).toContain('probot');
    expect(all.find((f) => f.file === 'bot/jobs/run.ts')?.from).toContain('bot/jobs/plan');
  });
});
