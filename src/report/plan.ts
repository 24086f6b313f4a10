import type { AppPlan, Plan } from '../types.js';
import { template } from './templates.js';

export const PLAN_MARKER = '<!-- ferry:plan -->';

/** Rendered, no change, nothing to say: one word in a list, not a section of its own. */
function quiet(a: AppPlan): boolean {
  return a.status === 'rendered' && a.changes.length === 0 && a.findings.length === 0;
}

/** The plan as the templates read it: per environment, the apps worth a section, and the names of the quiet ones. */
function view(plan: Plan) {
  const environments = plan.environments.map((e) => ({
    name: e.name,
    apps: e.apps.filter((a) => !quiet(a)),
    unchanged: e.apps.filter(quiet).map((a) => a.name),
  }));
  const rows = environments.flatMap((e) =>
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
  const unchanged = environments.filter((e) => e.unchanged.length > 0).map((e) => ({ env: e.name, apps: e.unchanged }));
  return { ...plan, environments, rows, unchanged, noApps: rows.length === 0 && unchanged.length === 0 };
}

/** The PR comment body: summary table first, then per-app folded diffs and findings. */
export function renderMarkdown(plan: Plan, opts: { draft?: boolean; listChanges?: boolean } = {}): string {
  const v = { ...view(plan), draft: !!opts.draft, listChanges: opts.listChanges ?? true };
  return template('plan.md.hbs')(v).replace(/\n{3,}/g, '\n\n');
}

export function renderText(plan: Plan): string {
  return template('plan.txt.hbs')(view(plan)).replace(/\n{3,}/g, '\n\n');
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
        resources: a.resources ?? 0,
        changes: a.changes.map((c) => ({
          action: c.action, apiVersion: c.apiVersion, kind: c.kind, namespace: c.namespace, name: c.name, diff: c.diff,
          ...(c.note ? { note: c.note } : {}),
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
