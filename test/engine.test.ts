import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { main } from '../src/cli.js';
import type { Plan } from '../src/types.js';
import { TEST_HELM } from './helpers/bin.js';
import { deployment, envRepoFiles, kustomization } from './helpers/fixtures.js';
import { TestRepo, tempDir } from './helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];

function repo(files: Record<string, string | Buffer> = envRepoFiles()): TestRepo {
  const r = new TestRepo().write(files);
  repos.push(r);
  return r;
}

afterAll(() => repos.forEach((r) => r.cleanup()));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

async function planJson(r: TestRepo, base: string, head: string, extra: string[] = []): Promise<{ code: number; plan: Plan; err: string }> {
  const { code, out, err } = await cli(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'json', ...extra]);
  if (code === 2) throw new Error(`ferry exited 2: ${err}`);
  return { code, plan: JSON.parse(out) as Plan, err };
}

const appsOf = (p: Plan) => p.environments.flatMap((e) => e.apps.map((a) => `${e.name}/${a.name}`)).sort();

describe('affected apps', () => {
  let r: TestRepo;
  let base: string;
  beforeAll(() => {
    r = repo();
    base = r.commit('initial');
  });

  it('a change in a shared base fans out to every overlay in every environment', async () => {
    r.git('checkout', '--quiet', '-B', 'fanout', base);
    r.write({ 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) });
    const head = r.commit('bump');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(0);
    expect(appsOf(plan)).toEqual(['production/web', 'staging/web']);
    for (const env of plan.environments) {
      const app = env.apps[0]!;
      expect(app.status).toBe('rendered');
      expect(app.changes).toHaveLength(1);
      expect(app.changes[0]).toMatchObject({ action: 'changed', kind: 'Deployment', name: 'web', namespace: env.name });
      expect(app.changes[0]!.diff).toContain('+        - image: nginx:1.27.1');
    }
    expect(plan.summary).toEqual({ added: 0, changed: 2, removed: 0, errors: 0, warnings: 0 });
  });

  it('an unrelated README, even inside a base folder, affects no app', async () => {
    r.git('checkout', '--quiet', '-B', 'readme', base);
    r.write({ 'README.md': '# changed\n', 'base/web/README.md': 'more notes\n' });
    const head = r.commit('docs');
    const { code, plan, } = await planJson(r, base, head);
    expect(code).toBe(0);
    expect(appsOf(plan)).toEqual([]);
    const text = await cli(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'markdown']);
    expect(text.out).toContain('No app\'s rendered output changes');
  });

  it('a configMapGenerator input change pairs the re-hashed ConfigMap as a change', async () => {
    r.git('checkout', '--quiet', '-B', 'config', base);
    r.write({ 'base/web/config.properties': 'color=green\n' });
    const head = r.commit('config');
    const { plan } = await planJson(r, base, head, ['--env', 'staging']);
    expect(appsOf(plan)).toEqual(['staging/web']);
    const changes = plan.environments[0]!.apps[0]!.changes;
    const cm = changes.find((c) => c.kind === 'ConfigMap')!;
    expect(cm.action).toBe('changed');
    expect(cm.name).toMatch(/^web-config-[a-z0-9]{10}$/);
    expect(cm.diff).toContain('-    color=blue\n+    color=green');
    expect(cm.diff).toMatch(/^--- a\/ConfigMap\/staging\/web-config-\w{10}\n\+\+\+ b\/ConfigMap\/staging\/web-config-\w{10}$/m);
    // The Deployment references the new name, so it changes too; nothing is added or removed.
    expect(changes.map((c) => c.action)).toEqual(['changed']);
    expect(plan.summary.added + plan.summary.removed).toBe(0);
  });

  it('apps added or deleted in the PR are planned as wholly added or removed', async () => {
    r.git('checkout', '--quiet', '-B', 'addremove', base);
    r.remove('envs/staging/tools');
    r.write({ 'envs/production/api/api.yaml': deployment('api', { namespace: 'production' }) });
    const head = r.commit('add api, drop tools');
    const { plan } = await planJson(r, base, head);
    expect(appsOf(plan)).toEqual(['production/api', 'staging/tools']);
    const api = plan.environments.find((e) => e.name === 'production')!.apps[0]!;
    expect(api.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['added Deployment/api']);
    const tools = plan.environments.find((e) => e.name === 'staging')!.apps[0]!;
    expect(tools.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['removed Job/migrate']);
  });

  it('a patch file of one overlay affects only that overlay', async () => {
    r.git('checkout', '--quiet', '-B', 'patch', base);
    r.write({ 'envs/production/web/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n' });
    const head = r.commit('scale prod');
    const { plan } = await planJson(r, base, head);
    expect(appsOf(plan)).toEqual(['production/web']);
    expect(plan.environments.find((e) => e.name === 'production')!.apps[0]!.changes[0]!.diff).toMatch(/-\s+replicas: 5\n\+\s+replicas: 7/);
  });
});

