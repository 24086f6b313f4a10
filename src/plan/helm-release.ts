import { cp, lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { RenderCache } from '../render/cache.js';
import { helmTemplate, type HelmTemplateRequest } from '../render/helm-template.js';
import { postRender, postRendererKustomization } from '../render/post-render.js';
import { readChartArchive } from '../render/charts/archive.js';
import { identityOf, parseRenderedObjects } from '../render/manifests.js';
import type { AppSpec, Finding, Resource } from '../types.js';
import { MASKED_VALUE } from './flux.js';
import { chartSource, isHelmRelease, mergeValues, obj, releaseName, releaseValues, scrubSecrets, secretForms, type Obj } from './helm-source.js';
import type { RenderContext } from './render-app.js';
import { chargeOutput, pathsUnder } from './render-app.js';
import { defaultNamespace } from './scope.js';
import { integerLeaves } from './target-path.js';
import { chartCrdFiles, splitChartCrds, type ChartCrdFile, type SplitOutput } from './chart-crds.js';
import type { Side } from './side.js';
import { crdSchemasFromResources, mergeCrdSchemas } from '../validate/crd.js';
import { GO_VALUES_YAML, goNumber } from '../render/yaml-numbers.js';

/**
 * Post-render expansion: every Flux HelmRelease among an app's resources is rendered with
 * `helm template` as helm-controller would install it, and what it makes joins the app's
 * resources, each marked with its `producer`. The HelmRelease object itself stays.
 */

/** Labels helm-controller's post-renderer puts on every object of a release. */
export const FLUX_NAME_LABEL = 'helm.toolkit.fluxcd.io/name';
export const FLUX_NAMESPACE_LABEL = 'helm.toolkit.fluxcd.io/namespace';
/** Chart folders copied with Flux's valuesFiles as their values.yaml, in a render tree. */
const CHART_COPIES = '.ferry-helm/flux-charts';
/** Integers from targetPath passed as `--set` (one argument each): enough for any real release. */
const MAX_INTEGERS = 1000;
/** Bytes of those `--set` arguments at most: far under the OS's limit on a command line. */
const MAX_INTEGER_ARG_BYTES = 128 * 1024;
/** Distinct Secret-sourced values one release may have (each is masked in ~14 forms). */
const MAX_SECRETS = 2000;

export interface Expansion {
  resources: Resource[];
  findings: Finding[];
  /** Producers whose output is unknown on this side (not rendered): the diff leaves their resources out. */
  unknown: string[];
}

export function producerOf(namespace: string, name: string): string {
  return `HelmRelease/${namespace}/${name}`;
}

export async function expandHelmReleases(app: AppSpec, side: Side, resources: Resource[], ctx: RenderContext): Promise<Expansion> {
  const out: Expansion = { resources: [], findings: [], unknown: [] };
  for (const r of resources) {
    if (r.producer || !isHelmRelease(r.object)) continue;
    const one = await expandOne(app, side, r, resources, ctx);
    out.resources.push(...one.resources);
    out.findings.push(...one.findings);
    if (one.unknown) out.unknown.push(one.producer);
  }
  return out;
}

async function expandOne(app: AppSpec, side: Side, hr: Resource, appResources: Resource[], ctx: RenderContext): Promise<{ resources: Resource[]; findings: Finding[]; producer: string; unknown: boolean }> {
  const name = hr.id.name;
  // Flux applies an object without a namespace into its Kustomization's target, else `default`.
  // An Argo CD Application puts it in its destination namespace.
  const namespace = hr.id.namespace ?? (typeof app.flux?.spec.targetNamespace === 'string' && app.flux.spec.targetNamespace ? app.flux.spec.targetNamespace : app.argo?.destNamespace || 'default');
  const producer = producerOf(namespace, name);
  const file = hr.source?.file ?? (app.path || '.');
  const line = hr.source?.line ?? null;
  const label = `HelmRelease ${namespace}/${name}`;
  const finding = (severity: Finding['severity'], rule: string, message: string): Finding => ({ severity, rule, file, line, resource: producer, message: `${label}: ${message}` });
  const failed = (f: Finding[]) => ({ resources: [], findings: f, producer, unknown: true });
  const spec = obj(hr.object.spec) ?? {};
  const notes: Finding[] = [];

  const source = chartSource(spec, namespace, appResources, side.view, ctx.repository);
  if (source.kind === 'refused') return failed([finding('error', source.rule, `not rendered: ${source.message}`)]);
  if (source.kind === 'unavailable') return failed([finding('warning', 'chart-unavailable', `chart not rendered: ${source.message}; the HelmRelease object itself is still diffed`)]);
  for (const n of source.notes) notes.push(finding('info', 'chart-unavailable', n));

  const values = releaseValues(spec, namespace, appResources, side.view, file);
  for (const n of values.notes) notes.push(finding('warning', 'chart-unavailable', n));
  // A bound of Ferry's own, not helm-controller's: the release may deploy, so the check fails
  // rather than a warning that would hide what the pull request changes in it.
  if (values.limits.length) return failed([...notes, ...values.limits.map((p) => finding('error', 'render-limit', `not rendered: ${p}`))]);
  // Masking compares every output string with every form of every Secret value: bounded,
  // and never rendered unmasked past the bound.
  if (values.secrets.size > MAX_SECRETS) {
    return failed([...notes, finding('error', 'render-limit', `not rendered: its valuesFrom Secrets give more than ${MAX_SECRETS} distinct values, too many to mask safely`)]);
  }
  if (values.problems.length) return failed([...notes, ...values.problems.map((p) => finding('warning', 'chart-unavailable', `chart not rendered: ${p}`))]);
  // Flux's post-renderers run in order over helm's output; only kustomize ones exist.
  const post: Record<string, unknown>[] = [];
  for (const pr of Array.isArray(spec.postRenderers) ? spec.postRenderers.map(obj) : []) {
    const k = obj(pr?.kustomize);
    if (!k) continue;
    const kustomization = postRendererKustomization(k);
    if ('refused' in kustomization) return failed([...notes, finding('error', 'render-refused', `not rendered: ${kustomization.refused}`)]);
    post.push(kustomization);
  }
  if (post.length && !ctx.tools.kustomize) {
    notes.push(finding('info', 'chart-unavailable', 'spec.postRenderers are not applied (no kustomize or kubectl binary): the chart\'s output is shown without them'));
    post.length = 0;
  }

  const release = releaseName(name, spec);
  const targetNamespace = typeof spec.targetNamespace === 'string' && spec.targetNamespace ? spec.targetNamespace : namespace;
  const crdPolicy = crdPolicies(hr.object, spec);
  const includeCrds = crdPolicy.install !== 'Skip';
  const doc = valuesText(values.values);
  // Flux sets targetPath integers as int64; from a values file helm would read float64.
  // Not a Secret's value: a command line is readable by anyone on the host who can list
  // processes. A masked value reads the same in either form.
  // Bounded in count and in bytes (paths run to 4,096 characters): the OS limits a command line.
  let integers = integerLeaves(values.values, MAX_INTEGERS)?.filter((n) => !values.secrets.has(n.value)) ?? null;
  if (integers && integers.reduce((n, i) => n + Buffer.byteLength(i.path) + i.value.length + 8, 0) > MAX_INTEGER_ARG_BYTES) integers = null;
  if (!integers) notes.push(finding('info', 'chart-unavailable', `valuesFrom targetPath set more than ${MAX_INTEGERS} integers, or ones whose paths make more than ${MAX_INTEGER_ARG_BYTES / 1024} KiB of arguments: they are given to helm as a values file, where a large one reads as a float (8.4729301e+07), which Flux would not do`));
  if (ctx.outputBudget && Buffer.byteLength(doc) > ctx.outputBudget.left) {
    return failed([...notes, finding('error', 'render-limit', `values make more than ${Math.round(ctx.outputBudget.total / 2 ** 20)} MiB; not rendered`)]);
  }

  let chart: HelmTemplateRequest['chart'];
  let identity: string[];
  // The chart's own crds/ files, read only when helm runs (a cache miss) and prints them.
  let crdFilesOf: () => Promise<ChartCrdFile[] | { problem: string }>;
  if (source.kind === 'dir') {
    const files = await side.tree.expand([...pathsUnder(side.tree.index, source.dir), ...source.valuesFiles.filter((v) => side.tree.index.has(v))]);
    if (files.problems.length) {
      return failed([...notes, ...files.problems.map((p) => finding('error', p.rule, `not rendered: ${p.message}`))]);
    }
    const hasCharts = files.files.some((f) => f.path.startsWith(source.dir === '' ? 'charts/' : `${source.dir}/charts/`));
    const meta = obj(safeParse(side.view.read(source.dir === '' ? 'Chart.yaml' : `${source.dir}/Chart.yaml`)));
    if (Array.isArray(meta?.dependencies) && meta.dependencies.length && !hasCharts) {
      return failed([...notes, finding('warning', 'chart-unavailable', `chart not rendered: ${source.dir || '.'} lists dependencies but has no charts/ folder; Flux's source-controller would build them, Ferry does not offline`)]);
    }
    await side.tree.materialize(files);
    crdFilesOf = () => folderCrdFiles(side, source.dir, files.files.map((f) => f.path));
    // The files listed, in order, change the chart's values even when none of them changed.
    identity = ['dir', source.dir, JSON.stringify(source.valuesFiles), ...files.files.map((f) => `${f.path}:${f.oid}`)];
    if (source.valuesFiles.length) {
      // source-controller packages the chart with these files, merged, as its values.yaml:
      // the chart's own defaults are replaced, not merged under them.
      const merged = mergedValuesFiles(source.valuesFiles, (f) => (side.view.has(f) ? side.view.read(f) : null), source.ignoreMissing === true);
      if ('problem' in merged) return failed([...notes, finding('warning', 'chart-unavailable', `chart not rendered: ${merged.problem}`)]);
      chart = { dir: await chartWithValues(side, source.dir, merged.text, RenderCache.key(identity)) };
    } else {
      chart = { dir: source.dir };
    }
  } else {
    if (!ctx.charts) return failed([...notes, finding('warning', 'chart-unavailable', `chart ${source.ref.chart} from ${source.ref.repoUrl} not rendered: this Ferry fetches no charts from outside the repository; the HelmRelease object itself is still diffed`)]);
    const got = await ctx.charts.fetch(source.ref, ctx.signal);
    if (!got.ok) return failed([...notes, finding('warning', 'chart-unavailable', `chart ${source.ref.chart} from ${source.ref.repoUrl} not rendered: ${got.message}; the HelmRelease object itself is still diffed`)]);
    chart = { archive: got.file, digest: got.digest };
    identity = ['archive', got.digest];
    const archive = got.file;
    let unpacked: Awaited<ReturnType<typeof readChartArchive>> | null = null;
    crdFilesOf = async () => {
      unpacked ??= await readChartArchive(archive);
      return 'problem' in unpacked ? unpacked : chartCrdFiles(unpacked.files);
    };
    if (source.valuesFiles.length) {
      // As source-controller packages it: these files of the chart, merged, are its values.yaml.
      unpacked = await readChartArchive(got.file);
      if ('problem' in unpacked) return failed([...notes, finding('warning', 'chart-unavailable', `chart ${source.ref.chart} from ${source.ref.repoUrl} not rendered: ${unpacked.problem}`)]);
      const files = unpacked.files;
      const merged = mergedValuesFiles(source.valuesFiles, (f) => files.get(f)?.toString('utf8') ?? null, source.ignoreMissing === true);
      if ('problem' in merged) return failed([...notes, finding('warning', 'chart-unavailable', `chart ${source.ref.chart} from ${source.ref.repoUrl} not rendered: ${merged.problem} in the chart`)]);
      identity = ['archive', got.digest, JSON.stringify(source.valuesFiles), merged.text];
      let dir: string | { problem: string };
      try {
        dir = await unpackedChart(side, files, merged.text, RenderCache.key(identity), ctx);
      } catch {
        dir = { problem: 'its files cannot be unpacked' };
      }
      if (typeof dir !== 'string') return failed([...notes, finding('warning', 'chart-unavailable', `chart ${source.ref.chart} from ${source.ref.repoUrl} not rendered: ${dir.problem}`)]);
      chart = { dir };
    }
  }

  const req: HelmTemplateRequest = {
    file, chart, release, namespace: targetNamespace, values: [doc], includeCrds, skipTests: true, integers: integers ?? [],
    ...(ctx.kubeVersion ? { kubeVersion: ctx.kubeVersion } : {}),
  };
  const key = RenderCache.key(['helmrelease-v7', ctx.tools.fingerprint, ...identity, doc, JSON.stringify(integers ?? []), release, targetNamespace, String(includeCrds), ctx.kubeVersion ?? '', JSON.stringify(post)]);
  let out = cachedOutput(await ctx.cache.get(key));
  if (ctx.cacheStats) ctx.cacheStats[out === null ? 'misses' : 'hits']++;
  if (out === null) {
    let known = includeCrds ? await crdFilesOf() : [];
    // helm may load what Ferry's reader refuses (a packed subchart past its caps): failing
    // the release would hide the PR's change. With no crds/ files known, every block helm
    // prints is taken as a template's: shown and post-rendered, never hidden.
    if ('problem' in known) {
      notes.push(finding('info', 'chart-unavailable', `its crds/ files cannot be read (${known.problem}): any CRD helm prints from them is shown as a template's object, not under install.crds / upgrade.crds`));
      known = [];
    }
    const raw = await helmTemplate(req, side.files, ctx.tools, ctx.signal);
    if (!raw.ok) {
      const masked = raw.findings.map((f) => ({ ...f, file, line, resource: producer, message: scrubSecrets(`${label}: ${f.message}`, values.secrets, MASKED_VALUE) }));
      return failed([...notes, ...masked]);
    }
    // helm-controller applies the crds/ folder itself, before the release: post-renderers
    // never see those CRDs. They are told by the chart's own files, never by a comment.
    const split = splitChartCrds(raw.text, known);
    let text = split.templates;
    for (const k of text.trim() ? post : []) {
      const built = await postRender(text, k, file, side.files, ctx.tools, ctx.signal);
      if (!built.ok) return failed([...notes, ...built.findings.map((f) => ({ ...f, file, line, resource: producer, message: `${label}: ${f.message}` }))]);
      text = built.text;
    }
    out = { templates: text, crds: split.crds };
    // The output of a release with Secret values holds them plain until it is parsed and
    // masked: it is not written to the render cache on disk (it is rendered again next time).
    if (!values.secrets.size) await ctx.cache.put(key, { ok: true, text: JSON.stringify(out) });
  }
  const over = chargeOutput(ctx, out.templates + out.crds.map((c) => c.text).join(''), key);
  if (over) return failed([...notes, finding('error', 'render-limit', over)]);
  const parsed = produced(out, source.kind === 'dir' ? source.dir : null, side, { file, line }, producer, name, namespace, commonMetadata(spec), crdPolicy.upgrade, secretMatcher(values.secrets));
  if ('error' in parsed) return failed([...notes, finding('error', 'render-error', `cannot parse helm output: ${parsed.error}`)]);
  // Helm installs namespaced objects without a namespace into the release's; the chart's own
  // CRDs say the scope of its custom kinds as well as the repository's do.
  const crds = mergeCrdSchemas(ctx.crds, crdSchemasFromResources(parsed.resources));
  for (const k of defaultNamespace(parsed.resources, targetNamespace, crds)) {
    notes.push(finding('info', 'chart-unavailable', `${k}: no CustomResourceDefinition in the repository or the chart says whether it is namespaced; shown without the release namespace ${targetNamespace}`));
  }
  return { resources: parsed.resources, findings: notes, producer, unknown: false };
}

type CrdPolicy = NonNullable<Resource['chartCrd']>;
const CRD_POLICIES = new Set(['Skip', 'Create', 'CreateReplace']);

/**
 * `spec.install.crds` and `spec.upgrade.crds` (Skip, Create, CreateReplace). helm-controller
 * defaults both to Create; the v2beta controllers (the only ones serving those API versions)
 * defaulted upgrades to Skip and read the older `install.skipCRDs` when `crds` is unset.
 */
function crdPolicies(hr: Obj, spec: Obj): { install: CrdPolicy; upgrade: CrdPolicy } {
  const beta = typeof hr.apiVersion === 'string' && hr.apiVersion.includes('/v2beta');
  const pick = (v: unknown, fallback: CrdPolicy): CrdPolicy => (typeof v === 'string' && CRD_POLICIES.has(v) ? (v as CrdPolicy) : fallback);
  const install = obj(spec.install);
  return {
    install: pick(install?.crds, beta && install?.skipCRDs === true ? 'Skip' : 'Create'),
    upgrade: pick(obj(spec.upgrade)?.crds, beta ? 'Skip' : 'Create'),
  };
}

/**
 * The `# Source:` comment helm writes as a document's first line. Only that line: a
 * template can write its own `# Source:` lines further down.
 */
function sourceLine(chunk: string): string {
  const line = chunk.replace(/^\s*\n/, '').split('\n', 1)[0]!;
  return line.startsWith('# Source: ') ? line : '';
}

/** A cached render: the templates' output (post-rendered) and the chart's crds/ files. */
function cachedOutput(text: string | null): SplitOutput | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as SplitOutput;
    return typeof v.templates === 'string' && Array.isArray(v.crds) ? v : null;
  } catch {
    return null;
  }
}

