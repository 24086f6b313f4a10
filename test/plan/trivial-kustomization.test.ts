// Trivial kustomizations are rendered without kubectl; every other Kustomize app still
// runs it. Kubectl runs are counted at the process boundary, by the folder each builds, and
// the plans are compared with the same plans made with the in-process render switched off
// (FERRY_KUSTOMIZE_IN_PROCESS=0: every app through kubectl, as before).
import * as childProcess from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { plan } from '../../src/engine.js';
import { inProcessKustomize } from '../../src/plan/render-app.js';
import type { RenderTools } from '../../src/render/tools.js';
import type { Plan } from '../../src/types.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/** The folder of every `kubectl kustomize` started, as the sandbox's command line names it. */
const kustomizeRuns: string[] = [];
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof childProcess>();
  return {
    ...real,
    spawn: (file: string, args: readonly string[], ...rest: unknown[]) => {
      const argv = [file, ...args];
      const at = argv.findIndex((a, i) => /(^|\/)kubectl$/.test(a) && argv[i + 1] === 'kustomize');
      if (at >= 0) kustomizeRuns.push(argv[at + 2]!);
      return (real.spawn as (...a: unknown[]) => childProcess.ChildProcess)(file, args, ...rest);
    },
  };
});

/** The folders the in-process render was asked to render. */
const inProcessAttempts: string[] = [];
vi.mock('../../src/render/trivial-kustomization.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/render/trivial-kustomization.js')>();
  return {
    ...real,
    renderTrivialKustomization: (...a: Parameters<typeof real.renderTrivialKustomization>) => {
      inProcessAttempts.push(a[0]);
      return real.renderTrivialKustomization(...a);
    },
  };
});

afterEach(() => {
  delete process.env.FERRY_KUSTOMIZE_IN_PROCESS;
});

