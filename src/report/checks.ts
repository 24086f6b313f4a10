import type { Annotation, AnnotationLevel, CheckResult, Finding, Plan } from '../types.js';
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

/**
 * Annotations per check run, errors first. GitHub takes 50 per request: unbounded, one
 * PR with 400,000 findings meant 8,000 requests, more than an installation's hourly
 * budget. The summary says how many were left out.
 */
export const MAX_ANNOTATIONS = 500;

/** A line for the summary when findings were left out of the annotations. */
function annotationNote(findings: Finding[]): string {
  const n = findings.filter((f) => !!f.file && !!f.line).length;
  return n > MAX_ANNOTATIONS ? `\n\n_${n - MAX_ANNOTATIONS} more findings are not annotated on the files (${MAX_ANNOTATIONS} at most, errors first); \`ferry plan --format json\` lists them all._\n` : '';
}

export function annotations(findings: Finding[]): Annotation[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return findings
    .filter((f): f is Finding & { file: string; line: number } => !!f.file && !!f.line)
    .sort((a, b) => rank[a.severity] - rank[b.severity])
    .slice(0, MAX_ANNOTATIONS)
    .map((f) => ({
      path: f.file,
      line: f.line,
      level: LEVEL[f.severity],
      title: `${f.rule}${f.resource ? ` · ${f.resource}` : ''}`,
      message: f.message,
    }));
}

/** The checks a plan reports, in the order they are written. */
export const PLAN_CHECKS = ['ferry/plan', 'ferry/validate'] as const;

const RENDER_RULES = new Set(['render-error', 'yaml-error', 'path-escape', 'config']);

/**
 * `ferry/plan`: did everything render (and is an edited ferry.yml valid)?
 * `ferry/validate`: schema and policy findings; errors fail it, warnings only annotate.
 */
export function planChecks(plan: Plan, opts: { draft?: boolean; textLimit?: number } = {}): CheckResult[] {
  const limit = opts.textLimit ?? CHECK_TEXT_LIMIT;
  const findings = allFindings(plan);
  const renderProblems = findings.filter((f) => RENDER_RULES.has(f.rule) && f.severity === 'error');
  // The change's own findings first: annotations are capped, and a base that was already
  // wrong must not crowd them out.
  const validateAll = findings.filter((f) => !RENDER_RULES.has(f.rule));
  const validateFindings = validateAll.filter((f) => !f.inBase);
  const baseFindings = validateAll.filter((f) => f.inBase);
  const s = plan.summary;
  const apps = plan.environments.reduce((n, e) => n + e.apps.length, 0);
  const errors = validateAll.filter((f) => f.severity === 'error').length;
  const warnings = validateAll.filter((f) => f.severity === 'warning').length;
  const baseErrors = baseFindings.filter((f) => f.severity === 'error').length;
  const inBase = baseErrors ? ` (${baseErrors} already in base)` : '';
  const view = { ...plan, draft: !!opts.draft, renderProblems, validateFindings, baseFindings, apps };
  return [
    {
      name: 'ferry/plan',
      conclusion: renderProblems.length ? 'failure' : 'success',
      title: renderProblems.length
        ? `${renderProblems.length} app${renderProblems.length === 1 ? '' : 's'} failed to render`
        : apps === 0
          ? 'No changes to rendered manifests'
          : `${s.added} to add, ${s.changed} to change, ${s.removed} to remove in ${apps} app${apps === 1 ? '' : 's'}`,
      summary: clip(annotationNote(renderProblems) + template('check-plan.md.hbs')(view), limit),
      annotations: annotations(renderProblems),
    },
    {
      name: 'ferry/validate',
      conclusion: errors ? 'failure' : 'success',
      title: errors
        ? `${errors} error${errors === 1 ? '' : 's'}${inBase}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`
        : warnings
          ? `Passed with ${warnings} warning${warnings === 1 ? '' : 's'}`
          : 'All rendered resources are valid',
      summary: clip(annotationNote(validateAll) + template('check-validate.md.hbs')(view), limit),
      annotations: annotations([...validateFindings, ...baseFindings]),
    },
  ];
}

/** A job that could not plan at all (invalid base config, git failure, engine error). */
export function failedPlanCheck(reason: string, findings: Finding[] = [], textLimit = CHECK_TEXT_LIMIT): CheckResult {
  return {
    name: 'ferry/plan',
    conclusion: 'failure',
    title: findings.some((f) => f.rule === 'config') ? 'Invalid ferry.yml on the base branch' : 'Ferry could not plan this change',
    summary: clip(template('check-error.md.hbs')({ reason, findings }), textLimit),
    annotations: annotations(findings),
  };
}
