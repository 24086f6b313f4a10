import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { AppSpec, Finding, Resource } from '../types.js';
import { exec, ExecError } from '../util/exec.js';
import { isReleaseName, kustomizationFileIn } from './kustomization.js';
import { decodeManifest, identityOf, isToolConfig, parseRenderedObjects, parseSourceManifests } from './manifests.js';
import type { RenderTools } from './tools.js';
import { isDuplicateKeyError, parseKeepingLastKey } from './duplicate-keys.js';
import { sourcePointer } from './merge-keys.js';
import { patchTracer } from './patch-origin.js';
import { limitMessage, renderHome, scrubStderr, type Sandbox } from './sandbox.js';
import { append } from '../util/append.js';
import { helmTemplate } from './helm-template.js';
import { GO_YAML } from './yaml-numbers.js';

/** What a renderer printed: cacheable, independent of where the tree was materialized. */
export type RawRender = { ok: true; text: string } | { ok: false; findings: Finding[] };

export interface TreeFiles {
  /** Absolute folder where materialized files are written. */
  root: string;
  has(p: string): boolean;
  /** A file's bytes, following symlinks that stay inside the repository. */
  readFile(p: string): { data: Buffer } | { finding: Finding };
  /** Parsed source manifests, cached per tree: used to trace rendered resources to lines. */
  source(file: string): Resource[];
}

const ORIGIN = 'config.kubernetes.io/origin';

function renderError(app: AppSpec, message: string, rule = 'render-error'): Finding {
  return { severity: 'error', rule, message, file: app.path || '.', line: null, resource: null };
}

function toolFailure(app: AppSpec, tool: string, err: unknown, root: string, home: string, sandbox: Sandbox): Finding {
  if (err instanceof ExecError) {
    const limit = limitMessage(err, sandbox);
    if (limit) return renderError(app, `${tool} ${limit} for ${app.path || '.'}`, 'render-limit');
    const stderr = scrubStderr(err.stderr, root, home);
    // The command line is the sandbox's wrapper: name the tool, not the wrapper.
    const detail = err.reason === 'exit' ? stderr || `exit code ${err.code}` : err.message.slice(err.message.indexOf(': ') + 2);
    return renderError(app, `${tool} failed for ${app.path || '.'}: ${detail.slice(0, 4000)}`);
  }
  return renderError(app, `${tool} failed for ${app.path || '.'}: ${(err as Error).message}`);
}

/**
 * Makes Kustomize record where each resource came from, so findings can point at a
 * file. The tree is private to this plan, so editing it is safe.
 */
