/**
 * Argo CD app-of-apps whose parent is rendered: a chart (or a kustomization) whose output
 * holds Applications. Each is an app of its own, planned when its Application changes in
 * the parent's output or when a file it reads changes; cycles and nesting are bounded.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { deployment } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { appOf, argoApp } from '../helpers/argo.js';
import { applicationsIn } from '../../src/plan/app-of-apps.js';

const config = (render = '') => `environments:\n  - name: prod\nrender:\n  helm: ${TEST_HELM}\n${render}validate:\n  kubernetesVersion: "1.31"\n`;
const CONFIG = config();
const REPO_URL = 'https://git.example.com/org/gitops.git';
const NP = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: web\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n';

/** A chart whose templates make one Application per entry of `.Values.apps`. */
function appsChart(dir: string, apps: { name: string; path: string }[]): Record<string, string> {
  return {
    [`${dir}/Chart.yaml`]: `apiVersion: v2\nname: ${dir.split('/').pop()}\nversion: 0.1.0\n`,
    [`${dir}/values.yaml`]: `apps:\n${apps.map((a) => `  - name: ${a.name}\n    path: ${a.path}\n`).join('')}`,
    [`${dir}/templates/apps.yaml`]: `{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ .name }}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${REPO_URL}
    path: {{ .path }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ .name }}
{{- end }}
`,
  };
}

/**
 * An ApplicationSet template of a chart: a list generator of `elements` (YAML list items,
 * indented for it) and `extra` generators, making one Application per element from
 * tools/<name>. Argo CD's own {{name}} is written through helm's escaping.
 */
function toolsSet(elements: string, extra = ''): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: tools
  namespace: argocd
spec:
  generators:
    - list:
        elements:
${elements}${extra}  template:
    metadata:
      name: '{{ "{{name}}" }}'
    spec:
      project: default
      source:
        repoURL: ${REPO_URL}
        path: 'tools/{{ "{{name}}" }}'
      destination:
        namespace: '{{ "{{name}}" }}'
`;
}

const rootApp = (name: string, chartPath: string) => argoApp(name, `  source:\n    repoURL: ${REPO_URL}\n    path: ${chartPath}\n  destination:\n    namespace: argocd\n`);

const REPO = {
  '.github/ferry.yml': CONFIG,
  'argocd/root.yaml': rootApp('root', 'apps/root'),
  ...appsChart('apps/root', [{ name: 'guestbook', path: 'apps/guestbook' }, { name: 'web', path: 'apps/web' }]),
  'apps/guestbook/deployment.yaml': deployment('guestbook'),
  'apps/guestbook-v2/deployment.yaml': deployment('guestbook-v2'),
  'apps/web/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'apps/web/deployment.yaml': deployment('web'),
};

async function planChange(files: Record<string, string>, change: Record<string, string>, opts: { validateOnly?: boolean } = {}): Promise<Plan> {
  const r = new TestRepo().write(files);
  const base = r.commit('base');
  r.write(change);
  const head = r.commit('change');
  return plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') }, opts.validateOnly);
}

const names = (p: Plan) => p.environments.flatMap((e) => e.apps.map((a) => a.name)).sort();
const changesOf = (p: Plan, app: string) => (appOf(p, app)?.changes ?? []).map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`).sort();

