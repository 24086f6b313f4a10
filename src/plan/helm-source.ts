import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { resolveRepoPath } from '../render/kustomization.js';
import type { ChartRef } from '../render/charts/types.js';
import type { Resource } from '../types.js';
import type { TreeView } from './discover.js';
import { dataOf, definedObjects, gitRepositoryOwnership, realFolder } from './flux.js';
import { displayURL, type OwnRepository } from './repo-url.js';
import { setOwn, setTargetPath } from './target-path.js';
import { GO_VALUES_YAML } from '../render/yaml-numbers.js';

/**
 * What a Flux HelmRelease (helm.toolkit.fluxcd.io/v2*) installs, resolved as Flux does
 * from the repository alone: the chart's source, the values document, the release name
 * and namespace. Pure over a tree view; helm-release.ts runs it.
 */

const SOURCE_API = 'source.toolkit.fluxcd.io/';
/** Helm's limit on release names; Flux shortens longer ones (helm-controller's release.ShortenName). */
const MAX_RELEASE = 53;

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function isHelmRelease(o: Obj): boolean {
  return typeof o.apiVersion === 'string' && o.apiVersion.startsWith('helm.toolkit.fluxcd.io/v2') && o.kind === 'HelmRelease';
}

/** Flux's release name: spec.releaseName, else `[targetNamespace-]name`, shortened past 53 characters. */
export function releaseName(name: string, spec: Obj): string {
  const target = str(spec.targetNamespace);
  const full = str(spec.releaseName) ?? (target ? `${target}-${name}` : name);
  if (full.length <= MAX_RELEASE) return full;
  const sum = createHash('sha256').update(full).digest('hex');
  return `${full.slice(0, MAX_RELEASE - 13)}-${sum.slice(0, 12)}`;
}

/** Where the chart comes from. */
export type ChartSource =
  | { kind: 'dir'; dir: string; valuesFiles: string[]; ignoreMissing?: boolean; notes: string[] }
  /** valuesFiles here are paths inside the fetched chart. */
  | { kind: 'fetch'; ref: ChartRef; valuesFiles: string[]; ignoreMissing?: boolean; notes: string[] }
  /** Cannot be had offline, or not defined here: a `chart-unavailable` finding. */
  | { kind: 'unavailable'; message: string }
  /** The repository asks for something Ferry must not do: an error. */
  | { kind: 'refused'; rule: string; message: string };

/** A source object (HelmRepository, OCIRepository, HelmChart): the app's own first, then anywhere in the repository. */
function sourceObject(kind: string, name: string, namespace: string, resources: Resource[], view: TreeView): Obj | null {
  const own = resources.find((r) => r.id.kind === kind && r.id.name === name && (r.id.namespace ?? namespace) === namespace && r.id.apiVersion.startsWith(SOURCE_API));
  if (own) return own.object;
  return definedObjects(view, SOURCE_API, kind, namespace, name)[0]?.object ?? null;
}

