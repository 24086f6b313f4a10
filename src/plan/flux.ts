import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { KUSTOMIZATION_FILES, kustomizationFileIn, resolveRepoPath, type AppInputs } from '../render/kustomization.js';
import { fromOverlay, overlay } from '../render/overlay.js';
import type { AppSpec, Finding, FluxOptions } from '../types.js';
import type { TreeView } from './discover.js';
import type { FluxObject } from './gitops.js';
import { displayURL, ownership, type OwnRepository, type Ownership } from './repo-url.js';
import { GO_YAML } from '../render/yaml-numbers.js';

/**
 * Flux Kustomizations (kustomize.toolkit.fluxcd.io) as apps: what Flux applies is
 * `kustomize build` of `spec.path` in its source, with the Kustomization's own options
 * laid over it, then `postBuild` substitution and `commonMetadata`. The kustomize-level
 * options become a generated overlay that kustomize itself builds (see overlayText), so
 * Ferry does not reimplement them.
 */

/** Where generated overlays are written in a render tree: two levels below the root. */
const OVERLAY_HOME = '.ferry-flux';
/** Flux's variable names (kustomize-controller validates substitute keys against this). */
const VAR_NAME_RE = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const SUBSTITUTE_DISABLED = 'kustomize.toolkit.fluxcd.io/substitute';
/** What a Secret-sourced value reads as in every output. */
export const MASKED_VALUE = '(masked)';

