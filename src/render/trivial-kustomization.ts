import type { Resource } from '../types.js';
import { isDigit, loadBlockDocument, resolvePlain, UNSUPPORTED } from './block-yaml.js';
import { isRemoteRef, KUSTOMIZATION_FILES } from './kustomization.js';
import { decodeManifest, identityOf, parseSourceManifests, splitDocuments } from './manifests.js';
import { sourcePointer } from './merge-keys.js';
import { isRecord } from '../util/is-record.js';

/**
 * A kustomization that only lists files of its own folder (`resources:` and nothing else)
 * makes kustomize load those files and print them again: no transformer runs. Such a
 * folder is rendered here, from the files as Ferry parses them, with exactly what
 * `kubectl kustomize` prints (kustomize v5, as kubectl ≥ 1.27 bundles it), so no sandboxed
 * process is started. Each resource keeps its source file and line, as a plain app's do.
 *
 * What kustomize does to such resources, and is reproduced here: every object goes
 * through go-yaml v3 into Go values, JSON, and go-yaml v2 again (kyaml's MarshalJSON, then
 * sigs.k8s.io/yaml's JSONToYAML), so mapping keys come out in go-yaml v2's order, `-0.0`
 * is 0, an empty `metadata.annotations` is dropped, and the resources are in kustomize's
 * legacy order (Namespace first, webhooks last). Anything this module does not know to be
 * unchanged by that trip is declined, and the app goes to kubectl as before: kubectl's own
 * errors (a missing file, a duplicate id, `.inf`) then reach the user exactly as they did.
 *
 * Files are read only through `TrivialTree`: regular files of the commit, under the
 * kustomization's folder (kustomize's default load restrictor), never a symlink.
 */
export interface TrivialTree {
  /** A regular file of the commit, a folder, anything else there ('other': a symlink), or nothing (null). */
  entry(path: string): 'file' | 'dir' | 'other' | null;
  /** A regular file's bytes, or null when it cannot be read (over a size limit). */
  read(path: string): Buffer | null;
}

export type TrivialRender = { ok: true; resources: Resource[]; bytes: number } | { ok: false; declined: string };

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'resources']);
const KUSTOMIZATION_API = 'kustomize.config.k8s.io/v1beta1';

/** Renders `dir`'s kustomization in process when it is trivial; otherwise says why not. */
export function renderTrivialKustomization(dir: string, tree: TrivialTree, maxBytes: number): TrivialRender {
  const files = trivialResourceFiles(dir, tree);
  if (typeof files === 'string') return decline(files);
  const resources: Resource[] = [];
  const ids = new Set<string>();
  let bytes = 0;
  for (const file of files) {
    const data = tree.read(file);
    if (data === null) return decline(`${file} cannot be read`);
    bytes += data.length;
    // The output is about the size of the input: past the render limit, kubectl says so.
    if (bytes > maxBytes / 2) return decline('the files are larger than half the render output limit');
    const decoded = decodeManifest(data, file);
    if ('finding' in decoded) return decline(`${file}: ${decoded.finding.message}`);
    const parsed = fileResources(decoded.text, file);
    if (typeof parsed === 'string') return decline(`${file}: ${parsed}`);
    for (const r of parsed) {
      // kustomize's ids are group, version, kind, namespace (`default` and none alike) and
      // name; Ferry traces rendered resources to their source by kind and name.
      const key = `${r.id.kind}\0${r.id.name}`;
      if (ids.has(key)) return decline(`two resources are ${r.id.kind}/${r.id.name}`);
      ids.add(key);
      resources.push(r);
    }
  }
  if (resources.some((r) => r.id.kind === 'Namespace' && r.id.apiVersion !== 'v1')) {
    return decline('a Namespace of a group other than core, which kustomize orders specially');
  }
  const ordered = legacyOrder(resources);
  return ordered ? { ok: true, resources: ordered, bytes } : decline('two kinds sort alike in kustomize\'s order');
}

function decline(reason: string): TrivialRender {
  return { ok: false, declined: reason };
}

/**
 * The files a trivial kustomization in `dir` lists, in its order, or why it is not
 * trivial. Exactly one kustomization file, a regular file of one block-style document
 * with only `apiVersion`, `kind`, `metadata.name` and `resources`, listing regular files
 * below `dir` by plain relative paths, each once.
 */
