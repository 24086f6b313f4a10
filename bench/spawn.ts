/**
 * Starting processes from a process of plan size: `exec` through the process starter
 * (src/util/spawner.ts) against `exec` spawning directly (FERRY_SPAWNER=off), each in a
 * fresh process holding a heap of the given size, measured in the same run. A plan
 * starts a renderer and a few git processes per app; a direct spawn blocks the starting
 * thread for the fork of the whole process. Prints figures and ratios; asserts nothing.
 *
 *   node --import tsx bench/spawn.ts            heaps of 50 and 400 MB
 *   node --import tsx bench/spawn.ts 50 400 800
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = 60;
const MARK = 'SPAWN-JSON ';

interface Figures { wall: number; cpu: number; blocked: number; rss: number }

async function child(heapMb: number): Promise<void> {
  const { exec } = await import('../src/util/exec.js');
  // A plan's heap: buffers and small objects, as parsed repository facts are.
  const hold: unknown[] = [];
  for (let i = 0; i < heapMb / 2; i++) hold.push(Buffer.alloc(1 << 20, 1), new Array(25_000).fill({ a: i }));
  await exec('true', []);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // How long the event loop could not run: what a webhook or another render waits.
  let blocked = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    if (now - last > 15) blocked += now - last - 10;
    last = now;
  }, 10);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next++ < N) await exec('sh', ['-c', 'echo hi']);
  }));
  clearInterval(tick);
  const c = process.cpuUsage(c0);
  const f: Figures = { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000, blocked, rss: process.memoryUsage().rss / 1e6 };
  console.log(MARK + JSON.stringify(f));
  void hold;
}

function measure(heapMb: number, spawner: 'on' | 'off'): Figures {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'spawn.ts'), '--child', String(heapMb)], {
    env: { ...process.env, FERRY_SPAWNER: spawner },
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`no figures from the child: ${out}`);
  return JSON.parse(line.slice(MARK.length)) as Figures;
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  console.log(`${N} processes started 4 at a time (sh -c 'echo hi'), a fresh process per figure, direct spawn vs the process starter:`);
  for (const mb of sizes.length ? sizes : [50, 400]) {
    // Alternated, so a change in the machine's load falls on both.
    const off = [measure(mb, 'off'), measure(mb, 'off')];
    const on = [measure(mb, 'on'), measure(mb, 'on')];
    const best = (fs: Figures[], k: keyof Figures) => Math.min(...fs.map((f) => f[k]));
    const ms = (t: number) => `${t.toFixed(0)} ms`;
    console.log(
      `  heap ~${mb} MB (rss ${best(off, 'rss').toFixed(0)} MB): direct wall ${ms(best(off, 'wall'))}, event loop blocked ${ms(best(off, 'blocked'))}, own CPU ${ms(best(off, 'cpu'))}` +
        ` | starter wall ${ms(best(on, 'wall'))} = ${(best(on, 'wall') / best(off, 'wall')).toFixed(2)}×, blocked ${ms(best(on, 'blocked'))}, own CPU ${ms(best(on, 'cpu'))} = ${(best(on, 'cpu') / best(off, 'cpu')).toFixed(2)}×`,
    );
  }
}
