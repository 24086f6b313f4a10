/**
 * Which repository a GitOps source names: with the repository's own URLs known (the
 * forge's, the CLI's remotes, ferry.yml `render.repositoryURLs`), an Argo CD or Flux
 * source naming another repository is a warning on that object, not this tree's folder
 * of the same name. Without them, every git source is taken as this repository, as before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { plan } from '../../src/engine.js';
import { displayURL, ownership, ownRepository, repositoryKey } from '../../src/plan/repo-url.js';
import { renderJson, renderText } from '../../src/report/plan.js';
import type { Plan } from '../../src/types.js';
import { remoteURLs } from '../../src/workspace/git.js';
import { pullPlanRequest } from '../../src/bot/jobs/pull.js';
import { pullRequestFrom } from '../../src/forge/github/forge.js';
import { ferry } from '../cli/helpers.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { addedObjects, appOf, argoApp } from '../helpers/argo.js';
import { TEST_HELM } from '../helpers/bin.js';
import { deployment, service } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => {
  for (const r of repos) r.cleanup();
  rmSync(cacheDir, { recursive: true, force: true });
});

const OWN = 'https://github.com/Acme/GitOps.git';
const OTHER = 'https://github.com/acme/service-web.git';

describe('repository URLs', () => {
  it('name one repository whatever the scheme, scp form, credentials, port, .git, slashes or case', () => {
    const same = [
      'https://github.com/acme/gitops', 'https://github.com/acme/gitops.git', 'http://github.com/acme/gitops/', 'HTTPS://GitHub.com/Acme/GitOps.git',
      'git@github.com:acme/gitops.git', 'github.com:acme/gitops', 'ssh://git@github.com/acme/gitops.git', 'ssh://git@github.com:22/acme/gitops',
      'git://github.com/acme/gitops.git', 'git+ssh://git@github.com/acme/gitops', 'https://x-access-token:ghs_secret123@github.com/acme/gitops.git',
      'https://github.com//acme//gitops.git/', '  https://github.com/acme/gitops  ',
    ];
    for (const u of same) expect(repositoryKey(u), u).toBe('github.com/acme/gitops');
    expect(repositoryKey('https://gitlab.example.com:8443/group/sub/project.git')).toBe('gitlab.example.com/group/sub/project');
    expect(repositoryKey('git@gitlab.example.com:group/sub/project.git')).toBe('gitlab.example.com/group/sub/project');
    // Not remote git URLs: unknown, never matched.
    for (const u of ['', 'apps/web', '../other.git', '/srv/git/repo.git', 'file:///srv/git/repo.git', 'C:/repo', 'https://github.com/', 'https://{{.repo}}/x', 'https://github.com/a b']) {
      expect(repositoryKey(u), u).toBeNull();
    }
  });

  it('tell this repository, another, and nothing without own URLs', () => {
    const own = ownRepository([OWN, 'not a url', '']);
    expect([...own]).toEqual(['github.com/acme/gitops']);
    expect(ownership('git@github.com:acme/gitops.git', own)).toBe('this');
    expect(ownership(OTHER, own)).toBe('other');
    expect(ownership('https://github.example.com/acme/gitops', own)).toBe('other');
    expect(ownership('apps/web', own)).toBe('unknown');
    expect(ownership(OTHER, ownRepository([]))).toBe('unknown');
    expect(ownership(OTHER, undefined)).toBe('unknown');
  });

  it('are shown without credentials, queries or control characters', () => {
    expect(displayURL('https://user:hunter2@github.com/acme/x.git')).toBe('https://github.com/acme/x.git');
    expect(displayURL('https://ghp_abcdefghijklmnop@github.com/acme/x')).toBe('https://github.com/acme/x');
    expect(displayURL('ssh://git@github.com/acme/x.git')).toBe('ssh://git@github.com/acme/x.git');
    expect(displayURL('ssh://git:pw@github.com/acme/x.git')).toBe('ssh://github.com/acme/x.git');
    expect(displayURL('git@github.com:acme/x.git')).toBe('git@github.com:acme/x.git');
    expect(displayURL('user:hunter2@github.com:acme/x.git')).toBe('github.com:acme/x.git');
    expect(displayURL('https://github.com/acme/x?private_token=hunter2#y')).toBe('https://github.com/acme/x');
    expect(displayURL('https://github.com/acme/x\nfake: line')).not.toMatch(/\n/);
    expect(displayURL('git+ssh://s3cret@github.com/acme/x')).toBe('git+ssh://github.com/acme/x');
    expect(displayURL('https://github.com/acme/\u202ex\u2028y')).toBe('https://github.com/acme/\\u202ex\\u2028y');
    // A PR's scheme-less repoURL of a megabyte with an `@`, so the credential pattern runs on
    // it: uncut, the pattern's backtracking takes minutes (and this test its timeout); cut
    // first, it is one short line.
    const hostile = '@' + 'a:'.repeat(500_000);
    expect(displayURL(hostile)).toBe(`${hostile.slice(0, 199)}…`);
    // Cut or not, credentials at the front of a long scheme-less URL still go.
    expect(displayURL(`tok:hunter2@host:${'o/'.repeat(2_000)}r`)).not.toContain('hunter2');
    expect(displayURL(`https://github.com/${'a'.repeat(500)}`).length).toBeLessThanOrEqual(200);
  });
});

const ARGO_CONFIG = 'environments:\n  - name: prod\n    path: argocd\n';

/** A repository with apps/web at base, and an Application over it added at head. */
async function argoPlan(repoURL: string, repositoryURLs: string[] | undefined, more: Record<string, string> = {}): Promise<Plan> {
  const r = new TestRepo().write({
    '.github/ferry.yml': ARGO_CONFIG,
    'argocd/apps/web/deployment.yaml': deployment('web'),
    'argocd/apps/web/service.yaml': service('web'),
    ...more,
  });
  repos.push(r);
  const base = r.commit('base');
  r.write({ 'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${repoURL}\n    path: argocd/apps/web\n  destination:\n    namespace: web-prod\n`) });
  const head = r.commit('application');
  return plan({ repo: r.dir, base, head, cacheDir, ...(repositoryURLs ? { repositoryURLs } : {}) });
}

describe('an Argo CD Application', () => {
  it('naming another repository is an other-repository finding whose level ferry.yml sets', async () => {
    const at = async (level: string) => {
      const p = await argoPlan(OTHER, [OWN], { '.github/ferry.yml': `${ARGO_CONFIG}validate:\n  rules:\n    other-repository: ${level}\n` });
      return appOf(p, 'argocd/web')!.findings.filter((f) => f.rule === 'other-repository').map((f) => f.severity);
    };
    expect(await at('info')).toEqual(['info']);
    expect(await at('off')).toEqual([]);
  });

  it('naming another repository is skipped with a warning, and the same-named folder here stays an app of its own', async () => {
    const p = await argoPlan(OTHER, [OWN]);
    const app = appOf(p, 'argocd/web')!;
    expect(app, JSON.stringify(p.environments[0]!.apps.map((a) => a.name))).toBeDefined();
    expect(app.status).toBe('skipped');
    expect(app.changes.filter((c) => c.kind !== 'Application')).toEqual([]);
    expect(app.findings.filter((f) => f.severity === 'warning').map((f) => `${f.rule} ${f.file}: ${f.message}`)).toEqual([
      'other-repository argocd/web.yaml: repoURL https://github.com/acme/service-web.git is another repository: its path "argocd/apps/web" is not rendered offline',
    ]);
    expect(app.findings.some((f) => f.message.includes('assumed to be this repository'))).toBe(false);
    // The folder is not the Application's: not handed over to it (its resources would show as moving), still a folder app.
    const all = p.environments[0]!.apps;
    expect(all.flatMap((a) => a.changes).filter((c) => c.action === 'removed')).toEqual([]);
    expect(JSON.stringify([...all.flatMap((a) => a.findings), ...p.findings])).not.toMatch(/an app of its own|could not pair/);
    // Nor is the Application file's own folder: the Application object's addition is still shown there.
    expect(all.find((a) => a.name === 'argocd')?.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['added Application/web']);
  });

  it('naming this repository in scp form is rendered, with no note to assume anything', async () => {
    const p = await argoPlan('git@github.com:acme/gitops.git', [OWN]);
    const app = appOf(p, 'argocd/web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(addedObjects(app).map((o) => `${String(o.kind)}/${String((o.metadata as Record<string, string>).name)}`).sort()).toEqual(['Deployment/web', 'Service/web']);
    expect(app.findings.some((f) => f.message.includes('assumed') || f.message.includes('another repository'))).toBe(false);
  });

  it('without own URLs, is taken as this repository with the info note, as before', async () => {
    const p = await argoPlan(OTHER, undefined);
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('rendered');
    expect(app.findings.filter((f) => f.severity === 'info' && f.message.includes('assumed')).map((f) => f.message)).toEqual([
      `repoURL ${OTHER} is assumed to be this repository; Ferry cannot tell which repository it clones`,
    ]);
  });

  it('ferry.yml render.repositoryURLs counts as an own URL (a mirror)', async () => {
    const mirror = 'https://mirror.example.com/platform/gitops.git';
    const config = `${ARGO_CONFIG}render:\n  repositoryURLs: [${mirror}]\n`;
    const other = await argoPlan(OTHER, undefined, { '.github/ferry.yml': config });
    expect(appOf(other, 'argocd/web')!.status).toBe('skipped');
    const own = await argoPlan('ssh://git@mirror.example.com/platform/gitops', undefined, { '.github/ferry.yml': config });
    expect(appOf(own, 'argocd/web')!.status).toBe('rendered');
  });

  it('never shows a URL\'s credentials, in any report', async () => {
    const secret = 'hunter2-s3cr3t';
    const withCreds = `https://deploy:${secret}@github.com/acme/service-web.git`;
    const assumed = `https://deploy:${secret}@git.example.com/acme/elsewhere.git`;
    for (const [url, known] of [[withCreds, [OWN]], [assumed, undefined]] as const) {
      const p = await argoPlan(url, known ? [...known] : undefined);
      const app = appOf(p, 'argocd/web')!;
      // It is said, without the secret.
      expect(app.findings.some((f) => f.message.includes(known ? 'is another repository' : 'is assumed'))).toBe(true);
      // Findings are Ferry's words; the Application object's own diff is the file as the PR wrote it.
      const json = JSON.parse(renderJson(p)) as Plan;
      const findingLines = renderText(p).split('\n').filter((l) => /^\s*(error|warning|info) \[/.test(l));
      expect(findingLines.length).toBeGreaterThan(0);
      for (const text of [JSON.stringify(json.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))), findingLines.join('\n')]) {
        expect(text).not.toContain(secret);
        expect(text).toContain(known ? 'https://github.com/acme/service-web.git' : 'https://git.example.com/acme/elsewhere.git');
      }
      expect(JSON.stringify(json.findings)).not.toContain(secret);
    }
  });

  it('a ref source of another repository gives no values files, and says so', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': `${ARGO_CONFIG}render:\n  helm: ${TEST_HELM}\n`,
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/values.yaml': 'greeting: hello\n',
      'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
      'values/web.yaml': 'greeting: from-this-repo\n',
    });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'argocd/web.yaml': argoApp('web', `  sources:\n    - repoURL: ${OWN}\n      path: charts/web\n      helm:\n        valueFiles: [$values/values/web.yaml]\n    - repoURL: ${OTHER}\n      ref: values\n  destination:\n    namespace: web\n`) });
    const p = await plan({ repo: r.dir, base, head: r.commit('app'), cacheDir, repositoryURLs: [OWN] });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const cm = addedObjects(app).find((o) => o.kind === 'ConfigMap')!;
    expect((cm.data as Record<string, string>).greeting).toBe('hello');
    const warnings = app.findings.filter((f) => f.severity === 'warning').map((f) => f.message);
    expect(warnings).toContain('repoURL https://github.com/acme/service-web.git is another repository: ref "values" is not read offline');
    expect(warnings.some((m) => m.startsWith('values file "$values/values/web.yaml": no source with ref "values" in this repository'))).toBe(true);
  });
});

