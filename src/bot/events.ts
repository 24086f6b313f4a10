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
  | RerunRequested;

interface Common {
  /** The forge account the event came through (a GitHub installation, a GitLab host). */
  forge: ForgeRef;
}

/** A PR whose plan may have changed: opened, pushed, reopened, out of draft, retargeted. */
export interface PullChanged extends Common {
  type: 'pr.changed';
  reason: 'opened' | 'pushed' | 'reopened' | 'ready' | 'base-changed';
  pr: PullRequest;
}

/** A PR closed, merged or not (`pr.merged`). */
export interface PullClosed extends Common {
  type: 'pr.closed';
  pr: PullRequest;
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

/** Someone asked the forge to run a check again. */
export interface RerunRequested extends Common {
  type: 'rerun.requested';
  repo: RepoRef;
  check: string;
  /** The PRs the check belongs to. */
  pulls: number[];
}