describe('a Helm chart of Applications', () => {
  it('each Application of the chart is an app, rendered with its destination namespace, when the parent is added', async () => {
    const chart = appsChart('apps/root', [{ name: 'guestbook', path: 'apps/guestbook' }, { name: 'web', path: 'apps/web' }]);
    const rest = Object.fromEntries(Object.entries(REPO).filter(([f]) => f !== 'argocd/root.yaml' && !(f in chart)));
    const p = await planChange(rest, { 'argocd/root.yaml': REPO['argocd/root.yaml'], ...chart });
    // The folder holding root.yaml is a plain app; the chart is new with its parent.
    expect(names(p)).toEqual(['argocd', 'argocd/guestbook', 'argocd/root', 'argocd/web']);
    expect(p.environments.flatMap((e) => e.apps).flatMap((a) => a.changes).filter((c) => c.action === 'removed')).toEqual([]);
    expect(changesOf(p, 'argocd/root')).toEqual(['added Application/argocd/guestbook', 'added Application/argocd/web']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['added Deployment/guestbook/guestbook']);
    expect(changesOf(p, 'argocd/web')).toEqual(['added Deployment/web/web']);
    expect(appOf(p, 'argocd/web')!.renderer).toBe('kustomize');
  });

  it('a parent added over a chart folder that was an app of its own: paired with it, its unchanged Applications are not added', async () => {
    const { 'argocd/root.yaml': root, ...rest } = REPO;
    const p = await planChange(rest, { 'argocd/root.yaml': root });
    // The chart folder, now rendered under argocd/root, is not an app of its own any more:
    // its render at base is argocd/root's base. It made the same Applications, so they are
    // neither added nor removed, and their folders are not rendered.
    expect(names(p)).toEqual(['argocd', 'argocd/root']);
    expect(changesOf(p, 'argocd/root')).toEqual([]);
    expect(changesOf(p, 'argocd')).toEqual(['added Application/argocd/root']);
  });

  it('a change in a child\'s folder plans that child only: the folder is not an app of its own, the other child is not rendered', async () => {
    const p = await planChange(REPO, { 'apps/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    expect(names(p)).toEqual(['argocd/web']);
    expect(changesOf(p, 'argocd/web')).toEqual(['changed Deployment/web/web']);
  });

  it('a values change in the parent that flips a child\'s path plans the parent and that child', async () => {
    const p = await planChange(REPO, {
      'apps/root/values.yaml': 'apps:\n  - name: guestbook\n    path: apps/guestbook-v2\n  - name: web\n    path: apps/web\n',
    });
    expect(names(p)).toEqual(['argocd/guestbook', 'argocd/root']);
    expect(changesOf(p, 'argocd/root')).toEqual(['changed Application/argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['added Deployment/guestbook/guestbook-v2', 'removed Deployment/guestbook/guestbook']);
  });

  it('an Application removed from the parent\'s values is planned as removed', async () => {
    const p = await planChange(REPO, { 'apps/root/values.yaml': 'apps:\n  - name: web\n    path: apps/web\n' });
    expect(names(p)).toEqual(['argocd/guestbook', 'argocd/root']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['removed Deployment/guestbook/guestbook']);
  });

  it('removing the parent plans its Applications as removed', async () => {
    const r = new TestRepo().write(REPO);
    const base = r.commit('base');
    r.remove('argocd/root.yaml', 'apps/root');
    const head = r.commit('remove the app of apps');
    const p = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') });
    expect(names(p)).toEqual(['argocd', 'argocd/guestbook', 'argocd/root', 'argocd/web']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['removed Deployment/guestbook/guestbook']);
    expect(changesOf(p, 'argocd/web')).toEqual(['removed Deployment/web/web']);
  });

  it('validate renders every Application of the chart', async () => {
    const p = await planChange(REPO, { 'apps/web/deployment.yaml': deployment('web', { replicas: 3 }) }, { validateOnly: true });
    // apps/guestbook-v2 is a folder no Application renders: a plain app, as before.
    expect(names(p)).toEqual(['apps/guestbook-v2', 'argocd', 'argocd/guestbook', 'argocd/root', 'argocd/web']);
    expect(appOf(p, 'argocd/guestbook')!.resources).toBe(1);
  });

  it('a chart folder app (no written parent) is a parent too', async () => {
    const { 'argocd/root.yaml': _root, ...rest } = REPO;
    const p = await planChange(rest, { 'apps/guestbook/deployment.yaml': deployment('guestbook', { image: 'nginx:1.28.0' }) });
    expect(names(p)).toEqual(['argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['changed Deployment/guestbook/guestbook']);
  });

  it('render.argo: false leaves rendered Applications alone', async () => {
    const p = await planChange({ ...REPO, '.github/ferry.yml': config('  argo: false\n') }, { 'apps/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    expect(names(p)).toEqual(['apps/web']);
  });
});

describe('ApplicationSets in a rendered output', () => {
  it('are expanded, and each Application they make is an app', async () => {
    // The chart writes Argo CD's own {{name}} through helm's escaping.
    const p = await planChange({
      ...REPO,
      'apps/root/templates/set.yaml': toolsSet('          - name: tool-a\n'),
      'tools/tool-a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tool-a\n',
    }, { 'tools/tool-a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tool-a\ndata:\n  a: "1"\n' });
    expect(names(p)).toEqual(['argocd/tool-a']);
    expect(changesOf(p, 'argocd/tool-a')).toEqual(['changed ConfigMap/tool-a/tool-a']);
  });
});

describe('an ApplicationSet in a rendered output that Ferry cannot fully expand at head', () => {
  it('leaves the Applications it made at base unknown, not removed, and the set broken by the PR is an error naming them', async () => {
    const r = new TestRepo().write({
      ...REPO,
      'apps/root/templates/set.yaml': toolsSet('          - name: tool-a\n          - name: tool-b\n'),
      'tools/tool-a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tool-a\n',
      'tools/tool-b/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tool-b\n',
    });
    const base = r.commit('base');
    // tool-b leaves the list, and a cluster generator (not expanded offline) joins the set.
    r.write({ 'apps/root/templates/set.yaml': toolsSet('          - name: tool-a\n', '    - clusters: {}\n') });
    const p = await plan({ repo: r.dir, base, head: r.commit('cluster generator'), cacheDir: tempDir('ferry-cache-') });
    const b = appOf(p, 'argocd/tool-b')!;
    expect(b.status).toBe('skipped');
    expect(b.changes).toEqual([]);
    expect(b.findings.map((f) => `${f.severity} ${f.message}`)).toEqual([expect.stringMatching(/^error may be removed: ApplicationSet argocd\/tools made this Application at base, and no longer expands fully at head/)]);
    // A cluster generator alone would be a warning: the set that expanded at base and no longer does is an error naming what may go.
    expect(p.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([
      'apps/root/templates/set.yaml: ApplicationSet argocd/tools expanded fully at base but not at head (see its other findings), so the plan cannot tell which of its Applications Argo CD would keep; this Application it made at base is not listed at head and may be removed: argocd/tool-b',
    ]);
  });
});

describe('applicationsIn', () => {
  it('keeps the file a template names inside the repository (a template can print its own "# Source:")', () => {
    const res = (file: string) => ({
      id: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: null, name: 'x' },
      object: { spec: { source: { path: 'a' } } }, source: { file, line: null },
    });
    expect(applicationsIn([res('../../etc/passwd'), res('apps/root/templates/a.yaml')], 'argocd/root.yaml').map((f) => `${f.file} ${f.object.namespace}`))
      .toEqual(['argocd/root.yaml argocd', 'apps/root/templates/a.yaml argocd']);
  });
});

describe('bounds', () => {
  it('an Application in its own output, or in an app it makes, is a finding and is not followed again', async () => {
    const p = await planChange({
      '.github/ferry.yml': CONFIG,
      'apps/a/deployment.yaml': deployment('a'),
    }, {
      'argocd/root.yaml': rootApp('root', 'apps/root'),
      // root makes itself and `loop`; loop's chart makes root again.
      ...appsChart('apps/root', [{ name: 'root', path: 'apps/root' }, { name: 'loop', path: 'apps/loop' }]),
      ...appsChart('apps/loop', [{ name: 'root', path: 'apps/root' }, { name: 'a', path: 'apps/a' }]),
    });
    expect(names(p)).toEqual(['argocd', 'argocd/a', 'argocd/loop', 'argocd/root']);
    const msgs = p.findings.filter((f) => f.rule === 'argo-application').map((f) => `${f.severity} ${f.message}`);
    expect(msgs).toContain('info Application argocd/root is in its own rendered output (it manages itself); it is not followed again');
    expect(msgs).toContain('warning Application argocd/root is in the rendered output of an app it makes (argocd/root → argocd/loop → argocd/root): a cycle, not followed');
  });

  it('more than 5,000 Applications or 20 ApplicationSets in one output are cut, with a warning', async () => {
    const p = await planChange({
      ...REPO,
      'apps/root/templates/many.yaml': `{{- range until 5001 }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: many-{{ . }}
  namespace: argocd
spec:
  source: { repoURL: ${REPO_URL}, path: apps/guestbook }
  destination: { namespace: many }
{{- end }}
{{- range until 21 }}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: set-{{ . }}
  namespace: argocd
spec:
  generators: [{ list: { elements: [{ n: "{{ . }}" }] } }]
  template:
    metadata: { name: 'from-set-{{ . }}' }
    spec:
      source: { repoURL: ${REPO_URL}, path: apps/guestbook }
      destination: { namespace: many }
{{- end }}
`,
    }, { 'README.md': 'hello\n' });
    expect(names(p)).toEqual([]);
    const warnings = p.findings.filter((f) => f.severity === 'warning' && f.file === 'argocd/root.yaml').map((f) => f.message);
    expect(warnings).toContain('argocd/root\'s rendered output holds more than 20 ApplicationSets; only the first 20 are expanded');
    expect(warnings).toContain('argocd/root\'s rendered output holds more than 5000 Applications; only the first 5000 are planned');
    // Cut to 5,000 (the 20 sets' Applications among them), so the environment's own cap is not reached.
    expect(p.findings.some((f) => f.message.includes('Applications in rendered outputs of one environment'))).toBe(false);
  });

  it(`Applications more than 3 levels below a written app are a finding, not planned`, async () => {
    const p = await planChange({ '.github/ferry.yml': CONFIG, 'apps/leaf/deployment.yaml': deployment('leaf') }, {
      'argocd/root.yaml': rootApp('root', 'apps/l0'),
      ...appsChart('apps/l0', [{ name: 'one', path: 'apps/l1' }]),
      ...appsChart('apps/l1', [{ name: 'two', path: 'apps/l2' }]),
      ...appsChart('apps/l2', [{ name: 'three', path: 'apps/l3' }]),
      ...appsChart('apps/l3', [{ name: 'four', path: 'apps/leaf' }]),
    });
    expect(names(p)).toEqual(['argocd', 'argocd/one', 'argocd/root', 'argocd/three', 'argocd/two']);
    expect(changesOf(p, 'argocd/three')).toEqual(['added Application/argocd/four']);
    expect(p.findings.some((f) => f.severity === 'warning' && f.file === 'apps/l2/templates/apps.yaml'
      && f.message === 'argocd/three\'s rendered output holds Argo CD Applications 3 levels below a written app; they are not planned')).toBe(true);
  });
});

describe('a kustomization of Applications', () => {
  it('a patched Application is planned as the parent renders it', async () => {
    const p = await planChange({
      '.github/ferry.yml': 'environments:\n  - name: prod\n    path: envs/prod\n',
      'envs/prod/root.yaml': argoApp('root-prod', `  source:\n    repoURL: ${REPO_URL}\n    path: envs/prod/apps\n  destination:\n    namespace: argocd\n`),
      'envs/prod/apps/kustomization.yaml': 'resources:\n  - ../../../base/apps\npatches:\n  - target: { kind: Application, name: guestbook }\n    patch: |\n      - op: replace\n        path: /spec/source/path\n        value: apps/guestbook-prod\n',
      'base/apps/kustomization.yaml': 'resources:\n  - guestbook.yaml\n',
      'base/apps/guestbook.yaml': argoApp('guestbook', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/guestbook\n  destination:\n    namespace: guestbook\n`),
      'apps/guestbook/deployment.yaml': deployment('guestbook'),
      'apps/guestbook-prod/deployment.yaml': deployment('guestbook'),
    }, { 'apps/guestbook-prod/deployment.yaml': deployment('guestbook', { replicas: 4 }) });
    expect(names(p)).toEqual(['argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['changed Deployment/guestbook/guestbook']);
  });
});

describe('a folder an Application now renders', () => {
  it('a plain folder app taken over by a new Application is paired with it, not planned as removed', async () => {
    const p = await planChange({ '.github/ferry.yml': CONFIG, 'apps/web/deployment.yaml': deployment('web') }, {
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/web\n  destination:\n    namespace: web\n`),
    });
    expect(names(p)).toEqual(['argocd', 'argocd/web']);
    // Paired with the folder's render at base: the Deployment the folder applied without a namespace is now in the destination's.
    expect(changesOf(p, 'argocd/web')).toEqual(['added Deployment/web/web', 'removed Deployment/null/web']);
  });

  /**
   * Attack: a PR deletes a NetworkPolicy from a plain folder app and, in the same PR, adds
   * an Application over that folder. Were the folder app (base only) dropped, the
   * Application would be planned as "added" with what the folder holds at head, and the
   * removal of the NetworkPolicy would appear nowhere in the plan.
   */
  it('a folder handed over to a new Application in the same PR that removes a resource from it: the removal shows, what stays is not added', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'apps/web/deployment.yaml': deployment('web', { namespace: 'web' }), 'apps/web/np.yaml': NP });
    const base = r.commit('base');
    r.remove('apps/web/np.yaml');
    r.write({ 'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/web\n  destination:\n    namespace: web\n`) });
    const p = await plan({ repo: r.dir, base, head: r.commit('hand over'), cacheDir: tempDir('ferry-cache-') });
    expect(names(p)).toEqual(['argocd', 'argocd/web']);
    expect(changesOf(p, 'argocd/web')).toEqual(['removed NetworkPolicy/web/deny-all']);
    expect(appOf(p, 'argocd/web')!.findings.map((f) => f.message)).toContain("argocd/web renders apps/web, which was an app of its own at base: the folder's render at base is diffed against the Application's at head");
  });

  it('the Application deleted and its folder kept, in a PR that adds a resource to the folder: the addition shows, what stays is not removed', async () => {
    const web = argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/web\n  destination:\n    namespace: web\n`);
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'argocd/web.yaml': web, 'argocd/other.yaml': web.replace(/web/g, 'other'), 'apps/other/deployment.yaml': deployment('other'), 'apps/web/deployment.yaml': deployment('web', { namespace: 'web' }) });
    const base = r.commit('base');
    r.remove('argocd/web.yaml');
    r.write({ 'apps/web/np.yaml': NP });
    const p = await plan({ repo: r.dir, base, head: r.commit('hand back'), cacheDir: tempDir('ferry-cache-') });
    expect(names(p)).toEqual(['apps/web', 'argocd']);
    expect(changesOf(p, 'apps/web')).toEqual(['added NetworkPolicy/web/deny-all']);
    expect(changesOf(p, 'argocd')).toEqual(['removed Application/argocd/web']);
  });

  it('folders handed over to one Application together are each planned as removed, with a note: a removal in one of them shows', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'apps/web/deployment.yaml': deployment('web', { namespace: 'web' }), 'apps/web/np.yaml': NP, 'apps/api/deployment.yaml': deployment('api', { namespace: 'web' }) });
    const base = r.commit('base');
    r.remove('apps/web/np.yaml');
    r.write({ 'argocd/all.yaml': argoApp('all', `  source:\n    repoURL: ${REPO_URL}\n    path: apps\n    directory:\n      recurse: true\n  destination:\n    namespace: web\n`) });
    const p = await plan({ repo: r.dir, base, head: r.commit('one Application for all'), cacheDir: tempDir('ferry-cache-') });
    expect(names(p)).toEqual(['apps/api', 'apps/web', 'argocd', 'argocd/all']);
    expect(changesOf(p, 'apps/web')).toEqual(['removed Deployment/web/web', 'removed NetworkPolicy/web/deny-all']);
    expect(changesOf(p, 'argocd/all')).toEqual(['added Deployment/web/api', 'added Deployment/web/web']);
    expect(appOf(p, 'apps/web')!.findings.map((f) => f.message).join('\n')).toMatch(/could not pair it with/);
  });

  it('the parent removed and its chart kept: the chart, an app of its own again, is paired with the parent and its Applications stay', async () => {
    const r = new TestRepo().write(REPO);
    const base = r.commit('base');
    r.remove('argocd/root.yaml');
    const p = await plan({ repo: r.dir, base, head: r.commit('remove the root Application'), cacheDir: tempDir('ferry-cache-') });
    // The chart folder renders the same Applications the parent did: nothing under them changed.
    expect(names(p)).toEqual(['apps/root', 'argocd']);
    expect(changesOf(p, 'apps/root')).toEqual([]);
    expect(changesOf(p, 'argocd')).toEqual(['removed Application/argocd/root']);
  });

  it('a folder deleted in the same PR is still removed', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'apps/web/deployment.yaml': deployment('web') });
    const base = r.commit('base');
    r.remove('apps/web');
    r.write({ 'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/web\n  destination:\n    namespace: web\n`) });
    const p = await plan({ repo: r.dir, base, head: r.commit('move'), cacheDir: tempDir('ferry-cache-') });
    expect(changesOf(p, 'apps/web')).toEqual(['removed Deployment/null/web']);
  });
});

/** A chart folder holding only Chart.yaml and `files`. */
const chart = (dir: string, files: Record<string, string>) => ({
  [`${dir}/Chart.yaml`]: `apiVersion: v2\nname: ${dir.split('/').pop()}\nversion: 0.1.0\n`,
  ...Object.fromEntries(Object.entries(files).map(([f, body]) => [`${dir}/${f}`, body])),
});
const GUESTBOOK = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'guestbook', namespace: 'argocd' }, spec: { project: 'default', source: { repoURL: REPO_URL, path: 'apps/guestbook' }, destination: { namespace: 'guestbook' } } };
const GUESTBOOK_YAML = argoApp('guestbook', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/guestbook\n  destination:\n    namespace: guestbook\n`);
const CHILD_CHANGE = { 'apps/guestbook/deployment.yaml': deployment('guestbook', { replicas: 3 }) };
const PARENT_BASE = { '.github/ferry.yml': CONFIG, 'argocd/root.yaml': rootApp('root', 'apps/root'), 'apps/guestbook/deployment.yaml': deployment('guestbook') };

describe('parents whose Applications are not written as YAML templates', () => {
  /**
   * Attack: the chart prints `kind: {{ "Application" }}`, so no file holds both
   * `argoproj.io` and a literal `kind: Application`. The pre-check says the chart makes no
   * Application; were it trusted for a parent the plan renders anyway, the Application it
   * renders would never be followed, and what it deploys would not be planned.
   */
  it('a planned chart that templates the word Application: its real output is looked at, the child is planned', async () => {
    const templated = appsChart('apps/root', [{ name: 'guestbook', path: 'apps/guestbook' }]);
    templated['apps/root/templates/apps.yaml'] = templated['apps/root/templates/apps.yaml']!.replace('kind: Application', 'kind: {{ "Application" }}');
    const p = await planChange({ ...PARENT_BASE, ...appsChart('apps/root', []) }, templated);
    expect(names(p)).toEqual(['argocd/guestbook', 'argocd/root']);
    expect(changesOf(p, 'argocd/root')).toEqual(['added Application/argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['added Deployment/guestbook/guestbook']);
  });

  it('a planned chart whose output holds no Application (looked at, let go) is planned as usual', async () => {
    const plainChart = { 'apps/root/Chart.yaml': 'apiVersion: v2\nname: root\nversion: 0.1.0\n', 'apps/root/templates/web.yaml': deployment('root', { namespace: 'argocd' }) };
    const r = new TestRepo().write({ ...PARENT_BASE, ...plainChart });
    const base = r.commit('base');
    r.write({ 'apps/root/templates/web.yaml': deployment('root', { namespace: 'argocd', replicas: 2 }) });
    const p = await plan({ repo: r.dir, base, head: r.commit('scale'), cacheDir: tempDir('ferry-cache-') });
    expect(names(p)).toEqual(['argocd/root']);
    expect(changesOf(p, 'argocd/root')).toEqual(['changed Deployment/argocd/root']);
  });

  it('a chart whose template is JSON is followed', async () => {
    const p = await planChange({ ...PARENT_BASE, ...chart('apps/root', { 'templates/apps.json': JSON.stringify(GUESTBOOK, null, 2) }) }, CHILD_CHANGE);
    expect(names(p)).toEqual(['argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['changed Deployment/guestbook/guestbook']);
  });

  it('a chart that prints its values through tpl is followed (values in the chart, or in the Application)', async () => {
    const values = `app: |\n${GUESTBOOK_YAML.replace(/^/gm, '  ')}`;
    const p = await planChange({ ...PARENT_BASE, ...chart('apps/root', { 'values.yaml': values, 'templates/apps.yaml': '{{ tpl .Values.app . }}\n' }) }, CHILD_CHANGE);
    expect(names(p)).toEqual(['argocd/guestbook']);
    const inApp = await planChange({
      ...PARENT_BASE,
      'argocd/root.yaml': argoApp('root', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/root\n    helm:\n      values: |\n${values.replace(/^/gm, '        ')}  destination:\n    namespace: argocd\n`),
      ...chart('apps/root', { 'values.yaml': 'app: ""\n', 'templates/apps.yaml': '{{ tpl .Values.app . }}\n' }),
    }, CHILD_CHANGE);
    expect(names(inApp)).toEqual(['argocd/guestbook']);
    const inValuesFile = await planChange({
      ...PARENT_BASE,
      'argocd/root.yaml': argoApp('root', `  source:\n    repoURL: ${REPO_URL}\n    path: apps/root\n    helm:\n      valueFiles: [../../values/root.yaml]\n  destination:\n    namespace: argocd\n`),
      'values/root.yaml': values,
      ...chart('apps/root', { 'values.yaml': 'app: ""\n', 'templates/apps.yaml': '{{ tpl .Values.app . }}\n' }),
    }, CHILD_CHANGE);
    expect(names(inValuesFile)).toEqual(['argocd/guestbook']);
  });

  it('a parent that does not render is a finding saying its Applications could not be listed', async () => {
    const p = await planChange({
      ...PARENT_BASE,
      ...chart('apps/root', { 'templates/apps.yaml': GUESTBOOK_YAML, 'templates/broken.yaml': '{{ fail "broken on purpose" }}\n' }),
    }, CHILD_CHANGE);
    // Its child is not known: the folder is planned as an app of its own, and the plan says why.
    expect(names(p)).toEqual(['apps/guestbook']);
    const f = p.findings.find((x) => x.file === 'argocd/root.yaml' && x.rule === 'argo-application');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toMatch(/^argocd\/root may make Argo CD Applications, but its render failed \(.*broken on purpose.*\): the Applications it makes could not be listed and are not planned$/);
  });
});

