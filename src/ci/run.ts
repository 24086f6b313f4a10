import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { version } from '../cli.js';
import { plan, UsageError } from '../engine.js';
import type { Forge, PullRequest, RepoRef } from '../forge/types.js';
import { fitPlanComment, planCommentMarker } from '../report/fit.js';
import { renderJunit } from '../report/junit.js';
import { renderSarif } from '../report/sarif.js';
import type { Plan } from '../types.js';
import { redact } from '../workspace/git.js';

export const FAIL_ON = ['error', 'warning', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** The CLI's exit statuses, for the same reasons. */
export const CI_EXIT = { ok: 0, findings: 1, usage: 2, tool: 3 } as const;

export interface CiRequest {
  forge: Forge;
  repo: RepoRef;
  /** The pull or merge request's number (GitHub) or iid (GitLab). */
  number: number;
  /** The checkout the pipeline made. */
  dir: string;
  /** The base branch's commit the pipeline knows of: the plan starts at its merge base with head. */
  base: string;
  /** The commit the pipeline runs for. */
  head: string;
  env?: string;
  configFile?: string;
  failOn: FailOn;
  sarifFile?: string;
  junitFile?: string;
  /** False: write the reports only, no comment. */
  comment: boolean;
  cacheDir?: string;
  /** The repository's own URLs, as the CI system gives them (PlanRequest.repositoryURLs). */
  repositoryURLs?: string[];
  /** A line for the job log; the caller scrubs its tokens out of it. */
  log: (line: string) => void;
}

export interface CiOutcome {
  code: number;
  errors: number;
  warnings: number;
  /** What happened to the comment. */
  comment: 'written' | 'skipped' | 'stale' | 'failed';
  /** The report files written, as given. */
  reports: string[];
}

/** The exit status for a plan's findings at a fail-on level. */
export function exitFor(result: Plan, failOn: FailOn): number {
  if (result.unrendered) return CI_EXIT.tool;
  if (failOn === 'never') return CI_EXIT.ok;
  if (result.summary.errors > 0) return CI_EXIT.findings;
  if (failOn === 'warning' && result.summary.warnings > 0) return CI_EXIT.findings;
  return CI_EXIT.ok;
}

/**
 * Plans a pull or merge request inside its own pipeline and reports it as the App does:
 * the same engine, the same sticky comment (split and marked by report/fit.ts, written by
 * the forge adapter), plus SARIF and JUnit files for the CI system to pick up.
 */
export async function runCi(req: CiRequest): Promise<CiOutcome> {
  let result: Plan;
  try {
    result = await plan({
      repo: req.dir,
      base: req.base,
      head: req.head,
      env: req.env || undefined,
      configFile: req.configFile ? path.resolve(req.dir, req.configFile) : undefined,
      cacheDir: req.cacheDir,
      mergeBase: true,
      ...(req.repositoryURLs?.length ? { repositoryURLs: req.repositoryURLs } : {}),
    });
  } catch (err) {
    req.log(err instanceof UsageError ? `ferry: ${err.message}` : `ferry: internal error: ${redact((err as Error).message)}`);
    return { code: CI_EXIT.usage, errors: 0, warnings: 0, comment: 'skipped', reports: [] };
  }
  const { errors, warnings } = result.summary;
  const reports: string[] = [];
  try {
    if (req.sarifFile) {
      await writeFile(path.resolve(req.dir, req.sarifFile), renderSarif(result, { version: version() }));
      reports.push(req.sarifFile);
    }
    if (req.junitFile) {
      await writeFile(path.resolve(req.dir, req.junitFile), renderJunit(result, { validate: false }));
      reports.push(req.junitFile);
    }
  } catch (err) {
    req.log(`ferry: cannot write a report: ${(err as NodeJS.ErrnoException).code ?? redact((err as Error).message)}`);
    return { code: CI_EXIT.usage, errors, warnings, comment: 'skipped', reports };
  }
  const comment = req.comment ? await writeComment(req, result) : 'skipped';
  if (result.unrendered) {
    for (const [tool, apps] of Object.entries(result.unrendered)) req.log(`ferry: ${tool} is not installed or not on PATH; not rendered: ${apps.join(', ')}`);
  }
  req.log(`ferry: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (fail-on: ${req.failOn})`);
  return { code: exitFor(result, req.failOn), errors, warnings, comment, reports };
}

/**
 * The sticky comment. A pipeline for an older commit that finishes after a newer one
 * must not put its plan back over the newer one: the request's head is asked first. A
 * refused write (a fork's read-only token) is reported in the log and does not fail the
 * job: the reports and the exit status are still right.
 */
async function writeComment(req: CiRequest, result: Plan): Promise<CiOutcome['comment']> {
  let pr: PullRequest;
  try {
    pr = await req.forge.getPull(req.repo, req.number);
    if (pr.headSha !== req.head) {
      req.log(`ferry: ${req.forge.pullRef(req.number)} has a newer commit than ${req.head.slice(0, 12)}; its own pipeline writes the comment`);
      return 'stale';
    }
    const bodies = fitPlanComment(result, { limit: req.forge.limits.comment, draft: pr.draft, fileLink: (file, line) => req.forge.fileLink(pr, file, line) });
    await req.forge.ensureComments(pr, planCommentMarker, bodies);
    return 'written';
  } catch (err) {
    const e = err as Error & { status?: number };
    req.log(`ferry: could not write the plan comment${e.status ? ` (HTTP ${e.status})` : ''}: ${redact(e.message)}`);
    return 'failed';
  }
}

/** Removes a token from text bound for a log, whatever its shape (it may have no known prefix). */
export function scrub(text: string, secrets: Array<string | undefined>): string {
  let out = redact(text);
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
