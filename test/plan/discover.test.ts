import { describe, expect, it } from 'vitest';
import { discoverApps, type TreeView } from '../../src/plan/discover.js';
import { treeView as view } from '../helpers/tree-view.js';
import { deployRefs, matchDirGlob } from '../../src/plan/gitops.js';
import { appInputs, touches } from '../../src/plan/inputs.js';
import { deployment, envRepoFiles, kustomization } from '../helpers/fixtures.js';

describe('discoverApps', () => {
  it('finds kustomize, helm and plain apps under an environment path; a kustomization owns only the folders it references', () => {
    const v = view({
      'envs/prod/web/kustomization.yaml': kustomization('resources: [deploy.yaml, local/base, files/cm.yaml]\n'),
      'envs/prod/web/deploy.yaml': deployment('web'),
      'envs/prod/web/local/base/kustomization.yaml': kustomization('resources: [d.yaml]\n'),
      'envs/prod/web/local/base/d.yaml': deployment('base'),
      'envs/prod/web/files/cm.yaml': deployment('cm'),
      'envs/prod/web/extra/nested.yaml': deployment('nested'),
      'envs/prod/chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 1.0.0\n',
      'envs/prod/chart/templates/d.yaml': deployment('c'),
      'envs/prod/chart/values.yaml': 'a: 1\n',
      'envs/prod/team/api/api.yaml': deployment('api'),
      'envs/prod/notes/values.yaml': 'not: kubernetes\n',
      'envs/staging/other/o.yaml': deployment('o'),
    });
    const apps = discoverApps({ name: 'prod', path: 'envs/prod' }, v);
    expect(apps).toEqual([
      { name: 'chart', path: 'envs/prod/chart', renderer: 'helm' },
      { name: 'team/api', path: 'envs/prod/team/api', renderer: 'plain' },
      { name: 'web', path: 'envs/prod/web', renderer: 'kustomize' },
      // Below web/ but not referenced by it: deployed some other way, so an app of its own.
      { name: 'web/extra', path: 'envs/prod/web/extra', renderer: 'plain' },
    ]);
  });

  it('with no path, keeps only roots: referenced bases and the folders they read are not apps', () => {
    const files = envRepoFiles();
    delete files['.github/ferry.yml'];
    files['.github/workflows/ci.yml'] = 'on: push\njobs: {}\n';
    const apps = discoverApps({ name: 'default' }, view(files));
    expect(apps.map((a) => a.path)).toEqual(['envs/production/web', 'envs/staging/tools', 'envs/staging/web']);
  });

  it('explicit apps win over discovery; an omitted renderer is detected from the folder', () => {
    const apps = [
      { name: 'x', path: 'envs/staging/tools', renderer: 'plain' as const },
      { name: 'y', path: 'base/web' },
      { name: 'z', path: 'envs/staging/tools' },
    ];
    expect(discoverApps({ name: 'e', path: 'envs', apps }, view(envRepoFiles()))).toEqual([
      { name: 'x', path: 'envs/staging/tools', renderer: 'plain' },
      { name: 'y', path: 'base/web', renderer: 'kustomize' },
      { name: 'z', path: 'envs/staging/tools', renderer: 'plain' },
    ]);
  });
});

