import * as childProcess from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { exec } from '../../src/util/exec.js';
import { spawnerEnabled } from '../../src/util/spawner.js';

/**
 * A host that will not run the process starter (here: its node cannot be started) still
 * renders: the calls the starter never started run directly, and later ones go direct.
 */
let starterAttempts = 0;
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof childProcess>();
  return {
    ...real,
    spawn: (cmd: string, args: readonly string[], opts: childProcess.SpawnOptions) => {
      if (cmd === process.execPath && args.includes('-e')) {
        starterAttempts++;
        return real.spawn('/nonexistent/node', args, opts);
      }
      return real.spawn(cmd, args, opts);
    },
  };
});

describe('a host without the process starter', () => {
  it('runs the calls directly, once it knows', async () => {
    expect(spawnerEnabled()).toBe(true);
    const [a, b] = await Promise.all([exec('echo', ['one']), exec('sh', ['-c', 'echo two; exit 0'])]);
    expect(a.stdout.toString()).toBe('one\n');
    expect(b.stdout.toString()).toBe('two\n');
    expect(starterAttempts).toBe(1);
    expect(spawnerEnabled()).toBe(false);
    const c = await exec('echo', ['three']);
    expect(c.stdout.toString()).toBe('three\n');
    expect(starterAttempts).toBe(1);
    // Errors keep their kind on the direct path.
    const err = await exec('sh', ['-c', 'echo bad >&2; exit 4']).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ExecError', code: 4, reason: 'exit' });
  });
});
