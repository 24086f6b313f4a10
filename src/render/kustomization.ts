import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseYamlValue } from './manifests.js';
import type { Finding } from '../types.js';
import { append } from '../util/append.js';
import { GO_YAML } from './yaml-numbers.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Finds the kustomization file of a folder in a tree listing, if any. */
export function kustomizationFileIn(dir: string, has: (p: string) => boolean): string | null {
  for (const f of KUSTOMIZATION_FILES) {
    const p = dir ? `${dir}/${f}` : f;
    if (has(p)) return p;
  }
  return null;
}

/** Everything a render of one app reads from the repository. */
export interface AppInputs {
  /** Repository-relative files. */
  files: Set<string>;
  /** Folders read whole (Helm charts): any file below them is an input. */
  dirs: Set<string>;
  /** Kustomization folders reached, the app's own included. */
  kustomizations: Set<string>;
  findings: Finding[];
}

export function emptyInputs(): AppInputs {
  return { files: new Set(), dirs: new Set(), kustomizations: new Set(), findings: [] };
}

/**
 * What kustomize would fetch: URLs, go-getter forms (`git::`), scp-like `git@host:`,
 * and host-first paths (`github.com/org/repo//dir?ref=v1`).
 */
export function isRemoteRef(ref: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) ||
    /^[a-z0-9]+::/i.test(ref) ||
    /^[^/\s]+@[^/\s]+:/.test(ref) ||
    /^(github\.com|gitlab\.com|bitbucket\.org)\//i.test(ref) ||
    /\?(ref|version|submodules|timeout)=/.test(ref)
  );
}

/** Joins a reference to its folder; null when it leaves the repository. */
export function resolveRepoPath(fromDir: string, ref: string): string | null {
  if (path.posix.isAbsolute(ref)) return null;
  const joined = path.posix.normalize(path.posix.join(fromDir || '.', ref));
  if (joined === '..' || joined.startsWith('../')) return null;
  return joined === '.' ? '' : joined.replace(/\/$/, '');
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : [];
}

/** Generator `files` entries may be `key=path`. */
function generatorFile(entry: string): string {
  const eq = entry.indexOf('=');
  return eq >= 0 ? entry.slice(eq + 1) : entry;
}

/** References of one kustomization, split into folders (maybe kustomizations) and files. */
export interface KustomizationRefs {
  paths: string[];
  files: string[];
  chartHome: string | null;
  remoteCharts: string[];
  /** Generator, transformer and validator configurations: files (or folders) and inline documents. */
  configFiles: string[];
  inlineConfigs: string[];
  /** What Ferry will not render, with the reason. */
  refused: string[];
}