/** `spec.chart.spec` (or a HelmChart's spec): a chart in a HelmRepository, or a folder of a GitRepository. */
function fromChartSpec(cs: Obj, namespace: string, resources: Resource[], view: TreeView, own: OwnRepository | undefined): ChartSource {
  const ref = obj(cs.sourceRef) ?? {};
  const kind = str(ref.kind) ?? '';
  const name = str(ref.name) ?? '';
  const ns = str(ref.namespace) ?? namespace;
  const chart = str(cs.chart) ?? '';
  const valuesFiles = Array.isArray(cs.valuesFiles) ? cs.valuesFiles.filter((v): v is string => typeof v === 'string') : [];
  const ignoreMissing = cs.ignoreMissingValuesFiles === true;
  if (!chart) return { kind: 'unavailable', message: 'spec.chart.spec.chart is not set' };
  if (kind === 'GitRepository') {
    const repo = gitRepositoryOwnership(view, ns, name, own);
    // Another repository's chart folder is not this tree's, whatever folder of the same name is here.
    if (repo.is === 'other') return { kind: 'unavailable', message: `chart source GitRepository ${ns}/${name} is not rendered offline: it clones ${displayURL(repo.url ?? '')}, another repository` };
    const notes = (name === 'flux-system' && ns === 'flux-system') || repo.is === 'this' ? [] : [`GitRepository ${ns}/${name} is assumed to be this repository; Ferry cannot tell which repository it clones`];
    const joined = resolveRepoPath('', chart.replace(/^\/+/, ''));
    const dir = joined === null ? null : realFolder(joined, view);
    if (dir === null || dir === '' && joined !== '') return { kind: 'refused', rule: 'path-escape', message: `chart ${JSON.stringify(chart.slice(0, 200))} leaves the repository` };
    if (!view.has(dir === '' ? 'Chart.yaml' : `${dir}/Chart.yaml`)) return { kind: 'unavailable', message: `chart folder ${dir || '.'} has no Chart.yaml in this repository` };
    // Flux reads these from the source's root; each must stay in the repository.
    const files: string[] = [];
    for (const v of valuesFiles) {
      // Paths are the source root's; a bare `values.yaml` is the chart's own (source-controller's special case).
      const p = v === 'values.yaml' ? resolveRepoPath(dir, v) : resolveRepoPath('', v);
      const real = p === null ? null : realFolder(p, view);
      if (real === null) return { kind: 'refused', rule: 'path-escape', message: `valuesFiles: ${JSON.stringify(v.slice(0, 200))} leaves the repository` };
      files.push(real);
    }
    return { kind: 'dir', dir, valuesFiles: files, ignoreMissing, notes };
  }
  if (kind === 'HelmRepository') {
    const repo = sourceObject('HelmRepository', name, ns, resources, view);
    if (!repo) return { kind: 'unavailable', message: `HelmRepository ${ns}/${name} is not defined in this repository` };
    const url = str(obj(repo.spec)?.url);
    if (!url) return { kind: 'unavailable', message: `HelmRepository ${ns}/${name} has no spec.url` };
    // Paths inside the chart, as source-controller reads them from the package.
    const inChart = valuesFiles.map((v) => v.replace(/^(\.\/)+/, ''));
    return { kind: 'fetch', ref: { repoUrl: url, chart, version: str(cs.version) ?? '*' }, valuesFiles: inChart, ignoreMissing, notes: [] };
  }
  if (kind === 'Bucket') return { kind: 'unavailable', message: `chart source Bucket ${ns}/${name} is not rendered offline: it is object storage (S3, GCS, Azure Blob) that Flux's source-controller downloads, and Ferry reads no bucket` };
  return { kind: 'unavailable', message: `chart source ${JSON.stringify(kind.slice(0, 60))} is not one Ferry knows` };
}

/** The chart a HelmRelease installs: `spec.chartRef` (OCIRepository, HelmChart) or `spec.chart.spec`. */
export function chartSource(spec: Obj, namespace: string, resources: Resource[], view: TreeView, own?: OwnRepository): ChartSource {
  const chartRef = obj(spec.chartRef);
  if (chartRef) {
    const kind = str(chartRef.kind) ?? '';
    const name = str(chartRef.name) ?? '';
    const ns = str(chartRef.namespace) ?? namespace;
    if (kind === 'HelmChart') {
      const hc = sourceObject('HelmChart', name, ns, resources, view);
      if (!hc) return { kind: 'unavailable', message: `HelmChart ${ns}/${name} is not defined in this repository` };
      return fromChartSpec(obj(hc.spec) ?? {}, ns, resources, view, own);
    }
    if (kind !== 'OCIRepository') return { kind: 'unavailable', message: `chartRef kind ${JSON.stringify(kind.slice(0, 60))} is not one Ferry knows` };
    const oci = sourceObject('OCIRepository', name, ns, resources, view);
    if (!oci) return { kind: 'unavailable', message: `OCIRepository ${ns}/${name} is not defined in this repository` };
    const ospec = obj(oci.spec) ?? {};
    const url = (str(ospec.url) ?? '').replace(/\/+$/, '');
    const m = /^(oci:\/\/[^/]+(?:\/.+)?)\/([^/]+)$/.exec(url);
    if (!m) return { kind: 'unavailable', message: `OCIRepository ${ns}/${name}: spec.url ${JSON.stringify(url.slice(0, 200))} is not an oci:// chart` };
    const ref = obj(ospec.ref) ?? {};
    // Flux's order: a digest wins over semver and tag. The fetched manifest must hash to it.
    const digest = str(ref.digest);
    if (digest) {
      if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return { kind: 'unavailable', message: `OCIRepository ${ns}/${name}: spec.ref.digest ${JSON.stringify(digest.slice(0, 100))} is not a sha256 digest` };
      return { kind: 'fetch', ref: { repoUrl: m[1]!, chart: m[2]!, digest }, valuesFiles: [], notes: [] };
    }
    const semverRange = str(ref.semver);
    const tag = str(ref.tag);
    // Flux pulls a tag as it is (`latest` when none is named); the fetcher resolves versions.
    // A tag that is not a version would be resolved to some other chart: say so instead.
    if (!semverRange && !(tag && /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+_-]*)?$/.test(tag))) {
      return { kind: 'unavailable', message: `OCIRepository ${ns}/${name} pulls the tag ${JSON.stringify((tag ?? 'latest').slice(0, 100))}, which is not a version; Ferry fetches OCI charts by version (set spec.ref.semver or a version tag)` };
    }
    const version = semverRange ?? tag;
    return { kind: 'fetch', ref: { repoUrl: m[1]!, chart: m[2]!, ...(version ? { version } : {}) }, valuesFiles: [], notes: [] };
  }
  const cs = obj(obj(spec.chart)?.spec);
  if (!cs) return { kind: 'unavailable', message: 'neither spec.chart.spec nor spec.chartRef is set' };
  return fromChartSpec(cs, namespace, resources, view, own);
}

