import * as childProcess from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import type { Plan } from '../../src/types.js';
import { deployment, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/**
 * A re-plan knows the kustomizations it parsed by blob id, so it does not read them
 * again; nothing may then ask one for facts discovery never keeps for it, because each
 * such question reads the file with two blocking git processes (at 5,000 apps that made
 * a warm re-plan 36 times the floor). Counted at the process boundary.
 */
const blobReads: string[][] = [];
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof childProcess>();
  return {
    ...real,
    execFileSync: (file: string, args: readonly string[], ...rest: unknown[]) => {
      if (file === 'git' && args.includes('cat-file')) blobReads.push([...args]);
      return (real.execFileSync as (...a: unknown[]) => unknown)(file, args, ...rest);
    },
  };
});

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const APPS = ['a', 'b', 'c', 'd'];
const application = (name: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.invalid/repo.git
    path: apps/${name}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
`;

function files(image: string): Record<string, string> {
  const out: Record<string, string> = {
    'ferry.yml': 'environments:\n  - name: prod\n    path: envs/prod\n',
    // A kustomization that deploys a written Application: the repository has app-of-apps candidates.
    'envs/prod/root/kustomization.yaml': kustomization('resources:\n  - application.yaml\n'),
    'envs/prod/root/application.yaml': application('a'),
  };
  for (const n of APPS) {
    out[`base/${n}/kustomization.yaml`] = kustomization('resources:\n  - deployment.yaml\n');
    out[`base/${n}/deployment.yaml`] = deployment(n, { image });
    out[`envs/prod/${n}/kustomization.yaml`] = kustomization(`namespace: prod\nresources:\n  - ../../../base/${n}\n`);
  }
  return out;
}

async function planJson(r: TestRepo, base: string, head: string): Promise<Plan> {
  let out = '';
  let err = '';
  const code = await main(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'json', '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  if (code === 2) throw new Error(err);
  return JSON.parse(out) as Plan;
}

describe('a re-plan', () => {
  it('reads no kustomization with a git process of its own', async () => {
    const r = new TestRepo().write(files('nginx:1.27.0'));
    repos.push(r);
    const c0 = r.commit('base');
    r.write(files('nginx:1.27.1'));
    const c1 = r.commit('bump');
    r.write(files('nginx:1.27.2'));
    const c2 = r.commit('bump again');
    const first = await planJson(r, c0, c1);
    expect(first.environments[0]!.apps.filter((a) => a.changes.length).map((a) => a.name).sort()).toEqual(APPS.map((n) => `envs/prod/${n}`));
    blobReads.length = 0;
    const again = await planJson(r, c1, c2);
    // The same apps change: the re-plan is a real one, not an empty plan.
    expect(again.environments[0]!.apps.filter((a) => a.changes.length).map((a) => a.name).sort()).toEqual(APPS.map((n) => `envs/prod/${n}`));
    expect(blobReads).toEqual([]);
  });
});
