import { execFile as execFileCb } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_HEAP_GROWING_PERCENT } from '../../src/runtime/engine-heap.js';
import { REPO_ROOT } from '../helpers/bin.js';

const execFile = promisify(execFileCb);

describe('the engine’s heap', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('boundEngineHeapGrowth keeps the heap within about twice what is live, where V8 alone lets it reach about four times', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-heap-'));
    dirs.push(dir);
    const module = pathToFileURL(path.join(REPO_ROOT, 'src', 'runtime', 'engine-heap.ts')).href;
    // A live set, then batches that live long enough to be promoted and die three batches
    // later: what parsing app after app does to the old generation.
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(probe, `
if (process.env.BOUND) (await import(${JSON.stringify(module)})).boundEngineHeapGrowth();
const live = []; for (let i = 0; i < 3e5; i++) live.push({ i, s: 'live' + i, a: [i, i + 1] });
const window = [];
for (let round = 0; round < 60; round++) {
  const batch = []; for (let i = 0; i < 2e5; i++) batch.push({ round, i, s: 'x' + i, a: [i] });
  window.push(batch); if (window.length > 3) window.shift();
}
process.stdout.write(String(live.length + window.length));
`);
    /** Peak heap at the start of a full collection over the most that was live after one (from --trace-gc). */
    const growth = async (bound: boolean) => {
      const env = { ...process.env, BOUND: bound ? '1' : '' };
      // V8 grows a heap up to four times only under a limit of 2 GB or more: fixed here, so
      // the machine's memory and NODE_OPTIONS do not decide the control.
      const { stdout } = await execFile(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', '--trace-gc', probe], { env: { ...env, NODE_OPTIONS: '' }, cwd: REPO_ROOT, maxBuffer: 1 << 24 });
      const compacts = [...stdout.matchAll(/Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+) /g)].map((m) => [Number(m[1]), Number(m[2])] as const);
      expect(compacts.length).toBeGreaterThan(2);
      return Math.max(...compacts.map(([before]) => before)) / Math.max(...compacts.map(([, after]) => after));
    };
    const [bounded, unbounded] = [await growth(true), await growth(false)];
    // Twice what is live, and the young generation and what marking overshoots on top.
    expect(bounded).toBeLessThan(2.8);
    // The control: without the bound this probe does grow the heap far past what is live.
    expect(unbounded).toBeGreaterThan(3.4);
  });

  it.each([
    ['the CLI', ['src/cli.ts', '--version']],
    ['the CI entry', ['src/ci/main.ts']],
  ])('%s bounds the heap when it starts', async (_name, args) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-heap-entry-'));
    dirs.push(dir);
    // Records what the entry asks of V8, as the process exits.
    const spy = path.join(dir, 'spy.mjs');
    writeFileSync(spy, `import v8 from 'node:v8';
const calls = []; const real = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => { calls.push(f); real(f); };
process.on('exit', () => process.stderr.write('FLAGS ' + JSON.stringify(calls) + '\\n'));
`);
    const r = await execFile(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(spy).href, ...args], { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' } }).catch((e: { stderr: string }) => e);
    expect(JSON.parse(/FLAGS (.*)/.exec(r.stderr)![1]!)).toEqual([`--heap-growing-percent=${ENGINE_HEAP_GROWING_PERCENT}`]);
  });

  it('a server plan worker bounds the heap when it starts', async () => {
    const worker = path.join(REPO_ROOT, 'src', 'runtime', 'plan-worker.ts');
    // The worker's own V8 calls are recorded before its module loads, then reported.
    const w = new Worker(`
      const v8 = require('node:v8'); const calls = []; const real = v8.setFlagsFromString;
      v8.setFlagsFromString = (f) => { calls.push(f); real(f); };
      import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(worker).href)}); })
        .then(() => require('node:worker_threads').parentPort.postMessage({ calls }));
    `, { eval: true });
    try {
      const m = await new Promise<{ calls: string[] }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      expect(m.calls).toEqual([`--heap-growing-percent=${ENGINE_HEAP_GROWING_PERCENT}`]);
    } finally {
      await w.terminate();
    }
  });
});