/** Helm's (and Flux's) merge: maps merge key by key, anything else replaces. */
export function mergeValues(into: Obj, from: Obj): Obj {
  const out: Obj = { ...into };
  for (const [k, v] of Object.entries(from)) {
    // Own keys only (`__proto__` is a key like any other in values, as in helm).
    const a = Object.hasOwn(out, k) ? obj(out[k]) : null;
    const b = obj(v);
    setOwn(out, k, a && b ? mergeValues(a, b) : v);
  }
  return out;
}

/** Every scalar leaf of a value set from one Secret key, as text. */
function typedLeaves(v: unknown, out: Set<string>): void {
  if (typeof v === 'string' || typeof v === 'boolean') out.add(String(v));
  else if (typeof v === 'number' || typeof v === 'bigint') {
    out.add(String(v));
    // Should helm read it from a values file (float64), a template prints a large one as
    // Go does: 84729301 as 8.4729301e+07.
    out.add(Number(v).toExponential().replace(/e([+-])(\d)$/, 'e$10$2'));
  } else if (Array.isArray(v)) v.forEach((x) => typedLeaves(x, out));
}

/** Every string leaf of a value: what a Secret contributed, to be scrubbed from the output. */
function leaves(v: unknown, out: Set<string>): void {
  // Strings only: a port or a flag from a Secret is not worth masking every 5432 or true in the output.
  if (typeof v === 'string') out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => leaves(x, out));
}

/** The largest valuesFrom value read: Kubernetes' own limit on a ConfigMap or Secret. */
const MAX_SOURCE_VALUE = 2 ** 20;

export interface ReleaseValues {
  values: Obj;
  /** Strings that came from a Secret. */
  secrets: Set<string>;
  /** Files read for valuesFrom (every definition of a source is one). */
  files: string[];
  problems: string[];
  /** Bounds of Ferry's own a value passes (not helm-controller's): errors, so nothing is hidden. */
  limits: string[];
  /** Said, not fatal: a source defined more than once with different data (which one was used). */
  notes: string[];
}

/**
 * `spec.valuesFrom` in order, then `spec.values` over them. A source is a ConfigMap or
 * Secret in the release's namespace written in this repository, or among the app's own
 * resources; Flux reads it from the cluster.
 */
export function releaseValues(spec: Obj, namespace: string, resources: Resource[], view: TreeView, from = ''): ReleaseValues {
  const out: ReleaseValues = { values: {}, secrets: new Set(), files: [], problems: [], limits: [], notes: [] };
  for (const ref of Array.isArray(spec.valuesFrom) ? spec.valuesFrom.map(obj) : []) {
    const kind = ref?.kind === 'Secret' ? 'Secret' : ref?.kind === 'ConfigMap' ? 'ConfigMap' : null;
    const name = str(ref?.name);
    if (!kind || !name) {
      out.problems.push('valuesFrom: an entry without kind ConfigMap or Secret and a name');
      continue;
    }
    const key = str(ref!.valuesKey) ?? 'values.yaml';
    const optional = ref!.optional === true;
    const defined = definedObjects(view, 'v1', kind, namespace, name);
    for (const d of defined) out.files.push(d.file);
    const own = resources.find((r) => r.id.kind === kind && r.id.apiVersion === 'v1' && r.id.name === name && (r.id.namespace ?? namespace) === namespace);
    const source = own?.object ?? pickDefinition(defined, key, from, `${kind} ${namespace}/${name}`, out.notes);
    if (!source) {
      if (!optional) out.problems.push(`valuesFrom: ${kind} ${namespace}/${name} is not defined in this repository`);
      continue;
    }
    const data = dataOf(source);
    const text = data.get(key);
    if (text === undefined) {
      if (!optional) out.problems.push(`valuesFrom: ${kind} ${namespace}/${name} has no key ${JSON.stringify(key.slice(0, 100))}`);
      continue;
    }
    // Kubernetes holds no ConfigMap or Secret over 1 MiB: a larger value is not read at all
    // (the --set parser holds one string per character of it).
    if (text.length > MAX_SOURCE_VALUE || Buffer.byteLength(text) > MAX_SOURCE_VALUE) {
      out.limits.push(`valuesFrom: ${kind} ${namespace}/${name} key ${JSON.stringify(key.slice(0, 100))} is larger than 1 MiB, more than Kubernetes stores in a ${kind}`);
      continue;
    }
    const targetPath = str(ref!.targetPath);
    if (targetPath) {
      const set = setTargetPath(out.values, targetPath, text, { secret: kind === 'Secret' });
      if ('problem' in set) (set.limit ? out.limits : out.problems).push(`valuesFrom: ${kind} ${namespace}/${name}: ${set.problem}`);
      // The value came from a Secret key whatever helm types it as: `84729301` is rendered as a
      // number, and is as secret as a string. Each part a comma split off is too.
      else if (kind === 'Secret') {
        set.assigned.forEach((v) => typedLeaves(v, out.secrets));
        out.secrets.add(text);
      }
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parse(text, { ...GO_VALUES_YAML, maxAliasCount: 100 });
    } catch {
      out.problems.push(`valuesFrom: ${kind} ${namespace}/${name} key ${JSON.stringify(key.slice(0, 100))} is not YAML`);
      continue;
    }
    if (parsed === null || parsed === undefined) continue;
    const map = obj(parsed);
    if (!map) {
      out.problems.push(`valuesFrom: ${kind} ${namespace}/${name} key ${JSON.stringify(key.slice(0, 100))} is not a map of values`);
      continue;
    }
    if (kind === 'Secret') leaves(map, out.secrets);
    out.values = mergeValues(out.values, map);
  }
  const own = obj(spec.values);
  if (own) out.values = mergeValues(out.values, own);
  return out;
}