export function kustomizationRefs(doc: Record<string, unknown>): KustomizationRefs {
  const paths = [...strings(doc.resources), ...strings(doc.bases), ...strings(doc.components)];
  const files: string[] = [];
  append(files, strings(doc.patchesStrategicMerge).filter((p) => !p.includes('\n')));
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    for (const p of objects(doc[key])) if (typeof p.path === 'string') files.push(p.path);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of objects(doc[key])) {
      append(append(files, strings(g.files).map(generatorFile)), strings(g.envs));
      if (typeof g.env === 'string') files.push(g.env);
    }
  }
  const configFiles: string[] = [];
  const inlineConfigs: string[] = [];
  for (const key of ['transformers', 'generators', 'validators']) {
    for (const t of strings(doc[key])) (t.includes('\n') ? inlineConfigs : configFiles).push(t);
  }
  const refused: string[] = [];
  append(append(files, strings(doc.crds)), strings(doc.configurations));
  const openapi = doc.openapi as Record<string, unknown> | undefined;
  if (openapi && typeof openapi.path === 'string') files.push(openapi.path);
  let chartHome: string | null = null;
  const remoteCharts: string[] = [];
  const charts = objects(doc.helmCharts);
  if (charts.length) {
    const globals = (doc.helmGlobals ?? {}) as Record<string, unknown>;
    // kustomize points Helm's config and data homes there: PR-written Helm plugins.
    if (globals.configHome !== undefined) refused.push('`helmGlobals.configHome` is not supported: Helm runs with a configuration Ferry provides');
    chartHome = typeof globals.chartHome === 'string' ? globals.chartHome : 'charts';
    for (const c of charts) {
      if (typeof c.repo === 'string' && c.repo.trim()) remoteCharts.push(`${typeof c.name === 'string' ? c.name : '?'} from ${c.repo}`);
      // Both reach helm's command line as positional arguments.
      if (c.releaseName !== undefined && !isReleaseName(c.releaseName)) {
        refused.push(`helmCharts release name ${JSON.stringify(c.releaseName)} is not a valid Helm release name (lowercase letters, digits, - and ., at most 53)`);
      }
      if (typeof c.name !== 'string' || !isChartName(c.name)) {
        refused.push(`helmCharts chart name ${JSON.stringify(c.name)} must be a folder name under the chart home (no /, no .., not starting with -)`);
      }
      if (typeof c.valuesFile === 'string') files.push(c.valuesFile);
      append(files, strings(c.additionalValuesFiles));
    }
  }
  if (doc.helmChartInflationGenerator !== undefined) {
    refused.push('`helmChartInflationGenerator` (deprecated) is not supported; list the chart under `helmCharts`');
  }
  if (!charts.length && doc.helmGlobals && typeof doc.helmGlobals === 'object' && (doc.helmGlobals as Record<string, unknown>).configHome !== undefined) {
    refused.push('`helmGlobals.configHome` is not supported: Helm runs with a configuration Ferry provides');
  }
  return { paths, files, chartHome, remoteCharts, configFiles, inlineConfigs, refused };
}

/** A Helm release name as Helm itself requires it (and never something that reads as a flag). */
export function isReleaseName(v: unknown): boolean {
  // Helm's own rule (pkg/chartutil ValidateReleaseName).
  return typeof v === 'string' && v.length <= 53 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v);
}

function isChartName(v: string): boolean {
  return v !== '' && !v.includes('/') && !v.includes('\\') && v !== '.' && v !== '..' && !v.startsWith('-');
}

/**
 * Files a builtin generator or transformer configuration reads (PatchTransformer's
 * `path`, a ConfigMapGenerator's `files`, …), and what Ferry refuses in one: Helm
 * inflation, which is only supported through `helmCharts` in the kustomization, where
 * its chart home and repository are checked.
 */
export function configRefs(doc: Record<string, unknown>): { files: string[]; refused: string[] } {
  const files: string[] = [];
  const refused: string[] = [];
  const kind = typeof doc.kind === 'string' ? doc.kind : '';
  if (kind === 'HelmChartInflationGenerator') {
    refused.push('a HelmChartInflationGenerator configuration is not supported; list the chart under `helmCharts` in the kustomization');
  }
  if (typeof doc.path === 'string') files.push(doc.path);
  append(files, strings(doc.paths));
  append(append(files, strings(doc.files).map(generatorFile)), strings(doc.envs));
  if (typeof doc.env === 'string') files.push(doc.env);
  for (const r of objects(doc.replacements)) if (typeof r.path === 'string') files.push(r.path);
  return { files, refused };
}

type Refs = KustomizationRefs;
const refsMemo = new Map<string, Refs | string>();

/**
 * A monorepo's overlays share a few bases; each kustomization text is parsed once per
 * process, not once per app that reaches it. Returns the error message on bad YAML.
 */
export function parsedRefs(text: string): Refs | string {
  let r = refsMemo.get(text);
  if (r === undefined) {
    try {
      const parsed: unknown = parseYamlValue(text);
      r = kustomizationRefs(parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {});
    } catch (err) {
      r = (err as Error).message.split('\n')[0] ?? 'invalid YAML';
    }
    if (refsMemo.size > 100_000) refsMemo.clear();
    refsMemo.set(text, r);
  }
  return r;
}

