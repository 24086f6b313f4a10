import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Finding } from '../types.js';
import type { TreeView } from './discover.js';
import type { ArgoObject } from './gitops.js';
import { matchDirGlob } from './gitops.js';
import { goTemplate, MAX_STRING, sanitizeName, TemplateError } from './gotemplate.js';
import { filesUnder } from './listing.js';
import { displayURL, ownership, type OwnRepository } from './repo-url.js';
import { GO_YAML } from '../render/yaml-numbers.js';

/**
 * ApplicationSets expanded offline, against the tree of the side being planned: the
 * generators that read only the repository (list, git directories and files, and the
 * matrix and merge of those) make parameter sets, and the template makes one
 * Application per set. Generators that need a cluster or an API are reported, never
 * silently dropped.
 */

/** Applications one ApplicationSet may make; parameter sets past it are cut, and a finding says so. */
export const MAX_APPS_PER_SET = 5000;
const MAX_DEPTH = 3;
const MAX_FILE_BYTES = 256 * 1024;
/** Text all of a set's templates may make: far above what 5000 real Applications need. */
const SET_BYTES = 64 * 2 ** 20;
const OFFLINE = ['clusters', 'clusterDecisionResource', 'scmProvider', 'pullRequest', 'plugin'];

export interface FoundArgo {
  file: string;
  object: ArgoObject;
}

/** An Application an ApplicationSet makes: its name and namespace, its rendered spec, the files it came from. */
export interface GeneratedApp {
  name: string;
  namespace: string;
  spec: Record<string, unknown>;
  reads: string[];
}

type Params = Record<string, unknown>;

interface Expansion {
  view: TreeView;
  file: string;
  go: boolean;
  findings: Finding[];
  reads: Set<string>;
  /** A parameter set's own files (git files generator), by set. */
  origin: WeakMap<Params, string>;
  cut: boolean;
  /** A generator left out (needs a cluster, or unknown): its Applications are not planned. */
  lost: boolean;
  /** Steps (folders and files matched, parameter sets made) the expansion may still take. */
  steps: number;
  /** Characters the templates may still make (SET_BYTES for the whole set). */
  left: number;
  /** This repository's own URLs: a git generator reading another repository is not expanded. */
  repository?: OwnRepository;
}

/**
 * Steps one ApplicationSet's expansion may take: a matrix runs its second generator once
 * per parameter set of the first, so a list of thousands over a git files generator would
 * otherwise match every file of the tree thousands of times (minutes, on the event loop).
 */
export const MAX_EXPANSION_STEPS = 2_000_000;

class TooCostly extends Error {}

function step(ex: Expansion, n = 1): void {
  ex.steps -= n;
  if (ex.steps < 0) throw new TooCostly();
}

/** A git files generator's matched file, parsed once per tree however many times a matrix asks. */
const parsedMemo = new WeakMap<TreeView, Map<string, { data: unknown } | { error: string }>>();

