import type { ProtectionSettings } from '../config/types.js';
import type { ProtectionRead } from '../protect/types.js';
import type { CheckResult, CommitCheck, Review } from '../types.js';

export type { ProtectionRead } from '../protect/types.js';

export type { Review } from '../types.js';
import type { GitAuth } from '../workspace/git.js';

export type ForgeKind = 'github' | 'gitlab';

/**
 * Told of every forge API answer (status 0: none came) and the rate-limit budget it
 * reported, when it did; the server counts these for /metrics.
 */
export type ApiObserver = (status: number, rateLimitRemaining: number | null) => void;

/**
 * A repository on a forge. `path` is the full path as the forge writes it: `owner/name` on
 * GitHub, `group/subgroup/project` on GitLab.
 */
export interface RepoRef {
  forge: ForgeKind;
  path: string;
  /** The forge's own id for the repository where it has one (GitLab's project id): API calls use it, text uses `path`. */
  id?: number;
}

/**
 * Which forge account a job acts through: plain data, never a token, so a job can wait
 * in a queue, cross to another process and be delayed. The registry turns it into a
 * Forge (and mints the token) when the job runs.
 */
export type ForgeRef =
  | { kind: 'github'; installationId: number }
  | { kind: 'gitlab'; host: string };

/** A pull request (GitHub) or merge request (GitLab) by its number in a repository. */
export interface PullRef {
  repo: RepoRef;
  number: number;
}

/** A pull request (GitHub) or merge request (GitLab), as the jobs need it. */
export interface PullRequest {
  repo: RepoRef;
  /** GitHub's number, GitLab's iid. */
  number: number;
  headSha: string;
  baseSha: string;
  baseRef: string;
  state: 'open' | 'closed';
  draft: boolean;
  cloneUrl: string;
  /**
   * The URLs the base repository goes by (web, HTTPS clone, SSH clone): Argo CD and Flux
   * sources naming any other repository are not rendered from its tree.
   */
  repositoryURLs?: string[];
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
  /** Label names on the PR. */
  labels: string[];
}