/** How many leading folders two paths share. */
function sharedFolders(a: string, b: string): number {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

/**
 * The definition of a valuesFrom source to read when the repository defines it more than
 * once (environments often each define their own): the nearest to the HelmRelease's file.
 * When they differ in the key read, a note says so and names the one used: the cluster
 * holds one of them, and Ferry cannot tell which.
 */
function pickDefinition(defined: { file: string; object: Obj }[], key: string, from: string, label: string, notes: string[]): Obj | undefined {
  if (defined.length <= 1) return defined[0]?.object;
  const ranked = [...defined].sort((a, b) => sharedFolders(b.file, from) - sharedFolders(a.file, from) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const chosen = ranked[0]!;
  const versions = new Set(defined.map((d) => JSON.stringify(dataOf(d.object).get(key) ?? null)));
  if (versions.size > 1) {
    const files = [...new Set(defined.map((d) => d.file))].sort();
    const listed = files.slice(0, 5).join(', ') + (files.length > 5 ? `, and ${files.length - 5} more` : '');
    notes.push(`valuesFrom: ${label} is defined ${defined.length} times in this repository with different ${JSON.stringify(key.slice(0, 100))} (${listed}); the chart is rendered with the one in ${chosen.file}, the nearest to the HelmRelease, but which one the cluster holds is not known`);
  }
  return chosen.object;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding, as sprig's b32enc writes it. */
function base32(data: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

/**
 * What a chart's template functions make of a Secret-sourced string, so the output can be
 * searched for it: as written and trimmed (`trim`), `upper`, `lower`, escaped as `quote`
 * and `toJson` escape it, `b64enc` (with or without its padding), `b32enc`, and the
 * hex digests `sha1sum`, `sha256sum` and sha512. A form is only as long as the secret or
 * longer, and the digests are 40 hex digits or more: none matches by accident. What is
 * not here (a part of the value, a concatenation then encoded, a salted hash) is not
 * recognised: docs/security.md says so.
 */
export function secretForms(s: string): string[] {
  const forms = new Set<string>();
  for (const v of new Set([s, s.trim()])) {
    if (v === '') continue;
    const bytes = Buffer.from(v, 'utf8');
    forms.add(v);
    forms.add(v.toUpperCase());
    forms.add(v.toLowerCase());
    forms.add(JSON.stringify(v).slice(1, -1));
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64').replace(/=+$/, ''));
    forms.add(base32(bytes));
    for (const alg of ['sha1', 'sha256', 'sha512']) forms.add(createHash(alg).update(bytes).digest('hex'));
  }
  return [...forms];
}

/**
 * Replaces every Secret-sourced string (3 characters or more), in every form secretForms
 * lists, in a render's text: a chart may put a value anywhere. Longest first, so a value
 * containing another is replaced whole.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>, masked: string): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 3) continue;
    for (const f of secretForms(s)) forms.add(f);
  }
  for (const f of [...forms].filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) text = text.split(f).join(masked);
  return text;
}