export interface FoundFlux {
  file: string;
  object: FluxObject;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function note(file: string, severity: Finding['severity'], message: string): Finding {
  return { severity, rule: 'flux-kustomization', file, line: null, resource: null, message };
}

/**
 * Which repository a GitRepository clones, from its definitions in this tree (`spec.url`)
 * and the repository's own URLs: `other` only when every definition names another
 * repository, with the URL to show; `unknown` without own URLs, without a definition here,
 * or when definitions disagree. Looked up only when own URLs are known: each lookup reads
 * the YAML files that name it.
 */
export function gitRepositoryOwnership(view: TreeView, namespace: string, name: string, own: OwnRepository | undefined): { is: Ownership; url?: string } {
  if (!own || own.size === 0 || !name) return { is: 'unknown' };
  const urls = definedObjects(view, 'source.toolkit.fluxcd.io/', 'GitRepository', namespace, name).map((d) => str(obj(d.object.spec)?.url) ?? '');
  const seen = new Set(urls.map((u) => ownership(u, own)));
  if (seen.size !== 1) return { is: 'unknown' };
  const is = [...seen][0]!;
  return is === 'other' ? { is, url: urls[0]! } : { is };
}

/**
 * The repository folder a Kustomization's source stands for, or why it cannot be told.
 * A GitRepository is this repository unless its definition here clones another one (by
 * the repository's own URLs, when Ferry knows them); without a URL to tell, it is taken
 * as this repository with an info note (the bootstrap `flux-system` silently);
 * an ExternalArtifact is followed through an ArtifactGenerator whose copies of a
 * GitRepository keep folder structure (`@repo/apps/base/**` → `@artifact/base/`), which
 * makes the artifact a folder of this repository.
 */
function sourceRoot(ks: FoundFlux, generators: FoundFlux[], view: TreeView, own: OwnRepository | undefined): { root: string; notes: Finding[] } | { unsupported: string; elsewhere?: true } {
  const ref = obj(ks.object.spec.sourceRef) ?? {};
  const kind = str(ref.kind) ?? 'GitRepository';
  const name = str(ref.name) ?? '';
  const namespace = str(ref.namespace) ?? ks.object.namespace;
  const assumed = (what: string) => note(ks.file, 'info', `${what} is assumed to be this repository; Ferry cannot tell which repository it clones`);
  const elsewhere = (ns: string, n: string, url: string | undefined) => `GitRepository ${ns}/${n} clones ${displayURL(url ?? '')}, another repository`;
  if (kind === 'GitRepository') {
    const { is, url } = gitRepositoryOwnership(view, namespace, name, own);
    if (is === 'other') return { unsupported: `its source ${elsewhere(namespace, name, url)}`, elsewhere: true };
    // The bootstrap source is the repository that holds the cluster's own manifests.
    const bootstrap = name === 'flux-system' && namespace === 'flux-system';
    return { root: '', notes: bootstrap || is === 'this' ? [] : [assumed(`GitRepository ${namespace}/${name}`)] };
  }
  if (kind === 'Bucket') return { unsupported: `its source Bucket ${namespace}/${name} is object storage (S3, GCS, Azure Blob) that Flux's source-controller downloads, and Ferry reads no bucket` };
  if (kind === 'OCIRepository') return { unsupported: `its source OCIRepository ${namespace}/${name} is an OCI artifact that Flux pulls, not a folder of this repository` };
  if (kind !== 'ExternalArtifact') return { unsupported: `its source ${kind} ${namespace}/${name} is not in this repository` };
  for (const g of generators) {
    if (g.object.namespace !== namespace) continue;
    const artifacts = Array.isArray(g.object.spec.artifacts) ? g.object.spec.artifacts.map(obj) : [];
    const artifact = artifacts.find((a) => a && a.name === name);
    if (!artifact) continue;
    const sources = Array.isArray(g.object.spec.sources) ? g.object.spec.sources.map(obj) : [];
    const copies = Array.isArray(artifact.copy) ? artifact.copy.map(obj) : [];
    const roots = new Set<string>();
    const notes: Finding[] = [];
    for (const c of copies) {
      const from = /^@([^/]+)\/(.*?)\/?\*\*$/.exec(str(c?.from) ?? '');
      const to = /^@artifact\/(.*?)\/?$/.exec(str(c?.to) ?? '');
      const src = from ? sources.find((s) => s?.alias === from[1]) : undefined;
      if (!from || !to || !src || (str(src.kind) ?? '') !== 'GitRepository' || obj(c)?.exclude !== undefined) {
        return { unsupported: `ExternalArtifact ${namespace}/${name}: ArtifactGenerator ${g.object.namespace}/${g.object.name} copies what Ferry does not map to folders of this repository` };
      }
      const repoDir = from[2]!;
      const artDir = to[1]!;
      // The copy keeps structure when the repository folder ends with the artifact folder.
      if (artDir !== '' && repoDir !== artDir && !repoDir.endsWith('/' + artDir)) {
        return { unsupported: `ExternalArtifact ${namespace}/${name}: its copies move folders (${from[0]} → ${to[0]}), which Ferry does not model` };
      }
      roots.add(artDir === '' ? repoDir : repoDir.slice(0, repoDir.length - artDir.length).replace(/\/$/, ''));
      const srcName = str(src.name) ?? '';
      const srcNs = str(src.namespace) ?? g.object.namespace;
      const { is, url } = gitRepositoryOwnership(view, srcNs, srcName, own);
      if (is === 'other') return { unsupported: `ExternalArtifact ${namespace}/${name}: ArtifactGenerator ${g.object.namespace}/${g.object.name} copies from ${elsewhere(srcNs, srcName, url)}`, elsewhere: true };
      if (srcName !== 'flux-system' && is !== 'this') notes.push(assumed(`GitRepository ${srcNs}/${srcName}`));
    }
    if (roots.size !== 1) return { unsupported: `ExternalArtifact ${namespace}/${name}: its copies come from different folders` };
    return { root: [...roots][0]!, notes: [...new Map(notes.map((n) => [n.message, n])).values()] };
  }
  return { unsupported: `ExternalArtifact ${namespace}/${name} has no ArtifactGenerator in this repository` };
}

/** A Kustomization's source folder after symlinks, or null when it leaves the repository. */
export function realFolder(dir: string, view: TreeView): string | null {
  for (let d = dir; d !== ''; d = path.posix.dirname(d) === '.' ? '' : path.posix.dirname(d)) {
    if (view.links?.includes(d)) {
      const r = view.resolveLink?.(d);
      if (!r) return null;
      return r.path + dir.slice(d.length);
    }
  }
  return dir;
}

/**
 * What Flux would write as the kustomization of a folder without one: every YAML file
 * below it, and every subfolder holding a kustomization (not descended into).
 */
function generatedResources(dir: string, view: TreeView): string[] {
  const prefix = dir === '' ? '' : dir + '/';
  const kdirs = new Set<string>();
  const files: string[] = [];
  for (const f of view.files) {
    if (!f.startsWith(prefix)) continue;
    const base = path.posix.basename(f);
    if (KUSTOMIZATION_FILES.includes(base)) kdirs.add(path.posix.dirname(f));
    else if (/\.ya?ml$/i.test(base)) files.push(f);
  }
  const under = (p: string) => {
    for (const k of kdirs) if (p.startsWith(k + '/') && k !== dir) return true;
    return false;
  };
  const out = [...files.filter((f) => !under(f)), ...[...kdirs].filter((k) => !under(k))];
  return out.sort();
}

/** The overlay kustomization Flux's options amount to, for a folder at `dir`. */
function overlayText(dir: string, spec: Record<string, unknown>, resources: string[]): { text: string; dir: string } {
  const k: Record<string, unknown> = {};
  if (str(spec.targetNamespace)) k.namespace = spec.targetNamespace;
  if (str(spec.namePrefix)) k.namePrefix = spec.namePrefix;
  if (str(spec.nameSuffix)) k.nameSuffix = spec.nameSuffix;
  if (Array.isArray(spec.patches) && spec.patches.length) k.patches = spec.patches;
  if (Array.isArray(spec.images) && spec.images.length) k.images = spec.images;
  if (Array.isArray(spec.components) && spec.components.length) {
    k.components = spec.components.filter((c): c is string => typeof c === 'string').map((c) => fromOverlay(resolveRepoPath(dir, c) ?? c));
  }
  return overlay(OVERLAY_HOME, resources, k);
}

/**
 * The apps the Flux Kustomizations in `found` make, and the folders they render (so
 * discovery does not list the same folder again as an app of its own). Kustomizations
 * whose source is not in this repository make no app: their folder is discovered as
 * before, and a warning in `findings` says why (never a silent drop).
 */
export function fluxApps(found: FoundFlux[], generators: FoundFlux[], view: TreeView, envRoot: string, findings?: Finding[], repository?: OwnRepository): { apps: AppSpec[]; covered: Set<string> } {
  const apps = new Map<string, AppSpec>();
  const covered = new Set<string>();
  // The same namespace/name in several folders (one per cluster, without environments
  // in ferry.yml): each is its own app, told apart by the folder holding it.
  const folders = new Map<string, Set<string>>();
  for (const ks of found) {
    const id = `${ks.object.namespace}/${ks.object.name}`;
    folders.set(id, (folders.get(id) ?? new Set()).add(path.posix.dirname(ks.file)));
  }
  for (const ks of found) {
    const id = `${ks.object.namespace}/${ks.object.name}`;
    const name = folders.get(id)!.size > 1 ? `${id} (${path.posix.dirname(ks.file)})` : id;
    if (apps.has(name)) continue;
    const spec = ks.object.spec;
    const src = sourceRoot(ks, generators, view, repository);
    if ('unsupported' in src) {
      const n = note(ks.file, 'warning', `Kustomization ${id} is not rendered offline: ${src.unsupported}`);
      findings?.push(src.elsewhere ? { ...n, rule: 'other-repository' } : n);
      continue;
    }
    const notes = [...src.notes];
    const raw = str(spec.path) ?? '';
    if (raw.includes('${')) continue;
    const joined = resolveRepoPath(src.root, raw.replace(/^\/+/, '').trim());
    let dir = joined === null ? null : realFolder(joined, view);
    if (dir === null) {
      notes.push(note(ks.file, 'error', `spec.path ${JSON.stringify(raw)} leaves the repository`));
      dir = src.root;
    } else if (!view.isDir(dir) && dir !== '') {
      // Another repository's folder, most likely: not an app here (as the docs promise).
      continue;
    } else {
      covered.add(dir);
    }
    for (const c of Array.isArray(spec.components) ? spec.components : []) {
      const p = typeof c === 'string' ? resolveRepoPath(dir, c) : null;
      if (p === null || realFolder(p, view) !== p) notes.push(note(ks.file, 'error', `spec.components: ${JSON.stringify(c)} leaves the repository`));
    }
    if (obj(spec.decryption)) {
      notes.push(note(ks.file, 'info', 'spec.decryption is not applied: encrypted values are shown as they are in the repository'));
    }
    const listed = kustomizationFileIn(dir, view.has) ? null : generatedResources(dir, view);
    // What the generated kustomization lists is part of this app, as a kustomization's resources are.
    for (const p of listed ?? []) covered.add(/\.ya?ml$/i.test(p) ? path.posix.dirname(p) : p);
    const built = overlayText(dir, spec, [dir]);
    const flux: FluxOptions = {
      file: ks.file, name: ks.object.name, namespace: ks.object.namespace, envRoot, spec, notes,
      overlay: built.text, overlayDir: built.dir,
      generated: listed ? { listed, text: stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: listed.map((p) => path.posix.relative(dir, p)) }, GO_YAML) } : null,
    };
    apps.set(name, { name, path: dir, renderer: 'kustomize', flux });
  }
  return { apps: [...apps.values()], covered };
}

