import type { AppPlan, Finding, Plan } from '../types.js';
import { template } from './templates.js';

export const PLAN_MARKER = '<!-- ferry:plan -->';

/** Rendered, no change, nothing to say: one word in a list, not a section of its own. */
function quiet(a: AppPlan & { sharedFindings?: number }): boolean {
  return a.status === 'rendered' && a.changes.length === 0 && a.findings.length === 0 && !a.sharedFindings;
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

/** Counts shown in an app's summary line. */
function tally(a: AppPlan & { baseFindings: Finding[] }) {
  return {
    added: a.changes.filter((c) => c.action === 'added').length,
    changed: a.changes.filter((c) => c.action === 'changed').length,
    removed: a.changes.filter((c) => c.action === 'removed').length,
    errors: a.findings.filter((f) => !f.inBase && f.severity === 'error').length,
    warnings: a.findings.filter((f) => !f.inBase && f.severity === 'warning').length,
    inBase: a.baseFindings.filter((f) => f.severity !== 'info').length,
  };
}

/** A diff without its `---`/`+++` lines: those name the namespace, which differs per environment. */
function diffBody(diff: string | null): string | null {
  return diff === null ? null : diff.replace(/^--- .*\n\+\+\+ .*\n/, '');
}

/**
 * Apps whose changes are the same resources with the same diff (the same sidecar bump in
 * 60 apps) share one section. Names count by their shape: the app's own name in a
 * resource name or a diff (`web-config` in app `web`, `api-config` in app `api`) is the
 * same change. Only clean, rendered apps: a finding belongs to one app's file and line,
 * and a failed render has no diff to share.
 */
function sameChangeKeys(a: AppPlan): string[] {
  if (a.status !== 'rendered' || a.changes.length === 0 || a.findings.length > 0) return [];
  // A diff left out to fit the comment still tells changes apart; one too large to compute cannot.
  const texts = a.changes.map((c) => diffBody(c.diff ?? (c as { left?: string | null }).left ?? null));
  if (texts.some((t) => t === null)) return [];
  const key = (shape: (text: string) => string) =>
    JSON.stringify(a.changes.map((c, i) => [c.action, c.apiVersion, c.kind, shape(c.name), c.note ?? null, c.producer ?? null, shape(texts[i]!)]));
  // A short name ("a", "db") would also match inside unrelated words: only longer ones are generalised.
  return a.name.length >= 3 ? [key((t) => t), `shape:${key((t) => t.split(a.name).join('\0'))}`] : [key((t) => t)];
}

interface Member {
  env: string;
  app: string;
  path: string;
  namespaces: Array<string | null>;
  /** Joined a group by the shape of its names: its resources carry its own app's name. */
  renamed?: boolean;
}

/**
 * One collapsible section per app (or per group of apps with the same change): a
 * collapsed comment is one line per section. A section with an error, or whose app did
 * not render, is open: that is what the reader has to see.
 */
function sections(environments: Array<{ name: string; apps: Array<AppPlan & { baseFindings: Finding[] }> }>) {
  const out: Array<ReturnType<typeof section>> = [];
  const byKey = new Map<string, ReturnType<typeof section>>();
  for (const e of environments) {
    for (const a of e.apps) {
      const member: Member = { env: e.name, app: a.name, path: a.path, namespaces: a.changes.map((c) => c.namespace) };
      // The very same change first, else the same up to the app's name.
      const keys = sameChangeKeys(a);
      const hit = keys.findIndex((k) => byKey.has(k));
      if (hit >= 0) {
        byKey.get(keys[hit]!)!.members.push({ ...member, renamed: hit > 0 });
        continue;
      }
      const s = section(a, member);
      out.push(s);
      for (const k of keys) byKey.set(k, s);
    }
  }
  return out.map((s) => {
    if (s.members.length === 1) return { ...s, first: s.members[0]!, more: 0, renamed: false };
    // A namespace shown only when every app of the group has it; the diff's file lines name none then.
    const changes = s.changes.map((c, i) =>
      s.members.every((m) => m.namespaces[i] === c.namespace) ? c : { ...c, namespace: null, diff: relabel(c.diff, `${c.kind}/${c.name}`) });
    // Shown for the first app; the others' resources carry their own app's name.
    const renamed = s.members.some((m) => m.renamed);
    return { ...s, changes, first: s.members[0]!, more: s.members.length - 1, renamed };
  });
}

/** The diff with its `--- a/…` and `+++ b/…` lines naming `label` (no namespace); /dev/null stays. */
function relabel(diff: string | null, label: string): string | null {
  if (diff === null) return null;
  const lines = diff.split('\n');
  for (const i of [0, 1]) lines[i] = (lines[i] ?? '').replace(/^(--- a|\+\+\+ b)\/.*$/, `$1/${label}`);
  return lines.join('\n');
}

function section(a: AppPlan & { baseFindings: Finding[] }, member: Member) {
  const t = tally(a);
  return { ...a, ...t, renderer: a.renderer, members: [member], open: a.status === 'error' || t.errors > 0 };
}

/**
 * Sections shown one line each; past this many (a plan over hundreds of apps), each
 * environment's are folded under one line, so the collapsed comment stays a screen.
 */
export const FOLD_SECTIONS = 20;

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
  const unchanged = environments.filter((e) => e.unchanged.length > 0).map((e) => ({ env: e.name, apps: e.unchanged }));
  const shown = sections(environments);
  // Past FOLD_SECTIONS, an environment's closed sections fold under one line of their own;
  // open ones (errors, failed renders) come first, outside any fold.
  const fold = shown.length > FOLD_SECTIONS;
  const envGroups = fold
    ? environments.map((e) => {
      // A section shared across environments folds under its first app's environment.
      const inside = shown.filter((s) => !s.open && s.first.env === e.name);
      const sum = (k: 'added' | 'changed' | 'removed' | 'warnings' | 'inBase') => inside.reduce((n, s) => n + s[k] * s.members.length, 0);
      const members = inside.flatMap((s) => s.members);
      return {
        env: e.name, sections: inside, apps: members.filter((m) => m.env === e.name).length, elsewhere: members.filter((m) => m.env !== e.name).length,
        added: sum('added'), changed: sum('changed'), removed: sum('removed'), warnings: sum('warnings'), inBase: sum('inBase'),
      };
    }).filter((g) => g.sections.length > 0)
    : [];
  // One row per app for a comment split in parts: the first part shows every app.
  const rows = environments.flatMap((e) => e.apps.map((a) => ({ env: e.name, app: a.name, status: a.status, ...tally(a) })));
  return { ...plan, findings: linked(plan.findings, link), environments, openSections: fold ? shown.filter((s) => s.open) : shown, envGroups, rows, unchanged, noApps: shown.length === 0 && unchanged.length === 0 };
}