describe('an ApplicationSet git generator', () => {
  const appSet = (repoURL: string) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: ${repoURL}
        revision: HEAD
        directories:
          - path: argocd/apps/*
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: ${repoURL}
        path: '{{path}}'
      destination:
        namespace: '{{path.basename}}'
`;

  it('reading another repository is not expanded against this tree: a warning, and no Application', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': ARGO_CONFIG, 'argocd/apps/web/deployment.yaml': deployment('web') });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'argocd/set.yaml': appSet(OTHER) });
    const p = await plan({ repo: r.dir, base, head: r.commit('set'), cacheDir, repositoryURLs: [OWN] });
    expect(p.environments[0]!.apps.map((a) => a.name)).not.toContain('argocd/web');
    expect(p.findings.filter((f) => f.rule === 'other-repository').map((f) => `${f.severity} ${f.file}: ${f.message}`)).toEqual([
      'warning argocd/set.yaml: the git generator reads repoURL https://github.com/acme/service-web.git, another repository: not expanded offline, its Applications are not planned',
    ]);
  });

  it('in a matrix is said once, however many parameter sets ask', async () => {
    const matrix = appSet(OTHER).replace(`    - git:
        repoURL: ${OTHER}
        revision: HEAD
        directories:
          - path: argocd/apps/*`, `    - matrix:
        generators:
          - list:
              elements: [{ env: a }, { env: b }, { env: c }]
          - git:
              repoURL: ${OTHER}
              revision: HEAD
              directories:
                - path: argocd/apps/*`);
    expect(matrix).toContain('matrix:');
    const r = new TestRepo().write({ '.github/ferry.yml': ARGO_CONFIG, 'argocd/apps/web/deployment.yaml': deployment('web') });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'argocd/set.yaml': matrix });
    const p = await plan({ repo: r.dir, base, head: r.commit('set'), cacheDir, repositoryURLs: [OWN] });
    expect(p.findings.filter((f) => f.rule === 'other-repository').map((f) => f.message)).toEqual([
      'the git generator reads repoURL https://github.com/acme/service-web.git, another repository: not expanded offline, its Applications are not planned',
    ]);
  });

  it('reading this repository is expanded', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': ARGO_CONFIG, 'argocd/apps/web/deployment.yaml': deployment('web') });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'argocd/set.yaml': appSet('git@github.com:acme/gitops.git') });
    const p = await plan({ repo: r.dir, base, head: r.commit('set'), cacheDir, repositoryURLs: [OWN] });
    expect(appOf(p, 'argocd/web')?.status).toBe('rendered');
    expect(p.findings.filter((f) => f.rule === 'argo-applicationset')).toEqual([]);
  });
});

const FLUX_CONFIG = 'environments:\n  - name: staging\n    path: clusters/staging\n';

function gitRepository(name: string, url: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ${url}\n  ref:\n    branch: main\n`;
}

function kustomization(name: string, source: string): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: ${source}\n  path: ./apps/web\n  prune: true\n`;
}

describe('a Flux Kustomization', () => {
  async function fluxPlan(sourceName: string, url: string, repositoryURLs?: string[]): Promise<Plan> {
    const r = new TestRepo().write({
      '.github/ferry.yml': FLUX_CONFIG,
      'apps/web/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
      'apps/web/deployment.yaml': deployment('web'),
      'clusters/staging/source.yaml': gitRepository(sourceName, url),
    });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'clusters/staging/web.yaml': kustomization('web', sourceName) });
    return plan({ repo: r.dir, base, head: r.commit('ks'), cacheDir, ...(repositoryURLs ? { repositoryURLs } : {}) });
  }

  it('whose GitRepository clones another repository makes no app, with a warning', async () => {
    const p = await fluxPlan('service-web', `https://token:hunter2@github.com/acme/service-web`, [OWN]);
    expect(p.environments[0]!.apps.map((a) => a.name)).not.toContain('flux-system/web');
    expect(p.findings.filter((f) => f.rule === 'other-repository').map((f) => `${f.severity} ${f.file}: ${f.message}`)).toEqual([
      'warning clusters/staging/web.yaml: Kustomization flux-system/web is not rendered offline: its source GitRepository flux-system/service-web clones https://github.com/acme/service-web, another repository',
    ]);
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });

  it('the bootstrap flux-system source: rendered silently when it clones this repository or nothing is known, not when another', async () => {
    const own = await fluxPlan('flux-system', 'ssh://git@github.com/acme/gitops', [OWN]);
    expect(appOf(own, 'flux-system/web')?.status).toBe('rendered');
    expect(appOf(own, 'flux-system/web')!.findings.filter((f) => f.rule === 'flux-kustomization')).toEqual([]);
    const unknown = await fluxPlan('flux-system', OTHER);
    expect(appOf(unknown, 'flux-system/web')?.status).toBe('rendered');
    expect(appOf(unknown, 'flux-system/web')!.findings.filter((f) => f.rule === 'flux-kustomization')).toEqual([]);
    const other = await fluxPlan('flux-system', OTHER, [OWN]);
    expect(other.environments[0]!.apps.map((a) => a.name)).not.toContain('flux-system/web');
    expect(other.findings.some((f) => f.message.includes('GitRepository flux-system/flux-system clones https://github.com/acme/service-web.git, another repository'))).toBe(true);
  });

  it('another GitRepository of this repository needs no note; without own URLs it is assumed, as before', async () => {
    const known = await fluxPlan('gitops', 'https://github.com/acme/gitops', [OWN]);
    expect(appOf(known, 'flux-system/web')!.findings.filter((f) => f.message.includes('assumed'))).toEqual([]);
    const unknown = await fluxPlan('gitops', 'https://github.com/acme/gitops');
    expect(appOf(unknown, 'flux-system/web')!.findings.filter((f) => f.message.includes('assumed')).map((f) => f.message)).toEqual([
      'GitRepository flux-system/gitops is assumed to be this repository; Ferry cannot tell which repository it clones',
    ]);
  });
});

describe('a Flux HelmRelease chart from a GitRepository', () => {
  it('of another repository is not read from this tree: chart-unavailable', async () => {
    const release = `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./charts/web\n      sourceRef:\n        kind: GitRepository\n        name: charts\n        namespace: flux-system\n`;
    const r = new TestRepo().write({
      '.github/ferry.yml': `${FLUX_CONFIG}render:\n  helm: ${TEST_HELM}\n`,
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'clusters/staging/charts-source.yaml': gitRepository('charts', OTHER),
    });
    repos.push(r);
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': release });
    const head = r.commit('release');
    const known = await plan({ repo: r.dir, base, head, cacheDir, repositoryURLs: [OWN] });
    const app = known.environments[0]!.apps.find((a) => a.name === 'web')!;
    expect(app.changes.map((c) => c.kind)).toEqual(['HelmRelease']);
    expect(app.findings.map((f) => `${f.severity} ${f.rule}: ${f.message}`)).toContain(
      'warning chart-unavailable: HelmRelease apps/web: chart not rendered: chart source GitRepository flux-system/charts is not rendered offline: it clones https://github.com/acme/service-web.git, another repository; the HelmRelease object itself is still diffed',
    );
    // Unknown: the chart folder here, as before.
    const unknown = await plan({ repo: r.dir, base, head, cacheDir });
    expect(unknown.environments[0]!.apps.find((a) => a.name === 'web')!.changes.map((c) => c.kind).sort()).toEqual(['ConfigMap', 'HelmRelease']);
  });
});

describe('the CLI', () => {
  it('knows the repository by its remotes', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': ARGO_CONFIG, 'argocd/apps/web/deployment.yaml': deployment('web') });
    repos.push(r);
    r.commit('base');
    r.git('checkout', '--quiet', '-b', 'feature');
    r.write({ 'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${OTHER}\n    path: argocd/apps/web\n  destination:\n    namespace: web\n`) });
    r.commit('app');
    // No remote: assumed, as before.
    expect(await remoteURLs(r.dir)).toEqual([]);
    const before = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json']);
    expect(before.out).toContain('is assumed to be this repository');
    r.git('remote', 'add', 'origin', 'git@github.com:acme/gitops.git');
    r.git('remote', 'set-url', '--push', 'origin', 'https://github.com/acme/gitops.git');
    expect(await remoteURLs(r.dir)).toEqual(['git@github.com:acme/gitops.git', 'https://github.com/acme/gitops.git']);
    const after = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json']);
    const p = JSON.parse(after.out) as Plan;
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('skipped');
    expect(app.findings.map((f) => f.message)).toContain('repoURL https://github.com/acme/service-web.git is another repository: its path "argocd/apps/web" is not rendered offline');
  });
});

describe('where the own URLs come from', () => {
  it('a GitHub pull request: its base repository\'s web, HTTPS and SSH URLs (Enterprise hosts alike)', () => {
    const pr = pullRequestFrom({
      number: 7, state: 'open', head: { sha: 'h', ref: 'f', repo: { full_name: 'acme/gitops' } },
      base: { sha: 'b', ref: 'main', repo: { name: 'gitops', full_name: 'acme/gitops', owner: { login: 'acme' }, clone_url: 'https://ghe.example.com/acme/gitops.git', html_url: 'https://ghe.example.com/acme/gitops', ssh_url: 'git@ghe.example.com:acme/gitops.git' } },
    });
    expect(pr.repositoryURLs).toEqual(['https://ghe.example.com/acme/gitops', 'https://ghe.example.com/acme/gitops.git', 'git@ghe.example.com:acme/gitops.git']);
  });

  it('the bot\'s plan request carries the pull request\'s URLs to the engine', async () => {
    const fake = new FakeForge();
    const pr = fake.putPull({ number: 7, repositoryURLs: [OWN, 'git@github.com:acme/gitops.git'] });
    expect((await pullPlanRequest(fake, pr, {})).repositoryURLs).toEqual([OWN, 'git@github.com:acme/gitops.git']);
  });
});
