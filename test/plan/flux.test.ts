/**
 * Flux Kustomizations as apps: rendered as Flux applies them (spec.path built with the
 * object's own options, then postBuild substitution and commonMetadata), named after the
 * object, and planned when anything they read changes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { deployment, service } from '../helpers/fixtures.js';
import { CORPUS as SHARED_CORPUS, hasCorpus } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = 'environments:\n  - name: staging\n    path: clusters/staging\n';

function fluxKs(name: string, spec: string, namespace = 'flux-system'): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: flux-system
${spec}`;
}

const WEB_CM = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  greeting: "\${GREETING}"
  region: "\${REGION:=eu-west-1}"
  tier: "\${TIER:-gold}"
  literal: "$\${KEEP}"
  token: "\${TOKEN}"
`;

const COMPONENT = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        replicas: 3
`;

function baseFiles(): Record<string, string> {
  return {
    '.github/ferry.yml': CONFIG,
    'apps/web/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n  - settings.yaml\n',
    'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.0' }),
    'apps/web/service.yaml': service('web'),
    'apps/web/settings.yaml': WEB_CM,
    'apps/web/components/ha/kustomization.yaml': COMPONENT,
    'clusters/staging/vars.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  GREETING: hello
  TIER: ""
  REGION: ap-south-1
`,
    'clusters/staging/secret-vars.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
stringData:
  TOKEN: s3cr3t-t0ken-value
`,
  };
}

const KS_SPEC = `  path: ./apps/web
  prune: true
  targetNamespace: web-staging
  namePrefix: pre-
  nameSuffix: -suf
  images:
    - name: nginx
      newTag: "1.27.1"
  components:
    - components/ha
  patches:
    - patch: |
        - op: add
          path: /metadata/labels
          value: { patched: "yes" }
      target:
        kind: Service
  commonMetadata:
    labels:
      team: platform
    annotations:
      owner: ops
  postBuild:
    substitute:
      REGION: us-east-2
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
      - kind: Secret
        name: cluster-secrets
`;

const appOf = (p: Plan, name: string): AppPlan | undefined => p.environments[0]!.apps.find((a) => a.name === name);

/** The objects of an app's `added` changes, read back from their diffs. */
function addedObjects(app: AppPlan): Record<string, unknown>[] {
  return app.changes
    .filter((c) => c.action === 'added')
    .map((c) => parse(c.diff!.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n')) as Record<string, unknown>);
}

function kustomize(dir: string): Record<string, unknown>[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>);
}

/** Sorted by identity, so two renders compare regardless of order. */
function normalized(objs: Record<string, unknown>[]): Record<string, unknown>[] {
  const id = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as Record<string, unknown>).name)}`;
  return [...objs].sort((a, b) => (id(a) < id(b) ? -1 : 1));
}

describe('a Flux Kustomization with every option', () => {
  it('renders what Flux applies, equal to kubectl kustomize of the same overlay plus substitution', async () => {
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('apps');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', KS_SPEC) });
    const head = r.commit('flux kustomization');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'flux-system/web')!;
    expect(app).toBeDefined();
    expect(app.path).toBe('apps/web');
    expect(app.status).toBe('rendered');

    // The same build by hand: an overlay over the folder, then Flux's substitution and metadata.
    const hand = tempDir('ferry-flux-hand-');
    cpSync(path.join(r.dir, 'apps'), path.join(hand, 'apps'), { recursive: true });
    mkdirSync(path.join(hand, 'overlay'));
    writeFileSync(path.join(hand, 'overlay/kustomization.yaml'), `resources: [../apps/web]
namespace: web-staging
namePrefix: pre-
nameSuffix: -suf
images: [{ name: nginx, newTag: "1.27.1" }]
components: [../apps/web/components/ha]
patches:
  - patch: '[{"op": "add", "path": "/metadata/labels", "value": {"patched": "yes"}}]'
    target: { kind: Service }
