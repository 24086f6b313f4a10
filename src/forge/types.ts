import type { GitAuth } from '../workspace/git.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

/** A pull request (GitHub) or merge request (GitLab), as the jobs need it. */
export interface PullRequest {
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
  baseRef: string;
  state: 'open' | 'closed';
  draft: boolean;
  cloneUrl: string;
  /** Refspec that fetches the head commit (forks included), e.g. `refs/pull/7/head`. */
  headRefspec: string;
  headRef: string;
  /** The head branch lives in another repository (a fork), or its repository is gone. */
  fromFork: boolean;
  merged: boolean;
  /** ISO time the PR merged. */
  mergedAt: string | null;
  mergeCommitSha: string | null;
  title: string;
  body: string;
  url: string;
  author: string;
}

/** A commit status or check run on a commit, folded to what a gate needs. */
export interface CommitCheck {
  name: string;
  state: 'success' | 'pending' | 'failure';
}

/** What Ferry writes when it opens or updates a pull request. */
export interface PullRequestDraft {
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface OpenedPullRequest {
  number: number;
  url: string;
  /** Head branch (in the same repository). */
  head: string;
  title: string;
  body: string;
}

export type AnnotationLevel = 'failure' | 'warning' | 'notice';

export interface Annotation {
  path: string;
  line: number;
  level: AnnotationLevel;
  title: string;
  message: string;
}

export interface CheckResult {
  /** `ferry/plan`, `ferry/validate`. */
  name: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  text?: string;
  annotations: Annotation[];
}

/**
 * What a job needs from a forge. Verbs are idempotent: running a job twice edits what
 * the first run wrote instead of adding to it.
 */
export interface Forge {
  /** How git authenticates to the clone URL (a header, never a URL credential). */
  gitAuth(): Promise<GitAuth>;
  /** The PR as the forge sees it now: used to drop results for a superseded head. */
  refresh(pr: PullRequest): Promise<PullRequest>;
  /**
   * Makes the PR's comments carrying `marker` equal `bodies`, in order: edits existing
   * ones, creates missing ones, deletes extra ones. `marker(i)` identifies part i.
   */
  ensureComments(pr: PullRequest, marker: (part: number) => string, bodies: string[]): Promise<void>;
  /** Creates or completes the named check on the PR's head commit. */
  setCheck(pr: PullRequest, check: CheckResult): Promise<void>;
  /** Adds a reaction to a comment: 👀 received, 🚀 done, 😕 refused or failed. */
  react(pr: PullRequest, commentId: number, reaction: Reaction): Promise<void>;
  /** Posts a new comment on the PR. */
  reply(pr: PullRequest, body: string): Promise<void>;
  /** Whether a user may push to the repository (write, maintain or admin). */
  canWrite(pr: PullRequest, user: string): Promise<boolean>;
  /** Whether a user is an active member of a team (`org/team`, or a team slug in the repository owner's org). */
  inTeam(pr: PullRequest, team: string, user: string): Promise<boolean>;
  /** Every status and check run on a commit, the latest per name. */
  commitChecks(pr: PullRequest, sha: string): Promise<CommitCheck[]>;
  /** Open PRs whose head is a branch of this repository starting with `prefix`, oldest first. */
  findOpenPulls(pr: PullRequest, prefix: string): Promise<OpenedPullRequest[]>;
  openPull(pr: PullRequest, draft: PullRequestDraft): Promise<OpenedPullRequest>;
  /** Brings an open PR's title and body to the draft's (base and head stay). */
  updatePull(pr: PullRequest, number: number, draft: PullRequestDraft): Promise<OpenedPullRequest>;
  /** Adds labels to a PR (existing ones stay). */
  addLabels(pr: PullRequest, number: number, labels: string[]): Promise<void>;
  /** Merged PRs whose merge produced this commit (for re-checking gates when a status arrives). */
  pullsForCommit(repo: RepoRef, sha: string): Promise<PullRequest[]>;
}

export type Reaction = 'eyes' | 'rocket' | 'confused';
