/** What a team would script in CI without Ferry, shared by the benchmarks. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';

export const PARALLEL = Math.max(2, cpus().length * 2); // the same concurrency Ferry uses

export function run(cmd: string, args: string[], cwd?: string, env?: Record<string, string>): Promise<{ code: number; out: Buffer }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, out: Buffer.concat(chunks) }));
  });
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

export async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

export function worktree(repo: string, sha: string, into: string) {
  execFileSync('git', ['--git-dir', path.join(repo, '.git'), 'archive', '--format=tar', '-o', `${into}.tar`, sha]);
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xf', `${into}.tar`, '-C', into]);
  rmSync(`${into}.tar`);
}

/** Render each overlay with kubectl kustomize at base and head, then diff -u the pair. */
export async function renderAndDiff(baseDir: string, headDir: string, overlays: string[], outDir: string) {
  await pool(overlays, PARALLEL, async (o) => {
    const flat = o.replace(/\//g, '_');
    const [b, h] = [await run('kubectl', ['kustomize', path.join(baseDir, o)]), await run('kubectl', ['kustomize', path.join(headDir, o)])];
    writeFileSync(path.join(outDir, `${flat}.base.yaml`), b.out);
    writeFileSync(path.join(outDir, `${flat}.head.yaml`), h.out);
    await run('diff', ['-u', path.join(outDir, `${flat}.base.yaml`), path.join(outDir, `${flat}.head.yaml`)]);
  });
}

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

