/**
 * `npm run bench`: Ferry's plan against what a team would script in CI, measured in the
 * same run on the same machine. Prints figures and ratios; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/engine.js';
import { fmt, PARALLEL, renderAndDiff, run, time, worktree } from './contestants.js';
import { generateMonorepo } from './monorepo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-'));
  try {
    const t0 = performance.now();
    const mono = generateMonorepo(path.join(work, 'repo'));
    console.log(`monorepo: ${mono.overlays.length} overlays (500 apps × 2 environments), PR affects ${mono.affected.length} overlays; generated in ${fmt(performance.now() - t0)}`);
    console.log(`concurrency for every contestant: ${PARALLEL} (${cpus().length} cores)\n`);

    const baseDir = path.join(work, 'base');
    const headDir = path.join(work, 'head');
    worktree(mono.dir, mono.base, baseDir);
    worktree(mono.dir, mono.head, headDir);
    const outB = path.join(work, 'out-b');
    const outC = path.join(work, 'out-c');
    mkdirSync(outB);
    mkdirSync(outC);

    // (c) the floor: only the affected overlays, nothing else.
    const [floor] = await time(() => renderAndDiff(baseDir, headDir, mono.affected, outC));
    // (a) Ferry, cold: empty render cache, fresh process state for the repository.
    const cacheDir = path.join(work, 'cache');
    const [cold, p1] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head, cacheDir }));
    const apps = p1.environments.reduce((n, e) => n + e.apps.length, 0);
    // A re-plan of the same PR after one more push: unchanged inputs come from the cache.
    const [replan, p2] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head2, cacheDir }));
    const apps2 = p2.environments.reduce((n, e) => n + e.apps.length, 0);
    // (b) the baseline a team would script: every overlay at base and head, diff -u.
    const [baseline] = await time(() => renderAndDiff(baseDir, headDir, mono.overlays, outB));

    console.log('plan of a 30-app PR in a 500-app × 2-env monorepo');
    console.log(`  (b) baseline: kubectl kustomize every overlay ×2 + diff -u   ${fmt(baseline)}`);
    console.log(`  (c) floor: kubectl kustomize only the ${mono.affected.length} affected ×2   ${fmt(floor)}`);
    console.log(`  (a) ferry plan, cold cache (${apps} apps planned, ${p1.summary.changed} changes)   ${fmt(cold)}   = ${(cold / floor).toFixed(2)}× floor, ${(baseline / cold).toFixed(1)}× faster than baseline`);
    console.log(`  (a') ferry re-plan after one more push (${apps2} apps, warm cache)   ${fmt(replan)}   = ${(replan / floor).toFixed(2)}× floor`);
    console.log(`  peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  // Cost against repository size: one fresh process per size, then the growth between sizes.
  console.log('a 10-app PR (20 overlays) as the repository grows');
  const g = await run(process.execPath, ['--import', 'tsx', path.join(here, 'scale.ts'), '500', '2000', '5000']);
  process.stdout.write(g.out);
  console.log();

  // Argo CD: one ApplicationSet over 100 and 400 Helm-chart Applications.
  const a = await run(process.execPath, ['--import', 'tsx', path.join(here, 'applicationset.ts'), '100', '400']);
  process.stdout.write(a.out);
  console.log();

  // Argo CD app of apps: a chart of 100 and 400 Applications.
  const aoa = await run(process.execPath, ['--import', 'tsx', path.join(here, 'app-of-apps.ts'), '100', '400']);
  process.stdout.write(aoa.out);
  console.log();

  // Validation throughput runs in a fresh process so "cold" means cold.
  const v = await run(process.execPath, ['--import', 'tsx', path.join(here, 'validate.ts')]);
  process.stdout.write(v.out);
  console.log();
  const b = await run(process.execPath, ['--import', 'tsx', path.join(here, 'bundled.ts')]);
  process.stdout.write(b.out);
  console.log();
  const w = await run(process.execPath, ['--import', 'tsx', path.join(here, 'webhook.ts')]);
  process.stdout.write(w.out);
  console.log();
  const s = await run(process.execPath, ['--import', 'tsx', path.join(here, 'startup.ts')]);
  process.stdout.write(s.out);
  console.log();
  // Two server processes on one Redis (REDIS_URL, or a private redis-server): minutes, not seconds.
  const l = await run(process.execPath, ['--import', 'tsx', path.join(here, 'load.ts')]);
  process.stdout.write(l.out);
  if (l.code !== 0) process.exitCode = l.code;
}

await main();