/**
 * The commands a reader can comment, written the forge's way (`command` is `/` on GitHub,
 * `/ferry ` on GitLab); none where there is no forge to answer (the CLI).
 */
function commands(plan: Plan, command: string | undefined) {
  if (command === undefined) return null;
  return { plan: `${command}plan`, promote: (plan.promotesTo ?? []).map((env) => `${command}promote ${env}`), help: `${command}help` };
}

/**
 * The PR comment body: summary table first, then per-app folded diffs and findings (linked
 * to their lines with `fileLink`). `reproducible: false` leaves out the "Reproduce locally"
 * line: its commits are not on the forge (a dry run's promotion commit), so it would fail.
 * `command` (the forge's command prefix) adds a footer naming the commands that apply;
 * `overview` a table of every app first, for a comment split in parts. `heading: false`
 * leaves out "Ferry plan" where the plan sits under a heading of its own (a promotion body).
 */
export function renderMarkdown(plan: Plan, opts: { draft?: boolean; listChanges?: boolean; fileLink?: FileLink; reproducible?: boolean; command?: string; overview?: boolean; heading?: boolean; validate?: { seconds: number } } = {}): string {
  const v = {
    ...view(plan, opts.fileLink), draft: !!opts.draft, listChanges: opts.listChanges ?? true, reproduce: opts.reproducible ?? true,
    commands: commands(plan, opts.command), overview: !!opts.overview, heading: opts.heading ?? true,
    // `validate` checks one commit: its own header and summary, not "0 to add" between two.
    validate: opts.validate ? { summary: validateSummary(plan, opts.validate.seconds) } : null,
  };
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

/** A finding seen in several apps, shown once: the apps it was found in, by environment. */
export interface SharedFinding extends Finding {
  count: number;
  apps: Array<{ env: string; names: string[] }>;
}

/**
 * Findings that are the same in several apps — same rule, message, file and line, so the
 * same text of one file every app includes (a Kustomize component, a shared base) — taken
 * out of each app's list to be shown once. Each app keeps the number it had.
 */
export function sharedFindings(plan: Plan): { plan: Plan; shared: SharedFinding[] } {
  const keyOf = (f: Finding) => (f.file === null || f.inBase ? null : JSON.stringify([f.severity, f.rule, f.message, f.file, f.line]));
  const where = new Map<string, Array<{ env: string; app: string; finding: Finding }>>();
  for (const e of plan.environments) {
    for (const a of e.apps) {
      const seen = new Set<string>();
      for (const f of a.findings) {
        const k = keyOf(f);
        if (k === null || seen.has(k)) continue;
        seen.add(k);
        const list = where.get(k) ?? [];
        list.push({ env: e.name, app: a.name, finding: f });
        where.set(k, list);
      }
    }
  }
  const sharedKeys = new Set([...where].filter(([, list]) => list.length > 1).map(([k]) => k));
  if (sharedKeys.size === 0) return { plan, shared: [] };
  const shared = [...sharedKeys].map((k) => {
    const list = where.get(k)!;
    const first = list[0]!.finding;
    // Rendered into other namespaces the resource differs per app; the file and line do not.
    const resource = list.every((w) => w.finding.resource === first.resource) ? first.resource : null;
    const apps: SharedFinding['apps'] = [];
    for (const w of list) {
      const group = apps.find((g) => g.env === w.env);
      if (group) group.names.push(w.app);
      else apps.push({ env: w.env, names: [w.app] });
    }
    return { ...first, resource, count: list.length, apps };
  });
  const environments = plan.environments.map((e) => ({
    ...e,
    apps: e.apps.map((a) => {
      const own = a.findings.filter((f) => !sharedKeys.has(keyOf(f) ?? ''));
      return own.length === a.findings.length ? a : { ...a, findings: own, sharedFindings: a.findings.length - own.length };
    }),
  }));
  return { plan: { ...plan, environments }, shared };
}

/**
 * Plain text for a terminal; with `validate`, its own header and the summary line last,
 * and a finding the same in several apps (one shared file's) shown once, naming the apps.
 */
export function renderText(plan: Plan, opts: { validate?: { seconds: number } } = {}): string {
  const validate = opts.validate ? { summary: validateSummary(plan, opts.validate.seconds) } : null;
  const { plan: shown, shared } = validate ? sharedFindings(plan) : { plan, shared: [] };
  return template('plan.txt.hbs')({ ...view(shown), validate, shared }).replace(/\n{3,}/g, '\n\n');
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
          ...(c.producer ? { producer: c.producer } : {}),
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