describe('findings and exit codes', () => {
  it('exit 1 with a render-error carrying kustomize stderr when a build fails', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - missing.yaml\n') });
    const head = r.commit('broken');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const app = plan.environments.find((e) => e.name === 'staging')!.apps[0]!;
    expect(app.status).toBe('error');
    expect(app.findings[0]).toMatchObject({ rule: 'render-error', severity: 'error' });
    expect(app.findings[0]!.message).toMatch(/missing\.yaml/);
    // The private temp tree's path never reaches the reader.
    expect(app.findings[0]!.message).not.toMatch(/ferry-tree-/);
  });

  it('a missing base folder is a clear finding', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/nope\n') });
    const head = r.commit('missing base');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const f = plan.environments.find((e) => e.name === 'staging')!.apps[0]!.findings[0]!;
    expect(f.rule).toBe('render-error');
    expect(f.message).toMatch(/base\/nope/);
  });

  it('paths that escape the repository are refused: kustomize references and symlinks', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../../../../etc\n') });
    symlinkSync('/etc/passwd', path.join(r.dir, 'envs/staging/tools/passwd.yaml'));
    const head = r.commit('escape');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const all = [...plan.findings, ...plan.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))];
    expect(all.filter((f) => f.rule === 'path-escape').map((f) => f.file).sort()).toEqual([
      'envs/staging/tools/passwd.yaml',
      'envs/staging/web/kustomization.yaml',
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/root:x:0:0/);
  });

  it('malformed YAML, an alias bomb, a file over the size limit and non-UTF-8 bytes are findings, not crashes', async () => {
    // The default limit (64 MiB) reads a 20 MB manifest; a lower one refuses it.
    vi.stubEnv('FERRY_MAX_FILE_MB', '16');
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const r = repo();
    const base = r.commit('initial');
    const aliases = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) aliases.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    r.write({
      'envs/staging/tools/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: 1\n',
      'envs/staging/tools/bomb.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${aliases.join('\n  ')}\n`,
      'envs/staging/tools/huge.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  blob: "' + 'x'.repeat(20 * 1024 * 1024) + '"\n',
      'envs/staging/tools/latin1.yaml': Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    });
    const head = r.commit('bad inputs');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const tools = plan.environments.find((e) => e.name === 'staging')!.apps.find((a) => a.name === 'tools')!;
    // Each broken file also gets a diff-incomplete note: the diff cannot cover it.
    const notes = tools.findings.filter((f) => f.rule === 'diff-incomplete').map((f) => f.file).sort();
    expect(notes).toEqual(['envs/staging/tools/bomb.yaml', 'envs/staging/tools/broken.yaml', 'envs/staging/tools/huge.yaml', 'envs/staging/tools/latin1.yaml']);
    const byFile = Object.fromEntries(tools.findings.filter((f) => f.rule !== 'diff-incomplete').map((f) => [f.file, f]));
    expect(byFile['envs/staging/tools/broken.yaml']).toMatchObject({ rule: 'yaml-error', line: 5 });
    expect(byFile['envs/staging/tools/bomb.yaml']!.message).toMatch(/alias/);
    expect(byFile['envs/staging/tools/huge.yaml']!.message).toMatch(/20 MiB.*16 MiB|16 MiB.*20 MiB/);
    expect(byFile['envs/staging/tools/latin1.yaml']!.message).toMatch(/UTF-8/);
  });

  it('exit 2 for a ref that does not exist, naming it', async () => {
    const r = repo();
    const base = r.commit('initial');
    const res = await cli(['plan', '--repo', r.dir, '--base', base, '--head', 'no-such-branch']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/ref "no-such-branch" does not exist/);
  });

  it('exit 2 for a config with a typo, naming file, line and key', async () => {
    const r = repo({ ...envRepoFiles(), '.github/ferry.yml': 'environments:\n  - name: staging\n    path: envs/staging\nvalidate:\n  kubernetesVersion: "1.31"\n  stirct: true\n' });
    const base = r.commit('initial');
    const res = await cli(['plan', '--repo', r.dir, '--base', base, '--head', base]);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/\.github\/ferry\.yml:6/);
    expect(res.err).toMatch(/stirct/);
    expect(res.err).toMatch(/strict/);
  });

  it('exit 2 for usage errors', async () => {
    expect((await cli(['plan', '--base', 'a'])).code).toBe(2);
    expect((await cli(['plan', '--base', 'a', '--head', 'b', '--format', 'yaml'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });
});

describe('configuration', () => {
  it('reads the config from the base commit: a PR cannot loosen the rules that judge it', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({
      '.github/ferry.yml': envRepoFiles()['.github/ferry.yml']! + '  rules:\n    no-latest-tag: "off"\n',
      'envs/staging/tools/job.yaml': envRepoFiles()['envs/staging/tools/job.yaml']!.replace('busybox:1.36', 'busybox:latest'),
    });
    const head = r.commit('loosen');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const tools = plan.environments.find((e) => e.name === 'staging')!.apps[0]!;
    expect(tools.findings.map((f) => f.rule)).toContain('no-latest-tag');
  });

  it('a target version newer than the built-in schemas is said once, on the plan', async () => {
    const r = repo({ ...envRepoFiles(), '.github/ferry.yml': envRepoFiles()['.github/ferry.yml']!.replace('"1.31"', '"1.37"') });
    const base = r.commit('initial');
    const res = await cli(['validate', '--repo', r.dir, '--ref', base, '--format', 'json']);
    const plan = JSON.parse(res.out) as Plan;
    expect(plan.findings.filter((f) => f.rule === 'schema-version').map((f) => f.severity)).toEqual(['warning']);
    expect(plan.environments.flatMap((e) => e.apps.flatMap((a) => a.findings)).some((f) => f.rule === 'schema-version')).toBe(false);
  });

  it('a PR that breaks the config file gets the error reported, judged by the base config', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ '.github/ferry.yml': 'environments:\n  - name: staging\n    paht: envs/staging\n' });
    const head = r.commit('broken config');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    expect(plan.findings.some((f) => f.rule === 'config' && f.file === '.github/ferry.yml' && f.line === 3)).toBe(true);
  });

  it('without a config, top-level kustomize roots and manifest folders are apps of "default"', async () => {
    const files = envRepoFiles();
    delete files['.github/ferry.yml'];
    const r = repo(files);
    const base = r.commit('initial');
    const res = await cli(['validate', '--repo', r.dir, '--ref', base, '--format', 'json']);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.out) as Plan;
    expect(plan.environments.map((e) => e.name)).toEqual(['default']);
    // base/web is referenced by the overlays, so it is not an app of its own.
    expect(plan.environments[0]!.apps.map((a) => `${a.path}:${a.renderer}`)).toEqual([
      'envs/production/web:kustomize',
      'envs/staging/tools:plain',
      'envs/staging/web:kustomize',
    ]);
  });

  it('--env restricts the plan; an unknown environment is a usage error', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    const head = r.commit('x');
    const { plan } = await planJson(r, base, head, ['--env', 'production']);
    expect(appsOf(plan)).toEqual(['production/web']);
    const bad = await cli(['plan', '--repo', r.dir, '--base', base, '--head', head, '--env', 'qa']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/environment "qa" is not defined/);
  });
});