function parsedFile(view: TreeView, f: string): { data: unknown } | { error: string } {
  let memo = parsedMemo.get(view);
  if (!memo) parsedMemo.set(view, (memo = new Map()));
  let r = memo.get(f);
  if (!r) {
    const text = view.peek ? view.peek(f) : view.read(f);
    try {
      if (text === null || text.length > MAX_FILE_BYTES) throw new Error('too large');
      r = { data: parseYaml(text, { ...GO_YAML, maxAliasCount: 100 }) as unknown };
    } catch (err) {
      r = { error: (err as Error).message.split('\n')[0]! };
    }
    memo.set(f, r);
  }
  return r;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function note(file: string, severity: Finding['severity'], message: string): Finding {
  return { severity, rule: 'argo-applicationset', file, line: null, resource: null, message };
}

/** Files git-files generators read, per view: an edit to one can change discovery. */
const readsMemo = new WeakMap<TreeView, Set<string>>();
export function applicationSetReads(view: TreeView): ReadonlySet<string> {
  return readsMemo.get(view) ?? new Set();
}

/** Argo CD's fasttemplate: `{{ key }}` replaced by the flat parameter, single pass; unknown keys stay as written. */
export function fastTemplate(text: string, params: Params): string {
  if (!text.includes('{{')) return text;
  let length = text.length;
  return text.replace(/\{\{([^{}]*)\}\}/g, (all, tag: string) => {
    const v = params[tag.trim()];
    const out = v === undefined || v === null ? all : typeof v === 'string' ? v : JSON.stringify(v);
    // A short template repeating a long parameter would make a string of gigabytes.
    length += out.length - all.length;
    if (length > MAX_STRING) throw new TemplateError(`the template makes a string longer than ${MAX_STRING / 1024} KiB`);
    return out;
  });
}

/** Every string in a JSON value rendered, keys kept: values go in once and are never read again as templates. */
function renderValue(v: unknown, render: (s: string) => string): unknown {
  if (typeof v === 'string') return render(v);
  if (Array.isArray(v)) return v.map((x) => renderValue(x, render));
  const o = obj(v);
  if (!o) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = renderValue(x, render);
  return out;
}

function renderWith(ex: Expansion, v: unknown, params: Params): unknown {
  return renderValue(v, (s) => {
    const out = ex.go ? goTemplate(s, params) : fastTemplate(s, params);
    // Many fields, each under the string bound, across thousands of Applications: one budget per set.
    ex.left -= out.length;
    if (ex.left < 0) throw new TemplateError(`the templates make more than ${SET_BYTES / 2 ** 20} MiB of text`);
    return out;
  });
}

/** Nested values as Argo CD flattens them for fasttemplate: `a.b.c`, lists by index. */
function flatten(v: unknown, prefix: string, into: Params): void {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${prefix}.${i}`, into));
  else if (obj(v)) for (const [k, x] of Object.entries(obj(v)!)) flatten(x, prefix ? `${prefix}.${k}` : k, into);
  else into[prefix] = v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v);
}

function pathParams(ex: Expansion, dir: string, file: string | null): Params {
  const segments = dir === '' ? [] : dir.split('/');
  const basename = path.posix.basename(dir);
  if (ex.go) {
    const p: Record<string, unknown> = { path: dir, basename, basenameNormalized: sanitizeName(basename), segments };
    if (file !== null) Object.assign(p, { filename: path.posix.basename(file), filenameNormalized: sanitizeName(path.posix.basename(file)) });
    return { path: p };
  }
  const out: Params = { path: dir, 'path.basename': basename, 'path.basenameNormalized': sanitizeName(basename) };
  if (file !== null) Object.assign(out, { 'path.filename': path.posix.basename(file), 'path.filenameNormalized': sanitizeName(path.posix.basename(file)) });
  segments.forEach((s, i) => (out[`path[${i}]`] = s));
  return out;
}

function globList(v: unknown): { include: string[]; exclude: string[] } {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const d of Array.isArray(v) ? v.map(obj) : []) {
    if (!d || typeof d.path !== 'string') continue;
    const glob = d.path.trim().replace(/^\.\//, '').replace(/\/+$/, '');
    if (glob && glob.length <= 256 && !glob.startsWith('/') && !glob.split('/').includes('..')) (d.exclude === true ? exclude : include).push(glob);
  }
  return { include, exclude };
}

const foldersMemo = new WeakMap<TreeView, string[]>();

/** Every folder of the tree, sorted, once per view: a matrix may ask for them per parameter set. */
function foldersOf(view: TreeView): string[] {
  let out = foldersMemo.get(view);
  if (out) return out;
  const dirs = new Set<string>();
  for (const f of view.files) {
    for (let d = path.posix.dirname(f); d !== '.' && d !== ''; d = path.posix.dirname(d)) {
      if (dirs.has(d)) break;
      dirs.add(d);
    }
  }
  foldersMemo.set(view, (out = [...dirs].sort()));
  return out;
}

const HIDDEN_RE = /(^|\/)\.[^/]+(\/|$)/;

function gitGenerator(ex: Expansion, g: Record<string, unknown>): Params[] {
  const out: Params[] = [];
  // Another repository's folders and files are not this tree's: matching them here would make Applications Argo CD does not.
  if (typeof g.repoURL === 'string' && ownership(g.repoURL, ex.repository) === 'other') {
    const n: Finding = { ...note(ex.file, 'warning', `the git generator reads repoURL ${displayURL(g.repoURL)}, another repository: not expanded offline, its Applications are not planned`), rule: 'other-repository' };
    // Once, however many parameter sets of a matrix ask.
    if (!ex.findings.some((f) => f.message === n.message)) ex.findings.push(n);
    ex.lost = true;
    return out;
  }
  if (Array.isArray(g.directories)) {
    const { include, exclude } = globList(g.directories);
    const folders = foldersOf(ex.view);
    step(ex, folders.length);
    for (const d of folders) {
      if (HIDDEN_RE.test(d)) continue;
      if (include.some((p) => matchDirGlob(p, d)) && !exclude.some((p) => matchDirGlob(p, d))) out.push(pathParams(ex, d, null));
    }
  }
  if (Array.isArray(g.files)) {
    const { include, exclude } = globList(g.files);
    const all = filesUnder(ex.view, '');
    step(ex, all.length);
    for (const f of all) {
      if (HIDDEN_RE.test(f) || !include.some((p) => matchDirGlob(p, f)) || exclude.some((p) => matchDirGlob(p, f))) continue;
      ex.reads.add(f);
      const parsed = parsedFile(ex.view, f);
      if ('error' in parsed) {
        ex.findings.push(note(ex.file, 'error', `git files generator: ${f} cannot be read as YAML or JSON (${parsed.error})`));
        continue;
      }
      const data = parsed.data;
      const dir = path.posix.dirname(f) === '.' ? '' : path.posix.dirname(f);
      for (const item of Array.isArray(data) ? data : [data]) {
        if (!obj(item)) continue;
        const p: Params = {};
        if (ex.go) Object.assign(p, item);
        else flatten(item, '', p);
        Object.assign(p, pathParams(ex, dir, f));
        ex.origin.set(p, f);
        out.push(p);
      }
    }
  }
  if (obj(g.values)) ex.findings.push(note(ex.file, 'warning', 'git generator values are not applied'));
  return out;
}

function listGenerator(ex: Expansion, g: Record<string, unknown>): Params[] {
  let elements: unknown[] = Array.isArray(g.elements) ? g.elements : [];
  if (typeof g.elementsYaml === 'string') {
    try {
      const parsed = parseYaml(g.elementsYaml, { ...GO_YAML, maxAliasCount: 100 }) as unknown;
      if (Array.isArray(parsed)) elements = [...elements, ...parsed];
    } catch (err) {
      ex.findings.push(note(ex.file, 'error', `list generator: elementsYaml is not YAML (${(err as Error).message.split('\n')[0]})`));
    }
  }
  step(ex, elements.length);
  return elements.filter((e) => obj(e)).map((e) => {
    if (ex.go) return { ...obj(e)! };
    const p: Params = {};
    flatten(e, '', p);
    return p;
  });
}

/**
 * Go templates' merge as Argo CD does it (mergo with override): objects on both sides
 * merge key by key, anything else from `b` wins (an empty string or null too).
 */
function deepMerged(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = obj(out[k]) && obj(v) ? deepMerged(obj(out[k])!, obj(v)!) : v;
  return out;
}

/** Go's json.Marshal of a merge key's values: object keys sorted, so the same values make the same key whatever their order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = obj(v);
  if (o) return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

function merged(a: Params, b: Params, ex: Expansion, deep = false): Params {
  const out = deep ? deepMerged(a, b) : { ...a, ...b };
  const fa = ex.origin.get(a);
  const fb = ex.origin.get(b);
  if (fa || fb) ex.origin.set(out, [fa, fb].filter(Boolean).join('\n'));
  return out;
}

function cap(ex: Expansion, out: Params[]): boolean {
  if (out.length < MAX_APPS_PER_SET) return false;
  ex.cut = true;
  return true;
}

function expand(ex: Expansion, g: Record<string, unknown>, depth: number): Params[] {
  const keys = Object.keys(g).filter((k) => k !== 'selector' && k !== 'template');
  if (obj(g.template)) ex.findings.push(note(ex.file, 'warning', 'a generator\'s own template is not applied: Applications use spec.template only'));
  if (obj(g.selector)) ex.findings.push(note(ex.file, 'warning', 'a generator selector is not applied: every parameter set is used'));
  const kind = keys[0];
  if (keys.length !== 1 || !kind) {
    ex.findings.push(note(ex.file, 'error', `a generator must have exactly one kind, got ${JSON.stringify(keys.slice(0, 5))}`));
    return [];
  }
  const spec = obj(g[kind]) ?? {};
  if (kind === 'list') return listGenerator(ex, spec);
  if (kind === 'git') return gitGenerator(ex, spec);
  if (OFFLINE.includes(kind)) {
    ex.findings.push(note(ex.file, 'warning', `the ${kind} generator is not expanded offline (it needs a cluster or an API): its Applications are not planned`));
    ex.lost = true;
    return [];
  }
  if (kind !== 'matrix' && kind !== 'merge') {
    ex.findings.push(note(ex.file, 'warning', `the ${JSON.stringify(kind.slice(0, 50))} generator is not known to Ferry: its Applications are not planned`));
    ex.lost = true;
    return [];
  }
  if (depth >= MAX_DEPTH) {
    ex.findings.push(note(ex.file, 'error', `${kind} generators nest deeper than ${MAX_DEPTH}; not expanded`));
    return [];
  }
  const children = (Array.isArray(spec.generators) ? spec.generators : []).map(obj).filter((c): c is Record<string, unknown> => !!c);
  if (kind === 'matrix') {
    if (children.length !== 2) {
      ex.findings.push(note(ex.file, 'error', `a matrix generator takes two generators, got ${children.length}`));
      return [];
    }
    const out: Params[] = [];
    for (const p1 of expand(ex, children[0]!, depth + 1)) {
      // The second generator may use the first's parameters.
      let second: Record<string, unknown>;
      try {
        second = obj(renderWith(ex, children[1], p1)) ?? {};
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        ex.findings.push(note(ex.file, 'error', `matrix: ${err.message}`));
        continue;
      }
      for (const p2 of expand(ex, second, depth + 1)) {
        step(ex);
        if (cap(ex, out)) return out;
        out.push(merged(p1, p2, ex));
      }
    }
    return out;
  }
  // As Argo CD's merge generator: two or more generators, at least one key; each
  // generator's parameter sets must be unique by the keys (the first's too), else Argo CD
  // refuses the whole set; a key is read at the top level of a parameter set, also with
  // Go templates (`values.x` is a flat key of fasttemplate, not a path: Argo CD does not
  // merge on nested values); a missing key is null, and values compare as JSON (1 is not "1").
  const mergeKeys = [...new Set((Array.isArray(spec.mergeKeys) ? spec.mergeKeys : []).filter((k): k is string => typeof k === 'string'))];
  if (children.length < 2 || !mergeKeys.length) {
    ex.findings.push(note(ex.file, 'error', children.length < 2 ? `a merge generator takes two or more generators, got ${children.length}` : 'a merge generator needs mergeKeys'));
    return [];
  }
  const keyOf = (p: Params) => stableJson(Object.fromEntries(mergeKeys.map((k) => [k, p[k] ?? null])));
  const byKey = (sets: Params[], n: number): Map<string, Params> | null => {
    const out = new Map<string, Params>();
    for (const p of sets) {
      const k = keyOf(p);
      if (out.has(k)) {
        ex.findings.push(note(ex.file, 'error', `merge: generator ${n} of ${children.length} makes two parameter sets with the same mergeKeys values (${k.slice(0, 200)}); Argo CD refuses the set`));
        return null;
      }
      out.set(k, p);
    }
    return out;
  };
  const base = expand(ex, children[0]!, depth + 1);
  if (!byKey(base, 1)) return [];
  for (const [i, child] of children.slice(1).entries()) {
    const over = byKey(expand(ex, child, depth + 1), i + 2);
    if (!over) return [];
    for (let j = 0; j < base.length; j++) {
      const o = over.get(keyOf(base[j]!));
      if (o) base[j] = merged(base[j]!, o, ex, ex.go);
    }
  }
  return base;
}

export interface Expanded {
  apps: GeneratedApp[];
  findings: Finding[];
  /** False when some of the set's Applications may be missing from `apps` (an error, a
   *  generator not expanded offline, the cap): absent there is not absent in Argo CD. */
  complete: boolean;
}

/** The Applications an ApplicationSet makes at this tree, and what Ferry could not do. */
export function expandApplicationSet(set: FoundArgo, view: TreeView, repository?: OwnRepository): Expanded {
  const spec = set.object.spec;
  const label = `ApplicationSet ${set.object.namespace}/${set.object.name}`;
  const ex: Expansion = { view, file: set.file, go: spec.goTemplate === true, findings: [], reads: new Set(), origin: new WeakMap(), cut: false, lost: false, steps: MAX_EXPANSION_STEPS, left: SET_BYTES, ...(repository ? { repository } : {}) };
  const template = obj(spec.template);
  if (!template) return { apps: [], findings: [note(set.file, 'error', `${label} has no template`)], complete: false };
  if (spec.templatePatch !== undefined) ex.findings.push(note(set.file, 'warning', `${label}: templatePatch is not applied`));
  const params: Params[] = [];
  try {
    for (const g of (Array.isArray(spec.generators) ? spec.generators : []).map(obj)) {
      if (!g) continue;
      for (const p of expand(ex, g, 0)) {
        if (cap(ex, params)) break;
        params.push(p);
      }
    }
  } catch (err) {
    if (!(err instanceof TooCostly)) throw err;
    // An error the plan shows, rather than a part of the set planned as if it were all.
    return { apps: [], findings: [...ex.findings, note(set.file, 'error', `${label}: expanding its generators takes more than ${MAX_EXPANSION_STEPS.toLocaleString('en')} steps (files and folders matched, parameter sets made); not expanded, none of its Applications are planned`)], complete: false };
  }
  let memo = readsMemo.get(view);
  if (!memo) readsMemo.set(view, (memo = new Set()));
  for (const f of ex.reads) memo.add(f);
  if (ex.cut) ex.findings.push(note(set.file, 'warning', `${label} makes more than ${MAX_APPS_PER_SET} Applications; only the first ${MAX_APPS_PER_SET} are planned`));
  const apps: GeneratedApp[] = [];
  const names = new Set<string>();
  const failures = new Map<string, number>();
  for (const p of params) {
    let app: Record<string, unknown>;
    try {
      app = obj(renderWith(ex, template, p)) ?? {};
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      failures.set(err.message, (failures.get(err.message) ?? 0) + 1);
      continue;
    }
    const name = obj(app.metadata)?.name;
    if (typeof name !== 'string' || !name || name.includes('{{')) {
      failures.set(`the template makes no Application name (${JSON.stringify(String(name ?? '').slice(0, 80))})`, 1);
      continue;
    }
    if (names.has(name)) {
      ex.findings.push(note(set.file, 'error', `${label} makes two Applications named ${JSON.stringify(name.slice(0, 100))} (Argo CD refuses the set)`));
      continue;
    }
    names.add(name);
    const reads = ex.origin.get(p)?.split('\n') ?? [];
    apps.push({ name, namespace: set.object.namespace, spec: obj(app.spec) ?? {}, reads });
  }
  for (const [message, n] of failures) ex.findings.push(note(set.file, 'error', `${label}: ${message}; ${n} Application${n === 1 ? ' is' : 's are'} not planned`));
  return { apps, findings: ex.findings, complete: !ex.cut && !ex.lost && !ex.findings.some((f) => f.severity === 'error') };
}