async function enableOriginAnnotations(root: string, kfile: string): Promise<void> {
  const abs = path.join(root, kfile);
  const doc = parseDocument(await readFile(abs, 'utf8'), GO_YAML);
  if (doc.errors.length || !doc.contents) return;
  const current = doc.get('buildMetadata');
  const list = Array.isArray((current as { toJSON?: () => unknown } | undefined)?.toJSON?.()) ? ((current as { toJSON: () => string[] }).toJSON()) : [];
  if (list.includes('originAnnotations')) return;
  doc.set('buildMetadata', [...list, 'originAnnotations']);
  // Another app's render may be reading this file right now: replace it atomically.
  const tmp = `${abs}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, doc.toString());
  await rename(tmp, abs);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.ferry-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function renderRaw(app: AppSpec, tree: TreeFiles, tools: RenderTools, signal?: AbortSignal): Promise<RawRender> {
  if (app.renderer === 'plain') return { ok: true, text: '' };
  const dir = path.join(tree.root, app.path);
  const { sandbox } = tools;
  if (sandbox.required && !sandbox.namespaces) {
    return { ok: false, findings: [renderError(app, 'not rendered: FERRY_SANDBOX=require, and this server cannot isolate renders (no network/PID namespaces)', 'render-limit')] };
  }
  if (app.renderer === 'kustomize' && !tools.kustomize) {
    return { ok: false, findings: [renderError(app, 'no kustomize or kubectl binary found; Kustomize apps cannot be rendered')] };
  }
  if (app.renderer === 'helm' && !tools.helm) {
    return {
      ok: false,
      findings: [{ ...renderError(app, `Helm app not rendered: no helm binary (install helm or set render.helm)`, 'helm-unavailable'), severity: 'warning' }],
    };
  }
  if (app.renderer === 'helm') {
    const h = app.helm ?? {};
    const release = h.releaseName ?? path.posix.basename(app.path || 'release');
    if (!isReleaseName(release)) {
      return {
        ok: false,
        findings: [renderError(app, `${JSON.stringify(release)} (the folder name) is not a valid Helm release name; set \`helm.releaseName\` for this app in ferry.yml`, 'render-refused')],
      };
    }
    return helmTemplate({
      file: app.path || '.', chart: { dir: app.path }, release, ...(h.namespace ? { namespace: h.namespace } : {}),
      valuesFiles: (h.valuesFiles ?? []).map((v) => path.posix.join(app.path, v)),
    }, tree, tools, signal);
  }
  const tool = 'kustomize';
  const home = await renderHome(tools.helm);
  let target = dir;
  const overlay = app.flux ? { text: app.flux.overlay, dir: app.flux.overlayDir } : app.overlay;
  if (overlay) {
    // A controller's options as an overlay over the folder: kustomize does the real work.
    // Its folder is named by its content, so concurrent renders write the same bytes.
    target = path.join(tree.root, overlay.dir);
    await writeAtomically(path.join(target, 'kustomization.yaml'), overlay.text);
    // A folder without a kustomization gets the one Flux would generate, where Flux
    // writes it: kustomize reads files only from below a kustomization. No other
    // render reads a kustomization there (there is none in the repository).
    if (app.flux?.generated) await writeAtomically(path.join(dir, 'kustomization.yaml'), app.flux.generated.text);
  } else {
    const kfile = kustomizationFileIn(app.path, tree.has);
    if (kfile) await enableOriginAnnotations(tree.root, kfile).catch(() => undefined);
  }
  const cmd = tools.kustomize!.cmd;
  const args = [...tools.kustomize!.args, target];
  if (home.helm) args.push('--enable-helm', '--helm-command', home.helm);
  try {
    const toolDirs = [cmd, tools.helm, home.helm].filter((t): t is string => !!t).map((t) => path.dirname(t));
    const line = sandbox.wrap(cmd, args, { tmpRoot: tmpdir(), tree: tree.root, home: home.home, tools: toolDirs, hidden: tools.hidden });
    const out = await exec(line.cmd, line.args, {
      cwd: tree.root,
      timeoutMs: tools.timeoutMs,
      maxOutputBytes: tools.maxOutputBytes,
      signal,
      env: home.env,
    });
    return { ok: true, text: out.stdout.toString('utf8') };
  } catch (err) {
    return { ok: false, findings: [toolFailure(app, tool, err, tree.root, home.home, sandbox)] };
  } finally {
    await home.dispose();
  }
}

function stripOrigin(obj: Record<string, unknown>): string | null {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const ann = meta?.annotations as Record<string, unknown> | undefined;
  if (!ann || typeof ann[ORIGIN] !== 'string') return null;
  const origin = ann[ORIGIN] as string;
  delete ann[ORIGIN];
  if (Object.keys(ann).length === 0) delete meta!.annotations;
  const m = /^(?:path|configuredIn):\s*(.+)$/m.exec(origin);
  return m ? m[1]!.trim() : null;
}

/** Attaches the source document of a rendered resource, matched by kind and original name; returns that document. */
function traceTo(tree: TreeFiles, file: string, res: Resource): Resource | undefined {
  const candidates = tree.source(file).filter((s) => s.id.kind === res.id.kind);
  const match =
    candidates.find((s) => s.id.name === res.id.name) ??
    candidates.find((s) => s.id.name && res.id.name.includes(s.id.name)) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  res.source = match?.source ? { ...match.source } : { file, line: null };
  const locate = match?.source?.locate;
  // The rendered order of merged lists is not the file's: a patch may put a container first.
  if (match && locate) res.source.locate = (pointer) => locate(sourcePointer(res.object, match.object, pointer));
  return match;
}

/**
 * Parses a renderer's output. A key repeated in one mapping is not fatal: the API server
 * keeps the last value, so that is what is diffed and validated, and a warning says where.
 */