describe('a kustomization inflating a chart of Applications (helmCharts)', () => {
  const KROOT = {
    '.github/ferry.yml': CONFIG,
    'apps/kroot/kustomization.yaml': 'helmCharts:\n  - name: appschart\n    releaseName: root\n',
    ...chart('apps/kroot/charts/appschart', { 'values.yaml': 'path: apps/guestbook\n', 'templates/apps.yaml': GUESTBOOK_YAML.replace('path: apps/guestbook', 'path: {{ .Values.path }}') }),
    'apps/guestbook/deployment.yaml': deployment('guestbook'),
  };

  it('is followed as a parent', async () => {
    const p = await planChange(KROOT, CHILD_CHANGE);
    expect(names(p)).toEqual(['argocd/guestbook']);
    expect(changesOf(p, 'argocd/guestbook')).toEqual(['changed Deployment/guestbook/guestbook']);
  });

  it('is followed under the Application rendering it', async () => {
    const p = await planChange({ ...KROOT, 'argocd/root.yaml': rootApp('root', 'apps/kroot') }, CHILD_CHANGE);
    expect(names(p)).toEqual(['argocd/guestbook']);
  });
});

describe('renders made only to list children', () => {
  it('are not held until the plan ends', async () => {
    const r = new TestRepo().write(REPO);
    const base = r.commit('base');
    r.write({ 'apps/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    let held: number | undefined;
    const p = await plan({ repo: r.dir, base, head: r.commit('scale'), cacheDir: tempDir('ferry-cache-') }, false, undefined, { measured: (m) => (held = m.rendersHeld) });
    // argocd/root was rendered to list its Applications, and is not planned itself.
    expect(names(p)).toEqual(['argocd/web']);
    expect(held).toBe(0);
  });
});