const CONFIG = 'environments:\n  - name: prod\n    path: apps\nrender:\n  kustomize: kubectl\n';
const K = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n';
const kustomization = (...files: string[]) => K + files.map((f) => `- ${f}\n`).join('');
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n';
const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${data}`;

/** Apps of `kubectl kustomize`'s own folders: the app's name from the folder a run built. */
function appsRun(): string[] {
  return [...new Set(kustomizeRuns.map((d) => path.basename(d)))].sort();
}

/** A plan as `--format json` shows it, for comparing two runs: kubectl's log timestamps in its errors masked. */
function shown(p: Plan): string {
  return JSON.stringify({ environments: p.environments, findings: p.findings }).replace(/[EIW][0-9]{4} [0-9:.]+ +[0-9]+ /g, 'TS ');
}

interface Both { fast: Plan; slow: Plan; fastRuns: string[]; slowRuns: string[]; fastCount: number; slowCount: number }

async function planBoth(r: TestRepo, base: string, head: string, validateOnly = false): Promise<Both> {
  kustomizeRuns.length = 0;
  const fast = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') }, validateOnly);
  const [fastRuns, fastCount] = [appsRun(), kustomizeRuns.length];
  kustomizeRuns.length = 0;
  process.env.FERRY_KUSTOMIZE_IN_PROCESS = '0';
  const slow = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') }, validateOnly);
  delete process.env.FERRY_KUSTOMIZE_IN_PROCESS;
  return { fast, slow, fastRuns, slowRuns: appsRun(), fastCount, slowCount: kustomizeRuns.length };
}

/** Each app folder of the fall-back table: its files (kustomization included). */
const FALLBACKS: Record<string, Record<string, string>> = {
  'other-field': { 'kustomization.yaml': `${kustomization('a.yaml')}namePrefix: x-\n`, 'a.yaml': CM },
  'two-kustomizations': { 'kustomization.yaml': kustomization('a.yaml'), 'kustomization.yml': kustomization('a.yaml'), 'a.yaml': CM },
  'other-api': { 'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Kustomization\nresources:\n- a.yaml\n', 'a.yaml': CM },
  'k-metadata': { 'kustomization.yaml': `metadata:\n  name: k\n  namespace: n\n${kustomization('a.yaml')}`, 'a.yaml': CM },
  'listed-twice': { 'kustomization.yaml': kustomization('a.yaml', './a.yaml'), 'a.yaml': CM },
  'parent-path': { 'kustomization.yaml': kustomization('../shared/a.yaml') },
  'timestamp': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  d: 2024-01-01\n') },
  'anchor': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: &x v\n  b: *x\n') },
  'tag': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: !!str 1\n') },
  'list-kind': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMapList\nmetadata:\n  name: l\nitems: []\n' },
  'kustomize-kind': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: Kustomization\nmetadata:\n  name: k\n' },
  'local-config': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/local-config: "true"\n' },
  'empty-annotations': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {}\n' },
  'number-label': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    a: 1\n' },
  'no-name': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: c-\n' },
  'no-kind': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nmetadata:\n  name: c\n' },
  'infinity': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: .inf\n') },
  'null-item': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': `${CM}spec:\n  x:\n  - null\n` },
  'quoted-octal': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm("  a: '0o-10'\n") },
  'odd-key': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  "01": x\n') },
  'duplicate-id': { 'kustomization.yaml': kustomization('a.yaml', 'b.yaml'), 'a.yaml': CM, 'b.yaml': CM },
  'duplicate-key': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: b\n  a: c\n') },
  'bad-yaml': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: [b\n') },
  'tabs': { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  a: "x\ty"\n') },
};

describe('trivial kustomizations without kubectl', () => {
  it('renders trivial apps in process and sends each other app to kubectl, with the same validation as before', async () => {
    const r = new TestRepo();
    const files: Record<string, string> = {
      '.github/ferry.yml': CONFIG,
      'apps/shared/a.yaml': CM,
      'apps/shared/kustomization.yaml': kustomization('a.yaml'),
      'apps/trivial/kustomization.yaml': kustomization('cm.yaml', './deploy/web.yaml'),
      'apps/trivial/cm.yaml': `${CM}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n`,
      'apps/trivial/deploy/web.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:latest\n',
    };
    for (const [app, fs] of Object.entries(FALLBACKS)) for (const [f, t] of Object.entries(fs)) files[`apps/${app}/${f}`] = t;
    const head = r.write(files).commit('apps');
    const { fast, slow, fastRuns, slowRuns } = await planBoth(r, head, head, true);
    // Every app but the trivial ones ran kubectl; `shared` is trivial too.
    expect(fastRuns).toEqual(Object.keys(FALLBACKS).sort());
    expect(slowRuns).toEqual([...fastRuns, 'shared', 'trivial'].sort());
    expect(shown(fast)).toBe(shown(slow));
    // The trivial app was validated from its files: the finding points at the image's line.
    const app = fast.environments[0]!.apps.find((a) => a.name === 'trivial')!;
    expect(app.status).toBe('rendered');
    expect(app.resources).toBe(3);
    expect(app.findings).toContainEqual(expect.objectContaining({ rule: 'no-latest-tag', file: 'apps/trivial/deploy/web.yaml', line: 15 }));
  });

  it('a folder declined in process is not read again for the same files, and is read again once they change', async () => {
    const r = new TestRepo();
    const late = (stamp: string) => cm(`  a: b\n  when: ${stamp}\n`);
    const c1 = r.write({ '.github/ferry.yml': CONFIG, 'apps/late/kustomization.yaml': kustomization('cm.yaml'), 'apps/late/cm.yaml': late('2024-01-01') }).commit('late');
    const runs = async (head: string) => {
      inProcessAttempts.length = 0;
      kustomizeRuns.length = 0;
      await plan({ repo: r.dir, base: head, head, cacheDir: tempDir('ferry-cache-') }, true);
      return { attempts: inProcessAttempts.filter((d) => d === 'apps/late').length, kubectl: appsRun() };
    };
    // Declined (a timestamp, which kustomize rewrites): kubectl renders it, each time.
    expect(await runs(c1)).toEqual({ attempts: 1, kubectl: ['late'] });
    expect(await runs(c1)).toEqual({ attempts: 0, kubectl: ['late'] });
    const c2 = r.write({ 'apps/late/cm.yaml': late('2024-01-02') }).commit('another date');
    expect(await runs(c2)).toEqual({ attempts: 1, kubectl: ['late'] });
  });

  it('a path out of the folder, a symlink and an absolute path: never read in process, refused or rendered as before', async () => {
    const r = new TestRepo();
    r.write({
      '.github/ferry.yml': CONFIG,
      'private/s.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  token: hunter2\n',
      'apps/up/kustomization.yaml': kustomization('../../private/s.yaml'),
      'apps/link/kustomization.yaml': kustomization('s.yaml'),
      'apps/abs/kustomization.yaml': kustomization('/etc/hostname'),
      'apps/outside/kustomization.yaml': kustomization('s.yaml'),
    });
    childProcess.execFileSync('ln', ['-s', '../../private/s.yaml', path.join(r.dir, 'apps/link/s.yaml')]);
    childProcess.execFileSync('ln', ['-s', '/etc/hostname', path.join(r.dir, 'apps/outside/s.yaml')]);
    const head = r.commit('escapes');
    const { fast, slow, fastRuns, slowRuns } = await planBoth(r, head, head, true);
    expect(shown(fast)).toBe(shown(slow));
    // The link inside the repository goes to kubectl (which gets a copy, as before); the
    // path out of the folder too, and kubectl's load restrictor refuses it; the absolute
    // path and the link out of the repository are refused by Ferry before any render.
    expect(fastRuns).toEqual(['link', 'up']);
    expect(slowRuns).toEqual(['link', 'up']);
    const app = (name: string) => fast.environments[0]!.apps.find((a) => a.name === name)!;
    expect(app('up').findings.map((f) => f.message).join('\n')).toMatch(/is not in or below/);
    expect(app('abs').findings.map((f) => f.rule)).toEqual(['path-escape']);
    expect(app('outside').findings.map((f) => f.rule)).toEqual(['path-escape']);
  });

  it('ferry plan: a trivial and a non-trivial app changed from base to head give the same plan as with kubectl', async () => {
    const r = new TestRepo();
    const deploy = (image: string, replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: ${image}\n        securityContext:\n          privileged: true\n`;
    const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n';
    const base = r
      .write({
        '.github/ferry.yml': CONFIG,
        'apps/web/kustomization.yaml': kustomization('deployment.yaml', 'service.yaml', 'old.yaml'),
        'apps/web/deployment.yaml': deploy('nginx:1.27.0', 2),
        'apps/web/service.yaml': svc,
        'apps/web/old.yaml': cm('  a: old\n'),
        'apps/api/kustomization.yaml': `${kustomization('deployment.yaml')}namePrefix: api-\n`,
        'apps/api/deployment.yaml': deploy('nginx:1.27.0', 1),
      })
      .commit('base');
    r.remove('apps/web/old.yaml');
    const head = r
      .write({
        'apps/web/kustomization.yaml': kustomization('deployment.yaml', 'service.yaml', 'config/new.yaml'),
        'apps/web/deployment.yaml': deploy('nginx:latest', 3),
        'apps/web/config/new.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  mode: 0644\n  "on": "yes"\n',
        'apps/api/deployment.yaml': deploy('nginx:latest', 1),
      })
      .commit('head');
    const { fast, slow, fastRuns, slowRuns, fastCount, slowCount } = await planBoth(r, base, head);
    expect(fastRuns).toEqual(['api']);
    expect(slowRuns).toEqual(['api', 'web']);
    // Base and head of `api`: two runs, as with kubectl for both apps four.
    expect(fastCount).toBe(2);
    expect(slowCount).toBe(4);
    expect(shown(fast)).toBe(shown(slow));
    const web = fast.environments[0]!.apps.find((a) => a.name === 'web')!;
    expect(web.changes.map((c) => `${c.action} ${c.kind}/${c.name}`).sort()).toEqual(['added ConfigMap/new', 'changed Deployment/web', 'removed ConfigMap/c']);
    expect(web.findings).toContainEqual(expect.objectContaining({ rule: 'no-latest-tag', file: 'apps/web/deployment.yaml', line: 17 }));
    expect(web.changes.find((c) => c.name === 'new')!.diff).toContain('+  mode: 420');
  });

  it('only where kubectl would have run: no binary is the same finding as before', async () => {
    const r = new TestRepo();
    const head = r
      .write({
        '.github/ferry.yml': 'environments:\n  - name: prod\n    path: apps\nrender:\n  kustomize: /nonexistent/kustomize\n',
        'apps/web/kustomization.yaml': kustomization('cm.yaml'),
        'apps/web/cm.yaml': CM,
      })
      .commit('apps');
    const { fast, slow } = await planBoth(r, head, head, true);
    expect(shown(fast)).toBe(shown(slow));
    expect(fast.environments[0]!.apps[0]!.findings.map((f) => f.message)).toEqual(['no kustomize or kubectl binary found; Kustomize apps cannot be rendered']);
  });

  it('is not used without a binary, when the sandbox is required and unavailable, or when switched off', () => {
    const tools = (over: Partial<RenderTools> = {}, sandbox: Partial<RenderTools['sandbox']> = {}) =>
      ({ kustomize: { cmd: '/usr/bin/kubectl', args: ['kustomize'] }, sandbox: { required: false, namespaces: true, ...sandbox }, ...over }) as RenderTools;
    expect(inProcessKustomize(tools())).toBe(true);
    expect(inProcessKustomize(tools({ kustomize: null }))).toBe(false);
    expect(inProcessKustomize(tools({}, { required: true, namespaces: false }))).toBe(false);
    expect(inProcessKustomize(tools({}, { required: true, namespaces: true }))).toBe(true);
    process.env.FERRY_KUSTOMIZE_IN_PROCESS = '0';
    expect(inProcessKustomize(tools())).toBe(false);
  });
});