export function trivialResourceFiles(dir: string, tree: TrivialTree): string[] | string {
  const present = KUSTOMIZATION_FILES.map((f) => join(dir, f)).filter((p) => tree.entry(p) !== null);
  if (present.length !== 1) return present.length ? 'more than one kustomization file' : 'no kustomization file';
  const kfile = present[0]!;
  if (tree.entry(kfile) !== 'file') return 'the kustomization file is not a regular file';
  const data = tree.read(kfile);
  const decoded = data === null ? null : decodeManifest(data, kfile);
  if (!decoded || 'finding' in decoded) return 'the kustomization file cannot be read';
  if (splitDocuments(decoded.text).length !== 1) return 'the kustomization file has more than one document';
  const k = loadBlockDocument(decoded.text);
  if (k === UNSUPPORTED || !isRecord(k)) return 'the kustomization is not a block-style mapping';
  for (const key of Object.keys(k)) if (!KUSTOMIZATION_KEYS.has(key)) return `the kustomization has \`${key}\``;
  if (k.apiVersion !== undefined && k.apiVersion !== KUSTOMIZATION_API) return 'the kustomization has another apiVersion';
  if (k.kind !== undefined && k.kind !== 'Kustomization') return 'the kustomization has another kind';
  if (k.metadata !== undefined) {
    const m = k.metadata;
    if (!isRecord(m) || Object.keys(m).some((x) => x !== 'name') || !isEverywhereString(m.name)) return 'the kustomization has metadata other than a name';
  }
  const list = k.resources;
  if (!Array.isArray(list) || list.length === 0) return '`resources` is not a list of files';
  const files: string[] = [];
  const seen = new Set<string>();
  for (const ref of list) {
    const p = localFile(dir, ref);
    if (p === null) return `resource ${JSON.stringify(ref)} is not a plain relative path`;
    if (seen.has(p)) return `${p} is listed twice`;
    seen.add(p);
    if (tree.entry(p) !== 'file' || !throughFolders(dir, p, tree)) return `${p} is not a regular file of the commit`;
    files.push(p);
  }
  return files;
}

/** Whether every folder between `dir` and the file `p` below it is a folder (not a link to one). */
function throughFolders(dir: string, p: string, tree: TrivialTree): boolean {
  for (let i = p.indexOf('/', dir ? dir.length + 1 : 0); i >= 0; i = p.indexOf('/', i + 1)) {
    if (tree.entry(p.slice(0, i)) !== 'dir') return false;
  }
  return true;
}

/** Characters of a resource path taken as is: no URL, glob, home, space or escape of any kind. */
const PLAIN_PATH = /^[A-Za-z0-9._/-]+$/;

/**
 * `ref` joined to `dir`, when it names a file at or below `dir` by a plain relative path
 * (a leading `./` allowed; no `..`, `.`, empty or absolute component); else null.
 */
export function localFile(dir: string, ref: unknown): string | null {
  if (typeof ref !== 'string' || !PLAIN_PATH.test(ref) || !isEverywhereString(ref) || isRemoteRef(ref)) return null;
  let rest = ref;
  while (rest.startsWith('./')) rest = rest.slice(2);
  if (rest.split('/').some((c) => c === '' || c === '.' || c === '..')) return null;
  return join(dir, rest);
}

function join(dir: string, rest: string): string {
  return dir ? `${dir}/${rest}` : rest;
}

/** go-yaml v2's plain scalars that are not strings, other than numbers: kustomize reads its kustomization with it. */
const YAML11_WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL|<<|=)$/;
/** Every character a number or timestamp of any YAML reading (Go's ParseInt, ParseFloat, hex floats, `.inf`) can hold. */
const NUMBERISH = /^[-+0-9._xXoObBeEpPa-fA-FiInNtTyYzZ:]*$/;

/**
 * A kustomization's value that every YAML reading keeps a string, written plain or quoted:
 * kustomize reads the kustomization with go-yaml v2 (YAML 1.1: `yes` is true, `0644` a
 * number), Ferry with go-yaml v3's rules.
 */
