import type { FerryConfig, PromotionStep } from '../config/types.js';
import type { EnvironmentSpec } from '../types.js';
import { code } from '../report/markdown.js';

export type StepChoice =
  | { ok: true; step: PromotionStep; from: EnvironmentSpec; to: EnvironmentSpec }
  | { ok: false; reason: string };

function under(file: string, dir: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/**
 * Whether a merged PR changed the step's source environment: by its folder for the
 * directory strategy (on the environment's branch, when it names one), by the branch it
 * merged into for the branch strategy.
 */
function changedSource(step: PromotionStep, from: EnvironmentSpec, baseRef: string, changed: string[]): boolean {
  if (step.strategy === 'branch') return from.branch === baseRef;
  if (from.path === undefined || (from.branch !== undefined && from.branch !== baseRef)) return false;
  return changed.some((f) => under(f, from.path!));
}

/** Environments the PR changed, for messages. */
export function changedEnvironments(config: FerryConfig, baseRef: string, changed: string[]): string[] {
  return config.environments
    .filter((e) => (e.path !== undefined && (e.branch === undefined || e.branch === baseRef) && changed.some((f) => under(f, e.path!))) || (e.path === undefined && e.branch === baseRef))
    .map((e) => e.name);
}


/**
 * The promotion step a `/promote [ENV]` on a merged PR means: a step whose source the PR
 * changed, leading to ENV when one is named. Several candidates without ENV is ambiguous.
 * `command` is the forge's command prefix (`/`, or `/ferry ` on GitLab), for the hint.
 */
export function chooseStep(config: FerryConfig, baseRef: string, changed: string[], requested: string | null, only?: (s: PromotionStep) => boolean, command = '/'): StepChoice {
  const env = (name: string) => config.environments.find((e) => e.name === name)!;
  if (config.promotion.length === 0) return { ok: false, reason: 'no promotion steps are defined under `promotion:` in ferry.yml' };
  if (requested !== null && !config.environments.some((e) => e.name === requested)) {
    return { ok: false, reason: `there is no environment ${code(requested)} (defined: ${config.environments.map((e) => code(e.name)).join(', ')})` };
  }
  const candidates = config.promotion.filter((s) => changedSource(s, env(s.from), baseRef, changed) && (!only || only(s)));
  const matching = requested === null ? candidates : candidates.filter((s) => s.to === requested);
  if (matching.length === 1) {
    const step = matching[0]!;
    return { ok: true, step, from: env(step.from), to: env(step.to) };
  }
  const touched = changedEnvironments(config, baseRef, changed);
  const steps = config.promotion.map((s) => `${code(s.from)} → ${code(s.to)}`).join(', ');
  if (matching.length > 1) {
    return { ok: false, reason: `this pull request can be promoted to ${matching.map((s) => code(s.to)).join(' or ')}; name one, e.g. ${code(`${command}promote ${matching[0]!.to}`)}` };
  }
  const what = touched.length ? `changed ${touched.map((t) => code(t)).join(', ')}` : `changed no environment Ferry promotes from (merged into ${code(baseRef)})`;
  return {
    ok: false,
    reason: requested === null
      ? `this pull request ${what}, and no promotion step starts there (steps: ${steps})`
      : `this pull request ${what}, and no promotion step leads from there to ${code(requested)} (steps: ${steps})`,
  };
}

/** Steps that continue from an environment: what to offer after a promotion merges. */
export function nextSteps(config: FerryConfig, env: string): PromotionStep[] {
  return config.promotion.filter((s) => s.from === env);
}
