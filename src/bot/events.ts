import type { ForgeRef, PullRef, PullRequest, RepoRef } from '../forge/types.js';

/**
 * What happened on a forge, as the bot core sees it: an ingress turns a verified,
 * de-duplicated delivery into one of these and does nothing else. Plain data.
 */
export type BotEvent =
  | PullChanged
  | PullClosed
  | CommentCreated
  | CommitSucceeded
  | RerunRequested
  | ReviewChanged
  | ReposInstalled
  | BranchPushed;

/** What the rules need to know of a PR, which every forge's payload carries. */
export interface PullSummary extends PullRef {
  headSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  /** The head branch lives in another repository. */
  fromFork: boolean;
}

/** The summary of a full PR. */
export function summaryOf(pr: PullRequest): PullSummary {
  return { repo: pr.repo, number: pr.number, headSha: pr.headSha, state: pr.state, merged: pr.merged, fromFork: pr.fromFork };
}

interface Common {
  /** The forge account the event came through (a GitHub installation, a GitLab host). */
  forge: ForgeRef;
}

/** A PR whose plan may have changed: opened, pushed, reopened, out of draft, retargeted. */
export interface PullChanged extends Common {
  type: 'pr.changed';
  reason: 'opened' | 'pushed' | 'reopened' | 'ready' | 'base-changed';
  pr: PullSummary;
  /** The whole PR, when the payload carries all of it (GitHub); jobs read it from the forge otherwise. */
  snapshot?: PullRequest;
}

/** A PR closed, merged or not (`pr.merged`). */
export interface PullClosed extends Common {
  type: 'pr.closed';
  pr: PullSummary;
  snapshot?: PullRequest;
}

/** A new comment on a PR (edits are not events). */
export interface CommentCreated extends Common {
  type: 'comment.created';
  pr: PullRef;
  comment: {
    id: number;
    author: string;
    /** Written by a bot account (Ferry's own comments included). */
    byBot: boolean;
    body: string;
  };
}

/** A commit status or check succeeded (a promotion gate may be met now). */
export interface CommitSucceeded extends Common {
  type: 'commit.succeeded';
  repo: RepoRef;
  sha: string;
  /** The status context or check name. */
  check: string;
}

/**
 * What `ferry/review` counts changed without a new head: a review submitted, edited or
 * dismissed, an approval given or revoked, a label added or removed.
 */
export interface ReviewChanged extends Common {
  type: 'review.changed';
  reason: 'review' | 'approval' | 'labels';
  pr: PullRef;
}

/** Someone asked the forge to run a check again. */
export interface RerunRequested extends Common {
  type: 'rerun.requested';
  repo: RepoRef;
  check: string;
  /** The PRs the check belongs to. */
  pulls: number[];
}

/** Ferry was installed on repositories (or they were added to its installation). */
export interface ReposInstalled extends Common {
  type: 'repos.installed';
  repos: RepoRef[];
}

/** A push to a branch of the repository (a PR merged, or someone pushed). */
export interface BranchPushed extends Common {
  type: 'branch.pushed';
  repo: RepoRef;
  branch: string;
  /** The repository's default branch. */
  isDefault: boolean;
  /** The branch's commit before the push (all zeros: the push created it) and after. */
  before: string;
  after: string;
  /** Files the push added, changed or removed; null when the forge did not list them all. */
  changedFiles: string[] | null;
}
