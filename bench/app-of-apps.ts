/**
 * An Argo CD app of apps whose parent is a chart: one written root Application renders
 * a chart whose template makes one Application per entry of its values (N children),
 * each a small chart folder. Against baselines measured in the same run:
 * - a PR changing 5 children's folders: Ferry cold (empty render cache) and warm (a
 *   re-plan after one more push), against the floor (helm template of the 5 apps at base
 *   and head, diff -u); the parent is rendered at head to list its children;
 * - a PR editing the parent's values for 5 children (a Helm parameter each): the parent
 *   and those 5 are planned, against the floor (helm template of the parent and the 5 ×2).
 * Prints figures and ratios; asserts nothing.
 *
 *   node --import tsx bench/app-of-apps.ts 100 400
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { plan } from '../src/engine.js';
import { chart, commit, git, HELM, write } from './chart-repo.js';
import { fmt, PARALLEL, run, time, worktree } from './contestants.js';

const REPO_URL = 'https://git.example.com/org/gitops.git';

const rootValues = (names: string[], replicas: Map<string, number>) =>
  `apps:\n${names.map((n) => `  - name: ${n}\n    replicas: ${replicas.get(n) ?? 1}\n`).join('')}`;

const ROOT = {
  'root/Chart.yaml': 'apiVersion: v2\nname: root\nversion: 0.1.0\n',
  'root/templates/apps.yaml': `{{- range .Values.apps }}
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
    path: apps/{{ .name }}
    helm:
      parameters:
        - name: replicas
          value: {{ .replicas | quote }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ .name }}
{{- end }}
`,
  'argocd/root.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${REPO_URL}
    path: root
  destination:
    namespace: argocd
`,
};

/** helm template of each app at base and head (with its replicas), then diff -u. */
async function helmAndDiff(baseDir: string, headDir: string, apps: { name: string; chart: string; set?: [string, string] }[], out: string): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (i < apps.length) {
      const a = apps[i++]!;
      const render = (dir: string) => run(HELM, ['template', a.name, path.join(dir, a.chart), '--namespace', a.name, ...(a.set ? ['--set', `${a.set[0]}=${a.set[1]}`] : [])]);
      const [b, h] = [await render(baseDir), await render(headDir)];
      writeFileSync(path.join(out, `${a.name}.base.yaml`), b.out);
      writeFileSync(path.join(out, `${a.name}.head.yaml`), h.out);
      await run('diff', ['-u', path.join(out, `${a.name}.base.yaml`), path.join(out, `${a.name}.head.yaml`)]);
    }
  }));
}

async function measure(n: number): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-aoa-'));
  try {
    const repo = path.join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'config', 'user.name', 'Bench');
    git(repo, 'config', 'user.email', 'bench@example.invalid');
    const names = Array.from({ length: n }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    const files: Record<string, string> = {
      '.github/ferry.yml': `environments:\n  - name: prod\nrender:\n  helm: ${HELM}\n`,
      ...ROOT,
      'root/values.yaml': rootValues(names, new Map()),
    };
    for (const a of names) Object.assign(files, chart(a, 1));
    write(repo, files);
    const base = commit(repo, 'apps');
    const changed = names.filter((_, i) => i % Math.ceil(n / 5) === 0).slice(0, 5);
    for (const a of changed) write(repo, { [`apps/${a}/values.yaml`]: 'replicas: 1\nimage: nginx:1.28.0\n' });
    const head = commit(repo, 'bump 5 apps');
    write(repo, { [`apps/${names[1]}/values.yaml`]: 'replicas: 1\nimage: nginx:1.28.0\n' });
    const head2 = commit(repo, 'one more');
    git(repo, 'checkout', '--quiet', base);
    write(repo, { 'root/values.yaml': rootValues(names, new Map(changed.map((c) => [c, 3]))) });
    const valuesHead = commit(repo, 'scale 5 apps in the parent');
    write(repo, { 'root/values.yaml': rootValues(names, new Map([...changed, names[1]!].map((c) => [c, 3]))) });
    const valuesHead2 = commit(repo, 'one more');

    const [baseDir, headDir, valuesDir, out] = ['base', 'head', 'values', 'out'].map((d) => path.join(work, d)) as [string, string, string, string];
    worktree(repo, base, baseDir);
    worktree(repo, head, headDir);
    worktree(repo, valuesHead, valuesDir);
    mkdirSync(out);
    const count = (p: Awaited<ReturnType<typeof plan>>) => p.environments.reduce((k, e) => k + e.apps.length, 0);

    const [floor] = await time(() => helmAndDiff(baseDir, headDir, changed.map((c) => ({ name: c, chart: `apps/${c}` })), out));
    const cache1 = path.join(work, 'cache1');
    const [cold, p1] = await time(() => plan({ repo, base, head, cacheDir: cache1 }));
    const [warm, p2] = await time(() => plan({ repo, base, head: head2, cacheDir: cache1 }));
    console.log(`  ${n} children, a PR changing 5 children's folders: floor (helm template of the 5 ×2 + diff -u) ${fmt(floor)} | ferry cold ${fmt(cold)} = ${(cold / floor).toFixed(2)}× floor (${count(p1)} apps planned) | warm re-plan ${fmt(warm)} = ${(warm / floor).toFixed(2)}× floor (${count(p2)} apps)`);

    const floorApps = [{ name: 'root', chart: 'root' }, ...changed.map((c) => ({ name: c, chart: `apps/${c}`, set: ['replicas', '3'] as [string, string] }))];
    const [floor2] = await time(() => helmAndDiff(baseDir, valuesDir, floorApps, out));
    const cache2 = path.join(work, 'cache2');
    const [vCold, p3] = await time(() => plan({ repo, base, head: valuesHead, cacheDir: cache2 }));
    const [vWarm, p4] = await time(() => plan({ repo, base, head: valuesHead2, cacheDir: cache2 }));
    console.log(`  ${n} children, a PR editing 5 children's values in the parent: floor (helm template of the parent and the 5 ×2 + diff -u) ${fmt(floor2)} | ferry cold ${fmt(vCold)} = ${(vCold / floor2).toFixed(2)}× floor (${count(p3)} apps planned) | warm re-plan ${fmt(vWarm)} = ${(vWarm / floor2).toFixed(2)}× floor (${count(p4)} apps)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
console.log('Argo CD app of apps (a chart of Applications):');
for (const n of sizes.length ? sizes : [100]) await measure(n);
