import type { Plan } from '../types.js';
import { PLAN_MARKER, renderMarkdown, type FileLink } from './plan.js';
import { splitMarkdown } from './split.js';
import { template } from './templates.js';

/** Comment parts for one plan, at most: the rest is left to the `ferry/plan` check run. */
export const MAX_PARTS = 5;

/** Hidden marker of comment part N (N ≥ 2); part 1 carries PLAN_MARKER. */
export const PLAN_PART_MARKER = (n: number) => `<!-- ferry:plan:part ${n} -->`;

/** The marker of the i-th comment body (from 0) that fitPlanComment returns: what `ensureComments` finds it by. */
export const planCommentMarker = (i: number) => (i === 0 ? PLAN_MARKER : PLAN_PART_MARKER(i + 1));

export interface FitOptions {
  limit: number;
  draft?: boolean;
  maxParts?: number;
  /** Links findings to their lines (forges without annotations). */
  fileLink?: FileLink;
  /** False when base or head is not on the forge: no "Reproduce locally" line. */
  reproducible?: boolean;
  /** The forge's command prefix (`/`, `/ferry `): the footer names the commands a reader can comment. */
  command?: string;
  /** False under a heading of the caller's (a promotion body): no "Ferry plan" heading. */
  heading?: boolean;
}

function withDiffsOmitted(plan: Plan, omit: Set<object>): Plan {
  return {
    ...plan,
    environments: plan.environments.map((e) => ({
      ...e,
      apps: e.apps.map((a) => ({
        ...a,
        // `left` keeps the diff for comparison only: apps with the same change still share a section.
        changes: a.changes.map((c) => (omit.has(c) ? { ...c, diff: null, omitted: true, left: c.diff } : c)),
      })),
    })),
  };
}

/**
 * The comment bodies for a plan within the forge's limit. First the largest diffs are
 * left out (the summary and every finding always stay); what still does not fit is
 * split into parts, the summary in the first. Past `maxParts` (default 5) the
 * per-resource listings go, and then the last apps, with a note saying what is missing.
 */
export function fitPlanComment(plan: Plan, opts: FitOptions): string[] {
  const render = (p: Plan, listChanges = true, overview = false) =>
    renderMarkdown(p, { draft: opts.draft, listChanges, fileLink: opts.fileLink, reproducible: opts.reproducible, command: opts.command, overview, heading: opts.heading });
  const full = render(plan);
  if (full.length <= opts.limit) return [full];

  const changes = plan.environments.flatMap((e) => e.apps.flatMap((a) => a.changes)).filter((c) => c.diff);
  changes.sort((a, b) => b.diff!.length - a.diff!.length);
  const condensed = render(withDiffsOmitted(plan, new Set(changes)));
  // Without any diff it does not fit either: searching which diffs to drop is wasted work.
  if (condensed.length <= opts.limit) {
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
  }

  const maxParts = opts.maxParts ?? MAX_PARTS;
  const header = (n: number) => `${PLAN_PART_MARKER(n)}\n_Ferry plan, continued (part ${n})._\n\n`;
  const split = (text: string) => splitMarkdown(text, opts.limit - 200, header);
  // Split in parts, the first one opens with a row per app: the reader sees every app there.
  const parts = split(render(withDiffsOmitted(plan, new Set(changes)), true, true));
  if (parts.length <= maxParts) return parts;
  // Past the cap, per-resource listings go; the summary and every finding stay.
  const unlisted = split(render(plan, false, true));
  if (unlisted.length <= maxParts) return unlisted;
  return firstApps(plan, maxParts, (p) => split(render(p, false, true) + leftOutNote(plan, p, maxParts)));
}

/**
 * Still too long without listings (thousands of apps): only the first apps are shown,
 * as many as fit the parts, and the end says what was left out. A comment thread of
 * dozens of parts helps nobody, and each part is a write against GitHub's rate limits.
 */
function firstApps(plan: Plan, maxParts: number, partsOf: (p: Plan) => string[]): string[] {
  let lo = 0;
  let hi = plan.environments.reduce((n, e) => n + e.apps.length, 0);
  let best: string[] | null = null;
  // The most apps whose comment still fits the parts.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const parts = partsOf(keepApps(plan, mid));
    if (parts.length <= maxParts) {
      best = parts;
      lo = mid;
    } else hi = mid - 1;
  }
  // Even the summary alone overflows (repository findings without end): cut at the cap.
  return (best ?? partsOf(keepApps(plan, 0))).slice(0, maxParts);
}

/** The plan with only its first `n` apps (in comment order); the summary stays whole. */
function keepApps(plan: Plan, n: number): Plan {
  let left = n;
  const environments = plan.environments.map((e) => {
    const apps = e.apps.slice(0, Math.max(0, left));
    left -= apps.length;
    return { ...e, apps };
  });
  return { ...plan, environments };
}

function leftOutNote(full: Plan, shown: Plan, maxParts: number): string {
  const kept = new Set(shown.environments.flatMap((e) => e.apps));
  const omitted = full.environments.flatMap((e) => e.apps.filter((a) => !kept.has(a)).map((a) => ({ env: e.name, app: a })));
  if (omitted.length === 0) return '';
  return '\n\n' + template('plan-left-out.md.hbs')({
    maxParts,
    apps: omitted.length,
    findings: omitted.reduce((n, o) => n + o.app.findings.length, 0),
    first: `${omitted[0]!.env} / ${omitted[0]!.app.name}`,
  });
}

export { PLAN_MARKER };
