import type { Finding, RuleLevel } from '../types.js';

/** Rules the engine itself reports (the validate module's RULES cover the rest). */
export const ENGINE_RULES = [
  { id: 'render-error', defaultLevel: 'error', description: 'The app renders: kustomize / helm succeed and every referenced folder has a kustomization.' },
  { id: 'yaml-error', defaultLevel: 'error', description: 'Manifests are valid UTF-8 YAML without duplicate keys or alias bombs, and at most 10 MB.' },
  { id: 'helm-unavailable', defaultLevel: 'warning', description: 'A Helm app could not be rendered because no helm binary is available.' },
  { id: 'diff-incomplete', defaultLevel: 'info', description: 'Says which files a plan\'s diff leaves out because they cannot be read or parsed on one side.' },
  { id: 'path-escape', defaultLevel: 'error', description: 'No reference or symlink points outside the repository.' },
] as const satisfies ReadonlyArray<{ id: string; defaultLevel: RuleLevel; description: string }>;

const ENGINE_IDS = new Set<string>(ENGINE_RULES.map((r) => r.id));

/** Applies configured levels to the engine's own findings; `off` drops them. */
export function applyEngineLevels(findings: Finding[], levels: Record<string, RuleLevel>): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const level = ENGINE_IDS.has(f.rule) ? levels[f.rule] : undefined;
    if (level === 'off') continue;
    out.push(level ? { ...f, severity: level } : f);
  }
  return out;
}
