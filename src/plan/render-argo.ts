import { RenderCache } from '../render/cache.js';
import type { AppInputs } from '../render/kustomization.js';
import { helmTemplate } from '../render/helm-template.js';
import { renderPlain, renderRaw, resourcesFromRender, type RawRender } from '../render/render.js';
import { maskRenderFindings } from '../render/stderr-mask.js';
import type { AppSpec, ArgoHelmSource, ArgoSource, Finding, Resource } from '../types.js';
import type { CrdSchemas } from '../validate/index.js';
import { directoryFiles } from './argo.js';
import { defaultNamespace } from './scope.js';
import { chargeOutput, renderFileSet, type RenderContext, type RenderedApp } from './render-app.js';
import type { Side } from './side.js';

/**
 * Renders an Argo CD app on one side: every source that is not only a `ref`, each as
 * Argo CD would (plain files, a kustomize overlay, `helm template`), concatenated; then
 * the destination namespace on namespaced resources that have none, as Argo CD applies
 * them. A chart from a Helm repository comes through the plan's chart fetcher.
 */

const inflight = new Map<string, Promise<RawRender>>();

function finding(file: string, severity: Finding['severity'], rule: string, message: string): Finding {
  return { severity, rule, message, file, line: null, resource: null };
}

/** Argo CD applies namespaced resources without a namespace into the destination namespace. */
function withDestination(resources: Resource[], namespace: string, crds: CrdSchemas | undefined, file: string): Finding[] {
  return defaultNamespace(resources, namespace, crds).map((k) => finding(file, 'info', 'argo-application',
    `${k}: no CustomResourceDefinition in the repository says whether it is namespaced; shown without the destination namespace ${namespace}`));
}

function cacheKey(ctx: RenderContext, app: AppSpec, source: ArgoSource, extra: string, files: { path: string; oid: string }[]): string {
  return RenderCache.key(['argo-v2', ctx.tools.fingerprint, JSON.stringify(source), extra, app.name, ...files.map((f) => `${f.path}:${f.oid}`)]);
}

async function helmRequest(app: AppSpec, s: ArgoHelmSource, side: Side, ctx: RenderContext): Promise<{ req: Parameters<typeof helmTemplate>[0]; digest: string } | { findings: Finding[] }> {
  const file = app.argo!.file;
  let chart: Parameters<typeof helmTemplate>[0]['chart'] = { dir: s.path };
  let digest = '';
  if (s.remote) {
    const label = `chart ${s.remote.chart}${s.remote.version ? ` ${s.remote.version}` : ''} from ${s.remote.repoUrl}`;
    if (!ctx.charts) return { findings: [finding(file, 'warning', 'chart-unavailable', `${label} is not fetched: this plan has no chart fetcher; not rendered`)] };
    const got = await ctx.charts.fetch({ repoUrl: s.remote.repoUrl, chart: s.remote.chart, ...(s.remote.version ? { version: s.remote.version } : {}) }, ctx.signal);
    if (!got.ok) return { findings: [finding(file, 'warning', 'chart-unavailable', `${label} cannot be fetched: ${got.message.slice(0, 500)}; not rendered`)] };
    chart = { archive: got.file, digest: got.digest };
    digest = got.digest;
  }
  const valuesFiles = s.valuesFiles.filter((v) => !v.optional || side.files.has(v.path)).map((v) => v.path);
  return {
    digest,
    req: {
      file, chart, release: s.release, ...(s.namespace ? { namespace: s.namespace } : {}), valuesFiles, values: s.values, set: s.set,
      includeCrds: s.includeCrds, skipTests: s.skipTests, ...(s.kubeVersion ? { kubeVersion: s.kubeVersion } : {}), ...(s.apiVersions ? { apiVersions: s.apiVersions } : {}),
    },
  };
}