/** Bytes of crds/ files and packed subcharts read from an in-repository chart, at most. */
const MAX_CRD_READ = 64 * 2 ** 20;

/** The crds/ files of a materialized in-repository chart folder (its subcharts' too). */
async function folderCrdFiles(side: Side, dir: string, paths: string[]): Promise<ChartCrdFile[] | { problem: string }> {
  const prefix = dir === '' ? '' : `${dir}/`;
  const files = new Map<string, Buffer>();
  let size = 0;
  for (const p of paths) {
    if (!p.startsWith(prefix)) continue;
    const rel = p.slice(prefix.length);
    // The chart's crds/ folder and its charts/ folder (subcharts' crds/, packed subcharts).
    if (!/^crds\//.test(rel) && !/^charts\/(.+\/)?(crds\/|[^/]+\.tgz$)/.test(rel)) continue;
    const full = path.join(side.files.root, p);
    // Regular files only: a CRD behind a link then reads as a template's (shown, not hidden).
    const st = await lstat(full).catch(() => null);
    if (!st?.isFile()) continue;
    size += st.size;
    if (size > MAX_CRD_READ) return { problem: `its crds/ files and packed subcharts are larger than ${MAX_CRD_READ / 2 ** 20} MiB` };
    files.set(rel, await readFile(full));
  }
  return chartCrdFiles(files);
}

/** `spec.commonMetadata`: labels and annotations helm-controller puts on every object it renders. */
function commonMetadata(spec: Obj): { labels: Record<string, string>; annotations: Record<string, string> } {
  const common = obj(spec.commonMetadata);
  const strings = (v: unknown) => Object.fromEntries(Object.entries(obj(v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { labels: strings(common?.labels), annotations: strings(common?.annotations) };
}

/**
 * Which output strings carry a Secret-sourced value: one that contains it (as written,
 * base64-encoded, or one of its lines when it spans several), or, for a short value, one
 * that is it. Matched in the parsed objects, not the text: replacing text would rewrite
 * `apps/v1` for a secret `app`, and miss a value a template indented.
 */
function secretMatcher(secrets: Set<string>): ((s: string) => boolean) | null {
  const contained = new Set<string>();
  const exact = new Set<string>();
  for (const s of secrets) {
    if (s.trim().length < 3) continue;
    // Every form a template function makes of it (upper, trim, b64enc, sha256sum…).
    if (s.length < 6) for (const f of secretForms(s)) (f.length < 6 ? exact : contained).add(f);
    else for (const f of secretForms(s)) if (f.trim().length >= 6) contained.add(f);
    if (s.includes('\n')) for (const l of s.split('\n')) if (l.trim().length >= 8) contained.add(l.trim());
    for (const n of numberForms(s)) exact.add(n);
  }
  if (!contained.size && !exact.size) return null;
  const forms = [...contained];
  return (v) => exact.has(v) || exact.has(v.trim()) || forms.some((f) => v.includes(f));
}

/** Numbers YAML reads a number-like text as (`0123`, `0x1A2B`, `+42`, `12.50`), as the output's numbers are compared. */
const NUMBERISH = /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)$/;

/**
 * The texts a Secret's value is compared by when a template prints it unquoted and it
 * reads back as a number: `0123` is 83 (octal, as go-yaml reads it) or 123, `0x1A2B` 6699, `12.50` 12.5, a long integer a
 * rounded float. Both the integer and the float text of the number, as secretScalar forms them.
 */
function numberForms(s: string): string[] {
  const t = s.trim();
  if (t.length > 40) return [];
  const go = goNumber(t);
  if (go === undefined && !NUMBERISH.test(t)) return [];
  const out = new Set<string>();
  const add = (n: number) => {
    if (!Number.isFinite(n)) return;
    out.add(String(n));
    if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) out.add(BigInt(n).toString());
  };
  // As Ferry reads the output (go-yaml's rule, yaml-numbers.ts: `0123` is octal 83).
  if (go !== undefined) add(go);
  // And as decimal: a template's `int` or `atoi` may read it so (`0123` as 123).
  const dec = Number(t.replace(/_/g, ''));
  if (!Number.isNaN(dec)) add(dec);
  return [...out].filter((x) => x !== t);
}

/**
 * Whether a scalar of the output is Secret-sourced. A number is compared by its decimal
 * text: a template printing `{{ .Values.pin | int }}` makes a YAML number, and one read
 * from a values file as float64 prints as `8.4729301e+07`, which parses to the same number.
 * Booleans are not secrets.
 */
function secretScalar(v: unknown, isSecret: (s: string) => boolean): boolean {
  if (typeof v === 'string') return isSecret(v);
  if (typeof v === 'bigint') return isSecret(v.toString());
  if (typeof v === 'number' && Number.isFinite(v)) {
    const text = Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : String(v);
    return isSecret(text) || isSecret(String(v));
  }
  return false;
}

/** Replaces every matching string or number value, never a key nor the object's identity. */
function maskValues(o: Obj, isSecret: (s: string) => boolean, top: boolean): void {
  for (const [k, v] of Object.entries(o)) {
    if (top && (k === 'apiVersion' || k === 'kind')) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
      if (secretScalar(v, isSecret)) o[k] = MASKED_VALUE;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint') {
          if (secretScalar(x, isSecret)) v[i] = MASKED_VALUE;
        } else if (obj(x)) maskValues(x as Obj, isSecret, false);
      });
    } else if (obj(v)) {
      if (top && k === 'metadata') {
        const { name: n, namespace: ns, ...rest } = v as Obj;
        maskValues(rest, isSecret, false);
        o[k] = { ...(n !== undefined ? { name: n } : {}), ...(ns !== undefined ? { namespace: ns } : {}), ...rest };
      } else maskValues(v as Obj, isSecret, false);
    }
  }
}

