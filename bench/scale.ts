/**
 * How a plan's cost grows with repository size: a 10-app PR (20 overlays) in a Kustomize
 * monorepo of N apps × 2 environments, run by bench/run.ts in a fresh process per size
 * so "cold" is cold. Prints one line: the floor (kubectl kustomize of only the affected
 * overlays at base and head, diff -u), Ferry cold (empty render cache) and Ferry warm (a
 * re-plan after one more push), with their ratios to the floor.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { plan } from '../src/engine.js';
import { fmt, renderAndDiff, time, worktree } from './contestants.js';
import { generateMonorepo } from './monorepo.js';

const apps = Number(process.argv[2] ?? 5000);
const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-scale-'));
try {
  const mono = generateMonorepo(path.join(work, 'repo'), apps, false);
  const [baseDir, headDir, out] = ['base', 'head', 'out'].map((d) => path.join(work, d)) as [string, string, string];
  worktree(mono.dir, mono.base, baseDir);
  worktree(mono.dir, mono.head, headDir);
  mkdirSync(out);
  const cacheDir = path.join(work, 'cache');
  const [floor] = await time(() => renderAndDiff(baseDir, headDir, mono.affected, out));
  const [cold, p1] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head, cacheDir }));
  const [warm, p2] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head2, cacheDir }));
  const planned = (p: typeof p1) => p.environments.reduce((n, e) => n + e.apps.length, 0);
  console.log(
    `  ${apps.toLocaleString('en-US')} apps × 2 (${(apps * 6).toLocaleString('en-US')} files): floor ${fmt(floor)} | ferry cold ${fmt(cold)} = ${(cold / floor).toFixed(2)}× floor (${planned(p1)} apps planned) | warm re-plan ${fmt(warm)} = ${(warm / floor).toFixed(2)}× floor (${planned(p2)} apps) | peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
