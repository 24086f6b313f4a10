import { createHash } from 'node:crypto';
import { copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding } from '../types.js';
import { exec, ExecError } from '../util/exec.js';
import { GENERATED_HOMES } from '../workspace/links.js';
import { isReleaseName, resolveRepoPath } from './kustomization.js';
import type { RawRender, TreeFiles } from './render.js';
import { limitMessage, renderHome, scrubStderr } from './sandbox.js';
import type { RenderTools } from './tools.js';

/**
 * One `helm template` run, as a Ferry app, a Flux HelmRelease or an Argo CD Application
 * asks for it. Everything helm reads is inside the render tree: values given inline are
 * written there, and a chart fetched from outside the repository is copied there, so the
 * sandbox never needs the network or a host path.
 */
export interface HelmTemplateRequest {
  /** Where findings point (an app folder, or the file holding the object that asked). */
  file: string;
  /** The chart: a folder of the repository, or a .tgz from the chart cache. */
  chart: { dir: string } | { archive: string; digest: string };
  release: string;
  namespace?: string;
  /** Values files, repository-relative, applied in order. */
  valuesFiles?: string[];
  /** Values documents (YAML or JSON text), applied after the files, in order. */
  values?: string[];
  /** `--set` / `--set-string` parameters, applied last in this order (Argo CD's `parameters`). */
  set?: HelmParameter[];
  /**
   * Integers helm must read as int64, not as a values file's float64 (Flux's targetPath
   * values): `--set <path>=<digits>`, the path already escaped for helm's parser.
   */
  integers?: { path: string; value: string }[];
  /** Render the chart's `crds/` folder (Flux's default `install.crds: Create`). */
  includeCrds?: boolean;
  /** Leave out test hooks: they run on `helm test`, never on install. */
  skipTests?: boolean;
  /** `--kube-version`: what `.Capabilities.KubeVersion` says, e.g. "1.31". */
  kubeVersion?: string;
  /** `--api-versions`: extra `.Capabilities.APIVersions` entries. */
  apiVersions?: string[];
}

export interface HelmParameter {
  name: string;
  value: string;
  /** `--set-string` (Argo CD's `forceString`). */
  string?: boolean;
}

/**
 * A parameter's value as Argo CD hands it to helm: helm splits `--set` on commas, so a comma
 * not already escaped is; a `{a,b}` list is passed as written. Backslashes are not escaped,
 * so helm reads `\x` as `x` — as it does under Argo CD, whose output Ferry shows.
 */
export function argoSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  let out = '';
  let prev = '';
  for (const ch of value) {
    out += ch === ',' && prev !== '\\' ? '\\,' : ch;
    prev = ch;
  }
  return out;
}

/** Inline values and fetched charts are written here, named by their content. */
const VALUES_HOME = '.ferry-helm/values';
const CHARTS_HOME = '.ferry-helm/charts';
const KUBE_VERSION_RE = /^v?\d+\.\d+(\.\d+)?$/;
const API_VERSION_RE = /^[A-Za-z0-9.-]+(\/[A-Za-z0-9.-]+)*$/;
const PARAM_NAME_RE = /^[^=\s,]{1,256}$/;

function finding(file: string, message: string, rule = 'render-error'): Finding {
  return { severity: 'error', rule, message, file: file || '.', line: null, resource: null };
}

async function writeOnce(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  // Named by content: another render may have written it already, with the same bytes.
  if (await stat(file).then(() => true, () => false)) return;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await write(tmp);
  await rename(tmp, file);
}

