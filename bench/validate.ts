/**
 * Validation throughput, end to end and on real manifests: `ferry validate` run as a user
 * runs it (a fresh process) over repositories built from real-world GitOps manifests,
 * at three sizes, so the cost's growth with repository size shows. Also the schema
 * validation step alone, in this process. Prints figures; asserts nothing.
 *
 * Sources: ../shared/corpus (podinfo, flux2-kustomize-helm-example). CRD-heavy real
 * repositories join when their git mirrors are present (FERRY_BENCH_MIRRORS, default
 * ../.mirror): kube-prometheus manifests, Argo CD's install.yaml and CRDs, Gateway API
 * CRDs and examples, kubernetes/examples. They are measured twice:
 * - as they are, every copy with its own CRDs: 80% of the bytes are CRD definitions
 *   (about 18 KB of YAML per resource), a worst case for parsing;
 * - as a repository usually holds them: the same manifests in every copy, their CRDs
 *   once (split out of install.yaml, in one `crds/` folder).
 * Selected sets: FERRY_BENCH_SETS=crd-heavy,mix,kustomize (default all).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityOf, parseRenderedObjects } from '../src/render/manifests.js';
import type { Plan, Resource } from '../src/types.js';
import { loadSchemas, validateResources, type ValidateOptions } from '../src/validate/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const corpus = path.resolve(root, '..', 'shared', 'corpus');
const mirrors = process.env.FERRY_BENCH_MIRRORS ?? path.resolve(root, '..', '.mirror');

/** Real repositories' manifest folders: mirror name → paths in it. */
const MIRRORED: Record<string, string[]> = {
  'prometheus-operator+kube-prometheus': ['manifests'],
  'argoproj+argo-cd': ['manifests/install.yaml', 'manifests/crds'],
  'kubernetes-sigs+gateway-api': ['config/crd/standard', 'examples/standard'],
  'kubernetes+examples': ['.'],
};

/** One copy of the chosen sources, in `dir`; returns the names of what was included. */
function writeSources(dir: string, which: 'corpus' | 'mirrors'): string[] {
  const used: string[] = [];
  if (which === 'corpus' && existsSync(corpus)) {
    for (const d of ['podinfo/deploy', 'podinfo/kustomize', 'flux2-kustomize-helm-example']) {
      cpSync(path.join(corpus, d), path.join(dir, 'corpus', d), { recursive: true });
    }
    used.push('../shared/corpus (podinfo, flux2-kustomize-helm-example)');
  }
  for (const [name, paths] of which === 'mirrors' ? Object.entries(MIRRORED) : []) {
    const git = path.join(mirrors, name, 'repo');
    if (!existsSync(git)) continue;
    const out = path.join(dir, name);
    mkdirSync(out, { recursive: true });
    const tar = execFileSync('git', ['--git-dir', git, 'archive', 'HEAD', '--', ...paths], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    execFileSync('tar', ['-x', '-C', out], { input: tar });
    used.push(name.replace('+', '/'));
  }
  if (used.length === 0) return used;
  // Only manifests: scripts, docs and images are not what is measured.
  const prune = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) prune(p);
      else if (!/\.(ya?ml|json)$/i.test(e.name) && e.name !== 'Kustomization') rmSync(p);
    }
  };
  prune(dir);
  return used;
}

const CRD_DOC_RE = /^kind:[ \t]*CustomResourceDefinition[ \t]*$/m;

/**
 * Moves every CustomResourceDefinition document of `dir` into `crds` (same relative
 * paths), and kustomizations left with no manifest beside them: what a repository that
 * deploys these manifests many times holds once.
 */
function splitCrds(dir: string, crds: string, rel = ''): void {
  const here = path.join(dir, rel);
  for (const e of readdirSync(here, { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) {
      splitCrds(dir, crds, r);
      continue;
    }
    if (!/\.ya?ml$/i.test(e.name)) continue;
    const text = readFileSync(path.join(dir, r), 'utf8');
    if (!CRD_DOC_RE.test(text)) continue;
    const docs = text.split(/^---[ \t]*$/m);
    const moved = docs.filter((d) => CRD_DOC_RE.test(d));
    const kept = docs.filter((d) => !CRD_DOC_RE.test(d) && d.trim() !== '');
    mkdirSync(path.dirname(path.join(crds, r)), { recursive: true });
    writeFileSync(path.join(crds, r), moved.join('---\n'));
    if (kept.length) writeFileSync(path.join(dir, r), kept.join('---\n'));
    else rmSync(path.join(dir, r));
  }
  const left = readdirSync(here);
  const k = left.find((f) => /^kustomization\.ya?ml$|^Kustomization$/.test(f));
  if (k && !left.some((f) => f !== k && /\.(ya?ml|json)$/i.test(f))) {
    mkdirSync(path.join(crds, rel), { recursive: true });
    cpSync(path.join(here, k), path.join(crds, rel, k));
    rmSync(path.join(here, k));
  }
}

/** Bytes of manifest text in a folder. */
function bytesIn(d: string): number {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) n += e.isDirectory() ? bytesIn(path.join(d, e.name)) : statSync(path.join(d, e.name)).size;
  return n;
}