describe('appInputs', () => {
  const files = {
    ...envRepoFiles(),
    'components/monitoring/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [sm.yaml]\n',
    'components/monitoring/sm.yaml': 'x: 1\n',
    'envs/staging/web/kustomization.yaml': kustomization(
      'resources:\n  - ../../../base/web\ncomponents:\n  - ../../../components/monitoring\npatches:\n  - path: replicas.yaml\npatchesStrategicMerge:\n  - psm.yaml\npatchesJson6902:\n  - path: j.yaml\n    target: { kind: Deployment, name: web }\nconfigMapGenerator:\n  - name: extra\n    envs: [extra.env]\n    files: [key=data/file.txt]\nsecretGenerator:\n  - name: s\n    env: s.env\nhelmCharts:\n  - name: redis\n    valuesFile: redis-values.yaml\n',
    ),
    'envs/staging/web/psm.yaml': 'a: 1\n',
  };
  const inputs = appInputs({ name: 'web', path: 'envs/staging/web', renderer: 'kustomize' }, view(files));

  it('follows resources, components, every patch form, generators and helm values', () => {
    expect([...inputs.files].sort()).toEqual([
      // A referenced folder's own path is an input: a file there on the other side changes the app.
      'base/web',
      'base/web/config.properties',
      'base/web/deployment.yaml',
      'base/web/kustomization.yaml',
      'base/web/service.yaml',
      'components/monitoring',
      'components/monitoring/kustomization.yaml',
      'components/monitoring/sm.yaml',
      'envs/staging/web/data/file.txt',
      'envs/staging/web/extra.env',
      'envs/staging/web/j.yaml',
      'envs/staging/web/kustomization.yaml',
      'envs/staging/web/psm.yaml',
      'envs/staging/web/redis-values.yaml',
      'envs/staging/web/replicas.yaml',
      'envs/staging/web/s.env',
    ]);
    expect([...inputs.dirs]).toEqual(['envs/staging/web/charts']);
    expect(inputs.findings).toEqual([]);
  });

  it('touches: a referenced file or anything under a read folder counts; a sibling README does not', () => {
    expect(touches(inputs, ['base/web/service.yaml'])).toBe(true);
    expect(touches(inputs, ['envs/staging/web/charts/redis/values.yaml'])).toBe(true);
    expect(touches(inputs, ['base/web/README.md', 'README.md', 'envs/production/web/replicas.yaml'])).toBe(false);
  });

  it('touches: any non-documentation file directly in a kustomization folder counts (a transformer may read it)', () => {
    expect(touches(inputs, ['base/web/unreferenced-patch.yaml'])).toBe(true);
    expect(touches(inputs, ['base/web/notes/other.yaml'])).toBe(false);
  });

  it('refuses references that leave the repository', () => {
    const bad = appInputs(
      { name: 'x', path: 'x', renderer: 'kustomize' },
      view({ 'x/kustomization.yaml': kustomization('resources:\n  - ../../outside\npatches:\n  - path: /etc/passwd\n') }),
    );
    expect(bad.findings.map((f) => f.rule)).toEqual(['path-escape', 'path-escape']);
    expect([...bad.files]).toEqual(['x/kustomization.yaml']);
  });
});

