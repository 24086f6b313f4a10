/**
 * Whole-output comparisons of Ferry's renders with the real tools run by a test on the same
 * inputs: every document of both, parsed, sorted by identity, compared deep-equal. Only what
 * a controller adds on purpose is removed, and each caller names it.
 */
import { execFileSync } from 'node:child_process';
import { parse, parseAllDocuments } from 'yaml';
import type { AppPlan } from '../../src/types.js';
import { TEST_HELM } from './bin.js';
import { tempDir } from './gitrepo.js';

export type Doc = Record<string, unknown>;
type Meta = { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

const meta = (o: Doc): Meta => (o.metadata ?? {}) as Meta;

/** Every document of a tool's output (empty documents left out, as kubectl apply does). */
export function allDocs(text: string): Doc[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((o) => o !== null && typeof o === 'object');
}

/** The objects of an app's `added` changes (optionally those of one producer), read back from their diffs. */
export function addedDocs(app: AppPlan, producer?: string | null): Doc[] {
  return app.changes
    .filter((c) => c.action === 'added' && (producer === undefined || (c.producer ?? null) === producer))
    .map((c) => {
      if (!c.diff) throw new Error(`no diff for added ${c.kind}/${c.name}`);
      return parse(c.diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n')) as Doc;
    });
}

/** Kinds helm and Argo CD never put into a namespace (the charts and folders compared here use no others). */
const CLUSTER_KINDS = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass', 'IngressClass']);

/** Namespaced objects written without a namespace go to `ns` (helm's release namespace, an Application's destination). */
export function defaultNamespace(objs: Doc[], ns: string): Doc[] {
  for (const o of objs) {
    if (CLUSTER_KINDS.has(String(o.kind))) continue;
    const m = (o.metadata ??= {}) as Meta;
    m.namespace ??= ns;
  }
  return objs;
}

/**
 * Removes exactly the named labels and annotations from each object after checking each
 * has the expected value: the controller adds them, the tool does not. A map left empty
 * is removed (the tool's output has none).
 */
export function withoutAdded(objs: Doc[], added: { labels?: Record<string, string>; annotations?: Record<string, string> }): Doc[] {
  for (const o of objs) {
    const m = meta(o);
    for (const field of ['labels', 'annotations'] as const) {
      const want = added[field] ?? {};
      for (const [k, v] of Object.entries(want)) {
        const got = m[field]?.[k];
        if (got !== v) throw new Error(`${String(o.kind)}/${m.name}: ${field} ${k} is ${JSON.stringify(got)}, expected ${JSON.stringify(v)}`);
        delete m[field]![k];
      }
      if (Object.keys(want).length && m[field] && Object.keys(m[field]!).length === 0) delete m[field];
    }
  }
  return objs;
}

const identity = (o: Doc) => `${String(o.apiVersion)}|${String(o.kind)}|${meta(o).namespace ?? ''}|${meta(o).name ?? ''}`;

/** Sorted by identity, so two renders compare regardless of order; identities must be unique. */
export function byIdentity(objs: Doc[]): Doc[] {
  const sorted = [...objs].sort((a, b) => (identity(a) < identity(b) ? -1 : identity(a) > identity(b) ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (identity(sorted[i]!) === identity(sorted[i - 1]!)) throw new Error(`two objects are ${identity(sorted[i]!)}`);
  return sorted;
}

export function identities(objs: Doc[]): string[] {
  return byIdentity(objs).map(identity);
}

/** `helm template` by the test's own hand: the real helm, a fresh home, no repositories. */
export function helmTemplate(args: string[], cwd?: string): Doc[] {
  const home = tempDir('ferry-hand-helm-');
  const env = { PATH: process.env.PATH ?? '', HOME: home, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data` };
  return allDocs(execFileSync(TEST_HELM, ['template', ...args], { cwd, encoding: 'utf8', env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export function kubectlKustomize(dir: string): Doc[] {
  return allDocs(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
}