/** The files a Flux app's render reads: its folder's walk, its components', its own file and its substitution sources. */
export function fluxInputs(app: AppSpec, view: TreeView, walk: (dir: string, into: AppInputs) => void, into: AppInputs): AppInputs {
  const flux = app.flux!;
  if (!flux.generated) walk(app.path, into);
  else {
    // Without a kustomization, what Flux lists changes with any file added below the folder.
    into.dirs.add(app.path);
    for (const r of flux.generated.listed) if (kustomizationFileIn(r, view.has)) walk(r, into);
  }
  for (const c of Array.isArray(flux.spec.components) ? flux.spec.components : []) {
    const p = typeof c === 'string' ? resolveRepoPath(app.path, c) : null;
    if (p !== null) walk(p, into);
  }
  into.files.add(flux.file);
  const vars = substitutionSources(app, view);
  for (const f of vars.files) into.files.add(f);
  into.findings.push(...flux.notes.filter((n) => n.severity === 'error'));
  return into;
}

interface Variables {
  values: Map<string, string>;
  /** Names whose value came from a Secret: masked wherever substituted. */
  secret: Set<string>;
  files: string[];
  findings: Finding[];
}

const varsMemo = new WeakMap<TreeView, Map<string, Variables>>();
const objectsMemo = new WeakMap<TreeView, Map<string, { file: string; object: Record<string, unknown> }[]>>();

