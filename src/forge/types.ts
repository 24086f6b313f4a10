import type { GitAuth } from '../workspace/git.js';

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
}

export type Reaction = 'eyes' | 'rocket' | 'confused';
