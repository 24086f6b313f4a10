import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Finding } from '../types.js';
import { exec, ExecError } from '../util/exec.js';
import type { RawRender, TreeFiles } from './render.js';
import { limitMessage, renderHome, scrubStderr } from './sandbox.js';
import type { RenderTools } from './tools.js';
import { GO_YAML } from './yaml-numbers.js';

/**
 * Flux's kustomize post-renderer: a chart's output built by kustomize with a HelmRelease's
 * `postRenderers[].kustomize` patches and images, sandboxed like any render. Only inline
 * patches exist there: nothing from the repository is read but the output itself.
 */

const POST_HOME = '.ferry-helm/post';

function finding(file: string, message: string, rule = 'render-error'): Finding {
  return { severity: 'error', rule, message, file: file || '.', line: null, resource: null };
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The kustomization one post-renderer amounts to: its inline patches (with their targets) and images, nothing else. */
export function postRendererKustomization(kustomize: Record<string, unknown>): Record<string, unknown> | { refused: string } {
  const k: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['output.yaml'] };
  const patches: Record<string, unknown>[] = [];
  for (const p of Array.isArray(kustomize.patches) ? kustomize.patches.map(obj) : []) {
    if (!p || typeof p.patch !== 'string') return { refused: 'a postRenderers patch without an inline `patch`' };
    const target = obj(p.target);
    patches.push({ patch: p.patch, ...(target ? { target } : {}) });
  }
  if (patches.length) k.patches = patches;
  // The v2beta HelmReleases' fields, as their controllers passed them on to kustomize:
  // strategic-merge patches and JSON 6902 operations written inline, as objects.
  const smp: string[] = [];
  for (const p of Array.isArray(kustomize.patchesStrategicMerge) ? kustomize.patchesStrategicMerge : []) {
    if (!obj(p)) return { refused: 'a postRenderers patchesStrategicMerge entry that is not an object' };
    smp.push(stringify(p, GO_YAML));
  }
  if (smp.length) k.patchesStrategicMerge = smp;
  const json6902: Record<string, unknown>[] = [];
  for (const p of Array.isArray(kustomize.patchesJson6902) ? kustomize.patchesJson6902.map(obj) : []) {
    const target = obj(p?.target);
    if (!p || !target || !Array.isArray(p.patch)) return { refused: 'a postRenderers patchesJson6902 entry without a target and inline operations' };
    json6902.push({ target, patch: JSON.stringify(p.patch) });
  }
  if (json6902.length) k.patchesJson6902 = json6902;
  const images: Record<string, unknown>[] = [];
  for (const i of Array.isArray(kustomize.images) ? kustomize.images.map(obj) : []) {
    if (!i || typeof i.name !== 'string') return { refused: 'a postRenderers image without a name' };
    images.push(Object.fromEntries(['name', 'newName', 'newTag', 'digest'].filter((f) => typeof i[f] === 'string').map((f) => [f, i[f]])));
  }
  if (images.length) k.images = images;
  return k;
}

/** Builds `text` with a post-renderer's kustomization (from postRendererKustomization). */
export async function postRender(text: string, kustomization: Record<string, unknown>, file: string, tree: TreeFiles, tools: RenderTools, signal?: AbortSignal): Promise<RawRender> {
  if (!tools.kustomize) return { ok: false, findings: [{ ...finding(file, 'postRenderers not applied: no kustomize or kubectl binary', 'chart-unavailable'), severity: 'info' }] };
  const ktext = stringify(kustomization, GO_YAML);
  const dir = path.join(tree.root, POST_HOME, createHash('sha256').update(ktext).update('\0').update(text).digest('hex').slice(0, 32));
  if (!(await stat(dir).then(() => true, () => false))) {
    // Named by content: a concurrent render of the same release writes the same bytes.
    const tmp = `${dir}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await mkdir(tmp, { recursive: true });
    await writeFile(path.join(tmp, 'output.yaml'), text);
    await writeFile(path.join(tmp, 'kustomization.yaml'), ktext);
    await rename(tmp, dir).catch(() => undefined);
  }
  const home = await renderHome(null);
  const { sandbox } = tools;
  try {
    const line = sandbox.wrap(tools.kustomize.cmd, [...tools.kustomize.args, dir], { tmpRoot: tmpdir(), tree: tree.root, home: home.home, tools: [path.dirname(tools.kustomize.cmd)], hidden: tools.hidden });
    const out = await exec(line.cmd, line.args, { cwd: tree.root, timeoutMs: tools.timeoutMs, maxOutputBytes: tools.maxOutputBytes, signal, env: home.env });
    return { ok: true, text: out.stdout.toString('utf8') };
  } catch (err) {
    if (!(err instanceof ExecError)) return { ok: false, findings: [finding(file, `postRenderers failed: ${(err as Error).message}`)] };
    const limit = limitMessage(err, sandbox);
    if (limit) return { ok: false, findings: [finding(file, `postRenderers: kustomize ${limit}`, 'render-limit')] };
    const stderr = scrubStderr(err.stderr, tree.root, home.home);
    return { ok: false, findings: [finding(file, `postRenderers failed: ${(stderr || `exit code ${err.code}`).slice(0, 4000)}`)] };
  } finally {
    await home.dispose();
  }
}