/**
 * Objects of `kind` named `name` written in the repository, by file: in `namespace`
 * (an object without one counts as in it), or in any namespace when it is null.
 * `api` is the apiVersion, or its group (`source.toolkit.fluxcd.io/`) to take any version.
 * Memoised per view: each lookup reads every YAML file that names it.
 */
export function definedObjects(view: TreeView, api: string, kind: string, namespace: string | null, name: string): { file: string; object: Record<string, unknown> }[] {
  let memo = objectsMemo.get(view);
  if (!memo) objectsMemo.set(view, (memo = new Map()));
  const key = `${api}\0${kind}\0${namespace ?? '\0'}\0${name}`;
  const known = memo.get(key);
  if (known) return known;
  const out: { file: string; object: Record<string, unknown> }[] = [];
  const apiOk = (v: unknown) => typeof v === 'string' && (api.endsWith('/') ? v.startsWith(api) : v === api);
  for (const f of view.files) {
    if (!/\.ya?ml$/i.test(f) || /(^|\/)\.[^/]+\//.test(f)) continue;
    const text = view.peek ? view.peek(f) : view.read(f);
    if (!text || !text.includes(name) || !text.includes(kind)) continue;
    let docs: unknown[];
    try {
      docs = parseAllDocuments(text, GO_YAML).map((d) => (d.errors.length ? null : d.toJS({ maxAliasCount: 100 })));
    } catch {
      continue;
    }
    for (const d of docs) {
      const o = obj(d);
      const meta = obj(o?.metadata);
      if (!o || o.kind !== kind || !apiOk(o.apiVersion) || meta?.name !== name) continue;
      if (namespace !== null && (str(meta.namespace) ?? namespace) !== namespace) continue;
      out.push({ file: f, object: o });
    }
  }
  memo.set(key, out);
  return out;
}

/** A ConfigMap's or Secret's data as text (a Secret's `data` decoded, `stringData` over it). */
export function dataOf(o: Record<string, unknown>): Map<string, string> {
  const data = new Map<string, string>();
  if (o.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(obj(o.data) ?? {})) data.set(k, String(v ?? ''));
  } else {
    for (const [k, v] of Object.entries(obj(o.data) ?? {})) data.set(k, Buffer.from(String(v ?? ''), 'base64').toString('utf8'));
    for (const [k, v] of Object.entries(obj(o.stringData) ?? {})) data.set(k, String(v ?? ''));
  }
  return data;
}

