import { execFile as execFileCb } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_NODE_FLAG, ENGINE_SEMI_SPACE_MB, ENGINE_YOUNG_GENERATION_MB } from '../../src/runtime/young-generation.js';
import { REPO_ROOT } from '../helpers/bin.js';

const execFile = promisify(execFileCb);

/** What V8 reports as the new space's size once a process has allocated enough to grow it. */
const PROBE = `
const keep = [];
for (let i = 0; i < 4e6; i++) { const o = { a: i, b: 'x' + i }; if (i % 10 === 0) keep.push(o); if (keep.length > 50000) keep.length = 0; }
const mb = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
`;

describe('the engine runs with a 32 MB young-generation semi-space', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each(['src/cli.ts', 'src/ci/main.ts'])('%s: its shebang starts node with the flag, and the kernel and env run it as written', async (entry) => {
    const shebang = readFileSync(path.join(REPO_ROOT, entry), 'utf8').split('\n')[0]!;
    expect(shebang).toBe(`#!/usr/bin/env -S node ${ENGINE_NODE_FLAG}`);
    // The same line on a probe script, executed directly: `env -S` splits the flags and
    // node takes them (a flag V8 ignored, or an env without -S, would show here).
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-shebang-'));
    dirs.push(dir);
    const script = path.join(dir, 'probe.cjs');
    writeFileSync(script, `${shebang}\n${PROBE}\nprocess.stdout.write(String(mb));\n`);
    chmodSync(script, 0o755);
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const { stdout } = await execFile(script, [], { env });
    // The new space is two semi-spaces.
    expect(Number(stdout)).toBe(2 * ENGINE_SEMI_SPACE_MB);
  });

  it('a worker with the engine pool’s young-generation limit gets the same semi-space', async () => {
    const worker = new Worker(`${PROBE}\nrequire('node:worker_threads').parentPort.postMessage(mb);`, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: ENGINE_YOUNG_GENERATION_MB },
    });
    try {
      const mb = await new Promise<number>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(mb).toBe(2 * ENGINE_SEMI_SPACE_MB);
    } finally {
      await worker.terminate();
    }
  });

  it('the server’s plan workers are started with that limit', async () => {
    const options: Array<{ resourceLimits?: { maxYoungGenerationSizeMb?: number } }> = [];
    vi.resetModules();
    vi.doMock('node:worker_threads', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:worker_threads')>();
      class Recording extends real.Worker {
        constructor(file: string | URL, opts?: ConstructorParameters<typeof real.Worker>[1]) {
          options.push(opts ?? {});
          super(file, opts);
        }
      }
      return { ...real, Worker: Recording };
    });
    try {
      const { EnginePool } = await import('../../src/runtime/engine-pool.js');
      const pool = new EnginePool(2);
      await pool.close();
    } finally {
      vi.doUnmock('node:worker_threads');
      vi.resetModules();
    }
    expect(options).toHaveLength(2);
    for (const o of options) expect(o.resourceLimits?.maxYoungGenerationSizeMb).toBe(ENGINE_YOUNG_GENERATION_MB);
  });
});