/**
 * Walks an app's kustomization and everything it references, recursively. `has`
 * answers whether a repository path is a file; `read` returns a file's text. With
 * `shallow`, folders the kustomization references are recorded in `kustomizations`
 * but not walked: discovery looks at every kustomization once, and walking each one's
 * whole tree would cost the square of a chain's length.
 */
export function collectKustomizeInputs(
  appDir: string,
  has: (p: string) => boolean,
  isDir: (p: string) => boolean,
  read: (p: string) => string,
  into: AppInputs = emptyInputs(),
  resolveLink?: (p: string) => { kind: 'file' | 'dir'; path: string } | null,
  shallow = false,
  /** A kustomization file's references, when the caller knows them without reading it (by blob id). */
  refsOf: (kfile: string) => KustomizationRefs | string = (kfile) => parsedRefs(read(kfile)),
): AppInputs {
  new InputWalk(appDir, has, isDir, read, into, resolveLink, shallow, refsOf).visit(appDir, appDir);
  return into;
}

/**
 * One walk of collectKustomizeInputs. Methods, not closures made per folder: discovery
 * walks every kustomization of a monorepo, and the closures were a good part of the cost.
 */
class InputWalk {
  constructor(
    private readonly appDir: string,
    private readonly has: (p: string) => boolean,
    private readonly isDir: (p: string) => boolean,
    private readonly read: (p: string) => string,
    private readonly into: AppInputs,
    private readonly resolveLink: ((p: string) => { kind: 'file' | 'dir'; path: string } | null) | undefined,
    private readonly shallow: boolean,
    private readonly refsOf: (kfile: string) => KustomizationRefs | string,
  ) {}

  visit(dir: string, from: string): void {
    const into = this.into;
    if (into.kustomizations.has(dir)) return;
    if (this.shallow && dir !== this.appDir) {
      into.kustomizations.add(dir);
      return;
    }
    const kfile = kustomizationFileIn(dir, this.has);
    if (!kfile) {
      // Looked for and missing is an input too: a kustomization added here changes the render.
      into.kustomizations.add(dir);
      into.findings.push({
        severity: 'error', rule: 'render-error', file: from, line: null, resource: null,
        message: `${dir || '.'}: no kustomization.yaml in referenced folder`,
      });
      return;
    }
    into.kustomizations.add(dir);
    into.files.add(kfile);
    const refs = this.refsOf(kfile);
    if (typeof refs === 'string') {
      into.findings.push({ severity: 'error', rule: 'yaml-error', file: kfile, line: null, resource: null, message: `cannot parse kustomization: ${refs}` });
      return;
    }
    for (const ref of refs.paths) this.follow(dir, kfile, ref, false);
    for (const chart of refs.remoteCharts) this.remote(kfile, `Helm chart ${chart}`);
    for (const m of refs.refused) this.refuse(kfile, m);
    // Generator and transformer configurations: their own references are inputs too, so a
    // change to a patch that only a PatchTransformer names still plans the app.
    for (const ref of refs.configFiles) this.follow(dir, kfile, ref, true);
    for (const inline of refs.inlineConfigs) this.useConfig(dir, kfile, inline, kfile);
    for (const ref of refs.files) {
      const p = resolveRepoPath(dir, ref);
      if (p === null) this.escape(kfile, ref);
      else into.files.add(p);
    }
    if (refs.chartHome !== null) {
      const p = resolveRepoPath(dir, refs.chartHome);
      if (p === null) this.escape(kfile, refs.chartHome);
      else into.dirs.add(p);
    }
  }

  private escape(kfile: string, ref: string): void {
    this.into.findings.push({
      severity: 'error', rule: 'path-escape', file: kfile, line: null, resource: null,
      message: `"${ref}" points outside the repository; Ferry does not read it`,
    });
  }