export async function renderArgo(app: AppSpec, side: Side, inputs: AppInputs, ctx: RenderContext): Promise<RenderedApp> {
  const argo = app.argo!;
  const pre = inputs.findings;
  if (pre.some((f) => f.severity === 'error')) return { resources: [], findings: [...argo.notes.filter((n) => n.severity !== 'error'), ...pre], status: 'error' };
  const findings: Finding[] = [...argo.notes.filter((n) => n.severity !== 'error')];
  const resources: Resource[] = [];
  let skipped = false;
  let brokenFiles: string[] | undefined;
  const tooled = argo.sources.some((s) => s.type === 'kustomize' || s.type === 'helm');
  // The Application's own file (and a generator's configs) are not read by the renderer:
  // left out, an edit to an ApplicationSet renders its unchanged Applications from the cache.
  // (Unless a source folder holds them: a kustomization there may list them.)
  const inSource = (f: string) => argo.sources.some((src) => src.path === '' || f.startsWith(src.path + '/'));
  const own = new Set([argo.file, ...argo.reads].filter((f) => !inSource(f)));
  const written = { ...inputs, files: new Set([...inputs.files].filter((f) => !own.has(f))) };
  const files = tooled ? await side.tree.expand(renderFileSet(written, side.tree.index)) : { files: [], problems: [] };
  if (files.problems.length) {
    const problems = files.problems.map((p) => finding(p.path || argo.file, 'error', p.rule, p.message));
    return { resources: [], findings: [...findings, ...problems], status: 'error' };
  }
  let materialized = false;
  for (const s of argo.sources) {
    if (s.type === 'skipped') {
      findings.push(s.elsewhere ? finding(argo.file, 'warning', 'other-repository', s.reason) : finding(argo.file, 'warning', 'argo-application', `${s.path || '.'}: ${s.reason}`));
      skipped = true;
      continue;
    }
    if (s.type === 'directory') {
      const listed = directoryFiles(s, side.view);
      for (const j of listed.jsonnet) findings.push(finding(j, 'warning', 'argo-application', 'not rendered (jsonnet)'));
      const r = renderPlain(side.files, listed.files);
      resources.push(...r.resources);
      findings.push(...r.findings);
      if (r.brokenFiles.length) brokenFiles = [...(brokenFiles ?? []), ...r.brokenFiles];
      continue;
    }
    let raw: RawRender | null = null;
    let key: string;
    let sub: AppSpec;
    let helm: Awaited<ReturnType<typeof helmRequest>> | null = null;
    if (s.type === 'kustomize') {
      sub = { name: app.name, path: s.path, renderer: 'kustomize', overlay: s.overlay };
      key = cacheKey(ctx, app, s, '', files.files);
    } else {
      if (ctx.tools.sandbox.required && !ctx.tools.sandbox.namespaces) {
        findings.push(finding(argo.file, 'error', 'render-limit', 'not rendered: FERRY_SANDBOX=require, and this server cannot isolate renders (no network/PID namespaces)'));
        continue;
      }
      helm = await helmRequest(app, s, side, ctx);
      if ('findings' in helm) {
        findings.push(...helm.findings);
        skipped = true;
        continue;
      }
      sub = { name: app.name, path: s.path, renderer: 'helm' };
      key = cacheKey(ctx, app, s, `${helm.digest}\0${JSON.stringify(helm.req.valuesFiles)}`, files.files);
    }
    let text = await ctx.cache.get(key);
    if (ctx.cacheStats) ctx.cacheStats[text === null ? 'misses' : 'hits']++;
    if (text === null) {
      // Base and head of an app whose inputs did not change ask for the same render at
      // once (an ApplicationSet edit plans every Application): it runs once.
      let running = inflight.get(key);
      if (!running) {
        const req = helm && 'req' in helm ? helm.req : null;
        running = (async () => {
          if (!materialized) {
            await side.tree.materialize(files);
            materialized = true;
          }
          return req ? helmTemplate(req, side.files, ctx.tools, ctx.signal) : renderRaw(sub, side.files, ctx.tools, ctx.signal);
        })();
        inflight.set(key, running);
        void running.finally(() => inflight.delete(key)).catch(() => undefined);
      }
      raw = await running;
      if (!raw.ok) {
        const unavailable = raw.findings.every((f) => f.rule === 'helm-unavailable');
        findings.push(...maskRenderFindings(raw.findings, inputs, side.files));
        if (unavailable) skipped = true;
        continue;
      }
      await ctx.cache.put(key, raw);
      text = raw.text;
    }
    const over = chargeOutput(ctx, text, key);
    if (over) return { resources: [], findings: [...findings, finding(argo.file, 'error', 'render-limit', over)], status: 'error' };
    if (s.type === 'kustomize') await side.tree.prefetch([...inputs.files].filter((f) => side.tree.index.has(f)));
    const r = resourcesFromRender(s.type === 'kustomize' ? { ...sub, path: s.overlay.dir } : sub, text, side.files);
    // A chart from outside the repository has no files here: its resources point at the Application.
    if (s.type === 'helm' && s.remote) for (const res of r.resources) res.source = { file: argo.file, line: null };
    resources.push(...r.resources);
    findings.push(...r.findings);
  }
  if (argo.destNamespace) findings.push(...withDestination(resources, argo.destNamespace, ctx.crds, argo.file));
  const error = findings.some((f) => f.severity === 'error');
  // Broken files leave the rest known only when nothing else failed.
  const onlyBroken = !!brokenFiles && findings.every((f) => f.severity !== 'error' || brokenFiles!.includes(f.file ?? ''));
  // A source that could not render (no chart, no helm): the app's resources are unknown, not gone.
  if (skipped && !error) return { resources: [], findings, status: 'skipped' };
  return { resources, findings, status: error ? 'error' : 'rendered', ...(error && onlyBroken && !skipped ? { brokenFiles } : {}) };
}
