import { parseAllDocuments } from 'yaml';
import type { AppInputs } from '../render/kustomization.js';
import type { TreeView } from './discover.js';
import { definedObjects } from './flux.js';
import { mayDefineHelmSource, mayHoldHelmRelease } from './helm-mark.js';
import { filesUnder } from './listing.js';
import { chartSource, isHelmRelease, obj, releaseValues, type Obj } from './helm-source.js';
import { GO_YAML } from '../render/yaml-numbers.js';

/**
 * What the HelmReleases written in an app's files read besides those files: an in-repo
 * chart folder, its values files, the ConfigMaps and Secrets of valuesFrom, the source
 * objects naming a chart. A PR that edits only one of these changes what the app installs,
 * so it plans the app. Read from the files as written (before any render): namespaces a
 * kustomization sets later are unknown, so sources are matched in any namespace.
 */

const YAML_RE = /\.ya?ml$/i;
const MAX_SCAN_BYTES = 1024 * 1024;

interface Reads {
  files: string[];
  dirs: string[];
}

const releasesMemo = new WeakMap<TreeView, Map<string, Reads | null>>();

/** The extra reads of the HelmReleases in one file (null: it holds none), memoised per view. */
export function helmReleaseReads(view: TreeView, file: string): Reads | null {
  let memo = releasesMemo.get(view);
  if (!memo) releasesMemo.set(view, (memo = new Map()));
  const known = memo.get(file);
  if (known !== undefined) return known;
  let reads: Reads | null = null;
  // Discovery already tested most files: those it knows hold none are not read again.
  const text = YAML_RE.test(file) && view.mayHoldHelmRelease?.(file) !== false ? (view.peek ? view.peek(file) : view.read(file)) : null;
  if (text && text.length <= MAX_SCAN_BYTES && mayHoldHelmRelease(text)) {
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (const hr of helmReleases(text)) {
      const spec = obj(hr.spec) ?? {};
      const meta = obj(hr.metadata) ?? {};
      const ns = typeof meta.namespace === 'string' ? meta.namespace : 'default';
      addSource(spec, ns, view, files, dirs);
      for (const f of releaseValues(spec, ns, [], view).files) files.add(f);
      // Sources in another namespace than the one written (a kustomization sets it).
      for (const ref of Array.isArray(spec.valuesFrom) ? spec.valuesFrom.map(obj) : []) {
        for (const f of anyNamespace(view, 'v1', String(ref?.kind ?? ''), String(ref?.name ?? ''))) files.add(f);
      }
    }
    reads = { files: [...files].sort(), dirs: [...dirs].sort() };
  }
  memo.set(file, reads);
  return reads;
}

function helmReleases(text: string): Obj[] {
  const out: Obj[] = [];
  try {
    for (const d of parseAllDocuments(text, GO_YAML)) {
      if (d.errors.length) continue;
      const o = obj(d.toJS({ maxAliasCount: 100 }));
      if (o && isHelmRelease(o)) out.push(o);
    }
  } catch {
    /* unparsable: the render reports it */
  }
  return out;
}


function anyNamespace(view: TreeView, api: string, kind: string, name: string): string[] {
  if (!kind || !name) return [];
  return definedObjects(view, api, kind, null, name).map((d) => d.file);
}

function addSource(spec: Obj, ns: string, view: TreeView, files: Set<string>, dirs: Set<string>): void {
  const src = chartSource(spec, ns, [], view);
  if (src.kind === 'dir') {
    dirs.add(src.dir);
    for (const v of src.valuesFiles) files.add(v);
  }
  const chartRef = obj(spec.chartRef);
  const sourceRef = obj(obj(obj(spec.chart)?.spec)?.sourceRef);
  for (const ref of [chartRef, sourceRef]) {
    if (ref && ref.kind !== 'GitRepository') for (const f of anyNamespace(view, 'source.toolkit.fluxcd.io/', String(ref.kind ?? ''), String(ref.name ?? ''))) files.add(f);
  }
}

/** Adds what the HelmReleases in an app's input files read to its inputs. */
export function withHelmReleaseInputs(inputs: AppInputs, view: TreeView): AppInputs {
  const candidates = new Set<string>();
  for (const f of inputs.files) if (YAML_RE.test(f)) candidates.add(f);
  // A folder's files from a sorted listing: every app must not walk the whole tree.
  for (const d of inputs.dirs) for (const f of filesUnder(view, d === '' ? '' : d + '/')) if (YAML_RE.test(f)) candidates.add(f);
  for (const k of inputs.kustomizations) {
    for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) candidates.add(k === '' ? name : `${k}/${name}`);
  }
  for (const f of candidates) {
    // A chart's templates are not HelmReleases as written (and a chart folder is most files of a Helm app).
    if (!view.has(f) || inChartFolder(view, f)) continue;
    const reads = helmReleaseReads(view, f);
    if (!reads) continue;
    for (const x of reads.files) inputs.files.add(x);
    for (const d of reads.dirs) inputs.dirs.add(d);
  }
  return inputs;
}

const reverseMemo = new WeakMap<TreeView, { files: Map<string, string[]>; dirs: Map<string, string[]> }>();

/**
 * The files holding HelmReleases that read one of `changed` (a chart file, a values
 * source): to the reach index, a change to what a HelmRelease reads is a change to the
 * file holding it. Every YAML file that mentions a HelmRelease is scanned once per view.
 */
export function helmReleaseFilesReading(view: TreeView, changed: Iterable<string>): string[] {
  const list = [...changed];
  // Most changes are neither in a chart folder nor a values or chart source: no scan.
  if (!list.some((c) => inChartFolder(view, c) || mayBeSource(view, c))) return [];
  let rev = reverseMemo.get(view);
  if (!rev) {
    rev = { files: new Map(), dirs: new Map() };
    for (const f of view.files) {
      if (!YAML_RE.test(f) || /(^|\/)\.[^/]+\//.test(f) || inChartFolder(view, f)) continue;
      const reads = helmReleaseReads(view, f);
      if (!reads) continue;
      for (const x of reads.files) rev.files.set(x, [...(rev.files.get(x) ?? []), f]);
      for (const d of reads.dirs) rev.dirs.set(d, [...(rev.dirs.get(d) ?? []), f]);
    }
    reverseMemo.set(view, rev);
  }
  const out = new Set<string>();
  for (const c of list) {
    for (const f of rev.files.get(c) ?? []) out.add(f);
    if (rev.dirs.size === 0) continue;
    for (let d = c; ; ) {
      const i = d.lastIndexOf('/');
      d = i < 0 ? '' : d.slice(0, i);
      for (const f of rev.dirs.get(d) ?? []) out.add(f);
      if (d === '') break;
    }
  }
  return [...out];
}

/** Whether a folder above `file` holds a Chart.yaml. */
function inChartFolder(view: TreeView, file: string): boolean {
  for (let d = file; ; ) {
    const i = d.lastIndexOf('/');
    d = i < 0 ? '' : d.slice(0, i);
    if (view.has(d === '' ? 'Chart.yaml' : `${d}/Chart.yaml`)) return true;
    if (d === '') return false;
  }
}

/** Whether a file may define a valuesFrom source or a chart source (a cheap test). */
function mayBeSource(view: TreeView, file: string): boolean {
  if (!YAML_RE.test(file) || !view.has(file)) return false;
  // Discovery's scan already tested it: a changed file is not read again (a git process each).
  const known = view.mayDefineHelmSource?.(file);
  if (known !== undefined) return known;
  const text = view.peek ? view.peek(file) : view.read(file);
  return !!text && mayDefineHelmSource(text);
}
