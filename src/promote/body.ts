import type { PromotionStep } from '../config/types.js';
import { fitPlanComment } from '../report/fit.js';
import { PLAN_MARKER, type FileLink } from '../report/plan.js';
import { template } from '../report/templates.js';
import type { Plan } from '../types.js';
import type { PromotionContent } from './content.js';
import type { GateResult } from './gates.js';
import { promotionMarker, type PromotionMeta } from './pr.js';

/** Largest number of files listed in a promotion PR body. */
const FILES_LISTED = 100;

export interface BodyInput {
  meta: PromotionMeta;
  /** How the forge writes a PR reference (`#7`, `!7`). */
  pullRef: (n: number) => string;
  strategy: PromotionStep['strategy'];
  sourceBranch: string;
  targetBranch: string;
  gates: GateResult[];
  content: PromotionContent;
  /** Null for auto-promotion. */
  requestedBy: string | null;
  /** The target environment's plan, or why it could not be made. */
  plan: Plan | { error: string };
  /** Largest body the forge accepts. */
  limit: number;
  /** False when the plan's head commit is not on the forge (a dry run's): no reproduce line. */
  reproducible?: boolean;
  /** Links a finding to its line at the promotion commit; absent when that commit is not on the forge. */
  fileLink?: FileLink;
}

/**
 * The promotion PR body: lineage, gates, files, the target plan, and the hidden
 * metadata marker. The plan gives way (largest diffs first) so the body fits the limit.
 */
export function promotionBody(b: BodyInput): string {
  const { changes } = b.content;
  const view = {
    ...b.meta,
    sources: b.meta.sources.map((s) => ({ ...s, ref: b.pullRef(s.pr) })),
    marker: promotionMarker(b.meta),
    sourceBranch: b.sourceBranch,
    targetBranch: b.targetBranch,
    // A met gate reads "met": a soak's running age would change the body on every run.
    gates: b.gates.map((g) => (g.ok ? { ...g, state: 'met' } : g)),
    auto: b.requestedBy === null,
    requestedBy: b.requestedBy,
    kept: b.content.kept,
    files: b.strategy === 'directory'
      ? {
          written: changes.filter((f) => f.blob).length,
          deleted: changes.filter((f) => !f.blob).length,
          list: changes.slice(0, FILES_LISTED),
          more: Math.max(0, changes.length - FILES_LISTED),
        }
      : null,
    plan: '',
    planError: 'error' in b.plan ? b.plan.error : null,
    planTruncated: false,
  };
  const render = () => template('promotion-pr.md.hbs')(view).replace(/\n{3,}/g, '\n\n');
  if ('error' in b.plan) return render();
  const room = Math.max(4_000, b.limit - render().length - 500);
  // Under "Plan for `production`": no second heading.
  const parts = fitPlanComment(b.plan, { limit: room, reproducible: b.reproducible, fileLink: b.fileLink, heading: false });
  view.plan = parts[0]!.replace(PLAN_MARKER, '').trim();
  view.planTruncated = parts.length > 1;
  return render();
}