/**
 * Values as helm reads them back: every string and key quoted, since helm's YAML 1.1
 * parser reads a plain `y`, `no` or `on` as a boolean and `0o17` as a number.
 */
function valuesText(values: Obj): string {
  return stringify(values, { aliasDuplicateObjects: false, version: '1.1', defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'QUOTE_DOUBLE' });
}

/** The values files merged in order (Helm's merge), as one YAML text, or why not. */
function mergedValuesFiles(files: string[], read: (f: string) => string | null, ignoreMissing: boolean): { text: string } | { problem: string } {
  let values: Obj = {};
  for (const f of files) {
    const text = read(f);
    if (text === null) {
      if (ignoreMissing) continue;
      return { problem: `valuesFiles: ${f} does not exist` };
    }
    let parsed: unknown;
    try {
      parsed = parse(text, { ...GO_VALUES_YAML, maxAliasCount: 100 });
    } catch {
      return { problem: `valuesFiles: ${f} is not YAML` };
    }
    if (parsed === null || parsed === undefined) continue;
    const map = obj(parsed);
    if (!map) return { problem: `valuesFiles: ${f} is not a map of values` };
    values = mergeValues(values, map);
  }
  return { text: valuesText(values) };
}

/** A copy of a materialized chart folder with `values.yaml` replaced, named by content, in the render tree. */
async function chartWithValues(side: Side, dir: string, values: string, id: string): Promise<string> {
  const rel = `${CHART_COPIES}/${RenderCache.key([id, values]).slice(0, 32)}`;
  const dest = path.join(side.files.root, rel);
  if (await stat(dest).then(() => true, () => false)) return rel;
  const tmp = `${dest}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await mkdir(path.dirname(dest), { recursive: true });
  await cp(path.join(side.files.root, dir), tmp, { recursive: true });
  await writeFile(path.join(tmp, 'values.yaml'), values);
  // Another render may have made the same copy meanwhile: same bytes, keep either.
  await rename(tmp, dest).catch(() => rm(tmp, { recursive: true, force: true }));
  return rel;
}

/** A fetched chart's files written as a folder of the render tree, `values.yaml` replaced, named by content. */
async function unpackedChart(side: Side, files: Map<string, Buffer>, values: string, id: string, ctx: RenderContext): Promise<string | { problem: string }> {
  const rel = `${CHART_COPIES}/${id.slice(0, 32)}`;
  const dest = path.join(side.files.root, rel);
  if (await stat(dest).then(() => true, () => false)) return rel;
  // Each distinct valuesFiles list is a copy of the chart: the copies count against the
  // plan's output budget, or a PR of many HelmReleases could fill the disk.
  let size = Buffer.byteLength(values);
  for (const [name, data] of files) if (name !== 'values.yaml') size += data.length;
  if (ctx.outputBudget) {
    if (size > ctx.outputBudget.left) return { problem: `not planned: the apps of this plan rendered more than ${Math.round(ctx.outputBudget.total / 2 ** 20)} MiB in all (FERRY_MAX_PLAN_OUTPUT_MB)` };
    ctx.outputBudget.left -= size;
  }
  const tmp = `${dest}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    for (const [name, data] of files) {
      if (name === 'values.yaml') continue;
      const to = path.join(tmp, name);
      await mkdir(path.dirname(to), { recursive: true });
      await writeFile(to, data);
    }
    await mkdir(tmp, { recursive: true });
    await writeFile(path.join(tmp, 'values.yaml'), values);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Another render of the same copy got there first.
    if (await stat(dest).then(() => false, () => true)) throw err;
  }
  return rel;
}

