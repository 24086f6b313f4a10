/**
 * Findings about a value a Kustomize patch wrote point at the patch, where it must be
 * fixed; values the patch did not write still point at the base. Real renders through
 * the engine with `kubectl kustomize`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { AppPlan, Finding, Plan } from '../../src/types.js';
import { kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');

const LIMITS = '          resources:\n            requests: { cpu: 10m, memory: 16Mi }\n            limits: { cpu: 100m, memory: 64Mi }\n';

/** Two containers: `side` (untagged image, a finding of the base) before `web`. */
const BASE_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: side
          image: busybox
${LIMITS}        - name: web
          image: nginx:1.27.0
${LIMITS}`;

const patchOf = (spec: string, name = 'web') => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

const WEB_LATEST = '  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n';

const FILES: Record<string, string> = {
  'base/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
  'base/web/deployment.yaml': BASE_DEPLOYMENT,
  // Strategic-merge patch files. The second one lists `side`, so `web` renders at index 1
  // while it is item 0 of the first patch.
  'apps/smp/kustomization.yaml': kustomization('resources:\n  - ../../base/web\npatches:\n  - path: replicas.yaml\n  - path: sidecar.yaml\n'),
  'apps/smp/replicas.yaml': patchOf(`  replicas: two\n${WEB_LATEST}`),
  'apps/smp/sidecar.yaml': patchOf('  template:\n    spec:\n      containers:\n        - name: side\n          env:\n            - name: MODE\n              value: quiet\n        - name: extra\n          image: redis:7.2\n'),
  // Targets: the patch's own name is not what selects; a patch whose target does not
  // match is not applied, even though it writes the very value the base has.
  'apps/target/kustomization.yaml': kustomization(
    'resources:\n  - ../../base/web\npatches:\n  - path: image.yaml\n    target:\n      kind: Deployment\n      name: web\n  - path: other.yaml\n    target:\n      kind: Deployment\n      name: other\n',
  ),
  'apps/target/image.yaml': patchOf(WEB_LATEST, 'not-this-name'),
  'apps/target/other.yaml': patchOf('  template:\n    spec:\n      containers:\n        - name: side\n          image: busybox\n', 'other'),
  'apps/inline/kustomization.yaml': kustomization(
    'resources:\n  - ../../base/web\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        replicas: two\n',
  ),
  // Not a literal block: its lines are not the file's, so the `patch:` line is the answer.
  'apps/quoted/kustomization.yaml': kustomization(
    'resources:\n  - ../../base/web\npatches:\n  - patch: "apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: web\\nspec:\\n  replicas: two\\n"\n',
  ),
  // A strategic-merge patch repeats its resource's apiVersion, kind and name to select it:
  // a finding about those is the base's.
  'base/pdb/kustomization.yaml': kustomization('resources:\n  - pdb.yaml\n'),
  'base/pdb/pdb.yaml': 'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: web\n',
  'apps/pdb/kustomization.yaml': kustomization('resources:\n  - ../../base/pdb\npatches:\n  - path: min.yaml\n'),
  'apps/pdb/min.yaml': 'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 2\n',
  'apps/json/kustomization.yaml': kustomization(
    'resources:\n  - ../../base/web\npatches:\n  - target:\n      kind: Deployment\n      labelSelector: app=web\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/1/image\n        value: nginx:latest\n      - op: add\n        path: /spec/template/spec/containers/-\n        value:\n          name: extra\n          image: redis\n  - target:\n      group: apps\n      version: v1\n      kind: Deployment\n      name: web\n    path: ops.yaml\n',
  ),
  'apps/json/ops.yaml': '- op: add\n  path: /spec/minReadySeconds\n  value: 5\n- op: replace\n  path: /spec/replicas\n  value: two\n',
  // An overlay of an overlay, with a component: every kustomization on the way counts,
  // and the last patch to write a value is where it came from.
  'overlays/mid/kustomization.yaml': kustomization('resources:\n  - ../../base/web\npatches:\n  - path: replicas.yaml\n'),
  'overlays/mid/replicas.yaml': patchOf(`  replicas: two\n${WEB_LATEST}`),
  'apps/nested/kustomization.yaml': kustomization('resources:\n  - ../../overlays/mid\ncomponents:\n  - ../../components/slow\npatches:\n  - path: replicas.yaml\n'),
  'apps/nested/replicas.yaml': patchOf('  replicas: three\n'),
  'components/slow/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: slow.yaml\n',
  'components/slow/slow.yaml': patchOf('  minReadySeconds: soon\n'),
};

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(file: string, needle: string): number {
  const i = FILES[file]!.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}

const at = (f: Finding | undefined) => (f ? `${f.file}:${f.line}` : 'none');

describe('findings on values written by Kustomize patches', () => {
  let apps: Map<string, AppPlan>;
  beforeAll(async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': 'environments:\n  - name: staging\n    path: apps\n' });
    const base = r.commit('config');
    r.write(FILES);
    const head = r.commit('apps');
    const p: Plan = await plan({ repo: r.dir, base, head, cacheDir });
    apps = new Map(p.environments[0]!.apps.map((a) => [a.name, a]));
  }, 120_000);

  const finding = (app: string, rule: string, text: string) =>
    apps.get(app)!.findings.find((f) => f.rule === rule && f.message.includes(text));

  it('a strategic-merge patch file: the patched field, at its line in the patch', () => {
    expect(at(finding('smp', 'schema', 'replicas'))).toBe(`apps/smp/replicas.yaml:${lineOf('apps/smp/replicas.yaml', 'replicas: two')}`);
  });

  it('a container is matched by name, not by its index in the patch', () => {
    expect(at(finding('smp', 'no-latest-tag', 'nginx:latest'))).toBe(`apps/smp/replicas.yaml:${lineOf('apps/smp/replicas.yaml', 'image: nginx:latest')}`);
  });

  it('a container the patch adds whole: a finding about the container points at its entry', () => {
    expect(at(finding('smp', 'resource-limits', '"extra"'))).toBe(`apps/smp/sidecar.yaml:${lineOf('apps/smp/sidecar.yaml', '- name: extra')}`);
  });

  it('a value no patch wrote stays at the base line, though a patch touches its container', () => {
    expect(at(finding('smp', 'no-latest-tag', '"busybox"'))).toBe(`base/web/deployment.yaml:${lineOf('base/web/deployment.yaml', 'image: busybox')}`);
  });

  it('a patch with a target: the target selects, and a non-matching patch is not claimed', () => {
    expect(at(finding('target', 'no-latest-tag', 'nginx:latest'))).toBe(`apps/target/image.yaml:${lineOf('apps/target/image.yaml', 'image: nginx:latest')}`);
    expect(at(finding('target', 'no-latest-tag', '"busybox"'))).toBe(`base/web/deployment.yaml:${lineOf('base/web/deployment.yaml', 'image: busybox')}`);
  });

  it('an inline patch: the line inside the kustomization', () => {
    const k = 'apps/inline/kustomization.yaml';
    expect(at(finding('inline', 'schema', 'replicas'))).toBe(`${k}:${lineOf(k, 'replicas: two')}`);
  });

  it('an inline patch that is not a literal block: the line of its `patch:` key', () => {
    const k = 'apps/quoted/kustomization.yaml';
    expect(FILES[k]).toContain('replicas: two\\n');
    expect(at(finding('quoted', 'schema', 'replicas'))).toBe(`${k}:${lineOf(k, '- patch:')}`);
  });

  it('the apiVersion a patch repeats to select its resource is not claimed', () => {
    expect(at(finding('pdb', 'removed-api', 'policy/v1beta1'))).toBe('base/pdb/pdb.yaml:1');
  });

  it('JSON6902 operations, inline (label selector) and in a file: the line of the value', () => {
    const k = 'apps/json/kustomization.yaml';
    expect(at(finding('json', 'no-latest-tag', 'nginx:latest'))).toBe(`${k}:${lineOf(k, 'value: nginx:latest')}`);
    expect(at(finding('json', 'schema', 'replicas'))).toBe(`apps/json/ops.yaml:${lineOf('apps/json/ops.yaml', 'value: two')}`);
    // `-` appends: the rendered list's last item, and its field inside the operation's value.
    expect(at(finding('json', 'no-latest-tag', '"redis"'))).toBe(`${k}:${lineOf(k, 'image: redis')}`);
  });

  it('nested overlays and components: the last patch that wrote the value', () => {
    expect(at(finding('nested', 'schema', 'replicas'))).toBe(`apps/nested/replicas.yaml:${lineOf('apps/nested/replicas.yaml', 'replicas: three')}`);
    expect(at(finding('nested', 'schema', 'minReadySeconds'))).toBe(`components/slow/slow.yaml:${lineOf('components/slow/slow.yaml', 'minReadySeconds: soon')}`);
    expect(at(finding('nested', 'no-latest-tag', 'nginx:latest'))).toBe(`overlays/mid/replicas.yaml:${lineOf('overlays/mid/replicas.yaml', 'image: nginx:latest')}`);
    expect(at(finding('nested', 'no-latest-tag', '"busybox"'))).toBe(`base/web/deployment.yaml:${lineOf('base/web/deployment.yaml', 'image: busybox')}`);
  });
});