describe('GitOps manifests', () => {
  it('git directory generator globs: * and ? within a folder name, [..] a character, ** any depth', () => {
    expect(matchDirGlob('addons/*', 'addons/ingress')).toBe(true);
    expect(matchDirGlob('addons/*', 'addons/ingress/base')).toBe(false);
    expect(matchDirGlob('addons/*', 'addons')).toBe(false);
    expect(matchDirGlob('apps/**', 'apps/a/b/c')).toBe(true);
    expect(matchDirGlob('apps/**/helm', 'apps/helm')).toBe(true);
    expect(matchDirGlob('apps/**/helm', 'apps/x/y/helm')).toBe(true);
    expect(matchDirGlob('apps/**/helm', 'apps/x/y/kustomize')).toBe(false);
    expect(matchDirGlob('env-[ps]?/*-app', 'env-pr/web-app')).toBe(true);
    expect(matchDirGlob('env-[!p]?/*', 'env-pr/web')).toBe(false);
    // A shape that backtracks exponentially in a regex engine: a plain answer here.
    expect(matchDirGlob('*a*a*a*a*a*b', 'a'.repeat(255))).toBe(false);
  });

  it('reads Flux and Argo CD source paths; templated, remote-chart and escaping paths are not folders', () => {
    const text = [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: a }\nspec:\n  path: ./kubernetes/apps/a/app/\n',
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: b }\nspec:\n  path: ../outside\n',
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: c }\nspec:\n  path: ./apps/${CLUSTER}\n',
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: d }\nspec:\n  sources:\n    - { repoURL: https://charts.example.com, chart: redis, path: ignored }\n    - { repoURL: https://example.com/r.git, path: platform/common }\n',
      'apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: { name: e }\nspec:\n  generators:\n    - matrix:\n        generators:\n          - git: { directories: [{ path: clusters/*/addons }, { path: clusters/old/addons, exclude: true }] }\n  template:\n    spec:\n      source: { path: "{{path}}" }\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: argoproj.io }\n',
    ].join('---\n');
    const refs = deployRefs(text)!;
    expect({ ...refs, flux: undefined, argo: undefined }).toEqual({
      paths: ['kubernetes/apps/a/app'],
      argoPaths: ['platform/common'],
      dirGlobs: ['clusters/*/addons'],
      excludeGlobs: ['clusters/old/addons'],
      flux: undefined,
      argo: undefined,
    });
    // The Argo CD objects themselves, for plan/argo.ts; Argo CD's namespace by default.
    expect(refs.argo!.map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual(['Application argocd/d', 'ApplicationSet argocd/e']);
    // The Flux Kustomizations themselves, for plan/flux.ts: all of them, as written.
    expect(refs.flux!.map((o) => `${o.kind} ${o.namespace}/${o.name} ${String(o.spec.path)}`)).toEqual([
      'Kustomization default/a ./kubernetes/apps/a/app/', 'Kustomization default/b ../outside', 'Kustomization default/c ./apps/${CLUSTER}',
    ]);
    expect(deployRefs('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n')).toBeNull();
    // An install bundle: Argo CD's CRD names its kind, indented, and has no source path.
    expect(deployRefs('apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: applications.argoproj.io }\nspec:\n  group: argoproj.io\n  names:\n    kind: Application\n')).toBeNull();
  });

  it('a folder a Flux Kustomization deploys is an app even when a kustomization also includes it', () => {
    const v = view({
      'clusters/prod/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: a }\nspec:\n  path: ./shared/netpol\n',
      'shared/netpol/kustomization.yaml': kustomization('resources: [np.yaml]\n'),
      'shared/netpol/np.yaml': deployment('np'),
      'overlays/prod/kustomization.yaml': kustomization('resources: [../../shared/netpol]\n'),
    });
    expect(discoverApps({ name: 'default' }, v).map((a) => `${a.path}:${a.renderer}`)).toEqual([
      'clusters/prod:plain',
      'overlays/prod:kustomize',
      'shared/netpol:kustomize',
    ]);
    // Under an environment path, only its own folders are apps.
    expect(discoverApps({ name: 'prod', path: 'overlays' }, v).map((a) => a.path)).toEqual(['overlays/prod']);
  });
});

describe('discovery cost', () => {
  it('reads each kustomization once, however long a chain of bases (work linear in the repository)', () => {
    const files: Record<string, string> = {};
    const n = 300;
    for (let i = 0; i < n; i++) {
      files[`k${i}/kustomization.yaml`] = kustomization(i + 1 < n ? `resources:\n  - ../k${i + 1}\n  - cm.yaml\n` : 'resources:\n  - cm.yaml\n');
      files[`k${i}/cm.yaml`] = deployment(`d${i}`);
    }
    const v = view(files);
    const reads = new Map<string, number>();
    const counted: TreeView = { ...v, read: (p) => (reads.set(p, (reads.get(p) ?? 0) + 1), v.read(p)) };
    expect(discoverApps({ name: 'default' }, counted).map((a) => a.path)).toEqual(['k0']);
    const perKustomization = [...reads].filter(([p]) => p.endsWith('kustomization.yaml')).map(([, c]) => c);
    expect(perKustomization).toHaveLength(n);
    expect(Math.max(...perKustomization)).toBe(1);
  });
});
