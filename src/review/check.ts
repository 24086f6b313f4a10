import { clip } from '../report/checks.js';
import { inline } from '../report/markdown.js';
import type { CheckResult } from '../types.js';
import type { ReviewEvaluation, RuleOutcome } from './evaluate.js';

export const REVIEW_CHECK = 'ferry/review';

/** GitLab shows a status's description and cuts it at 255 characters: the title must say it all. */
const TITLE_RULES = 3;

function approvals(r: RuleOutcome): string {
  const parts = [`${r.approvedBy.length}/${r.required}${r.approvedBy.length ? `: ${r.approvedBy.map(inline).join(', ')}` : ''}`];
  if (r.stale.length) parts.push(`not counted, given before a push that changed what this rule covers: ${r.stale.map(inline).join(', ')}`);
  if (r.changesRequestedBy.length) parts.push(`**changes requested** by ${r.changesRequestedBy.map(inline).join(', ')}`);
  return parts.join('<br>');
}

function row(r: RuleOutcome): string {
  const state = r.met ? '✅' : '⏳';
  const who = r.met ? '—' : r.canSatisfy.map(inline).join(', ') || '—';
  return `| ${state} ${inline(r.rule)} | ${r.why.map(inline).join('; ')} | ${approvals(r)} | ${who} |`;
}

/**
 * The `ferry/review` check. While a rule is unmet it completes as `failure` titled
 * "Waiting for review": `neutral` counts as passing for branch protection, and a check
 * left running looks hung for as long as nobody reviews (docs/config.md, "Why failure").
 */
export function reviewCheck(ev: ReviewEvaluation, textLimit: number): CheckResult {
  const applying = ev.rules.filter((r) => r.applies);
  const unmet = applying.filter((r) => !r.met);
  const skipped = ev.rules.filter((r) => !r.applies);
  const lines: string[] = [];
  if (ev.noneApplies) {
    lines.push('No review rule applies to this change: nothing to wait for.');
  } else {
    lines.push(unmet.length
      ? `Waiting for review: ${unmet.length} of ${applying.length} rule${applying.length === 1 ? '' : 's'} not met yet. This check turns green once they are; it is not a problem with the change.`
      : `Every review rule that applies is met.`);
    lines.push('', '| rule | why it applies | approvals counted | who can still satisfy it |', '| --- | --- | --- | --- |', ...applying.map(row));
  }
  if (skipped.length) lines.push('', `Not applying: ${skipped.map((r) => inline(r.rule)).join(', ')}.`);
  const names = unmet.slice(0, TITLE_RULES).map((r) => r.rule).join(', ') + (unmet.length > TITLE_RULES ? ` and ${unmet.length - TITLE_RULES} more` : '');
  return {
    name: REVIEW_CHECK,
    conclusion: unmet.length ? 'failure' : 'success',
    title: unmet.length ? `Waiting for review: ${names}` : ev.noneApplies ? 'No review rule applies' : 'Review rules met',
    summary: clip(lines.join('\n') + '\n', textLimit),
    annotations: [],
  };
}
