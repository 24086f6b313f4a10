import { clip, planChecks } from '../report/checks.js';
import { code } from '../report/markdown.js';
import type { CheckResult, Plan } from '../types.js';

export const PUSH_CHECK = 'ferry/push';

/**
 * The check on a commit that reached an environment branch without a merged PR (a
 * break-glass change): what it did, as a plan of the push, so it is visible after the
 * fact. Neutral unless the change does not render or is invalid: it is no gate (the
 * commit is already there), but a change nobody reviewed should not show green.
 */
export function directPushCheck(plan: Plan | { error: string }, opts: { branch: string; environments: string[]; before: string; after: string; textLimit: number }): CheckResult {
  const intro = `This commit reached ${code(opts.branch)} (${opts.environments.map((e) => code(e)).join(', ')}) by a direct push, not through a merged pull request: no plan, validation or review came before it. The plan of the push (${code(opts.before.slice(0, 7))} → ${code(opts.after.slice(0, 7))}):\n\n`;
  const title = (rest: string) => `Direct push to ${opts.branch}, not from a merged pull request: ${rest}`;
  if ('error' in plan) {
    return { name: PUSH_CHECK, conclusion: 'failure', title: title('the plan failed'), summary: clip(`${intro}The plan failed: ${code(plan.error)}\n`, opts.textLimit), annotations: [] };
  }
  const [planned, validated] = planChecks(plan, { textLimit: opts.textLimit });
  const bad = planned!.conclusion === 'failure' || validated!.conclusion === 'failure';
  return {
    name: PUSH_CHECK,
    conclusion: bad ? 'failure' : 'neutral',
    title: title(`${planned!.title}; ${validated!.title}`),
    summary: clip(`${intro}${planned!.summary}\n\n**Validation:** ${validated!.title}\n`, opts.textLimit),
    annotations: [],
  };
}
