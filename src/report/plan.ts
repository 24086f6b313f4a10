import type { AppPlan, Finding, Plan } from '../types.js';
import { template } from './templates.js';

export const PLAN_MARKER = '<!-- ferry:plan -->';

/** Rendered, no change, nothing to say: one word in a list, not a section of its own. */
function quiet(a: AppPlan): boolean {
  return a.status === 'rendered' && a.changes.length === 0 && a.findings.length === 0;
}

/** Where a finding's line can be seen on the forge (GitLab has no annotations), or null. */
export type FileLink = (file: string, line: number | null) => string | null;

/**
 * Only URLs made of these characters reach the Markdown: a file name is PR content, and a
 * `)`, space or `<` in a link target would end it and let the rest become Markdown.
 */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9\-._~%/:#@+=,]+$/;

function linked<F extends Finding>(findings: F[], link?: FileLink): Array<F & { url?: string }> {
  if (!link) return findings;
  return findings.map((f) => {
    const url = f.file ? link(f.file, f.line ?? null) : null;
    return url && SAFE_URL.test(url) ? { ...f, url } : f;
  });
}

/** The plan as the templates read it: per environment, the apps worth a section, and the names of the quiet ones. */
function view(plan: Plan, link?: FileLink) {
  const environments = plan.environments.map((e) => ({
    name: e.name,
    // Findings the base already had, on files the change does not touch, come after the change's own.
    apps: e.apps.filter((a) => !quiet(a)).map((a) => ({
      ...a,
      findings: linked(a.findings.filter((f) => !f.inBase), link),
      baseFindings: linked(a.findings.filter((f) => f.inBase), link),
    })),
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
      inBase: a.baseFindings.filter((f) => f.severity !== 'info').length,
    })),
  );
  const unchanged = environments.filter((e) => e.unchanged.length > 0).map((e) => ({ env: e.name, apps: e.unchanged }));
  return { ...plan, findings: linked(plan.findings, link), environments, rows, unchanged, noApps: rows.length === 0 && unchanged.length === 0 };
}

/**
 * The PR comment body: summary table first, then per-app folded diffs and findings (linked
 * to their lines with `fileLink`). `reproducible: false` leaves out the "Reproduce locally"
 * line: its commits are not on the forge (a dry run's promotion commit), so it would fail.
 */
export function renderMarkdown(plan: Plan, opts: { draft?: boolean; listChanges?: boolean; fileLink?: FileLink; reproducible?: boolean } = {}): string {
  const v = { ...view(plan, opts.fileLink), draft: !!opts.draft, listChanges: opts.listChanges ?? true, reproduce: opts.reproducible ?? true };
  return template('plan.md.hbs')(v).replace(/\n{3,}/g, '\n\n');
}

/** `validate`'s last line: what was checked, what was found, how long it took. */
export function validateSummary(plan: Plan, seconds: number): string {
  const apps = plan.environments.reduce((n, e) => n + e.apps.length, 0);
  const resources = plan.environments.reduce((n, e) => n + e.apps.reduce((m, a) => m + (a.resources ?? 0), 0), 0);
  const envs = plan.environments.length;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return `Validated ${n(resources, 'resource')} in ${n(apps, 'app')} (${n(envs, 'environment')}): ${n(plan.summary.errors, 'error')}, ${n(plan.summary.warnings, 'warning')} in ${seconds.toFixed(1)} s`;
}

/** Plain text for a terminal; with `validate`, its own header and the summary line last. */
export function renderText(plan: Plan, opts: { validate?: { seconds: number } } = {}): string {
  const validate = opts.validate ? { summary: validateSummary(plan, opts.validate.seconds) } : null;
  return template('plan.txt.hbs')({ ...view(plan), validate }).replace(/\n{3,}/g, '\n\n');
}

/**
 * The JSON contract (docs/json-output.md). Built field by field so internal fields never
 * leak into it and key order stays stable.
 */
export function toJson(plan: Plan): unknown {
  const finding = (f: Plan['findings'][number]) => ({
    severity: f.severity, rule: f.rule, message: f.message, file: f.file, line: f.line, resource: f.resource,
  });
  // Only an app's findings can be compared with its base render.
  const appFinding = (f: Plan['findings'][number]) => ({ ...finding(f), inBase: !!f.inBase });
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
        findings: a.findings.map(appFinding),
      })),
    })),
    findings: plan.findings.map(finding),
    summary: { ...plan.summary },
  };
}

export function renderJson(plan: Plan): string {
  return JSON.stringify(toJson(plan), null, 2) + '\n';
}
