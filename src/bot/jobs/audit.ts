import { CONFIG_FILES, parseConfigBuffer } from '../../config/index.js';
import type { Forge, RepoInfo, RepoRef } from '../../forge/types.js';
import { auditBranches, desiredProtection, PROTECT_ISSUE_MARKER, PROTECT_ISSUE_TITLE, protectIssue } from '../../protect/index.js';
import { auditJob, type AuditJob } from './spec.js';
import type { JobDeps } from './run.js';

/** How often a repository with `protect:` is audited when nothing else asks. */
export const AUDIT_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * ferry.yml on the default branch, read through the API: a repository without one costs a
 * few requests, never a clone (Ferry may be installed on every repository of an org).
 */
export async function defaultBranchConfig(forge: Forge, repo: RepoRef): Promise<{ info: RepoInfo; file: { path: string; data: Buffer } | null }> {
  const info = await forge.getRepo(repo);
  for (const path of CONFIG_FILES) {
    const data = await forge.readFile(repo, info.defaultBranch, path);
    if (data) return { info, file: { path, data } };
  }
  return { info, file: null };
}

export type AuditOutcome = 'no-config' | 'invalid-config' | 'no-protect' | 'open' | 'closed' | 'clean';

/**
 * Audits a repository's environment branches against `protect:` in ferry.yml on its
 * default branch, keeps Ferry's one issue about it up to date (created, edited, closed
 * when nothing is left), and with `enforce: true` applies the difference first. A
 * repository with `protect:` is audited again a day later.
 */
export async function runAudit(forge: Forge, job: AuditJob, deps: Pick<JobDeps, 'queue' | 'log'>): Promise<AuditOutcome> {
  const { info, file } = await defaultBranchConfig(forge, job.repo);
  if (!file) {
    // ferry.yml was removed: Ferry's issue about it would stay open for ever.
    if (job.reason === 'config-changed') await forge.ensureIssue(job.repo, PROTECT_ISSUE_MARKER, { title: PROTECT_ISSUE_TITLE, body: `${PROTECT_ISSUE_MARKER}\n\nThe default branch has no ferry.yml any more, so Ferry no longer audits branch protection.\n`, open: false });
    return 'no-config';
  }
  const parsed = parseConfigBuffer(file.data, file.path);
  if (!parsed.ok) {
    // The plan of the PR that broke it says why; nothing to compare against until it is fixed.
    deps.log.warn({ job: job.key, file: file.path }, 'audit: ferry.yml on the default branch is invalid');
    return 'invalid-config';
  }
  const config = parsed.config;
  if (!config.protect) {
    // `protect:` was removed: an issue about it would be stale.
    await forge.ensureIssue(job.repo, PROTECT_ISSUE_MARKER, {
      title: PROTECT_ISSUE_TITLE,
      body: `${PROTECT_ISSUE_MARKER}\n\n${file.path} no longer has \`protect:\`, so Ferry no longer audits branch protection.\n`,
      open: false,
    });
    return 'no-protect';
  }
  const enforce = config.protect.enforce;
  const audits = await auditBranches(desiredProtection(config, info.defaultBranch), {
    read: (branch) => forge.readProtection(job.repo, branch),
    ...(enforce ? { apply: (branch: string, settings: Parameters<Forge['applyProtection']>[2]) => forge.applyProtection(job.repo, branch, settings) } : {}),
  });
  const issue = protectIssue(audits, { configFile: file.path, enforce, ref: info.defaultBranch });
  const applied = audits.some((a) => a.applied.length);
  // What Ferry changed is said in the issue even when that fixed everything: opened, then closed.
  if (!issue.open && applied) await forge.ensureIssue(job.repo, PROTECT_ISSUE_MARKER, { ...issue, open: true });
  const result = await forge.ensureIssue(job.repo, PROTECT_ISSUE_MARKER, issue);
  deps.log.info({ job: job.key, reason: job.reason, issue: result?.number, action: result?.action ?? 'none', drifts: audits.reduce((n, a) => n + a.drifts.length, 0), applied: audits.reduce((n, a) => n + a.applied.length, 0) }, 'audit finished');
  await deps.queue.enqueue(auditJob(job.forge, job.repo, 'daily'), { delayMs: AUDIT_INTERVAL_MS });
  return issue.open ? 'open' : result?.action === 'closed' ? 'closed' : 'clean';
}
