// TEMPORARY STUB written by the lead so the GitHub App can be exercised; the size-limits helper replaces this file.
import type { Plan } from '../types.js';
import { renderMarkdown } from './plan.js';
export const PLAN_PART_MARKER = (n: number) => `<!-- ferry:plan:part ${n} -->`;
export function fitPlanComment(plan: Plan, opts: { limit: number; draft?: boolean; maxParts?: number }): string[] {
  return [renderMarkdown(plan, { draft: opts.draft })];
}