function safeParse(text: string): unknown {
  try {
    return parseRenderedObjects(text)[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * helm's output as resources, labelled as helm-controller labels them. An in-repository
 * chart's `# Source:` names the template file; a fetched chart's files are not in the
 * repository, so its resources point at the HelmRelease.
 */
function produced(
  out: SplitOutput, chartDir: string | null, side: Side, at: { file: string; line: number | null }, producer: string, name: string, namespace: string,
  common: { labels: Record<string, string>; annotations: Record<string, string> }, crdUpgrade: CrdPolicy, isSecret: ((s: string) => boolean) | null,
): { resources: Resource[] } | { error: string } {
  const resources: Resource[] = [];
  // The templates' documents (each with its own Source line unless post-rendered), then the
  // chart's crds/ files, whole (one may hold several documents).
  const chunks = [
    ...out.templates.split(/^---\s*$/m).map((chunk) => ({ chunk, first: sourceLine(chunk), chartCrd: false })),
    ...out.crds.map((c) => ({ chunk: c.text, first: `# Source: ${c.source}`, chartCrd: true })),
  ];
  for (const { chunk, first, chartCrd } of chunks) {
    const src = /^# Source: [^/\n]+\/(.+)$/.exec(first);
    const inRepo = chartDir !== null && src ? path.posix.join(chartDir, src[1]!.trim()) : null;
    const source = inRepo && side.view.has(inRepo) ? { file: inRepo, line: null } : { ...at };
    let objs: Obj[];
    try {
      objs = parseRenderedObjects(chunk);
    } catch (err) {
      return { error: (err as Error).message.split('\n')[0]! };
    }
    for (const o of objs) {
      const meta = obj(o.metadata);
      if (!meta) continue;
      // After the kustomize post-renderers, commonMetadata, then Flux's own labels, which win a clash.
      meta.labels = { ...(obj(meta.labels) ?? {}), ...(chartCrd ? {} : common.labels), [FLUX_NAME_LABEL]: name, [FLUX_NAMESPACE_LABEL]: namespace };
      if (!chartCrd && Object.keys(common.annotations).length) meta.annotations = { ...(obj(meta.annotations) ?? {}), ...common.annotations };
      const id = identityOf(o);
      if (!id) continue;
      if (isSecret) maskValues(o, isSecret, true);
      resources.push({ id, object: o, source, producer, ...(chartCrd && o.kind === 'CustomResourceDefinition' ? { chartCrd: crdUpgrade } : {}) });
    }
  }
  return { resources };
}