function parseOutput(app: AppSpec, text: string, file: string, linesBefore = 0): { objects: Record<string, unknown>[]; findings: Finding[] } {
  try {
    return { objects: parseRenderedObjects(text), findings: [] };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  const { objects, duplicates } = parseKeepingLastKey(text);
  const findings = duplicates.slice(0, MAX_DUPLICATE_FINDINGS).map((d): Finding => ({
    severity: 'warning', rule: 'duplicate-key', file, line: null, resource: null,
    message: `${app.renderer} output repeats the key ${JSON.stringify(d.key)} in one mapping (line ${d.line - linesBefore} of ${path.posix.basename(file)} as rendered): kubectl's default strict field validation rejects the object; without it, the last value is used`,
  }));
  if (duplicates.length > MAX_DUPLICATE_FINDINGS) {
    findings.push({ ...findings[0]!, message: `${duplicates.length - MAX_DUPLICATE_FINDINGS} more repeated keys in the ${app.renderer} output of this file` });
  }
  return { objects, findings };
}

const MAX_DUPLICATE_FINDINGS = 3;

/** Turns a renderer's output into resources traced back to source files where possible. */
export function resourcesFromRender(app: AppSpec, raw: string, tree: TreeFiles): { resources: Resource[]; findings: Finding[] } {
  if (app.renderer === 'helm') return helmResources(app, raw);
  let objects: Record<string, unknown>[];
  const findings: Finding[] = [];
  try {
    const parsed = parseOutput(app, raw, app.path || '.');
    objects = parsed.objects;
    append(findings, parsed.findings);
  } catch (err) {
    return { resources: [], findings: [renderError(app, `cannot parse ${app.renderer} output: ${(err as Error).message.split('\n')[0]}`)] };
  }
  const resources: Resource[] = [];
  const patched = patchTracer(tree);
  for (const obj of objects) {
    if (isToolConfig(obj)) continue;
    const origin = stripOrigin(obj);
    const id = identityOf(obj);
    if (!id) continue;
    const res: Resource = { id, object: obj, source: null };
    if (origin) {
      const file = path.posix.normalize(path.posix.join(app.path || '.', origin));
      if (!file.startsWith('../')) {
        const base = traceTo(tree, file, res);
        res.source!.patchedAt = patched(app.path, res, file, base?.object ?? null);
      }
    }
    if (!res.source) res.source = { file: app.path || '.', line: null };
    resources.push(res);
  }
  return { resources, findings };
}

function helmResources(app: AppSpec, raw: string): { resources: Resource[]; findings: Finding[] } {
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  for (const chunk of raw.split(/^---\s*$/m)) {
    const src = /^# Source: [^/\n]+\/(.+)$/m.exec(chunk);
    const file = src ? path.posix.join(app.path, src[1]!.trim()) : app.path;
    let objs: Record<string, unknown>[];
    try {
      // Lines are counted from the `# Source:` comment, as `helm template` prints the file.
      const parsed = parseOutput(app, chunk, file || '.', src ? chunk.slice(0, src.index).split('\n').length - 1 : 0);
      objs = parsed.objects;
      append(findings, parsed.findings);
    } catch (err) {
      findings.push(renderError(app, `cannot parse helm output: ${(err as Error).message.split('\n')[0]}`));
      continue;
    }
    for (const obj of objs) {
      const id = identityOf(obj);
      if (!id) continue;
      resources.push({ id, object: obj, source: { file, line: null } });
    }
  }
  return { resources, findings };
}

/**
 * A plain app: the YAML files directly in its folder, parsed with line numbers; no
 * subprocess, nothing on disk. Each file stands alone: one that cannot be read or parsed
 * is listed in `brokenFiles` (its content is unknown), the others are returned whole.
 */
export function renderPlain(tree: TreeFiles, files: string[]): { resources: Resource[]; findings: Finding[]; brokenFiles: string[] } {
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  const brokenFiles: string[] = [];
  for (const file of [...files].sort()) {
    const read = tree.readFile(file);
    const decoded = 'finding' in read ? read : decodeManifest(read.data, file);
    if ('finding' in decoded) {
      findings.push(decoded.finding);
      brokenFiles.push(file);
      continue;
    }
    const parsed = parseSourceManifests(decoded.text, file, { requireIdentity: true });
    append(resources, parsed.resources);
    append(findings, parsed.findings);
    // Only an unparsable document makes the file's content unknown; a document without a kind is known, and wrong.
    if (parsed.findings.some((f) => f.rule === 'yaml-error')) brokenFiles.push(file);
  }
  return { resources, findings, brokenFiles };
}
