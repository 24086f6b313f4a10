/**
 * A renderer's stderr becomes a finding on the pull request, and Kustomize echoes what
 * it could not use — a `secretGenerator` literal without `=` is printed whole. Before a
 * render error leaves the engine, every secret value the app's inputs hold is masked in
 * it: secretGenerator literals, the contents of its `envs`/`env`/`files` files, and the
 * `data`/`stringData` values of Secret manifests among the input files. Values shorter
 * than MIN_MASKED_LENGTH (3) stay (see maskValues). Helm charts are not searched: their
 * templates are not YAML until rendered.
 */
import path from 'node:path';
import { parse } from 'yaml';
import { maskValues, secretStrings } from '../plan/mask.js';
import type { Finding } from '../types.js';
import { kustomizationFileIn, resolveRepoPath, type AppInputs } from './kustomization.js';
import type { TreeFiles } from './render.js';
import { GO_YAML } from './yaml-numbers.js';

function text(files: TreeFiles, p: string): string | null {
  const read = files.readFile(p);
  return 'data' in read ? read.data.toString('utf8') : null;
}

function list(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Values a kustomization's secretGenerators carry, with the files they read. */
function generatorSecrets(dir: string, kfile: string, files: TreeFiles, into: string[]): void {
  const source = text(files, kfile);
  if (source === null) return;
  let doc: unknown;
  try {
    doc = parse(source, { ...GO_YAML, maxAliasCount: 100 });
  } catch {
    return;
  }
  const gens = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).secretGenerator : undefined;
  if (!Array.isArray(gens)) return;
  const fromFile = (ref: string, lines: boolean) => {
    const p = resolveRepoPath(dir, ref);
    const read = p === null ? null : files.readFile(p);
    if (!read || !('data' in read)) return;
    into.push(read.data.toString('utf8'));
    if (!lines) return;
    for (let start = 0; start < read.data.length; ) {
      let end = read.data.indexOf(0x0a, start);
      if (end < 0) end = read.data.length;
      const line = read.data.subarray(start, end);
      start = end + 1;
      const text = line.toString('utf8');
      const eq = text.indexOf('=');
      if (eq >= 0) into.push(text.slice(eq + 1));
      // Kustomize prints a line with invalid UTF-8 as its bytes in decimal: `[80 65 83 …]`.
      if (text.includes('\uFFFD')) into.push(Array.from(line).join(' '));
    }
  };
  for (const g of gens) {
    if (!g || typeof g !== 'object') continue;
    const gen = g as Record<string, unknown>;
    for (const lit of list(gen.literals)) {
      // The whole literal too: one without `=` is exactly what Kustomize echoes back.
      into.push(lit);
      const eq = lit.indexOf('=');
      if (eq >= 0) into.push(lit.slice(eq + 1));
    }
    for (const ref of [...list(gen.envs), ...list(gen.env)]) fromFile(ref, true);
    for (const entry of list(gen.files)) {
      const eq = entry.indexOf('=');
      fromFile(eq >= 0 ? entry.slice(eq + 1) : entry, false);
    }
  }
}

/** Every secret value an app's render inputs hold. */
export function inputSecretValues(inputs: AppInputs, files: TreeFiles): string[] {
  const out: string[] = [];
  for (const dir of inputs.kustomizations) {
    const kfile = kustomizationFileIn(dir, files.has);
    if (kfile) generatorSecrets(dir, kfile, files, out);
  }
  for (const f of inputs.files) {
    if (!/\.ya?ml$/i.test(path.posix.basename(f))) continue;
    for (const r of files.source(f)) for (const v of secretStrings(r.object)) out.push(v);
  }
  return out;
}

/** Render findings with the app's secret values masked in their messages. */
export function maskRenderFindings(findings: Finding[], inputs: AppInputs, files: TreeFiles): Finding[] {
  const plain = inputSecretValues(inputs, files);
  // kustomize prints a generated Secret's data base64-encoded (a `replacements` error shows it).
  const values = [...plain, ...plain.map((v) => Buffer.from(v, 'utf8').toString('base64'))];
  if (values.length === 0) return findings;
  return findings.map((f) => ({ ...f, message: maskValues(f.message, values) }));
}
