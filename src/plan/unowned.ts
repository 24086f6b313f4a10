import type { AppInputs } from '../render/kustomization.js';
import { CONFIG_FILES } from '../config/index.js';
import type { Finding } from '../types.js';
import { SKIP_DIR_RE, type TreeView } from './discover.js';

const DATA_RE = /\.(ya?ml|json)$/i;
/** Files listed by name in the finding; the rest are counted. */
const LISTED = 20;
/** Changed files whose content is read to tell a manifest from other YAML; past it, each counts as one. */
const MAX_CONTENT_READS = 1000;

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/**
 * What the plan's apps read, merged across apps, environments and both sides, so each
 * changed file is looked up once (a few set lookups) instead of against every app.
 */
export class Ownership {
  private readonly files = new Set<string>();
  private readonly kustomizations = new Set<string>();
  private readonly dirs = new Set<string>();

  add(inputs: AppInputs | null): void {
    if (!inputs) return;
    for (const f of inputs.files) this.files.add(f);
    for (const k of inputs.kustomizations) this.kustomizations.add(k);
    for (const d of inputs.dirs) this.dirs.add(d);
  }

  /** Mirrors touches(): a file read, any file directly in a kustomization folder, anything under a folder read whole. */
  owns(file: string): boolean {
    if (this.files.has(file)) return true;
    const dir = dirOf(file);
    if (this.kustomizations.has(dir)) return true;
    if (this.dirs.has('')) return true;
    for (let d = dir; d !== ''; d = dirOf(d)) if (this.dirs.has(d)) return true;
    return false;
  }
}

/** Changed files that could be manifests: YAML or JSON outside tooling folders, and not Ferry's own config. */
export function ownershipCandidates(changed: readonly string[], configFile: string | null): string[] {
  return changed.filter((f) => DATA_RE.test(f) && !SKIP_DIR_RE.test(f) && f !== configFile && !CONFIG_FILES.includes(f));
}

/** YAML with top-level apiVersion and kind, or JSON with both keys. */
function manifestLike(text: string): boolean {
  return (/^apiVersion\s*:/m.test(text) && /^kind\s*:/m.test(text)) || (/"apiVersion"\s*:/.test(text) && /"kind"\s*:/.test(text));
}

/**
 * One finding for the changed manifests no planned app reads: without it, a change
 * outside every app would plan nothing and pass silently. Each file's content is read at
 * head (at base when deleted) to leave out YAML that is not Kubernetes (CI, values, tool
 * configs).
 */
export function unownedFinding(candidates: readonly string[], ownership: Ownership, base: TreeView, head: TreeView): Finding | null {
  const unowned: string[] = [];
  let reads = 0;
  for (const f of candidates) {
    if (ownership.owns(f)) continue;
    const side = head.has(f) ? head : base.has(f) ? base : null;
    if (!side) continue;
    if (reads++ < MAX_CONTENT_READS && !manifestLike(side.read(f))) continue;
    unowned.push(f);
  }
  if (!unowned.length) return null;
  unowned.sort();
  const fix = 'add it to an app in ferry.yml (an environment `path` that covers it, or an entry under `apps:`)';
  if (unowned.length === 1) {
    return { severity: 'warning', rule: 'unowned-change', file: unowned[0]!, line: null, resource: null, message: `${unowned[0]} changed but belongs to no app Ferry plans; ${fix}` };
  }
  const listed = unowned.slice(0, LISTED).join(', ');
  const more = unowned.length > LISTED ? ` and ${unowned.length - LISTED} more` : '';
  return {
    severity: 'warning', rule: 'unowned-change', file: null, line: null, resource: null,
    message: `${unowned.length} changed files belong to no app Ferry plans: ${listed}${more}; ${fix.replace('add it', 'add them')}`,
  };
}