  private remote(kfile: string, what: string): void {
    this.into.findings.push({
      severity: 'error', rule: 'remote-reference', file: kfile, line: null, resource: null,
      message: `${what} is fetched from the network; Ferry renders without network access and does not fetch it (vendor it into the repository)`,
    });
  }

  private refuse(file: string, message: string): void {
    this.into.findings.push({ severity: 'error', rule: 'render-refused', file, line: null, resource: null, message });
  }

  /** A file reached: an input, and with `config` a generator or transformer configuration whose own references are read. */
  private onFile(dir: string, kfile: string, p: string, config: boolean): void {
    this.into.files.add(p);
    if (config) this.useConfig(dir, kfile, this.read(p), p);
  }

  /**
   * A local reference: a folder is a kustomization, a file an input. What is neither
   * kustomize would take for a remote reference and try to fetch: refused here,
   * before any renderer runs.
   */
  private follow(dir: string, kfile: string, ref: string, config: boolean): void {
    const into = this.into;
    const has = this.has;
    if (isRemoteRef(ref)) return this.remote(kfile, `"${ref}"`);
    const p = resolveRepoPath(dir, ref);
    if (p === null) return this.escape(kfile, ref);
    if (this.isDir(p)) {
      // A file on the other side (deleted or replaced by this folder) is a change to this app.
      into.files.add(p);
      return this.visit(p, kfile);
    }
    // A symlink, or a path through a symlinked folder: the link is copied for the
    // render, and what it resolves to is an input (a base is checked like any other).
    const link = has(p) ? p : linkPrefix(p, has);
    const real = link && this.resolveLink ? this.resolveLink(p) : null;
    if (link && real) {
      into.files.add(link);
      if (real.kind === 'dir') return this.visit(real.path, kfile);
      return this.onFile(dir, kfile, real.path, config);
    }
    if (has(p)) return this.onFile(dir, kfile, p, config);
    if (link) into.files.add(link);
    else {
      // Missing now, maybe present on the other side: a change there (the file, a
      // folder's kustomization, or a symlinked folder on its path) is a change to this app.
      for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) into.files.add(p.slice(0, i));
      into.files.add(p);
      into.kustomizations.add(p);
      into.findings.push({
        severity: 'error', rule: 'render-error', file: kfile, line: null, resource: null,
        message: `"${ref}" (${p || '.'}) does not exist in the repository`,
      });
    }
  }

  private useConfig(dir: string, kfile: string, text: string, from: string): void {
    let docs: unknown[];
    try {
      docs = parseAllDocuments(text, GO_YAML).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    } catch {
      return; // kustomize reports a broken configuration itself
    }
    for (const d of docs) {
      if (!d || typeof d !== 'object' || Array.isArray(d)) continue;
      const c = configRefs(d as Record<string, unknown>);
      for (const m of c.refused) this.refuse(from, m);
      for (const ref of c.files) {
        if (isRemoteRef(ref)) {
          this.remote(kfile, `"${ref}"`);
          continue;
        }
        const p = resolveRepoPath(dir, ref);
        if (p === null) this.escape(kfile, ref);
        else this.into.files.add(p);
      }
    }
  }
}

/** The first ancestor of `p` that is a file in the listing (a symlinked folder), or null. */
function linkPrefix(p: string, has: (p: string) => boolean): string | null {
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (has(p.slice(0, i))) return p.slice(0, i);
  return null;
}

/** Path accessors over a tree listing; `read` supplies file contents. */
export function treeReader(index: Map<string, unknown>, read: (p: string) => string) {
  const dirs = new Set<string>();
  for (const p of index.keys()) {
    let d = path.posix.dirname(p);
    while (d !== '.' && !dirs.has(d)) {
      dirs.add(d);
      d = path.posix.dirname(d);
    }
  }
  dirs.add('');
  return {
    has: (p: string) => index.has(p),
    isDir: (p: string) => dirs.has(p),
    read,
    dirs,
  };
}