describe('outputs', () => {
  const secretValues = ['hunter2-before', 'hunter2-after', 'tok3n-unchanged', 'brand-new-value'];
  let r: TestRepo;
  let base: string;
  let head: string;
  beforeAll(() => {
    r = repo();
    r.write({
      'envs/staging/secrets/db.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: staging\ntype: Opaque\nstringData:\n  password: ${secretValues[0]}\n  token: ${secretValues[2]}\n`,
    });
    base = r.commit('initial');
    r.write({
      'envs/staging/secrets/db.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: staging\ntype: Opaque\ndata:\n  password: ${Buffer.from(secretValues[1]!).toString('base64')}\n  token: ${Buffer.from(secretValues[2]!).toString('base64')}\n  added: ${Buffer.from(secretValues[3]!).toString('base64')}\n`,
    });
    head = r.commit('rotate');
  });

  it('never prints a Secret value, old or new, in any format', async () => {
    for (const format of ['text', 'markdown', 'json']) {
      const res = await cli(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', format]);
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/password/);
      expect(res.out).toMatch(/added/);
      for (const v of secretValues) {
        expect(res.out).not.toContain(v);
        expect(res.out).not.toContain(Buffer.from(v).toString('base64'));
      }
    }
  });

  it('JSON output follows the documented contract', async () => {
    const { plan } = await planJson(r, base, head);
    expect(Object.keys(plan)).toEqual(['base', 'head', 'environments', 'findings', 'summary']);
    expect(plan.base).toMatch(/^[0-9a-f]{40}$/);
    expect(plan.head).toBe(head);
    const app = plan.environments[0]!.apps[0]!;
    expect(Object.keys(app)).toEqual(['name', 'path', 'renderer', 'status', 'resources', 'changes', 'findings']);
    expect(app).toMatchObject({ name: 'secrets', path: 'envs/staging/secrets', renderer: 'plain', status: 'rendered' });
    expect(app.resources).toBeGreaterThan(0);
    expect(Object.keys(app.changes[0]!)).toEqual(['action', 'apiVersion', 'kind', 'namespace', 'name', 'diff']);
    expect(app.changes[0]).toMatchObject({ action: 'changed', apiVersion: 'v1', kind: 'Secret', namespace: 'staging', name: 'db' });
    expect(Object.keys(plan.summary)).toEqual(['added', 'changed', 'removed', 'errors', 'warnings']);
  });

  it('markdown is the PR comment body: marker, a folded section per app with its diffs', async () => {
    const res = await cli(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'markdown']);
    expect(res.out.startsWith('<!-- ferry:plan -->')).toBe(true);
    expect(res.out).toContain('<details><summary><b>staging / secrets</b> <code>+0 ~1 -0</code> ✅</summary>');
    expect(res.out).toContain('**`~ Secret/staging/db`**\n\n```diff\n');
    expect(res.out.match(/```/g)!.length % 2).toBe(0);
  });
});

describe('helm', () => {
  const chart = {
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/values.yaml': 'replicas: 1\nimage: nginx:1.27.0\n',
    'charts/web/values-prod.yaml': 'replicas: 4\n',
    'charts/web/templates/deployment.yaml': deployment('{{ .Release.Name }}', { replicas: 0 }).replace('replicas: 0', 'replicas: {{ .Values.replicas }}').replace('nginx:1.27.0', '{{ .Values.image }}'),
  };
  const config = (helm: string) => `environments:
  - name: production
    apps:
      - name: web
        path: charts/web
        renderer: helm
        helm: { releaseName: shop, namespace: prod, valuesFiles: [values.yaml, values-prod.yaml] }
render:
  helm: ${helm}
`;

  it('renders a chart with helm template, release name, namespace and values files', async () => {
    const r = repo({ ...chart, '.github/ferry.yml': config(TEST_HELM) });
    const base = r.commit('chart');
    r.write({ 'charts/web/values-prod.yaml': 'replicas: 6\n' });
    const head = r.commit('scale');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(0);
    const app = plan.environments[0]!.apps[0]!;
    expect(app).toMatchObject({ renderer: 'helm', status: 'rendered' });
    expect(app.changes).toHaveLength(1);
    expect(app.changes[0]).toMatchObject({ action: 'changed', kind: 'Deployment', name: 'shop' });
    expect(app.changes[0]!.diff).toMatch(/-\s+replicas: 4\n\+\s+replicas: 6/);
  });

  it('without a helm binary, the app is skipped with a clear warning, and the CLI exits 3 naming it', async () => {
    const r = repo({ ...chart, '.github/ferry.yml': config('/nonexistent/helm') });
    const base = r.commit('chart');
    r.write({ 'charts/web/values-prod.yaml': 'replicas: 6\n' });
    const head = r.commit('scale');
    const { code, plan, err } = await planJson(r, base, head);
    // Never a silent pass: the exit status says a tool is missing, stderr which apps went unrendered.
    expect(code).toBe(3);
    expect(err).toMatch(/^ferry: helm is not installed or not on PATH; not rendered: \S+\/web$/m);
    const app = plan.environments[0]!.apps[0]!;
    expect(app.status).toBe('skipped');
    expect(app.findings[0]).toMatchObject({ rule: 'helm-unavailable', severity: 'warning' });
    expect(app.findings[0]!.message).toMatch(/no helm binary/);
  });
});

describe('validate command', () => {
  it('renders and validates every app at one ref, tracing findings to file and line', async () => {
    const r = repo();
    r.write({ 'envs/staging/tools/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: staging\nspec:\n  containers:\n    - name: sh\n      image: busybox\n      securityContext:\n        privileged: true\n' });
    const ref = r.commit('pod');
    const res = await cli(['validate', '--repo', r.dir, '--ref', ref, '--format', 'json']);
    expect(res.code).toBe(1);
    const plan = JSON.parse(res.out) as Plan;
    const tools = plan.environments.find((e) => e.name === 'staging')!.apps.find((a) => a.name === 'tools')!;
    const latest = tools.findings.find((f) => f.rule === 'no-latest-tag')!;
    expect(latest).toMatchObject({ file: 'envs/staging/tools/pod.yaml', line: 9, resource: 'Pod/staging/debug' });
    const priv = tools.findings.find((f) => f.rule === 'privileged')!;
    expect(priv).toMatchObject({ file: 'envs/staging/tools/pod.yaml', line: 11 });
    expect(plan.environments.flatMap((e) => e.apps).every((a) => a.changes.length === 0)).toBe(true);
  });

  it('traces a Kustomize resource back to the file it came from', async () => {
    const r = repo();
    r.write({ 'base/web/deployment.yaml': deployment('web', { image: 'nginx' }) });
    const ref = r.commit('untagged');
    const res = await cli(['validate', '--repo', r.dir, '--ref', ref, '--format', 'json', '--env', 'staging']);
    const plan = JSON.parse(res.out) as Plan;
    const web = plan.environments[0]!.apps.find((a) => a.name === 'web')!;
    const f = web.findings.find((x) => x.rule === 'no-latest-tag')!;
    expect(f).toMatchObject({ file: 'base/web/deployment.yaml', line: 17, resource: 'Deployment/staging/web' });
  });
});

describe('workspace sharing', () => {
  it('two plans of the same remote repository can run at once, sharing one mirror', async () => {
    const r = repo();
    const base = r.commit('initial');
    r.write({ 'base/web/deployment.yaml': deployment('web', { replicas: 4 }) });
    const head1 = r.commit('one');
    r.write({ 'envs/staging/tools/job.yaml': envRepoFiles()['envs/staging/tools/job.yaml']!.replace('migrate', 'migrate-2') });
    const head2 = r.commit('two');
    const bare = path.join(tempDir('ferry-remote-'), 'repo.git');
    r.git('clone', '--quiet', '--bare', r.dir, bare);
    const shared = tempDir('ferry-cache-');
    const run = (head: string) => {
      let out = '';
      return main(['plan', '--repo', bare, '--base', base, '--head', head, '--format', 'json', '--cache-dir', shared], { out: (s) => (out += s), err: () => undefined }).then((code) => ({ code, plan: JSON.parse(out) as Plan }));
    };
    const [a, b] = await Promise.all([run(head1), run(head2)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(appsOf(a.plan)).toEqual(['production/web', 'staging/web']);
    expect(appsOf(b.plan)).toEqual(['production/web', 'staging/tools', 'staging/web']);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(shared, 'mirrors'))).toHaveLength(1);
  });
});
