/**
 * An Argo CD repository with ONE ApplicationSet (git directory generator over apps/*)
 * making N Helm-chart Applications (a small chart per app folder). Per size, against
 * baselines measured in the same run:
 * - a PR changing 5 apps' values: Ferry cold (empty render cache) and warm (a re-plan
 *   after one more push), against the floor (helm template of only the 5 apps at base
 *   and head, diff -u);
 * - a PR editing the ApplicationSet itself (every Application planned), cold and warm,
 *   against the baseline a team would script (helm template of every app ×2, diff -u).
 * Prints figures and ratios; asserts nothing.
 *
 *   node --import tsx bench/applicationset.ts 100 400
 *
 * The variant with the chart from a Helm repository on loopback is left out: the real
 * chart fetcher is not on main yet.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/engine.js';
import { fmt, PARALLEL, run, time, worktree } from './contestants.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const HELM = process.env.FERRY_BENCH_HELM
  ?? [path.join(here, '..', 'node_modules', '.cache', 'ferry-test-bin', 'helm')].find(existsSync)
  ?? 'helm';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
}

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), body);
  }
}

function commit(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

const chart = (name: string, replicas: number) => ({
  [`apps/${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`,
  [`apps/${name}/values.yaml`]: `replicas: ${replicas}\nimage: nginx:1.27.0\n`,
  [`apps/${name}/templates/deployment.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { cpu: 100m, memory: 64Mi } }
`,
  [`apps/${name}/templates/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector: { app: {{ .Release.Name }} }\n  ports: [{ port: 80 }]\n`,
});

const appSet = (label: string) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/org/gitops.git
        revision: HEAD
        directories: [{ path: apps/* }]
  template:
    metadata:
      name: '{{path.basename}}'
      labels: { tier: ${label} }
    spec:
      project: default
      source:
        repoURL: https://git.example.com/org/gitops.git
        targetRevision: HEAD
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
`;

/** What a team would script: helm template of each app at base and head, then diff -u. */
async function helmAndDiff(baseDir: string, headDir: string, apps: string[], out: string): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (i < apps.length) {
      const a = apps[i++]!;
      const render = (dir: string) => run(HELM, ['template', a, path.join(dir, 'apps', a), '--namespace', a, '--include-crds']);
      const [b, h] = [await render(baseDir), await render(headDir)];
      writeFileSync(path.join(out, `${a}.base.yaml`), b.out);
      writeFileSync(path.join(out, `${a}.head.yaml`), h.out);
      await run('diff', ['-u', path.join(out, `${a}.base.yaml`), path.join(out, `${a}.head.yaml`)]);
    }
  }));
}

async function measure(n: number): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-appset-'));
  try {
    const repo = path.join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'config', 'user.name', 'Bench');
    git(repo, 'config', 'user.email', 'bench@example.invalid');
    const names = Array.from({ length: n }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    const files: Record<string, string> = {
      '.github/ferry.yml': `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${HELM}\n`,
      'argocd/apps.yaml': appSet('web'),
    };
    for (const a of names) Object.assign(files, chart(a, 1));
    write(repo, files);
    const base = commit(repo, 'apps');
    const changed = names.filter((_, i) => i % Math.ceil(n / 5) === 0).slice(0, 5);
    for (const a of changed) write(repo, { [`apps/${a}/values.yaml`]: 'replicas: 2\nimage: nginx:1.27.0\n' });
    const head = commit(repo, 'scale 5 apps');
    write(repo, { [`apps/${names[1]}/values.yaml`]: 'replicas: 3\nimage: nginx:1.27.0\n' });
    const head2 = commit(repo, 'one more');
    git(repo, 'checkout', '--quiet', base);
    write(repo, { 'argocd/apps.yaml': appSet('edge') });
    const setHead = commit(repo, 'edit the ApplicationSet');
    const setHead2 = (() => {
      write(repo, { [`apps/${names[0]}/values.yaml`]: 'replicas: 4\nimage: nginx:1.27.0\n' });
      return commit(repo, 'one more');
    })();

    const [baseDir, headDir, setDir, out] = ['base', 'head', 'set', 'out'].map((d) => path.join(work, d)) as [string, string, string, string];
    worktree(repo, base, baseDir);
    worktree(repo, head, headDir);
    worktree(repo, setHead, setDir);
    mkdirSync(out);
    const count = (p: Awaited<ReturnType<typeof plan>>) => p.environments.reduce((k, e) => k + e.apps.length, 0);

    const [floor] = await time(() => helmAndDiff(baseDir, headDir, changed, out));
    const cache1 = path.join(work, 'cache1');
    const [cold, p1] = await time(() => plan({ repo, base, head, cacheDir: cache1 }));
    const [warm, p2] = await time(() => plan({ repo, base, head: head2, cacheDir: cache1 }));
    console.log(`  ${n} apps, a PR changing 5 apps' values: floor (helm template of the 5 ×2 + diff -u) ${fmt(floor)} | ferry cold ${fmt(cold)} = ${(cold / floor).toFixed(2)}× floor (${count(p1)} apps planned) | warm re-plan ${fmt(warm)} = ${(warm / floor).toFixed(2)}× floor (${count(p2)} apps)`);

    const [baseline] = await time(() => helmAndDiff(baseDir, setDir, names, out));
    const cache2 = path.join(work, 'cache2');
    const [setCold, p3] = await time(() => plan({ repo, base, head: setHead, cacheDir: cache2 }));
    const [setWarm, p4] = await time(() => plan({ repo, base, head: setHead2, cacheDir: cache2 }));
    console.log(`  ${n} apps, a PR editing the ApplicationSet: baseline (helm template of all ${n} ×2 + diff -u) ${fmt(baseline)} | ferry cold ${fmt(setCold)} = ${(setCold / baseline).toFixed(2)}× baseline (${count(p3)} apps planned) | warm re-plan ${fmt(setWarm)} = ${(setWarm / baseline).toFixed(2)}× baseline (${count(p4)} apps)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (spawnSync(HELM, ['version', '--short']).status !== 0) {
  console.log(`ApplicationSet bench skipped: no helm (${HELM}); set FERRY_BENCH_HELM`);
} else {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  console.log('one ApplicationSet (git directory generator) over N Helm-chart Applications');
  for (const n of sizes.length ? sizes : [100, 400]) await measure(n);
}
