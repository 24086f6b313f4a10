import type { Finding, RuleLevel } from '../types.js';

/** Rules the engine itself reports (the validate module's RULES cover the rest). */
export const ENGINE_RULES = [
  { id: 'render-error', defaultLevel: 'error', description: 'The app renders: kustomize / helm succeed and every referenced folder has a kustomization.' },
  { id: 'yaml-error', defaultLevel: 'error', description: 'Manifests are valid UTF-8 YAML without alias bombs, and within the size limit.' },
  { id: 'duplicate-key', defaultLevel: 'warning', description: 'No mapping in a source manifest has the same key twice (an error under `strict`, as the API server rejects it).' },
  { id: 'missing-kind', defaultLevel: 'error', description: 'Every document in a plain app is a Kubernetes object with apiVersion and kind.' },
  { id: 'helm-unavailable', defaultLevel: 'warning', description: 'A Helm app could not be rendered because no helm binary is available.' },
  { id: 'diff-incomplete', defaultLevel: 'info', description: 'Says which files a plan\'s diff leaves out because they cannot be read or parsed on one side.' },
  { id: 'path-escape', defaultLevel: 'error', description: 'No reference or symlink points outside the repository.' },
  { id: 'unowned-change', defaultLevel: 'warning', description: 'Every changed Kubernetes manifest belongs to an app Ferry plans.' },
  { id: 'flux-unsubstituted-variable', defaultLevel: 'warning', description: 'Every `${VAR}` in a Flux Kustomization\'s output has a value in postBuild.substitute or a substituteFrom source in the repository.' },
  { id: 'chart-unavailable', defaultLevel: 'warning', description: 'A chart a Flux HelmRelease or an Argo CD Application installs can be rendered offline: a folder of this repository, or fetched from its Helm repository / OCI registry, with its valuesFrom sources found. Notes about what is not applied (postRenderers, an assumed GitRepository) are info.' },
  { id: 'argo-application', defaultLevel: 'warning', description: 'Every source of an Argo CD Application is rendered as Argo CD renders it (a level here applies to findings about what Ferry does not render).' },
  { id: 'other-repository', defaultLevel: 'warning', description: 'A source (an Argo CD `repoURL`, an ApplicationSet git generator, a Flux Kustomization\'s GitRepository) known to be another repository than this one is not rendered offline; this repository\'s folder of the same path is not taken for it. (A HelmRelease chart from another repository is `chart-unavailable`.)' },
  { id: 'argo-applicationset', defaultLevel: 'warning', description: 'Every generator of an ApplicationSet is expanded offline and its template renders (cluster and API generators cannot be).' },
] as const satisfies ReadonlyArray<{ id: string; defaultLevel: RuleLevel; description: string }>;

const ENGINE_IDS = new Set<string>(ENGINE_RULES.map((r) => r.id));

/**
 * Applies configured levels to the engine's own findings; `off` drops them. Under
 * `strict`, a duplicate key is an error unless configured: the API server's strict
 * field validation (kubectl's default) rejects the object.
 */
export function applyEngineLevels(findings: Finding[], levels: Record<string, RuleLevel>, strict = false): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    let level = ENGINE_IDS.has(f.rule) ? levels[f.rule] : undefined;
    if (level === undefined && strict && f.rule === 'duplicate-key') level = 'error';
    if (level === 'off') continue;
    out.push(level ? { ...f, severity: level } : f);
  }
  return out;
}
