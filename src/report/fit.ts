import type { Plan } from '../types.js';
import { PLAN_MARKER, renderMarkdown } from './plan.js';
import { splitMarkdown } from './split.js';

/** Hidden marker of comment part N (N ≥ 2); part 1 carries PLAN_MARKER. */
export const PLAN_PART_MARKER = (n: number) => `<!-- ferry:plan:part ${n} -->`;

export interface FitOptions {
  limit: number;
  draft?: boolean;
  maxParts?: number;
}

function withDiffsOmitted(plan: Plan, omit: Set<object>): Plan {
  return {
    ...plan,
    environments: plan.environments.map((e) => ({
      ...e,
      apps: e.apps.map((a) => ({
        ...a,
        changes: a.changes.map((c) => (omit.has(c) ? { ...c, diff: null, omitted: true } : c)),
      })),
    })),
  };
}

/**
 * The comment bodies for a plan within the forge's limit. First the largest diffs are
 * left out (the summary and every finding always stay); what still does not fit is
 * split into parts, the summary in the first.
 */
export function fitPlanComment(plan: Plan, opts: FitOptions): string[] {
  const render = (p: Plan, listChanges = true) => renderMarkdown(p, { draft: opts.draft, listChanges });
  const full = render(plan);
  if (full.length <= opts.limit) return [full];

  const changes = plan.environments.flatMap((e) => e.apps.flatMap((a) => a.changes)).filter((c) => c.diff);
  changes.sort((a, b) => b.diff!.length - a.diff!.length);
  // Binary search for the fewest omitted diffs (largest first) that make the body fit.
  let lo = 1;
  let hi = changes.length;
  let best: string | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const body = render(withDiffsOmitted(plan, new Set(changes.slice(0, mid))));
    if (body.length <= opts.limit) {
      best = body;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  if (best) return [best];

  const condensed = render(withDiffsOmitted(plan, new Set(changes)));
  const maxParts = opts.maxParts ?? 10;
  const header = (n: number) => `${PLAN_PART_MARKER(n)}\n_Ferry plan, continued (part ${n})._\n\n`;
  const parts = splitMarkdown(condensed, opts.limit - 200, header);
  if (parts.length <= maxParts) return parts;
  // Past the cap, per-resource listings go; the summary and every finding stay.
  return splitMarkdown(render(plan, false), opts.limit - 200, header);
}

export { PLAN_MARKER };