/** A comment as the forge has it. */
export interface ForgeComment {
  author: string;
  body: string;
  /** Written by a bot account, or by the forge itself (a GitLab system note). */
  bot: boolean;
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

/** A repository as the audit needs it. */
export interface RepoInfo {
  defaultBranch: string;
  cloneUrl: string;
  /** As PullRequest.repositoryURLs. */
  repositoryURLs?: string[];
}

/** The issue Ferry keeps in a repository (one per marker): open while `open`, closed once not. */
export interface IssueDraft {
  title: string;
  body: string;
  open: boolean;
}

export interface EnsuredIssue {
  number: number;
  action: 'created' | 'updated' | 'unchanged' | 'closed';
}

/** Largest texts the forge accepts, in characters. */
export interface ForgeLimits {
  comment: number;
  /** A pull request's description. */
  body: number;
  /** A check's summary or text (or a status description, where that is all there is). */
  checkText: number;
}

export interface ForgeCapabilities {
  /** Check runs with a summary and line annotations; otherwise only commit statuses. */
  checkRuns: boolean;
  /** Reactions on comments (👀, 🚀, 😕). */
  reactions: boolean;
  /** Team membership can be asked (commands limited to teams). */
  teams: boolean;
}

export type Reaction = 'eyes' | 'rocket' | 'confused';

/** How the forge's users name things, for replies. */
export interface ForgeWords {
  /** `pull request`, `merge request`. */
  pull: string;
  /** What `/plan` and `/promote` need by default: `write access to this repository`. */
  write: string;
  /** How a command is written: `/` on GitHub, `/ferry ` on GitLab (`/promote` is a quick action there). */
  command: string;
}

/**
 * What a job needs from a forge. Verbs are idempotent: running a job twice edits what
 * the first run wrote instead of adding to it.
 */
export interface Forge {
  readonly limits: ForgeLimits;
  readonly capabilities: ForgeCapabilities;
  readonly words: ForgeWords;
  /** How the forge writes a reference to a pull request in text: `#7` (GitHub), `!7` (GitLab). */
  pullRef(number: number): string;
  /**
   * Where a file's line can be read at the PR's head, for forges without line annotations
   * (GitLab); null where annotations show findings on the lines (GitHub).
   */
  fileLink(pr: PullRequest, file: string, line: number | null): string | null;
  /** The bot's own login: its comments are Ferry's, and commands in them are ignored. */
  self(): Promise<string>;
  /** How git authenticates to the clone URL (a header, never a URL credential). */
  gitAuth(): Promise<GitAuth>;
  /** The PR as the forge sees it now: used to drop results for a superseded head. */
  getPull(repo: RepoRef, number: number): Promise<PullRequest>;
  /**
   * Makes the PR's comments carrying `marker` equal `bodies`, in order: edits existing
   * ones, creates missing ones, deletes extra ones. `marker(i)` identifies part i.
   */
  ensureComments(pr: PullRequest, marker: (part: number) => string, bodies: string[]): Promise<void>;
  /** Marks the named check on the PR's head commit as running (created, or reset to running). */
  startCheck(pr: PullRequest, name: string, title: string): Promise<void>;
  /** Completes the named check on the PR's head commit (the one `startCheck` began, if any). */
  setCheck(pr: PullRequest, check: CheckResult): Promise<void>;
  /**
   * A comment on the PR as the forge has it now, or null when the PR has no such comment.
   * Commands are taken from here, not from the webhook: a GitLab webhook secret is set by
   * people, and whoever knows it could otherwise send a note under someone else's name.
   */
  getComment(pr: PullRequest, id: number): Promise<ForgeComment | null>;
  /** Adds a reaction to a comment: 👀 received, 🚀 done, 😕 refused or failed. */
  react(pr: PullRequest, commentId: number, reaction: Reaction): Promise<void>;
  /** Posts a new comment on the PR. */
  reply(pr: PullRequest, body: string): Promise<void>;
  /** Whether a user may push to the repository (write, maintain or admin). */
  canWrite(pr: PullRequest, user: string): Promise<boolean>;
  /** Whether a user is an active member of a team (`org/team`, or a team slug in the repository owner's org). */
  inTeam(pr: PullRequest, team: string, user: string): Promise<boolean>;
  /**
   * The PR's reviews, oldest first: GitHub's submitted reviews (with the commit each was
   * given on), GitLab's current approvals (no commit: GitLab does not say).
   */
  reviews(pr: PullRequest): Promise<Review[]>;
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
  /** The repository's default branch and clone URL. */
  getRepo(repo: RepoRef): Promise<RepoInfo>;
  /**
   * A file at a branch or commit, through the API (no clone): how a job finds out whether
   * a repository has ferry.yml before fetching it. Null when there is no such file.
   */
  readFile(repo: RepoRef, ref: string, path: string): Promise<Buffer | null>;
  /** A completed check on a commit of a branch that no PR carries (a direct push). */
  setCommitCheck(repo: RepoRef, sha: string, branch: string, check: CheckResult): Promise<void>;
  /**
   * A branch's protection, normalized; a branch nothing protects reads as `protection:
   * null`. Missing permission, or a branch that does not exist, is a problem to report
   * (naming the permission to grant), never an exception and never "unprotected".
   */
  readProtection(repo: RepoRef, branch: string): Promise<ProtectionRead>;
  /**
   * Writes a branch's protection to these settings, keeping whatever else the forge has
   * on it. Throws an Error whose message says what to grant when the forge refuses.
   */
  applyProtection(repo: RepoRef, branch: string, settings: ProtectionSettings): Promise<void>;
  /**
   * Makes Ferry's own issue carrying `marker` (at the start of its body) match `issue`:
   * creates or edits the open one; with `open: false`, edits and closes it, or does
   * nothing (null) when none is open. Issues by anyone else are never touched.
   */
  ensureIssue(repo: RepoRef, marker: string, issue: IssueDraft): Promise<EnsuredIssue | null>;
}

/** Turns a job's forge reference into a Forge; the credential is minted here, per job. */
export interface ForgeRegistry {
  forge(ref: ForgeRef): Promise<Forge>;
}

/** `owner/name#7`, lower-cased: one PR's identity in job keys and logs, whatever the forge. */
export function pullKey(pr: PullRef): string {
  return `${repoKey(pr.repo)}#${pr.number}`;
}

/** `github:owner/name`: one repository's identity, lower-cased (forge paths are case-insensitive). */
export function repoKey(repo: RepoRef): string {
  return `${repo.forge}:${repo.path.toLowerCase()}`;
}
