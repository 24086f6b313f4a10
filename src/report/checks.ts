import type { Annotation, AnnotationLevel, CheckResult } from '../forge/types.js';
import type { Finding, Plan } from '../types.js';
import { template } from './templates.js';

/** GitHub rejects a check-run summary or text over 65,535 characters. */
export const CHECK_TEXT_LIMIT = 65_535;

const LEVEL: Record<Finding['severity'], AnnotationLevel> = { error: 'failure', warning: 'warning', info: 'notice' };

function allFindings(plan: Plan): Finding[] {
  return [...plan.findings, ...plan.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))];
}

/** Cuts text to the limit at a line boundary and says so. */
export function clip(text: string, limit = CHECK_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const note = '\n\n_…truncated to fit; the full list is in the plan comment and `ferry plan --format json`._';
  const cut = text.lastIndexOf('\n', limit - note.length);
  return text.slice(0, cut > 0 ? cut : limit - note.length) + note;
}

export function annotations(findings: Finding[]): Annotation[] {
  return findings
    .filter((f): f is Finding & { file: string; line: number } => !!f.file && !!f.line)
    .map((f) => ({
      path: f.file,
      line: f.line,
      level: LEVEL[f.severity],
      title: `${f.rule}${f.resource ? ` · ${f.resource}` : ''}`,
      message: f.message,
    }));
}

const RENDER_RULES = new Set(['render-error', 'yaml-error', 'path-escape', 'config']);

/**
 * `ferry/plan`: did everything render (and is an edited ferry.yml valid)?
 * `ferry/validate`: schema and policy findings; errors fail it, warnings only annotate.
 */
export function planChecks(plan: Plan, opts: { draft?: boolean } = {}): CheckResult[] {
  const findings = allFindings(plan);
  const renderProblems = findings.filter((f) => RENDER_RULES.has(f.rule) && f.severity === 'error');
  const validateFindings = findings.filter((f) => !RENDER_RULES.has(f.rule));
  const s = plan.summary;
  const apps = plan.environments.reduce((n, e) => n + e.apps.length, 0);
  const errors = validateFindings.filter((f) => f.severity === 'error').length;
  const warnings = validateFindings.filter((f) => f.severity === 'warning').length;
  const view = { ...plan, draft: !!opts.draft, renderProblems, validateFindings, apps };
  return [
    {
      name: 'ferry/plan',
      conclusion: renderProblems.length ? 'failure' : 'success',
      title: renderProblems.length
        ? `${renderProblems.length} app${renderProblems.length === 1 ? '' : 's'} failed to render`
        : apps === 0
          ? 'No changes to rendered manifests'
          : `${s.added} to add, ${s.changed} to change, ${s.removed} to remove in ${apps} app${apps === 1 ? '' : 's'}`,
      summary: clip(template('check-plan.md.hbs')(view)),
      annotations: annotations(renderProblems),
    },
    {
      name: 'ferry/validate',
      conclusion: errors ? 'failure' : 'success',
      title: errors
        ? `${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`
        : warnings
          ? `Passed with ${warnings} warning${warnings === 1 ? '' : 's'}`
          : 'All rendered resources are valid',
      summary: clip(template('check-validate.md.hbs')(view)),
      annotations: annotations(validateFindings),
    },
  ];
}

/** A job that could not plan at all (invalid base config, git failure, engine error). */
export function failedPlanCheck(reason: string, findings: Finding[] = []): CheckResult {
  return {
    name: 'ferry/plan',
    conclusion: 'failure',
    title: findings.some((f) => f.rule === 'config') ? 'Invalid ferry.yml on the base branch' : 'Ferry could not plan this change',
    summary: clip(template('check-error.md.hbs')({ reason, findings })),
    annotations: annotations(findings),
  };
}
