/**
 * CLI start-up: `ferry --version` and `ferry --help` from the built package (dist/), against
 * bare `node` (the floor) and against importing the engine (what an eager CLI would pay),
 * measured in the same run. Run `npm run build` first; prints figures, asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const engine = path.join(root, 'dist', 'engine.js');

/** Median wall time of `runs` fresh processes. */
function median(args: string[], runs = 15): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

if (!existsSync(cli)) {
  console.log('CLI start-up: skipped, no dist/ (run `npm run build`)');
} else {
  const floor = median(['-e', '']);
  const version = median([cli, '--version']);
  const help = median([cli, 'plan', '--help']);
  const eager = median(['--input-type=module', '-e', `await import(${JSON.stringify(path.join(root, 'dist', 'cli', 'usage.js'))}); await import(${JSON.stringify(engine)});`]);
  const ms = (t: number) => `${t.toFixed(0)} ms`;
  console.log('CLI start-up (median of 15 fresh processes, dist/)');
  console.log(`  node -e ''                          ${ms(floor)}   (floor)`);
  console.log(`  ferry --version                     ${ms(version)}   = ${(version / floor).toFixed(2)}× floor`);
  console.log(`  ferry plan --help                   ${ms(help)}   = ${(help / floor).toFixed(2)}× floor`);
  console.log(`  help + importing the engine eagerly ${ms(eager)}   = ${(eager / floor).toFixed(2)}× floor, ${(eager / help).toFixed(1)}× the lazy --help`);
}