/** The command line for a request, or why it is refused. Paths are the tree's. */
async function commandLine(req: HelmTemplateRequest, tree: TreeFiles): Promise<{ args: string[] } | { refused: string }> {
  if (!isReleaseName(req.release)) return { refused: `${JSON.stringify(req.release.slice(0, 100))} is not a valid Helm release name` };
  if (req.kubeVersion !== undefined && !KUBE_VERSION_RE.test(req.kubeVersion)) return { refused: `kube version ${JSON.stringify(req.kubeVersion.slice(0, 40))} is not a version` };
  for (const a of req.apiVersions ?? []) if (!API_VERSION_RE.test(a)) return { refused: `API version ${JSON.stringify(a.slice(0, 100))} is not one` };
  // Helm reads a namespace that starts with `-` as a flag.
  if (req.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(req.namespace)) return { refused: `namespace ${JSON.stringify(req.namespace.slice(0, 100))} is not a valid namespace name` };
  let chart: string;
  if ('dir' in req.chart) {
    const dir = resolveRepoPath('', req.chart.dir);
    if (dir === null) return { refused: `chart folder ${JSON.stringify(req.chart.dir)} is outside the repository` };
    chart = path.join(tree.root, dir);
  } else {
    if (!/^[0-9a-f]{64}$/.test(req.chart.digest)) return { refused: 'chart archive without a sha256 digest' };
    chart = path.join(tree.root, CHARTS_HOME, `${req.chart.digest}.tgz`);
    const from = req.chart.archive;
    await writeOnce(chart, (tmp) => copyFile(from, tmp));
  }
  const args = ['template'];
  if (req.namespace) args.push('--namespace', req.namespace);
  if (req.includeCrds) args.push('--include-crds');
  if (req.skipTests) args.push('--skip-tests');
  if (req.kubeVersion) args.push('--kube-version', req.kubeVersion);
  for (const a of req.apiVersions ?? []) args.push('--api-versions', a);
  for (const v of req.valuesFiles ?? []) {
    const p = resolveRepoPath('', v);
    if (p === null) return { refused: `values file ${JSON.stringify(v)} is outside the repository` };
    // Not materialized (see GENERATED_HOMES): the name would read Ferry's own file instead.
    if (GENERATED_HOMES.has(p.split('/')[0]!)) return { refused: `values file ${p} is in a folder Ferry writes renders into` };
    if (!tree.has(p)) return { refused: `values file ${p} does not exist` };
    args.push('--values', path.join(tree.root, p));
  }
  for (const text of req.values ?? []) {
    const file = path.join(tree.root, VALUES_HOME, `${createHash('sha256').update(text).digest('hex')}.yaml`);
    await writeOnce(file, (tmp) => writeFile(tmp, text));
    args.push('--values', file);
  }
  for (const p of req.set ?? []) {
    if (!PARAM_NAME_RE.test(p.name)) return { refused: `parameter name ${JSON.stringify(p.name.slice(0, 100))} is not one helm accepts` };
    args.push(p.string ? '--set-string' : '--set', `${p.name}=${argoSetValue(p.value)}`);
  }
  for (const n of req.integers ?? []) {
    if (!/^-?\d{1,19}$/.test(n.value) || n.path === '' || n.path.includes('\0') || n.path.length > 4096) return { refused: 'an integer value Ferry cannot pass to helm' };
    args.push('--set', `${n.path}=${n.value}`);
  }
  // Positional arguments after `--`: nothing from the repository is read as a flag.
  args.push('--', req.release, chart);
  return { args };
}

/** Runs `helm template` for a request, sandboxed; the output or a finding that says why not. */
export async function helmTemplate(req: HelmTemplateRequest, tree: TreeFiles, tools: RenderTools, signal?: AbortSignal): Promise<RawRender> {
  if (!tools.helm) {
    return { ok: false, findings: [{ ...finding(req.file, 'not rendered: no helm binary (install helm or set render.helm)', 'helm-unavailable'), severity: 'warning' }] };
  }
  const line = await commandLine(req, tree);
  if ('refused' in line) return { ok: false, findings: [finding(req.file, `helm template refused: ${line.refused}`, 'render-refused')] };
  const home = await renderHome(null);
  const { sandbox } = tools;
  try {
    const wrapped = sandbox.wrap(tools.helm, line.args, { tmpRoot: tmpdir(), tree: tree.root, home: home.home, tools: [path.dirname(tools.helm)], hidden: tools.hidden });
    const out = await exec(wrapped.cmd, wrapped.args, { cwd: tree.root, timeoutMs: tools.timeoutMs, maxOutputBytes: tools.maxOutputBytes, signal, env: home.env });
    return { ok: true, text: out.stdout.toString('utf8') };
  } catch (err) {
    if (!(err instanceof ExecError)) return { ok: false, findings: [finding(req.file, `helm failed for ${req.file}: ${(err as Error).message}`)] };
    const limit = limitMessage(err, sandbox);
    if (limit) return { ok: false, findings: [finding(req.file, `helm ${limit} for ${req.file}`, 'render-limit')] };
    const stderr = scrubStderr(err.stderr, tree.root, home.home);
    const detail = err.reason === 'exit' ? stderr || `exit code ${err.code}` : err.message.slice(err.message.indexOf(': ') + 2);
    return { ok: false, findings: [finding(req.file, `helm failed for ${req.file}: ${detail.slice(0, 4000)}`)] };
  } finally {
    await home.dispose();
  }
}