`);
    const expected = kustomize(path.join(hand, 'overlay')).map((o) => {
      const meta = o.metadata as Record<string, Record<string, string>>;
      meta.labels = { ...meta.labels, team: 'platform' };
      meta.annotations = { ...meta.annotations, owner: 'ops' };
      if (o.kind === 'ConfigMap') {
        // substitute wins over substituteFrom; := and :- defaults apply to unset or empty values; $$ escapes.
        o.data = { greeting: 'hello', region: 'us-east-2', tier: 'gold', literal: '${KEEP}', token: '(masked)' };
      }
      return o;
    });
    expect(normalized(addedObjects(app))).toEqual(normalized(expected));
    // Spot checks that the comparison above is not vacuous.
    const names = addedObjects(app).map((o) => (o.metadata as Record<string, string>).name).sort();
    expect(names).toEqual(['pre-web-settings-suf', 'pre-web-suf', 'pre-web-suf']);
    const dep = addedObjects(app).find((o) => o.kind === 'Deployment') as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0]!.image).toBe('nginx:1.27.1');
  });

  it('never shows a Secret-sourced value, in diffs or findings', async () => {
    const r = new TestRepo().write({ ...baseFiles(), 'clusters/staging/web.yaml': fluxKs('web', KS_SPEC) });
    const base = r.commit('base');
    r.write({ 'clusters/staging/secret-vars.yaml': baseFiles()['clusters/staging/secret-vars.yaml']!.replace('s3cr3t-t0ken-value', 'n3w-t0ken-value') });
    const head = r.commit('rotate');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const text = JSON.stringify(p);
    expect(text).not.toMatch(/s3cr3t|n3w-t0ken/);
    // The Secret file is an input of the Kustomization: it is planned.
    expect(appOf(p, 'flux-system/web')).toBeDefined();
  });

  it('reports a variable with no value as unsubstituted, not as a schema error', async () => {
    const spec = KS_SPEC.replace(/  postBuild:[\s\S]*$/, '  postBuild:\n    substitute:\n      OTHER: x\n');
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('apps');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', spec) });
    const head = r.commit('flux');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'flux-system/web')!;
    const unset = app.findings.filter((f) => f.rule === 'flux-unsubstituted-variable').map((f) => f.message);
    expect(unset.join('\n')).toMatch(/\$\{GREETING\}/);
    expect(unset.join('\n')).toMatch(/\$\{TOKEN\}/);
    expect(unset.join('\n')).not.toMatch(/REGION|TIER|KEEP/);
    expect(app.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const cm = addedObjects(app).find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(cm.data).toMatchObject({ greeting: '${GREETING}', region: 'eu-west-1', tier: 'gold' });
  });
});

describe('substitution is bounded', () => {
  it('values that expand past the plan\'s output budget are a render-limit finding, not memory', async () => {
    // 2,000 uses of a 1 KB value: 40 KB in the repository, 2 MB once substituted.
    const spec = KS_SPEC.replace(/  postBuild:[\s\S]*$/, `  postBuild:\n    substitute:\n      GREETING: ${'x'.repeat(1000)}\n`);
    const uses = Array.from({ length: 2000 }, (_, i) => `  k${i}: "\${GREETING}"`).join('\n');
    const r = new TestRepo().write({ ...baseFiles(), 'apps/web/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-settings\ndata:\n${uses}\n` });
    const base = r.commit('apps');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', spec) });
    const head = r.commit('flux');
    const before = process.env.FERRY_MAX_PLAN_OUTPUT_MB;
    process.env.FERRY_MAX_PLAN_OUTPUT_MB = '1';
    try {
      const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'flux-system/web')!;
      expect(app.status).toBe('error');
      expect(app.findings.filter((f) => f.rule === 'render-limit').map((f) => f.message)).toEqual([
        'postBuild: substituting variables in Kustomization flux-system/web makes more than 1 MiB; not planned',
      ]);
    } finally {
      if (before === undefined) delete process.env.FERRY_MAX_PLAN_OUTPUT_MB;
      else process.env.FERRY_MAX_PLAN_OUTPUT_MB = before;
    }
  });
});

describe('which Flux Kustomizations a change plans', () => {
  const files = () => ({ ...baseFiles(), 'clusters/staging/web.yaml': fluxKs('web', KS_SPEC), 'apps/other/cm.yaml': WEB_CM.replace('web-settings', 'other') });

  it.each([
    ['a file under spec.path', 'apps/web/service.yaml', (s: string) => s.replace('port: 80', 'port: 81')],
    ['a substituted ConfigMap', 'clusters/staging/vars.yaml', (s: string) => s.replace('GREETING: hello', 'GREETING: bonjour')],
    ['a component', 'apps/web/components/ha/kustomization.yaml', (s: string) => s.replace('replicas: 3', 'replicas: 4')],
    ['the Kustomization object', 'clusters/staging/web.yaml', (s: string) => s.replace('namePrefix: pre-', 'namePrefix: p2-')],
  ])('%s plans the Kustomization, with the rendered change under it', async (_what, file, edit) => {
    const r = new TestRepo().write(files());
    const base = r.commit('base');
    r.write({ [file]: edit(files()[file as keyof ReturnType<typeof files>]!) });
    const head = r.commit('edit');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'flux-system/web')!;
    expect(app).toBeDefined();
    expect(app.changes.length).toBeGreaterThan(0);
    expect(app.status).toBe('rendered');
  });

  it('a file no Kustomization reads plans none', async () => {
    const r = new TestRepo().write(files());
    const base = r.commit('base');
    r.write({ 'apps/other/cm.yaml': WEB_CM.replace('web-settings', 'other2') });
    const head = r.commit('edit');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(appOf(p, 'flux-system/web')).toBeUndefined();
  });

  it('lists the object change itself under the folder that holds it', async () => {
    const r = new TestRepo().write(files());
    const base = r.commit('base');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', KS_SPEC.replace('namePrefix: pre-', 'namePrefix: p2-')) });
    const head = r.commit('edit');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const holder = p.environments[0]!.apps.find((a) => a.changes.some((c) => c.kind === 'Kustomization' && c.name === 'web'));
    expect(holder?.path).toBe('clusters/staging');
    const web = appOf(p, 'flux-system/web')!;
    expect(web.changes.map((c) => `${c.action} ${c.name}`).sort()).toContain('added p2-web-suf');
  });
});