function isEverywhereString(v: unknown): boolean {
  if (typeof v !== 'string' || v === '' || YAML11_WORDS.test(v) || typeof resolvePlain(v) !== 'string') return false;
  const c = v.charCodeAt(0);
  const numberStart = c === 0x2e || c === 0x2b || c === 0x2d || (c >= 0x30 && c <= 0x39);
  return !(numberStart && NUMBERISH.test(v));
}

/**
 * go-yaml v3 reads a plain scalar that starts with four digits and a `-` as a timestamp,
 * and kustomize prints it as RFC 3339 (`2024-01-01` becomes "2024-01-01T00:00:00Z"). A file
 * with anything like it where a plain scalar can start (a line's start, after white space,
 * `[`, `{`, `,` or `:`) is declined, in comments and inside longer scalars too; not after
 * a letter, digit, quote or `-` (`CVE-2021-25740` in a description).
 */
const TIMESTAMP_LIKE = /(?<![^\s[{,:])\d{4}-\d/;

/**
 * A folded block scalar (`>`, `>-`, `>+`, `>2`): go-yaml v3 folds more-indented lines and
 * keeps trailing blank lines otherwise than js-yaml (`>-` over `a`, ` b`, `c` is "a\n\n b\nc"
 * to kustomize, "a\n b\nc" to js-yaml). Anything like its header is declined.
 */
const FOLDED_SCALAR = /(?:^|[\s:-])>[-+0-9]*[ \t]*(?:#.*)?$/m;
/** `\/` in a double-quoted scalar is `/` to js-yaml; kustomize refuses the file. */
const SLASH_ESCAPE = /\\\//;

/** The resources of one listed file, each as kustomize prints it, or why the file is declined. */
function fileResources(text: string, file: string): Resource[] | string {
  if (TIMESTAMP_LIKE.test(text)) return 'a value may be a timestamp, which kustomize rewrites';
  if (FOLDED_SCALAR.test(text)) return 'a folded block scalar, which kustomize folds otherwise';
  if (SLASH_ESCAPE.test(text)) return 'an escaped slash, which kustomize refuses';
  const parsed = parseSourceManifests(text, file, { requireIdentity: true, simpleYaml: true });
  if (parsed.declined) return 'a document is not simple YAML of one object';
  if (parsed.findings.length) return parsed.findings[0]!.message;
  const out: Resource[] = [];
  const budget = { pairs: KEY_ORDER_PAIRS_PER_FILE };
  for (const r of parsed.resources) {
    const why = unusualObject(r.object);
    if (why) return `${r.id.kind}/${r.id.name}: ${why}`;
    const object = asKustomizePrints(r.object, budget);
    if (object === DECLINED) return `${r.id.kind}/${r.id.name}: a value or key kustomize would print differently`;
    const source = r.source!;
    const locate = source.locate;
    out.push({
      id: identityOf(object as Record<string, unknown>)!,
      object: object as Record<string, unknown>,
      // As a render traced to its source (render.ts traceTo): list items found by merge key.
      source: { ...source, ...(locate ? { locate: (pointer: string) => locate(sourcePointer(object, r.object, pointer)) } : {}) },
    });
  }
  return out;
}

/** Kinds kustomize reads as its own configuration when listed as a resource (Flux's Kustomization is not one). */
const KUSTOMIZE_KINDS = new Set(['Kustomization', 'Component']);
const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io/';
/** Annotations and labels kustomize and kyaml act on (`config.kubernetes.io/local-config`, ids, paths, behaviours). */
const KUSTOMIZE_KEY = /config\.kubernetes\.io|config\.k8s\.io/;

/** Why kustomize might treat this object other than as a resource it passes through, or null. */
function unusualObject(obj: Record<string, unknown>): string | null {
  const kind = obj.kind as string;
  const apiVersion = obj.apiVersion as string;
  if (KUSTOMIZE_KINDS.has(kind) && !apiVersion.startsWith(FLUX_KUSTOMIZE_GROUP)) return `kind ${kind}`;
  const meta = obj.metadata;
  if (!isRecord(meta)) return 'no metadata';
  if (typeof meta.name !== 'string' || meta.name === '') return 'no metadata.name';
  if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || meta.namespace === '')) return 'an empty or odd metadata.namespace';
  for (const field of ['labels', 'annotations'] as const) {
    const v = meta[field];
    if (v === undefined) continue;
    if (!isRecord(v)) return `metadata.${field} is not a mapping`;
    // kustomize drops an empty annotations mapping, and turns numbers in it into strings.
    if (field === 'annotations' && Object.keys(v).length === 0) return 'empty metadata.annotations';
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') return `metadata.${field}.${k} is not a string`;
      if (KUSTOMIZE_KEY.test(k)) return `metadata.${field}.${k} is kustomize's own`;
    }
  }
  return null;
}

