import type { Plan } from '../types.js';
import { template } from './templates.js';

export const PLAN_MARKER = '<!-- ferry:plan -->';

function rows(plan: Plan) {
  return plan.environments.flatMap((e) =>
    e.apps.map((a) => ({
      env: e.name,
      app: a.name,
      status: a.status,
      added: a.changes.filter((c) => c.action === 'added').length,
      changed: a.changes.filter((c) => c.action === 'changed').length,
      removed: a.changes.filter((c) => c.action === 'removed').length,
      errors: a.findings.filter((f) => f.severity === 'error').length,
      warnings: a.findings.filter((f) => f.severity === 'warning').length,
    })),
  );
}

/** The PR comment body: summary table first, then per-app folded diffs and findings. */
export function renderMarkdown(plan: Plan, opts: { draft?: boolean; listChanges?: boolean } = {}): string {
  const r = rows(plan);
  const view = { ...plan, rows: r, noApps: r.length === 0, draft: !!opts.draft, listChanges: opts.listChanges ?? true };
  return template('plan.md.hbs')(view).replace(/\n{3,}/g, '\n\n');
}

export function renderText(plan: Plan): string {
  return template('plan.txt.hbs')(plan).replace(/\n{3,}/g, '\n\n');
}

/**
 * The JSON contract (docs/json-output.md). Built field by field so internal fields never
 * leak into it and key order stays stable.
 */
export function toJson(plan: Plan): unknown {
  const finding = (f: Plan['findings'][number]) => ({
    severity: f.severity, rule: f.rule, message: f.message, file: f.file, line: f.line, resource: f.resource,
  });
  return {
    base: plan.base,
    head: plan.head,
    environments: plan.environments.map((e) => ({
      name: e.name,
      apps: e.apps.map((a) => ({
        name: a.name,
        path: a.path,
        renderer: a.renderer,
        status: a.status,
        changes: a.changes.map((c) => ({
          action: c.action, apiVersion: c.apiVersion, kind: c.kind, namespace: c.namespace, name: c.name, diff: c.diff,
        })),
        findings: a.findings.map(finding),
      })),
    })),
    findings: plan.findings.map(finding),
    summary: { ...plan.summary },
  };
}

export function renderJson(plan: Plan): string {
  return JSON.stringify(toJson(plan), null, 2) + '\n';
}