/** ConfigMaps or Secrets named `name` in `namespace` written in the repository, by file. */
export function definitions(view: TreeView, kind: 'ConfigMap' | 'Secret', namespace: string, name: string): { file: string; data: Map<string, string> }[] {
  return definedObjects(view, 'v1', kind, namespace, name).map((d) => ({ file: d.file, data: dataOf(d.object) }));
}

/**
 * The variables of a Kustomization's postBuild: `substituteFrom` ConfigMaps and Secrets
 * in order (later ones win), then `substitute`, which wins over all (as Flux does).
 * A source is the object of that name in the Kustomization's namespace written in the
 * repository, preferring one under the environment's folder.
 */
export function substitutionSources(app: AppSpec, view: TreeView): Variables {
  let memo = varsMemo.get(view);
  if (!memo) varsMemo.set(view, (memo = new Map()));
  const flux = app.flux!;
  const key = `${flux.file}\0${app.name}\0${flux.envRoot}\0${JSON.stringify(flux.spec.postBuild ?? null)}`;
  const known = memo.get(key);
  if (known) return known;
  const vars: Variables = { values: new Map(), secret: new Set(), files: [], findings: [] };
  memo.set(key, vars);
  const postBuild = obj(flux.spec.postBuild);
  if (!postBuild) return vars;
  const inEnv = (f: string) => flux.envRoot === '' || f.startsWith(flux.envRoot + '/');
  for (const ref of Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom.map(obj) : []) {
    const kind = ref?.kind === 'Secret' ? 'Secret' : ref?.kind === 'ConfigMap' ? 'ConfigMap' : null;
    const name = str(ref?.name);
    if (!kind || !name) continue;
    const all = definitions(view, kind, flux.namespace, name);
    // Every definition is an input: which one is used can change with any of them.
    for (const d of all) vars.files.push(d.file);
    const local = all.filter((d) => inEnv(d.file));
    const pick = (local.length ? local : all)[0];
    if (!pick) {
      if (ref!.optional !== true) {
        vars.findings.push(note(flux.file, 'warning', `postBuild.substituteFrom: ${kind} ${flux.namespace}/${name} is not defined in this repository; its variables are left unsubstituted`));
      }
      continue;
    }
    if ((local.length || all.length) > 1) {
      vars.findings.push(note(flux.file, 'warning', `postBuild.substituteFrom: ${kind} ${flux.namespace}/${name} is defined ${(local.length || all.length)} times; using the one in ${pick.file}`));
    }
    for (const [k, v] of pick.data) {
      vars.values.set(k, v);
      if (kind === 'Secret') vars.secret.add(k);
      else vars.secret.delete(k);
    }
  }
  for (const [k, v] of Object.entries(obj(postBuild.substitute) ?? {})) {
    vars.values.set(k, String(v ?? ''));
    vars.secret.delete(k);
  }
  for (const k of vars.values.keys()) {
    if (!VAR_NAME_RE.test(k)) vars.findings.push(note(flux.file, 'error', `postBuild: ${JSON.stringify(k.slice(0, 100))} is not a valid variable name (Flux refuses it)`));
  }
  return vars;
}

/**
 * Flux's envsubst on one text: `${VAR}`, `${VAR:-default}` / `${VAR:=default}` (default
 * when unset or empty), `${VAR-default}` / `${VAR=default}` (when unset), and `$${VAR}`
 * for a literal `${VAR}`. A variable without a value is left as written and named in
 * `missing` (Flux, not strict, would write an empty string: Ferry shows what is missing).
 */
export function envsubst(text: string, lookup: (name: string) => string | undefined, missing: Set<string>): string {
  return text.replace(/\$(\$?)\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?)([-=])([^}]*))?\}/g, (all, escaped: string, name: string, colon: string, op: string | undefined, def: string | undefined) => {
    if (escaped) return all.slice(1);
    const v = lookup(name);
    if (op !== undefined) {
      const useDefault = v === undefined || (colon === ':' && v === '');
      return useDefault ? def! : v;
    }
    if (v === undefined) {
      missing.add(name);
      return all;
    }
    return v;
  });
}