/**
 * `copies` copies of the sources, each YAML file marked with its copy's number: copies
 * are distinct blobs, as in a real repository, so no cache (blobs, renders) serves one
 * copy from another.
 */
function buildRepo(copies: number, one: string, shared: string | null = null): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'ferry-bench-validate-'));
  const mark = (d: string, i: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) mark(p, i);
      else if (!/\.json$/i.test(e.name)) appendFileSync(p, `\n# copy ${i}\n`);
    }
  };
  for (let i = 0; i < copies; i++) {
    const dest = path.join(repo, `team-${String(i).padStart(3, '0')}`);
    cpSync(one, dest, { recursive: true });
    mark(dest, i);
  }
  if (shared) cpSync(shared, path.join(repo, 'crds'), { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'ignore' });
  git('init', '--quiet');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '--quiet', '-m', 'corpus');
  // Packed, as a clone is: reading 50,000 loose objects costs git about 2 s of CPU more
  // (an open and an inflate of each), which no checkout a user validates would show.
  git('repack', '-adq');
  return repo;
}

interface Run { seconds: number; cpuSeconds: number | null; rssMb: number | null; resources: number; apps: number }

/**
 * The built CLI, as installed (`npm run bench` builds it first); from source through tsx
 * otherwise, which adds the TypeScript transform (about a second of CPU) to every run.
 */
const built = path.join(root, 'dist', 'cli.js');
/** The newest modification time under a folder. */
const newest = (d: string): number =>
  Math.max(0, ...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(d, e.name)) : statSync(path.join(d, e.name)).mtimeMs)));
// A build older than the sources would measure other code than this checkout's.
const useBuilt = existsSync(built) && statSync(built).mtimeMs >= newest(path.join(root, 'src'));
const entry = useBuilt ? [built] : ['--import', 'tsx', path.join(root, 'src', 'cli.ts')];
const entryName = useBuilt ? 'dist/cli.js' : 'src/cli.ts through tsx, as dist/ is missing or older than src/: run `npm run build` for the built CLI';

/** `ferry validate` in a fresh process, as a user runs it; peak RSS from GNU time when present. */
function validateRepo(repo: string): Run {
  const cli = [process.execPath, ...entry, 'validate', '--repo', repo, '--format', 'json', '--cache-dir', path.join(repo, '.ferry-cache')];
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const t = performance.now();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', '%M %U %S', ...cli], { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8' })
    : spawnSync(cli[0]!, cli.slice(1), { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  const plan = JSON.parse(r.stdout) as Plan;
  const apps = plan.environments.flatMap((e) => e.apps);
  // GNU time's last line: peak RSS (KB), user and system CPU seconds of Ferry and the
  // processes it waited for (git, kubectl): what one core would have to do.
  const [kb, user, sys] = timeBin ? r.stderr.trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN];
  const cpu = user! + sys!;
  return { seconds, cpuSeconds: Number.isFinite(cpu) ? cpu : null, rssMb: Number.isFinite(kb!) ? kb! / 1024 : null, resources: apps.reduce((n, a) => n + (a.resources ?? 0), 0), apps: apps.length };
}

const rate = (r: number) => `${Math.round(r).toLocaleString('en-US')} resources/s`;