describe('a Flux Kustomization path', () => {
  it('leaving the repository is an error on the Kustomization', async () => {
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('apps');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', '  path: ../../etc\n') });
    const head = r.commit('escape');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'flux-system/web')!;
    expect(app.status).toBe('error');
    expect(app.findings.map((f) => f.message).join('\n')).toMatch(/leaves the repository/);
  });

  it('through a symlink out of the repository is an error too (checked by real path)', async () => {
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('apps');
    execFileSync('ln', ['-s', '/etc', path.join(r.dir, 'apps/out')]);
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', '  path: ./apps/out\n') });
    const head = r.commit('escape');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'flux-system/web')!;
    expect(app.status).toBe('error');
    expect(app.findings.map((f) => f.message).join('\n')).toMatch(/leaves the repository/);
  });

  it('without a kustomization renders every manifest below it, as Flux generates one', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'apps/plain/a.yaml': service('a'), 'apps/plain/sub/b.yaml': service('b') });
    const base = r.commit('apps');
    r.write({ 'clusters/staging/plain.yaml': fluxKs('plain', '  path: ./apps/plain\n  targetNamespace: t\n') });
    const head = r.commit('flux');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'flux-system/plain')!;
    expect(app.findings).toEqual([]);
    expect(addedObjects(app).map((o) => `${String((o.metadata as Record<string, string>).namespace)}/${String((o.metadata as Record<string, string>).name)}`).sort()).toEqual(['t/a', 't/b']);
  });

  it('render.flux: false turns it off: the folder is an app of its own again', async () => {
    const r = new TestRepo().write({ ...baseFiles(), '.github/ferry.yml': 'render:\n  flux: false\n' });
    const base = r.commit('apps');
    r.write({ 'clusters/staging/web.yaml': fluxKs('web', KS_SPEC) });
    const head = r.commit('flux');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const names = p.environments[0]!.apps.map((a) => a.name);
    expect(names).not.toContain('flux-system/web');
    expect(names).toContain('clusters/staging');
  });
});

const CORPUS = path.join(SHARED_CORPUS, 'flux2-kustomize-helm-example');

describe.skipIf(!hasCorpus('flux2-kustomize-helm-example'))('the flux2-kustomize-helm-example corpus', () => {
  it('renders each cluster\'s apps and infrastructure Kustomizations from their artifact paths', async () => {
    const r = new TestRepo();
    cpSync(CORPUS, r.dir, { recursive: true });
    r.write({ '.github/ferry.yml': 'environments:\n  - name: staging\n    path: clusters/staging\n  - name: production\n    path: clusters/production\n' });
    const head = r.commit('corpus');
    const p = await plan({ repo: r.dir, base: head, head, cacheDir }, true);
    for (const env of ['staging', 'production']) {
      const apps = p.environments.find((e) => e.name === env)!.apps;
      const byName = new Map(apps.map((a) => [a.name, a]));
      expect(byName.get('flux-system/apps')?.path).toBe(`apps/${env}`);
      expect(byName.get('flux-system/infra-controllers')?.path).toBe('infrastructure/controllers');
      expect(byName.get('flux-system/infra-configs')?.path).toBe('infrastructure/configs');
      for (const n of ['flux-system/apps', 'flux-system/infra-controllers', 'flux-system/infra-configs']) {
        expect(byName.get(n)!.status, `${env} ${n}: ${JSON.stringify(byName.get(n)!.findings)}`).toBe('rendered');
        expect(byName.get(n)!.resources).toBeGreaterThan(0);
      }
    }
  });
});

describe('a Kustomization whose source is not this repository', () => {
  it('is never silently dropped: a Bucket or OCIRepository source is a warning that it is not rendered offline', async () => {
    const other = (kind: string) => fluxKs(`from-${kind.toLowerCase()}`, '  path: ./apps/web\n').replace('kind: GitRepository\n    name: flux-system', `kind: ${kind}\n    name: artifacts`);
    const r = new TestRepo().write({ ...baseFiles(), 'clusters/staging/sources.yaml': `${other('Bucket')}---\n${other('OCIRepository')}` });
    const base = r.commit('base');
    r.write({ 'apps/web/service.yaml': service('web').replace('port: 80', 'port: 81') });
    const p: Plan = await plan({ repo: r.dir, base, head: r.commit('port'), cacheDir });
    const notes = p.findings.filter((f) => f.rule === 'flux-kustomization').map((f) => `${f.severity} ${f.file}: ${f.message}`).sort();
    expect(notes).toEqual([
      expect.stringMatching(/^warning clusters\/staging\/sources\.yaml: Kustomization flux-system\/from-bucket is not rendered offline: its source Bucket flux-system\/artifacts is object storage/),
      expect.stringMatching(/^warning clusters\/staging\/sources\.yaml: Kustomization flux-system\/from-ocirepository is not rendered offline: its source OCIRepository flux-system\/artifacts is an OCI artifact/),
    ]);
    // No app of their own: apps/web is discovered as before.
    expect(p.environments[0]!.apps.map((a) => a.name)).not.toContain('flux-system/from-bucket');
  });
});
