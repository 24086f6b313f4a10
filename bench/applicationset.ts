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
 * - the same ApplicationSet with the chart from a Helm repository on loopback (real
 *   `helm package` + `helm repo index`, served by node:http) and each app's values from
 *   this repository (`$values`): a PR changing 5 apps' values, planned with a cold chart
 *   cache (the chart fetched) and a warm one (the chart on disk; the render cache empty
 *   both times), against helm template of the 5 apps ×2 from the packaged chart.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { plan } from '../src/engine.js';
import { chartFetcher } from '../src/render/charts/index.js';
import { chart, commit, git, HELM, write } from './chart-repo.js';
import { fmt, PARALLEL, run, time, worktree } from './contestants.js';


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

const remoteSet = (url: string) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/org/gitops.git
        revision: HEAD
        directories: [{ path: values/* }]
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      sources:
        - repoURL: ${url}
          chart: web
          targetRevision: 1.0.0
          helm:
            valueFiles: ['$values/{{path}}/values.yaml']
        - repoURL: https://git.example.com/org/gitops.git
          targetRevision: HEAD
          ref: values
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
`;

/** A Helm repository on 127.0.0.1 holding one chart, indexed by the real helm. */
async function serveChart(work: string): Promise<{ url: string; tgz: string; close: () => void }> {
  const src = path.join(work, 'chart-src');
  const files = chart('web', 1);
  for (const [rel, body] of Object.entries(files)) {
    const abs = path.join(src, rel.replace(/^apps\/web\//, ''));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, body);
  }
  const dir = path.join(work, 'helm-repo');
  mkdirSync(dir);
  execFileSync(HELM, ['package', src, '--version', '1.0.0', '-d', dir], { stdio: 'ignore' });
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dir, name);
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  execFileSync(HELM, ['repo', 'index', dir, '--url', url]);
  return { url, tgz: path.join(dir, 'web-1.0.0.tgz'), close: () => server.close() };
}

async function measureRemote(n: number): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-appset-remote-'));
  const served = await serveChart(work);
  try {
    const repo = path.join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'config', 'user.name', 'Bench');
    git(repo, 'config', 'user.email', 'bench@example.invalid');
    const names = Array.from({ length: n }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    const files: Record<string, string> = {
      '.github/ferry.yml': `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${HELM}\n`,
      'argocd/apps.yaml': remoteSet(served.url),
    };
    for (const a of names) files[`values/${a}/values.yaml`] = 'replicas: 1\n';
    write(repo, files);
    const base = commit(repo, 'apps');
    const changed = names.filter((_, i) => i % Math.ceil(n / 5) === 0).slice(0, 5);
    for (const a of changed) write(repo, { [`values/${a}/values.yaml`]: 'replicas: 2\n' });
    const head = commit(repo, 'scale 5 apps');
    const [baseDir, headDir, out] = ['base', 'head', 'out'].map((d) => path.join(work, d)) as [string, string, string];
    worktree(repo, base, baseDir);
    worktree(repo, head, headDir);
    mkdirSync(out);
    const [floor] = await time(async () => {
      await Promise.all(changed.map(async (a) => {
        const render = (dir: string) => run(HELM, ['template', a, served.tgz, '--namespace', a, '--values', path.join(dir, 'values', a, 'values.yaml')]);
        const [b, h] = [await render(baseDir), await render(headDir)];
        writeFileSync(path.join(out, `${a}.base.yaml`), b.out);
        writeFileSync(path.join(out, `${a}.head.yaml`), h.out);
        await run('diff', ['-u', path.join(out, `${a}.base.yaml`), path.join(out, `${a}.head.yaml`)]);
      }));
    });
    const chartsDir = path.join(work, 'charts');
    const fetcher = () => chartFetcher({ cacheDir: chartsDir, timeoutMs: 30_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: true });
    // A fresh fetcher each time (a new server process): only what is on disk carries over.
    const [cold, p1] = await time(() => plan({ repo, base, head, cacheDir: path.join(work, 'cache1'), charts: fetcher() }));
    const [warm, p2] = await time(() => plan({ repo, base, head, cacheDir: path.join(work, 'cache2'), charts: fetcher() }));
    const planned = (p: Awaited<ReturnType<typeof plan>>) => p.environments.reduce((k, e) => k + e.apps.filter((a) => a.changes.length).length, 0);
    console.log(`  ${n} apps, chart from a loopback Helm repository, a PR changing 5 apps' values: floor (helm template of the 5 ×2 from the .tgz + diff -u) ${fmt(floor)} | ferry, cold chart cache ${fmt(cold)} = ${(cold / floor).toFixed(2)}× floor (${planned(p1)} apps changed) | warm chart cache ${fmt(warm)} = ${(warm / floor).toFixed(2)}× floor (${planned(p2)} apps changed)`);
  } finally {
    served.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (spawnSync(HELM, ['version', '--short']).status !== 0) {
  console.log(`ApplicationSet bench skipped: no helm (${HELM}); set FERRY_BENCH_HELM`);
} else {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  console.log('one ApplicationSet (git directory generator) over N Helm-chart Applications');
  for (const n of sizes.length ? sizes : [100, 400]) await measure(n);
  for (const n of sizes.length ? sizes : [100, 400]) await measureRemote(n);
}