const DECLINED: unique symbol = Symbol('declined');

/**
 * The value as kustomize prints it and Ferry reads the print back, or DECLINED when that
 * is not known to be the value itself. Go's JSON has no `.inf` or `.nan` (kubectl fails),
 * and no `-0`. A string Ferry would read as something else when printed plain must be
 * printed quoted by go-yaml v2: only the common forms are known to be. A `null` in a list
 * is an error in kustomize.
 */
function asKustomizePrints(v: unknown, budget: { pairs: number }): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? (v === 0 ? 0 : v) : DECLINED;
  if (typeof v === 'string') return printsAsItself(v) && !ODD_CHARS.test(v) ? v : DECLINED;
  if (v === null || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null) return DECLINED;
      const x = asKustomizePrints(v[i], budget);
      if (x === DECLINED) return DECLINED;
      out[i] = x;
    }
    return out;
  }
  if (!isRecord(v)) return DECLINED;
  const keys = Object.keys(v);
  // go-yaml v3 merges a `<<` key, js-yaml keeps it.
  // `__proto__` would set the copy's prototype instead of a key.
  for (const k of keys) if (k === '<<' || k === '__proto__' || !isStringKey(k) || !isSortableKey(k)) return DECLINED;
  const sorted = goYamlKeyOrder(keys, budget);
  if (!sorted) return DECLINED;
  const out: Record<string, unknown> = {};
  for (const k of sorted) {
    const x = asKustomizePrints(v[k], budget);
    if (x === DECLINED) return DECLINED;
    out[k] = x;
  }
  return out;
}

/**
 * Characters a double-quoted escape can make that kustomize refuses (controls, C1 and
 * non-characters, surrogates even paired) or reads otherwise (`\N`, `\L`, `\P`, which
 * it folds like line breaks).
 */
const ODD_CHARS = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u2028\u2029\uD800-\uDFFF\uFEFF\uFFFE\uFFFF]/;
const NON_NUMBER_WORDS = /^-?Infinity$|^NaN$/;

/**
 * A key js-yaml gave as a string that was a string in the text too. js-yaml turns a plain
 * key read as a number, boolean or null into a string (`0x1:` becomes "1", `.inf:` becomes
 * "Infinity"); go-yaml keeps such a key's text at the top and refuses it deeper down
 * (kubectl fails). Any key that reads as something else, or is what such a key becomes,
 * is declined.
 */
function isStringKey(k: string): boolean {
  return typeof resolvePlain(k) === 'string' && !NON_NUMBER_WORDS.test(k) && !ODD_CHARS.test(k);
}

const PLAIN_DECIMAL = /^[-+]?(?:0|[1-9][0-9]{0,14})$/;
const PLAIN_FLOAT = /^[-+]?(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+]?[0-9]+)?$/;
const CORE_WORDS = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;

/**
 * Whether the string comes back from go-yaml v2's print as itself: Ferry reads it as a
 * string written plain, or go-yaml v2 is known to quote it (null and boolean words,
 * decimal integers and floats, which it reads as such itself).
 */
function printsAsItself(s: string): boolean {
  const read = resolvePlain(s);
  if (typeof read === 'string') return true;
  if (CORE_WORDS.test(s)) return true;
  return typeof read === 'number' && Number.isFinite(read) && (PLAIN_DECIMAL.test(s) || PLAIN_FLOAT.test(s));
}

/** ASCII, and digit runs short enough to compare exactly as go-yaml's int64 does. */
const SORTABLE_KEY = /^[\x20-\x7e]*$/;
const LONG_DIGITS = /[0-9]{16}/;

