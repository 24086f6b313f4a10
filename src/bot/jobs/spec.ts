import { pullKey, repoKey, type ForgeRef, type PullRef, type PullRequest, type RepoRef } from '../../forge/types.js';

/**
 * A job: plain JSON that can wait in a queue, cross to another process or replica, be
 * delayed, and run the same after JSON.stringify/parse. It names the forge account
 * (never a token) and the PR; the worker turns them into a Forge and a fresh PR.
 * `key` is what runs one at a time; `version` is what supersedes (a PR's head SHA).
 */
export type JobSpec = PlanJob | RerunJob | ReviewJob | CommandJob | NextStepJob | AutoPromoteJob | RecheckJob | AuditJob | PushCheckJob;

interface Common {
  key: string;
  version: string;
  forge: ForgeRef;
}

/**
 * Plan a PR head and report it (comment, checks). `snapshot` is the PR as the event
 * described it, when the event carried all of it; otherwise the job reads the PR from the
 * forge, and a head other than `headSha` means a newer event will plan it.
 */
export interface PlanJob extends Common {
  kind: 'plan';
  pr: PullRef;
  headSha: string;
  snapshot?: PullRequest;
}

/** Plan a PR again at its current head (a check's "re-run"). */
export interface RerunJob extends Common {
  kind: 'rerun';
  pr: PullRef;
}

/**
 * Evaluate the review rules again at the PR's current head and write `ferry/review`.
 * One version for every run: a review arriving while one runs waits for it (then the
 * job reads the reviews again) instead of aborting it.
 */
export interface ReviewJob extends Common {
  kind: 'review';
  pr: PullRef;
}

/** Answer the commands in one comment. */
export interface CommandJob extends Common {
  kind: 'command';
  pr: PullRef;
  comment: { id: number; author: string; body: string };
}

/** A promotion PR merged: offer the next step of the chain. */
export interface NextStepJob extends Common {
  kind: 'next-step';
  pr: PullRef;
  snapshot?: PullRequest;
}

/** A merged PR's automatic promotions; `announce` replies when gates hold them back. */
export interface AutoPromoteJob extends Common {
  kind: 'auto-promote';
  pr: PullRef;
  announce: boolean;
  snapshot?: PullRequest;
}

/** A commit's check succeeded: waiting auto-promotions of the repository look again. */
export interface RecheckJob extends Common {
  kind: 'recheck';
  repo: RepoRef;
  sha: string;
}

/**
 * Audit a repository's branch protection against `protect:` on its default branch. One
 * key and version per repository: an audit asked for while one runs waits for it, and
 * the daily one is a delayed job of that key, so any queue keeps it.
 */
export interface AuditJob extends Common {
  kind: 'audit';
  repo: RepoRef;
  reason: 'installed' | 'config-changed' | 'daily';
}

/**
 * A push to a branch: when it is an environment branch that `protect:` covers and the push
 * did not come from a merged PR (a break-glass change), its plan is put on the commit.
 */
export interface PushCheckJob extends Common {
  kind: 'push-check';
  repo: RepoRef;
  branch: string;
  before: string;
  after: string;
}

const ref = (pr: PullRef): PullRef => ({ repo: pr.repo, number: pr.number });
const withSnapshot = (snapshot?: PullRequest) => (snapshot ? { snapshot } : {});

export const planJob = (forge: ForgeRef, pr: PullRef & { headSha: string }, snapshot?: PullRequest): PlanJob => ({
  kind: 'plan', key: pullKey(pr), version: pr.headSha, forge, pr: ref(pr), headSha: pr.headSha, ...withSnapshot(snapshot),
});

export const rerunJob = (forge: ForgeRef, pr: PullRef): RerunJob => ({ kind: 'rerun', key: `${pullKey(pr)}:rerun`, version: 'rerun', forge, pr: ref(pr) });

export const reviewJob = (forge: ForgeRef, pr: PullRef): ReviewJob => ({ kind: 'review', key: `${pullKey(pr)}:review`, version: 'review', forge, pr: ref(pr) });

export const commandJob = (forge: ForgeRef, pr: PullRef, comment: CommandJob['comment']): CommandJob => ({
  kind: 'command', key: `${pullKey(pr)}:comment:${comment.id}`, version: String(comment.id), forge, pr: ref(pr), comment,
});

export const nextStepJob = (forge: ForgeRef, pr: PullRef & { headSha: string }, snapshot?: PullRequest): NextStepJob => ({
  kind: 'next-step', key: `${pullKey(pr)}:merged`, version: pr.headSha, forge, pr: ref(pr), ...withSnapshot(snapshot),
});

/**
 * One version for every run of a PR's auto-promotion: a re-check that arrives while one
 * runs waits for it instead of aborting a promotion half-way.
 */
export const autoPromoteJob = (forge: ForgeRef, pr: PullRef, announce: boolean, snapshot?: PullRequest): AutoPromoteJob => ({
  kind: 'auto-promote', key: `${pullKey(pr)}:auto`, version: 'auto', forge, pr: ref(pr), announce, ...withSnapshot(snapshot),
});

export const recheckJob = (forge: ForgeRef, repo: RepoRef, sha: string): RecheckJob => ({ kind: 'recheck', key: `${repoKey(repo)}@${sha}:recheck`, version: sha, forge, repo, sha });

export const auditJob = (forge: ForgeRef, repo: RepoRef, reason: AuditJob['reason']): AuditJob => ({
  kind: 'audit', key: `${repoKey(repo)}@audit`, version: 'audit', forge, repo, reason,
});

export const pushCheckJob = (forge: ForgeRef, repo: RepoRef, branch: string, before: string, after: string): PushCheckJob => ({
  kind: 'push-check', key: `${repoKey(repo)}@push:${after}`, version: after, forge, repo, branch, before, after,
});

/** The repository a job key belongs to: every key starts with `forge:path` and then `#` or `@`. */
export function repositoryOfJob(jobKey: string): string {
  return jobKey.split(/[#@]/, 1)[0]!;
}
