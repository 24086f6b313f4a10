/**
 * How a plan's cost grows with repository size: a 10-app PR (20 overlays) in a Kustomize
 * monorepo of N apps × 2 environments. Each size runs in a fresh process so "cold" is
 * cold. Prints, per size, the floor (kubectl kustomize of only the affected overlays at
 * base and head, diff -u), Ferry cold (empty render cache) and Ferry warm (a re-plan
 * after one more push), with their ratios to the floor, and the CPU time of Ferry's own
 * thread (renders run in child processes and are not in it: this is the part that must
 * not grow faster than the repository).
 *
 *   node --import tsx bench/scale.ts 5000             one size
 *   node --import tsx bench/scale.ts 500 2000 5000    each size, then the growth between them
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/engine.js';
import { fmt, renderAndDiff, run, time, worktree } from './contestants.js';
import { generateMonorepo } from './monorepo.js';

interface Figures {
  apps: number;
  files: number;
  floor: number;
  cold: number;
  warm: number;
  /** CPU of this process's own thread during the plan, ms (user + system, children excluded). */
  coldCpu: number;
  warmCpu: number;
}

const JSON_MARK = 'SCALE-JSON ';

async function measure(apps: number): Promise<Figures> {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-scale-'));
  try {
    const mono = generateMonorepo(path.join(work, 'repo'), apps, false);
    const [baseDir, headDir, out] = ['base', 'head', 'out'].map((d) => path.join(work, d)) as [string, string, string];
    worktree(mono.dir, mono.base, baseDir);
    worktree(mono.dir, mono.head, headDir);
    mkdirSync(out);
    const cacheDir = path.join(work, 'cache');
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const [floor] = await time(() => renderAndDiff(baseDir, headDir, mono.affected, out));
    let c0 = cpu();
    const [cold, p1] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head, cacheDir }));
    const coldCpu = cpu() - c0;
    c0 = cpu();
    const [warm, p2] = await time(() => plan({ repo: mono.dir, base: mono.base, head: mono.head2, cacheDir }));
    const warmCpu = cpu() - c0;
    const planned = (p: typeof p1) => p.environments.reduce((n, e) => n + e.apps.length, 0);
    console.log(
      `  ${apps.toLocaleString('en-US')} apps × 2 (${(apps * 6).toLocaleString('en-US')} files): floor ${fmt(floor)} | ferry cold ${fmt(cold)} = ${(cold / floor).toFixed(2)}× floor (${planned(p1)} apps planned) | warm re-plan ${fmt(warm)} = ${(warm / floor).toFixed(2)}× floor (${planned(p2)} apps) | Ferry's own CPU: cold ${fmt(coldCpu)}, warm ${fmt(warmCpu)} | peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
    return { apps, files: apps * 6, floor, cold, warm, coldCpu, warmCpu };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (sizes.length <= 1) {
  const f = await measure(sizes[0] ?? 5000);
  if (process.env.FERRY_BENCH_SCALE_JSON) console.log(JSON_MARK + JSON.stringify(f));
} else {
  const here = fileURLToPath(import.meta.url);
  const all: Figures[] = [];
  for (const n of sizes) {
    const r = await run(process.execPath, ['--import', 'tsx', here, String(n)], undefined, { FERRY_BENCH_SCALE_JSON: '1' });
    const text = r.out.toString('utf8');
    process.stdout.write(text.split('\n').filter((l) => !l.startsWith(JSON_MARK)).join('\n'));
    const line = text.split('\n').find((l) => l.startsWith(JSON_MARK));
    if (line) all.push(JSON.parse(line.slice(JSON_MARK.length)) as Figures);
  }
  // Growth against the smallest size: linear in the repository means a ratio no larger
  // than the files' ratio; the renders (20 overlays every time) should not grow at all.
  const first = all[0];
  if (first) {
    console.log(`  growth against ${first.apps.toLocaleString('en-US')} apps (linear: the files' ratio; renders are the same 20 overlays at every size):`);
    for (const f of all.slice(1)) {
      const r = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
      console.log(
        `    ${f.apps.toLocaleString('en-US')} apps: files ${r(f.files, first.files)} | floor ${r(f.floor, first.floor)} | ferry cold ${r(f.cold, first.cold)}, warm ${r(f.warm, first.warm)} | Ferry's own CPU cold ${r(f.coldCpu, first.coldCpu)}, warm ${r(f.warmCpu, first.warmCpu)}; per 1,000 files cold ${fmt((f.coldCpu / f.files) * 1000)}, warm ${fmt((f.warmCpu / f.files) * 1000)} (${fmt((first.coldCpu / first.files) * 1000)}, ${fmt((first.warmCpu / first.files) * 1000)} at ${first.apps.toLocaleString('en-US')})`,
      );
    }
  }
}