function isSortableKey(k: string): boolean {
  return SORTABLE_KEY.test(k) && !LONG_DIGITS.test(k);
}

const HAS_DIGIT = /[0-9]/;

/**
 * Pair comparisons one file may spend checking key orders (a few hundred ms at most): a
 * file of many large maps with digits in their keys is declined past it, not checked for
 * seconds on the engine's thread.
 */
export const KEY_ORDER_PAIRS_PER_FILE = 2_000_000;

/**
 * Keys in the order go-yaml v2 prints a Go map (sorter.go keyList.Less), or null when that
 * order is not certain. The order is natural (`a2` before `a10`), non-letters before
 * letters. It is not a total order for every set of strings (leading zeros), and then Go's
 * sort could answer otherwise: a set whose keys hold digits is checked pair by pair, out of
 * `budget.pairs`; null when the budget runs out.
 */
export function goYamlKeyOrder(keys: string[], budget: { pairs: number } = { pairs: KEY_ORDER_PAIRS_PER_FILE }): string[] | null {
  const sorted = [...keys].sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
  if (!keys.some((k) => HAS_DIGIT.test(k))) return sorted;
  budget.pairs -= (sorted.length * (sorted.length - 1)) / 2;
  if (budget.pairs < 0) return null;
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (!goYamlKeyLess(sorted[i]!, sorted[j]!) || goYamlKeyLess(sorted[j]!, sorted[i]!)) return null;
    }
  }
  return sorted;
}

const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** go-yaml v2's keyList.Less for two ASCII strings. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const al = isLetter(ca);
    const bl = isLetter(cb);
    if (al && bl) return ca < cb;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ca === 0x30 || cb === 0x30) {
      for (let j = i - 1; j >= 0 && isDigit(a.charCodeAt(j)); j--) {
        if (a.charCodeAt(j) !== 0x30) {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < a.length && isDigit(a.charCodeAt(ai)); ai++) an = an * 10 + (a.charCodeAt(ai) - 0x30);
    let bi = i;
    for (; bi < b.length && isDigit(b.charCodeAt(bi)); bi++) bn = bn * 10 + (b.charCodeAt(bi) - 0x30);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ca < cb;
  }
  return a.length < b.length;
}

/** kustomize's default order (api/internal/builtins/SortOrderTransformer.go, `legacy`). */
const ORDER_FIRST = [
  'Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role',
  'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange',
  'PriorityClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const TYPE_ORDER = new Map<string, number>([
  ...ORDER_FIRST.map((k, i): [string, number] => [k, i - ORDER_FIRST.length]),
  ...ORDER_LAST.map((k, i): [string, number] => [k, i + 1]),
]);

function groupVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/**
 * Sorted as kustomize's legacy order: by kind's rank, then `group_version_kind`, then
 * `kind.version.group|namespace|name` (with its placeholders for empty parts). Ids are
 * unique here, so the order is total and Go's unstable sort gives the same.
 */
function legacyOrder(resources: Resource[]): Resource[] | null {
  const keyed = resources.map((r) => {
    const [g, v] = groupVersion(r.id.apiVersion);
    const k = r.id.kind;
    const gvk = `${g || '~G'}_${v || '~V'}_${k || '~K'}`;
    const id = `${k || '[noKind]'}.${v || '[noVer]'}.${g || '[noGrp]'}|${r.id.namespace ?? '~X'}|${r.id.name || '~N'}`;
    return { r, rank: TYPE_ORDER.get(k) ?? 0, gvk, id };
  });
  keyed.sort((a, b) => a.rank - b.rank || cmp(a.gvk, b.gvk) || cmp(a.id, b.id));
  // Two group/version pairs may join to one string (`a_b`/`c`, `a`/`b_c`): Go's sort then has a tie.
  for (let i = 1; i < keyed.length; i++) {
    const [x, y] = [keyed[i - 1]!, keyed[i]!];
    if (x.gvk === y.gvk && (x.r.id.apiVersion !== y.r.id.apiVersion || x.r.id.kind !== y.r.id.kind)) return null;
  }
  return keyed.map((x) => x.r);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

