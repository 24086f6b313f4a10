import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, ExecError, minimalEnv } from '../../src/util/exec.js';
import { tempDir } from '../helpers/gitrepo.js';

function script(body: string): string {
  const file = path.join(tempDir(), 'tool.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('exec', () => {
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