// ---- end to end, at several sizes ----
const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-sources-'));
try {
  const sets: Array<{ id: string; which: 'corpus' | 'mirrors'; title: string; targets: number[]; crdsOnce?: boolean }> = [
    { id: 'crd-heavy', which: 'mirrors', title: 'plain manifests, CRD-heavy (every copy with its CRDs)', targets: [10_000, 25_000, 50_000] },
    { id: 'mix', which: 'mirrors', title: 'the same manifests, CRDs once', targets: [10_000, 50_000], crdsOnce: true },
    { id: 'kustomize', which: 'corpus', title: 'Kustomize apps (each rendered by a sandboxed kubectl kustomize, or in process when it only lists files)', targets: [5_000, 10_000] },
  ];
  const only = process.env.FERRY_BENCH_SETS?.split(',');
  for (const set of sets.filter((s) => !only || only.includes(s.id))) {
    const one = path.join(work, set.id);
    const used = writeSources(one, set.which);
    if (used.length === 0) {
      console.log(`ferry validate, ${set.title}: sources not found (${set.which === 'corpus' ? corpus : mirrors}); skipped`);
      continue;
    }
    let shared: string | null = null;
    if (set.crdsOnce) {
      shared = path.join(work, `${set.id}-crds`);
      splitCrds(one, shared);
    }
    console.log(`ferry validate end to end (a fresh process, ${entryName}), ${set.title}: ${used.join(', ')}`);
    const probe = buildRepo(1, one, shared);
    const perRepo = validateRepo(probe).resources;
    rmSync(probe, { recursive: true, force: true });
    // What the shared CRDs add, counted once: a copy is the rest.
    let sharedResources = 0;
    if (shared) {
      const crdsOnly = buildRepo(0, one, shared);
      sharedResources = validateRepo(crdsOnly).resources;
      rmSync(crdsOnly, { recursive: true, force: true });
    }
    const perCopy = perRepo - sharedResources;
    if (perCopy < 50) throw new Error(`one copy of the sources validated only ${perCopy} resources`);
    const mbPerCopy = bytesIn(one) / 2 ** 20;
    const mbShared = shared ? bytesIn(shared) / 2 ** 20 : 0;
    for (const target of set.targets) {
      const copies = Math.max(1, Math.round((target - sharedResources) / perCopy));
      const repo = buildRepo(copies, one, shared);
      try {
        const r = validateRepo(repo);
        const mb = copies * mbPerCopy + mbShared;
        console.log(
          `  ${copies} copies: ${r.resources.toLocaleString('en-US')} resources in ${r.apps.toLocaleString('en-US')} apps, ${mb.toFixed(0)} MB of YAML (${((mb * 2 ** 20) / r.resources / 1024).toFixed(1)} KB/resource): ${r.seconds.toFixed(2)} s = ${rate(r.resources / r.seconds)}, ${(mb / r.seconds).toFixed(1)} MB/s; ${r.cpuSeconds === null ? 'CPU n/a' : `${r.cpuSeconds.toFixed(2)} s of CPU = ${rate(r.resources / r.cpuSeconds)} on one core`}; peak RSS ${r.rssMb === null ? 'n/a' : `${r.rssMb.toFixed(0)} MB`}`,
        );
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// ---- the schema validation step alone ----
const opts: ValidateOptions = { kubernetesVersion: '1.31', strict: true, rules: {} };

function toResources(objs: Record<string, unknown>[]): Resource[] {
  return objs.flatMap((o) => {
    const id = identityOf(o);
    return id ? [{ id, object: o, source: null }] : [];
  });
}

/** Resources per second over one pass; apps of 50 resources, as the engine validates per app. */
function pass(resources: Resource[]): number {
  const t = performance.now();
  for (let i = 0; i < resources.length; i += 50) validateResources(resources.slice(i, i + 50), opts);
  return resources.length / ((performance.now() - t) / 1000);
}

if (existsSync(corpus)) {
  const dirs = ['podinfo/deploy/overlays/production', 'podinfo/deploy/overlays/staging', 'podinfo/deploy/overlays/dev', 'podinfo/kustomize', 'flux2-kustomize-helm-example/apps/staging', 'flux2-kustomize-helm-example/infrastructure/controllers'];
  const objs = dirs.flatMap((d) => parseRenderedObjects(execFileSync('kubectl', ['kustomize', path.join(corpus, d)], { encoding: 'utf8' })));
  const one = toResources(objs);
  // The Flux example's kinds are validated with the bundled schemas, loaded ahead as the engine does.
  await loadSchemas(one.map((r) => r.id));
  const many = Array.from({ length: Math.ceil(20_000 / one.length) }, () => one).flat();
  const cold = pass(many);
  const warm = pass(many);
  console.log(`schema validation step alone (strict, one core), rendered corpus (${one.length} distinct resources, repeated to ${many.length}): cold ${rate(cold)}, warm ${rate(warm)}`);
}