/**
 * What Flux does after the build: substitutes variables in each object (except those
 * annotated or labelled `kustomize.toolkit.fluxcd.io/substitute: disabled`), then sets
 * `commonMetadata` labels and annotations on each object's own metadata.
 */
export function fluxPostBuild(app: AppSpec, text: string, view: TreeView, maxBytes = Number.POSITIVE_INFINITY): { text: string; findings: Finding[] } {
  const flux = app.flux!;
  const postBuild = obj(flux.spec.postBuild);
  const common = obj(flux.spec.commonMetadata);
  const findings: Finding[] = [];
  if (!postBuild && !common) return { text, findings };
  const vars = postBuild ? substitutionSources(app, view) : null;
  if (vars) findings.push(...vars.findings);
  const missing = new Set<string>();
  // A value used many times multiplies: the repository's text is bounded, what it expands
  // to must be too (the plan's output budget), or one Kustomization fills the memory.
  let substituted = 0;
  const lookup = (name: string) => {
    const v = vars!.values.get(name);
    const shown = v !== undefined && vars!.secret.has(name) ? MASKED_VALUE : v;
    if (shown !== undefined && (substituted += shown.length) > maxBytes) throw new OverBudget();
    return shown;
  };
  try {
    return postBuildDocs(flux, text, vars, common, lookup, missing, findings);
  } catch (err) {
    if (!(err instanceof OverBudget)) throw err;
    return { text: '', findings: [...findings, { ...note(flux.file, 'error', `postBuild: substituting variables in Kustomization ${flux.namespace}/${flux.name} makes more than ${Math.round(maxBytes / 2 ** 20)} MiB; not planned`), rule: 'render-limit' }] };
  }
}

class OverBudget extends Error {}

function postBuildDocs(
  flux: NonNullable<AppSpec['flux']>, text: string, vars: ReturnType<typeof substitutionSources> | null, common: Record<string, unknown> | null,
  lookup: (name: string) => string | undefined, missing: Set<string>, findings: Finding[],
): { text: string; findings: Finding[] } {
  const out: string[] = [];
  for (const doc of parseAllDocuments(text, GO_YAML)) {
    if (doc.errors.length) return { text, findings };
    let o = obj(doc.toJS({ maxAliasCount: 100 }));
    if (!o) continue;
    const meta = obj(o.metadata);
    const disabled = obj(meta?.annotations)?.[SUBSTITUTE_DISABLED] === 'disabled' || obj(meta?.labels)?.[SUBSTITUTE_DISABLED] === 'disabled';
    if (vars && !disabled) {
      const substituted = envsubst(stringify(o, GO_YAML), lookup, missing);
      const parsed = parseAllDocuments(substituted, GO_YAML);
      let value: unknown = null;
      try {
        value = parsed.length === 1 && !parsed[0]!.errors.length ? parsed[0]!.toJS({ maxAliasCount: 100 }) : null;
      } catch {
        value = null;
      }
      if (!obj(value)) {
        findings.push({ ...note(flux.file, 'error', `postBuild: substitution made ${String(o.kind)}/${String(meta?.name)} invalid YAML`), rule: 'render-error' });
        continue;
      }
      o = value as Record<string, unknown>;
    }
    if (common) {
      const m = (o.metadata = { ...(obj(o.metadata) ?? {}) }) as Record<string, unknown>;
      for (const field of ['labels', 'annotations'] as const) {
        const add = obj(common[field]);
        if (add && Object.keys(add).length) m[field] = { ...(obj(m[field]) ?? {}), ...add };
      }
    }
    out.push(stringify(o, GO_YAML));
  }
  for (const name of [...missing].sort()) {
    findings.push({
      severity: 'warning', rule: 'flux-unsubstituted-variable', file: flux.file, line: null, resource: null,
      message: `Kustomization ${flux.namespace}/${flux.name}: \${${name}} has no value in postBuild.substitute or substituteFrom; it is shown unsubstituted (Flux would apply an empty string)`,
    });
  }
  return { text: out.join('---\n'), findings };
}
