import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, ExecError, minimalEnv } from '../../src/util/exec.js';
import { spawnerPid } from '../../src/util/spawner.js';
import { tempDir } from '../helpers/gitrepo.js';

function script(body: string): string {
  const file = path.join(tempDir(), 'tool.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe.each(['on', 'off'])('exec, FERRY_SPAWNER=%s', (mode) => {
  beforeAll(() => {
    process.env.FERRY_SPAWNER = mode;
  });
  afterAll(() => {
    delete process.env.FERRY_SPAWNER;
  });

  it('kills a process that outlives its timeout', async () => {
    const t = performance.now();
    const err = await exec(script('sleep 30'), [], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).reason).toBe('timeout');
    expect((err as ExecError).message).toMatch(/timed out after 200ms/);
    // Not a timing assertion on Ferry's speed: proof that the child did not run to completion.
    expect(performance.now() - t).toBeLessThan(20_000);
  });

  it('stops reading at the output limit', async () => {
    const err = await exec(script('yes ferry'), [], { maxOutputBytes: 64 * 1024 }).catch((e: unknown) => e);
    expect((err as ExecError).reason).toBe('output-limit');
  });

  it('carries stderr of a failing command, not its arguments', async () => {
    const err = await exec(script('echo "Error: accumulating resources" >&2; exit 3'), ['--secret-arg=hunter2']).catch((e: unknown) => e);
    expect((err as ExecError).code).toBe(3);
    expect((err as ExecError).message).toContain('Error: accumulating resources');
    expect((err as ExecError).message).not.toContain('hunter2');
  });

  it('gives children no credentials from the parent environment', async () => {
    process.env.GITHUB_TOKEN = 'ghs_should_not_leak';
    process.env.KUBECONFIG = '/home/me/.kube/config';
    try {
      expect(minimalEnv()).not.toHaveProperty('GITHUB_TOKEN');
      const out = await exec(script('env'), []);
      expect(out.stdout.toString()).not.toContain('ghs_should_not_leak');
      expect(out.stdout.toString()).not.toContain('KUBECONFIG');
    } finally {
      delete process.env.GITHUB_TOKEN;
      delete process.env.KUBECONFIG;
    }
  });

  it('reports a missing binary clearly', async () => {
    const err = await exec('/nonexistent/kustomize', []).catch((e: unknown) => e);
    expect((err as ExecError).message).toMatch(/kustomize: could not start \(not found\)/);
  });
});

describe('the spawner', () => {
  it('carries binary input and output of any size unchanged', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < input.length; i++) input[i] = (i * 31 + (i >> 11)) & 0xff;
    const out = await exec('cat', [], { input });
    expect(spawnerPid()).toBeTypeOf('number');
    expect(out.stdout.equals(input)).toBe(true);
    const big = await exec(script('head -c 20000000 /dev/zero | tr "\\0" x'), []);
    expect(big.stdout.length).toBe(20_000_000);
    expect(big.stdout.subarray(0, 4).toString()).toBe('xxxx');
  });

  it('runs each process in the environment exec chose, not its own', async () => {
    const out = await exec(script('echo "$FERRY_TEST_VALUE|$PWD"'), [], { env: { FERRY_TEST_VALUE: 'chosen' }, cwd: tempDir() });
    expect(out.stdout.toString()).toMatch(/^chosen\|\/.+/);
  });

  it('when it dies, the calls in flight fail as unstartable, their processes end, and the next call works', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    const call = exec(script(`echo $$ > ${pidFile}; sleep 30`), [], { timeoutMs: 60_000 }).catch((e: unknown) => e);
    // Wait until the tool runs, then end the spawner under it.
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 25));
    const toolPid = Number(readFileSync(pidFile, 'utf8'));
    const spawner = spawnerPid()!;
    process.kill(spawner, 'SIGKILL');
    const err = await call;
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).reason).toBe('spawn');
    expect((err as ExecError).message).toMatch(/process starter was killed by SIGKILL/);
    // The tool was in a process group of its own, ended from here.
    let alive = true;
    for (let i = 0; i < 200 && alive; i++) {
      try {
        process.kill(toolPid, 0);
        await new Promise((r) => setTimeout(r, 25));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    const again = await exec('echo', ['back']);
    expect(again.stdout.toString()).toBe('back\n');
    expect(spawnerPid()).not.toBe(spawner);
  });

  it('gives the processes it starts no handle on its channel to Ferry', async () => {
    // A render that inherited the channel could answer for other renders.
    const out = await exec('sh', ['-c', 'for f in /proc/self/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && readlink "$f"; done; true']);
    expect(spawnerPid()).toBeTypeOf('number');
    expect(out.stdout.toString()).not.toMatch(/socket:/);
  });

  it('does not keep a process running once its calls are done', () => {
    const root = path.resolve(__dirname, '..', '..');
    const code = `import(${JSON.stringify(path.join(root, 'src/util/exec.ts'))}).then((m) => m.exec('echo', ['done'])).then((r) => process.stdout.write(r.stdout))`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
  });
});
