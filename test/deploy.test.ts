import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { Plan } from '../src/types.js';
import { REPO_ROOT } from './helpers/bin.js';
import { TestRepo, tempDir } from './helpers/gitrepo.js';

const CONFIG = 'environments:\n  - name: example\n    path: deploy/overlays\n';

/** `ferry validate` over a repository holding a copy of deploy/, edited by `edit`. */
async function validateDeploy(edit: (dir: string) => void = () => undefined): Promise<{ code: number; plan: Plan }> {
  const repo = new TestRepo();
  try {
    cpSync(path.join(REPO_ROOT, 'deploy'), path.join(repo.dir, 'deploy'), { recursive: true });
    edit(repo.dir);
    repo.git('add', '-A');
    repo.commit('deploy');
    const config = path.join(tempDir('ferry-config-'), 'ferry.yml');
    writeFileSync(config, CONFIG);
    let out = '';
    const code = await main(['validate', '--repo', repo.dir, '--config', config, '--format', 'json', '--cache-dir', tempDir('ferry-cache-')], { out: (s) => (out += s), err: () => undefined });
    return { code, plan: JSON.parse(out) as Plan };
  } finally {
    repo.cleanup();
  }
}

describe('deploy/: Ferry\'s own deployment', () => {
  it('passes Ferry\'s own validate with no finding at all', async () => {
    const { code, plan } = await validateDeploy();
    expect(plan.findings).toEqual([]);
    const apps = plan.environments.flatMap((e) => e.apps);
    expect(apps.map((a) => ({ path: a.path, status: a.status, resources: a.resources, findings: a.findings }))).toEqual([
      { path: 'deploy/overlays/example', status: 'rendered', resources: 3, findings: [] },
    ]);
    expect(code).toBe(0);
  });

  it('the check can fail: the same validate flags a privileged container in it', async () => {
    const { code, plan } = await validateDeploy((dir) => {
      const file = path.join(dir, 'deploy', 'base', 'deployment.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: false\n            privileged: true'));
    });
    expect(plan.environments[0]!.apps[0]!.findings.map((f) => f.rule)).toContain('privileged');
    expect(code).toBe(1);
  });
});
