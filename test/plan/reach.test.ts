/**
 * The reach index answers "which Kustomize apps can a changed file change" without
 * walking every app. It must agree with the full walk of each app (appInputs + touches),
 * which the engine used before and still uses for the apps the index reaches.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { discoverApps } from '../../src/plan/discover.js';
import { treeView as view } from '../helpers/tree-view.js';
import { appInputs, touches } from '../../src/plan/inputs.js';
import { ReachIndex } from '../../src/plan/reach.js';
import { Ownership } from '../../src/plan/unowned.js';
import type { Plan } from '../../src/types.js';
import { configMap, deployment, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const FILES: Record<string, string> = {
  'shared/base/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\ncomponents:\n  - ../../components/probe\n'),
  'shared/base/deploy.yaml': deployment('web'),
  'shared/base/README.md': '# the base\n',
  'components/probe/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: probe.yaml\n',
  'components/probe/probe.yaml': deployment('web'),
  'common/env/app.env': 'A=1\n',
  'common/patches/limits.yaml': deployment('web'),
  'common/patches/by-transformer.yaml': deployment('web'),
  'common/transformers/label.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: t\npath: ../../../common/patches/by-transformer.yaml\n',
  'common/unused.yaml': configMap('nobody'),
  'envs/staging/a/kustomization.yaml': kustomization('resources:\n  - ../../../shared/base\n'),
  'envs/staging/a/README.md': '# a\n',
  'envs/staging/a/notes.yaml': 'not: referenced\n',
  'envs/staging/b/kustomization.yaml': kustomization(
    'resources:\n  - ../../../shared/base\npatches:\n  - path: ../../../common/patches/limits.yaml\nconfigMapGenerator:\n  - name: b\n    envs:\n      - ../../../common/env/app.env\n',
  ),
  'envs/staging/c/kustomization.yaml': kustomization('resources:\n  - cm.yaml\ntransformers:\n  - ../../../common/transformers/label.yaml\n'),
  'envs/staging/c/cm.yaml': configMap('c'),
  'envs/staging/d/kustomization.yaml': kustomization('resources:\n  - ../../../missing/base\n  - ../../../missing/file.yaml\n'),
  'envs/prod/a/kustomization.yaml': kustomization('resources:\n  - ../../../shared/base\n'),
  'envs/prod/chart/kustomization.yaml': kustomization('helmCharts:\n  - name: web\n    releaseName: web\n'),
  'envs/prod/chart/charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'envs/prod/chart/charts/web/templates/cm.yaml': configMap('chart'),
};

const ENVS = [{ name: 'staging', path: 'envs/staging' }, { name: 'prod', path: 'envs/prod' }];

function setup() {
  const v = view(FILES);
  const apps = ENVS.flatMap((e) => discoverApps(e, v)).filter((a) => a.renderer === 'kustomize');
  return { v, apps, index: new ReachIndex(v, apps.map((a) => a.path)) };
}

describe('ReachIndex', () => {
  it('a shared base edited reaches every app that includes it, through components too, and nothing else', () => {
    const { index } = setup();
    const all = ['envs/prod/a', 'envs/staging/a', 'envs/staging/b'];
    expect([...index.reached(['shared/base/deploy.yaml'])].filter((d) => d.startsWith('envs/')).sort()).toEqual(all);
    expect([...index.reached(['components/probe/probe.yaml'])].filter((d) => d.startsWith('envs/')).sort()).toEqual(all);
    expect([...index.reached(['shared/base/kustomization.yaml'])].filter((d) => d.startsWith('envs/')).sort()).toEqual(all);
  });

  it('a file referenced through a ../.. relative path reaches only the apps naming it', () => {
    const { index } = setup();
    expect([...index.reached(['common/patches/limits.yaml'])]).toEqual(['envs/staging/b']);
    expect([...index.reached(['common/env/app.env'])]).toEqual(['envs/staging/b']);
    // Named by a transformer configuration, itself named by the kustomization.
    expect([...index.reached(['common/patches/by-transformer.yaml'])]).toEqual(['envs/staging/c']);
    expect([...index.reached(['common/unused.yaml'])]).toEqual([]);
  });

  it('a folder or file looked for and missing reaches the app that references it', () => {
    const { index } = setup();
    expect([...index.reached(['missing/base/kustomization.yaml'])]).toContain('envs/staging/d');
    expect([...index.reached(['missing/file.yaml'])]).toContain('envs/staging/d');
  });

  it('agrees with the full walk of every app, for every file and some that are not there', () => {
    const { v, apps, index } = setup();
    const paths = [
      ...Object.keys(FILES),
      'shared/base/new.yaml', 'envs/staging/a/new.yaml', 'envs/prod/chart/charts/web/templates/new.yaml', 'elsewhere/x.yaml',
      'missing/base/kustomization.yaml', 'missing/file.yaml', 'missing', 'top.yaml',
    ];
    const walks = apps.map((a) => ({ app: a.path, inputs: appInputs(a, v) }));
    const everyApp = new Ownership();
    for (const w of walks) everyApp.add(w.inputs);
    let reachedSome = 0;
    for (const p of paths) {
      const reached = index.reached([p]);
      for (const w of walks) {
        expect({ p, app: w.app, reached: reached.has(w.app) }).toEqual({ p, app: w.app, reached: touches(w.inputs, [p]) });
        if (reached.has(w.app)) reachedSome++;
      }
      expect({ p, owned: index.owned([p]).length === 1 }).toEqual({ p, owned: everyApp.owns(p) });
    }
    expect(reachedSome).toBeGreaterThan(paths.length / 2);
  });

  it('a document beside a kustomization does not reach its app but belongs to it', () => {
    const { index } = setup();
    expect(index.reached(['envs/staging/a/README.md']).has('envs/staging/a')).toBe(false);
    expect(index.owned(['envs/staging/a/README.md', 'common/unused.yaml'])).toEqual(['envs/staging/a/README.md']);
  });
});

describe('plans with the reach index', () => {
  const cacheDir = tempDir('ferry-cache-');
  const CONFIG = 'environments:\n  - name: staging\n    path: envs/staging\n  - name: prod\n    path: envs/prod\n';
  const planned = (p: Plan) => p.environments.map((e) => `${e.name}: ${e.apps.map((a) => a.name).sort().join(' ')}`);

  function repo(): TestRepo {
    const files: Record<string, string> = { '.github/ferry.yml': CONFIG, 'shared/base/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n'), 'shared/base/deploy.yaml': deployment('web'), 'common/patches/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n' };
    for (const env of ['staging', 'prod']) {
      for (const app of ['a', 'b', 'c']) {
        files[`envs/${env}/${app}/kustomization.yaml`] = kustomization(
          app === 'c' ? 'resources:\n  - cm.yaml\n' : `resources:\n  - ../../../shared/base\nnamePrefix: ${app}-\n${app === 'b' && env === 'prod' ? 'patches:\n  - path: ../../../common/patches/replicas.yaml\n' : ''}`,
        );
      }
      files[`envs/${env}/c/cm.yaml`] = configMap('c');
    }
    return new TestRepo().write(files);
  }

  it('plans every dependent of an edited shared base, and only the app naming an edited ../.. file', async () => {
    const r = repo();
    const base = r.commit('base');
    r.write({ 'shared/base/deploy.yaml': deployment('web', { image: 'nginx:1.27' }) });
    const head = r.commit('edit the shared base');
    expect(planned(await plan({ repo: r.dir, base, head, cacheDir }))).toEqual(['staging: a b', 'prod: a b']);

    r.write({ 'common/patches/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n' });
    const head2 = r.commit('edit a patch named through ../../..');
    const p = await plan({ repo: r.dir, base: head, head: head2, cacheDir });
    expect(planned(p)).toEqual(['staging: ', 'prod: b']);
    // kustomize's default load restrictor refuses a file outside the kustomization's
    // folder: what matters here is that the app is planned and says why it did not render.
    expect(p.environments[1]!.apps[0]!.findings.some((f) => f.severity === 'error')).toBe(true);
  });

  it('plans added and deleted apps, and reports a changed file no app reads', async () => {
    const r = repo();
    const base = r.commit('base');
    r.remove('envs/staging/c/kustomization.yaml', 'envs/staging/c/cm.yaml');
    r.write({ 'envs/prod/d/kustomization.yaml': kustomization('resources:\n  - ../../../shared/base\n'), 'loose/cm.yaml': configMap('loose') });
    const head = r.commit('delete one app, add one, and a stray manifest');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['staging: c', 'prod: d']);
    expect(p.environments[0]!.apps[0]!.changes.map((c) => c.action)).toEqual(['removed']);
    expect(p.findings.filter((f) => f.rule === 'unowned-change').map((f) => f.file)).toEqual(['loose/cm.yaml']);
  });
});
