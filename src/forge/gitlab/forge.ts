import type { CheckResult, CommitCheck, Review } from '../../types.js';
import type { GitAuth } from '../../workspace/git.js';
import type { ProtectionSettings } from '../../config/types.js';
// GitLab cannot require checks one by one: "Pipelines must succeed" requires every status
// on the commit (external ones, Ferry's included, join its pipeline).
import { EVERY_CHECK } from '../../protect/types.js';
import type { EnsuredIssue, Forge, ForgeCapabilities, ForgeComment, ForgeLimits, IssueDraft, OpenedPullRequest, ProtectionRead, PullRequest, PullRequestDraft, Reaction, RepoInfo, RepoRef } from '../types.js';
import { gitLabClient, type GitLabClient, type GitLabClientOptions } from './client.js';
import { GitLabApiError } from './http.js';
import { presentStrings } from '../../util/present.js';

/**
 * Notes API, "Create new merge request note": `body` is "Limited to 1,000,000 characters."
 * https://docs.gitlab.com/api/notes/#create-new-merge-request-note
 */
export const GITLAB_NOTE_LIMIT = 1_000_000;
/**
 * Merge requests API, "Create MR" / "Update MR": `description` is "Limited to 1,048,576
 * characters." https://docs.gitlab.com/api/merge_requests/#create-mr
 */
export const GITLAB_DESCRIPTION_LIMIT = 1_048_576;
/**
 * Commits API, "Set the pipeline status of a commit": `description`, `target_url` and `ref`
 * "Must be 255 characters or fewer." A status description is all GitLab shows of a check.
 * https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
 */
export const GITLAB_STATUS_TEXT_LIMIT = 255;

export const GITLAB_LIMITS: ForgeLimits = { comment: GITLAB_NOTE_LIMIT, body: GITLAB_DESCRIPTION_LIMIT, checkText: GITLAB_STATUS_TEXT_LIMIT };
const CAPABILITIES: ForgeCapabilities = { checkRuns: false, reactions: true, teams: true };

/** GitLab's Developer role: the least that may push to unprotected branches. */
export const DEVELOPER_ACCESS = 30;

/** Part numbers looked for when clearing old plan parts (the GitHub adapter's reasoning). */
const PART_SCAN = 64;

/**
 * The commit status Ferry writes for a check's outcome. `neutral` (interrupted, or not
 * validated because the plan failed) becomes `canceled`: a running status cannot be
 * `skipped` (GitLab's state machine skips only created or pending jobs), and `success` or
 * `failed` would claim a verdict Ferry did not reach.
 */
const STATE: Record<CheckResult['conclusion'], 'success' | 'failed' | 'canceled'> = { success: 'success', failure: 'failed', neutral: 'canceled' };

/** The state a status event moves to, to read GitLab's "Cannot transition status via :run from :running". */
const EVENT_TARGET: Record<string, string> = { run: 'running', enqueue: 'pending', success: 'success', drop: 'failed', cancel: 'canceled', skip: 'skipped' };

interface MergeRequestPayload {
  iid: number;
  title: string;
  description: string | null;
  state: string;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  sha?: string | null;
  /** Only in a single merge request, not in lists. */
  diff_refs?: { base_sha: string | null; head_sha: string | null; start_sha: string | null } | null;
  source_branch: string;
  target_branch: string;
  source_project_id: number | null;
  target_project_id: number;
  draft?: boolean;
  work_in_progress?: boolean;
  web_url: string;
  author?: { username: string } | null;
  /** Names in the REST API; objects with a `title` in webhook payloads. */
  labels?: Array<string | { title?: string }> | null;
}

interface ApprovalsPayload {
  approved_by?: Array<{ user?: { username: string; bot?: boolean } | null }> | null;
}

/**
 * Project and group access tokens act as bot users named `project_<id>_bot_<suffix>` and
 * `group_<id>_bot_<suffix>`; the approvals API marks no user as a bot.
 */
const TOKEN_BOT = /^(project|group)_\d+_bot(_|$)/;

interface ProjectPayload {
  id: number;
  path_with_namespace: string;
  http_url_to_repo: string;
  web_url?: string;
  ssh_url_to_repo?: string;
  default_branch?: string | null;
  only_allow_merge_if_pipeline_succeeds?: boolean;
}

interface ProtectedBranchPayload {
  id: number;
  name: string;
  allow_force_push?: boolean;
  push_access_levels?: Array<{ access_level: number | null }>;
}

interface ApprovalRulePayload {
  id: number;
  name: string;
  rule_type?: string;
  approvals_required: number;
  applies_to_all_protected_branches?: boolean;
  protected_branches?: Array<{ id: number; name: string }>;
}

/**
 * Ferry's own project approval rule for a branch, the one it writes with `enforce: true`.
 * One per branch: a rule's protected branches are replaced on every edit, so one shared
 * rule moved off every branch but the last one enforced.
 */
const ferryRule = (branch: string) => `Ferry: ${branch}`;

/** "Allowed to push and merge: No one". */
const NO_ACCESS = 0;
const MAINTAINER_ACCESS = 40;



interface NotePayload {
  id: number;
  body: string;
  system: boolean;
  author?: { username: string } | null;
}

interface MemberPayload {
  access_level: number;
  /** The user's state (`active`, `blocked`, …). */
  state?: string;
  /** `awaiting` while a seat is pending approval, where GitLab reports it. */
  membership_state?: string;
}

/** What API calls name a project by: its numeric id where known (stable across renames), else its full path. */
function projectId(repo: RepoRef): string | number {
  return repo.id ?? repo.path;
}

/** Cuts text to `n` characters as GitLab counts them (code points). */
function cut(text: string, n: number): string {
  const chars = [...text];
  return chars.length <= n ? text : `${chars.slice(0, n - 1).join('')}…`;
}

/** The project's own URLs, for the engine (PullRequest.repositoryURLs). */
function repositoryURLsFrom(p: ProjectPayload): string[] {
  return presentStrings([p.web_url, p.http_url_to_repo, p.ssh_url_to_repo]);
}

/** Translates a GitLab merge request (and its target project) into Ferry's shape. */
export function pullRequestFrom(mr: MergeRequestPayload, project: ProjectPayload): PullRequest {
  const merged = mr.state === 'merged';
  const headSha = mr.sha ?? mr.diff_refs?.head_sha ?? '';
  return {
    repo: { forge: 'gitlab', path: project.path_with_namespace, id: project.id },
    number: mr.iid,
    headSha,
    // start_sha is the target branch's tip the diff was taken against; base_sha is the merge base.
    baseSha: mr.diff_refs?.start_sha ?? mr.diff_refs?.base_sha ?? '',
    baseRef: mr.target_branch,
    // `locked` is an open merge request while GitLab merges it.
    state: mr.state === 'opened' || mr.state === 'locked' ? 'open' : 'closed',
    draft: mr.draft ?? mr.work_in_progress ?? false,
    cloneUrl: project.http_url_to_repo,
    repositoryURLs: repositoryURLsFrom(project),
    headRefspec: `refs/merge-requests/${mr.iid}/head`,
    headRef: mr.source_branch,
    fromFork: mr.source_project_id !== mr.target_project_id,
    merged,
    mergedAt: mr.merged_at ?? null,
    // A fast-forward merge makes no commit of its own: the head itself lands on the target.
    mergeCommitSha: mr.merge_commit_sha ?? mr.squash_commit_sha ?? (merged && headSha ? headSha : null),
    title: mr.title,
    body: mr.description ?? '',
    url: mr.web_url,
    author: mr.author?.username ?? '',
    labels: (mr.labels ?? []).map((l) => (typeof l === 'string' ? l : l.title ?? '')).filter(Boolean),
  };
}

const opened = (mr: MergeRequestPayload): OpenedPullRequest => ({
  number: mr.iid, url: mr.web_url, head: mr.source_branch, title: mr.title, body: mr.description ?? '',
});

const statusOf = (err: unknown) => (err instanceof GitLabApiError ? err.status : undefined);

/** success is success; failed and canceled fail a gate; anything else (running, manual, skipped, …) waits. */
function fold(state: string): CommitCheck['state'] {
  return state === 'success' ? 'success' : state === 'failed' || state === 'canceled' ? 'failure' : 'pending';
}

/**
 * GitLab runs quick actions (`/merge`, `/close`, `/approve`…) written at the start of a
 * line of any note or description, with the rights of its author: Ferry's bot user. Text
 * Ferry writes can carry PR content (file names, YAML errors, app folders), so every line
 * that would start with `/` starts with `&#47;` instead, which Markdown shows as the same
 * slash. Fenced blocks are not spared: GitLab's own idea of a code block (``` at column 0,
 * closed) is narrower than Markdown's, and Ferry's fences hold diffs, whose lines start
 * with `+`, `-` or a space.
 */
export function withoutQuickActions(text: string): string {
  return text.replace(/^([ \t\u00a0\u2000-\u200b\u3000\ufeff]*)\//gm, '$1&#47;');
}

/** A path segment in a URL, with the characters that could end a Markdown link target encoded too. */
const segment = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Ferry on GitLab: merge requests, notes, commit statuses and award emoji through @gitbeaker/rest. */
export class GitLabForge implements Forge {
  readonly limits = GITLAB_LIMITS;
  readonly capabilities = CAPABILITIES;
  readonly words = { pull: 'merge request', write: 'the Developer role (or higher) in this project', command: '/ferry ' };
  private readonly url: string;
  readonly self: () => Promise<string>;
  private readonly api: GitLabClient;
  private readonly token: string;
  /** Projects by id or lower-cased path, for this forge's life (one job). */
  private readonly projects = new Map<string, Promise<ProjectPayload>>();
  private readonly userIds = new Map<string, Promise<number | null>>();

  /** `self` is the bot's username (`gitLabSelf`): only its notes are Ferry's. */
  constructor(opts: GitLabClientOptions & { self: () => Promise<string>; client?: GitLabClient }) {
    this.api = opts.client ?? gitLabClient(opts);
    this.token = opts.token;
    this.self = opts.self;
    this.url = opts.url.replace(/\/+$/, '');
  }

  pullRef(number: number): string {
    return `!${number}`;
  }

  /** GitLab has no line annotations: the note links each finding to its line at the head commit. */
  fileLink(pr: PullRequest, file: string, line: number | null): string {
    const path = (p: string) => p.split('/').map(segment).join('/');
    return `${this.url}/${path(pr.repo.path)}/-/blob/${segment(pr.headSha)}/${path(file)}${line ? `#L${line}` : ''}`;
  }

  async gitAuth(): Promise<GitAuth> {
    // GitLab takes any user name with a token as the password; `oauth2` is the documented one.
    return { extraHeader: `Authorization: Basic ${Buffer.from(`oauth2:${this.token}`).toString('base64')}` };
  }

  async getPull(repo: RepoRef, number: number): Promise<PullRequest> {
    const [mr, project] = await Promise.all([
      this.api.mergeRequests.show(projectId(repo), number) as Promise<unknown>,
      this.project(repo),
    ]);
    return pullRequestFrom(mr as MergeRequestPayload, project);
  }

  async ensureComments(pr: PullRequest, marker: (part: number) => string, bodies: string[]): Promise<void> {
    const id = projectId(pr.repo);
    const notes = (await this.api.notes.all(id, pr.number, { sort: 'asc', orderBy: 'created_at', perPage: 100 })) as unknown as NotePayload[];
    // Only Ferry's own notes count: anyone can write the marker, and system notes
    // ("added 1 commit") are GitLab's, whoever caused them.
    const me = (await this.self()).toLowerCase();
    const own = notes.filter((n) => !n.system && n.author?.username.toLowerCase() === me);
    const ours = (part: number) => own.find((n) => n.body.startsWith(marker(part)));
    const kept = new Set<number>();
    const safe = bodies.map(withoutQuickActions);
    for (let i = 0; i < safe.length; i++) {
      const existing = ours(i);
      if (existing) {
        kept.add(existing.id);
        if (existing.body !== safe[i]) await this.api.notes.edit(id, pr.number, existing.id, { body: safe[i]! });
      } else {
        await this.api.notes.create(id, pr.number, safe[i]!);
      }
    }
    const markers = Array.from({ length: PART_SCAN }, (_, i) => marker(i));
    for (const n of own) {
      if (!kept.has(n.id) && markers.some((m) => n.body.startsWith(m))) await this.api.notes.remove(id, pr.number, n.id);
    }
  }

  /**
   * The approvals API lists who approves the merge request now; GitLab removes an
   * approval when it is revoked (and on a push, where the project resets approvals), and
   * does not say on which commit one was given.
   */
  async reviews(pr: PullRequest): Promise<Review[]> {
    const data = (await this.api.approvals.showConfiguration(projectId(pr.repo), { mergerequestIId: pr.number })) as unknown as ApprovalsPayload;
    return (data.approved_by ?? []).flatMap((a) => (a.user ? [{ user: a.user.username, state: 'approved' as const, commitSha: null, bot: a.user.bot === true || TOKEN_BOT.test(a.user.username) }] : []));
  }

  async startCheck(pr: PullRequest, name: string, title: string): Promise<void> {
    await this.status(pr, name, 'running', title);
  }

  async setCheck(pr: PullRequest, check: CheckResult): Promise<void> {
    await this.status(pr, check.name, STATE[check.conclusion], check.title);
  }

  /**
   * A commit status on the head. GitLab keeps one running or pending status per name and
   * ref, moves it on, and refuses to move it to the state it is in ("Cannot transition
   * status via :run from :running"): that state is what was asked for, so it is success.
   */
  private async status(pr: PullRequest, name: string, state: 'running' | 'success' | 'failed' | 'canceled', title: string): Promise<void> {
    try {
      await this.api.commits.editStatus(projectId(pr.repo), pr.headSha, state, {
        name,
        // The source branch: without it GitLab picks any branch holding the commit. Not for
        // a fork: its branch name is another project's, and on this project it could name a
        // protected branch (a fork's `main`) and start a pipeline there.
        ...(pr.fromFork ? {} : { ref: pr.headRef }),
        description: cut(title, GITLAB_STATUS_TEXT_LIMIT),
        ...(pr.url && pr.url.length <= GITLAB_STATUS_TEXT_LIMIT ? { targetUrl: pr.url } : {}),
      });
    } catch (err) {
      const from = statusOf(err) === 400 && /Cannot transition status via :(\w+) from :(\w+)/.exec((err as GitLabApiError).description);
      if (from && EVENT_TARGET[from[1]!] === state && from[2] === state) return;
      throw err;
    }
  }

  async react(pr: PullRequest, commentId: number, reaction: Reaction): Promise<void> {
    try {
      await this.api.noteEmojis.award(projectId(pr.repo), pr.number, commentId, reaction);
    } catch (err) {
      // GitLab answers an emoji the bot already awarded with 404 "Award Emoji Name has already been taken".
      if (statusOf(err) === 404 && /has already been taken/i.test((err as GitLabApiError).description)) return;
      throw err;
    }
  }

  async getComment(pr: PullRequest, id: number): Promise<ForgeComment | null> {
    try {
      // Scoped by the merge request: a note of another one is a 404.
      const n = (await this.api.notes.show(projectId(pr.repo), pr.number, id)) as unknown as NotePayload;
      return { author: n.author?.username ?? '', body: n.body, bot: n.system };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async reply(pr: PullRequest, body: string): Promise<void> {
    await this.api.notes.create(projectId(pr.repo), pr.number, withoutQuickActions(body));
  }

  async canWrite(pr: PullRequest, user: string): Promise<boolean> {
    const id = await this.userId(user);
    if (id === null) return false;
    const member = await this.member(() => this.api.projectMembers.show(projectId(pr.repo), id, { includeInherited: true }));
    return !!member && member.access_level >= DEVELOPER_ACCESS;
  }

  async inTeam(pr: PullRequest, team: string, user: string): Promise<boolean> {
    // A bare name is a group under the project's top-level namespace, as a team slug is in the owner's org.
    const group = team.includes('/') ? team : `${pr.repo.path.split('/')[0]}/${team}`;
    const id = await this.userId(user);
    if (id === null) return false;
    return !!(await this.member(() => this.api.groupMembers.show(group, id, { includeInherited: true })));
  }

  /**
   * The commit's statuses (CI jobs and external statuses alike), the latest per name by
   * id (a name can recur across pipelines and retries), and the commit's latest pipeline
   * under the name `pipeline`.
   */
  async commitChecks(pr: PullRequest, sha: string): Promise<CommitCheck[]> {
    const id = projectId(pr.repo);
    const [statuses, pipelines] = await Promise.all([
      this.api.commits.allStatuses(id, sha, { perPage: 100 } as object) as Promise<unknown>,
      this.api.pipelines.all(id, { sha, orderBy: 'id', sort: 'desc', perPage: 1, maxPages: 1 }) as Promise<unknown>,
    ]);
    const latest = new Map<string, { id: number; status: string }>();
    for (const s of statuses as Array<{ id: number; name: string; status: string }>) {
      const seen = latest.get(s.name);
      if (!seen || s.id > seen.id) latest.set(s.name, s);
    }
    const out: CommitCheck[] = [...latest].map(([name, s]) => ({ name, state: fold(s.status), via: 'status' as const }));
    const pipeline = (pipelines as Array<{ status: string }>)[0];
    if (pipeline) out.push({ name: 'pipeline', state: fold(pipeline.status), via: 'check' });
    return out;
  }

  async findOpenPulls(pr: PullRequest, prefix: string): Promise<OpenedPullRequest[]> {
    const [mrs, own] = await Promise.all([
      this.api.mergeRequests.all({ projectId: projectId(pr.repo), state: 'opened', orderBy: 'created_at', sort: 'asc', perPage: 100 }) as Promise<unknown>,
      pr.repo.id ?? this.project(pr.repo).then((p) => p.id),
    ]);
    return (mrs as MergeRequestPayload[]).filter((m) => m.source_branch.startsWith(prefix) && m.source_project_id === own).map(opened);
  }

  async openPull(pr: PullRequest, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    const mr = await this.api.mergeRequests.create(projectId(pr.repo), draft.head, draft.base, draft.title, { description: withoutQuickActions(draft.body) });
    return opened(mr as unknown as MergeRequestPayload);
  }

  async updatePull(pr: PullRequest, number: number, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    const mr = await this.api.mergeRequests.edit(projectId(pr.repo), number, { title: draft.title, description: withoutQuickActions(draft.body) });
    return opened(mr as unknown as MergeRequestPayload);
  }

  async addLabels(pr: PullRequest, number: number, labels: string[]): Promise<void> {
    // add_labels keeps the labels the merge request has; GitLab creates a label that does not exist yet.
    if (labels.length) await this.api.mergeRequests.edit(projectId(pr.repo), number, { addLabels: labels.join(',') });
  }

  /**
   * Merge requests of the commit (its merge, squash or head commit). The list leaves out
   * `diff_refs`, which a promotion needs for the base, so each one is read in full.
   */
  async pullsForCommit(repo: RepoRef, sha: string): Promise<PullRequest[]> {
    const [list, project] = await Promise.all([
      this.api.commits.allMergeRequests(projectId(repo), sha, { perPage: 100 }) as Promise<unknown>,
      this.project(repo),
    ]);
    const full: RepoRef = { forge: 'gitlab', path: project.path_with_namespace, id: project.id };
    return Promise.all((list as MergeRequestPayload[]).map((mr) => (mr.diff_refs ? pullRequestFrom(mr, project) : this.getPull(full, mr.iid))));
  }

  /** The project (its full path, id and clone URL), asked once per forge. */
  private project(repo: RepoRef): Promise<ProjectPayload> {
    const key = repo.id !== undefined ? `#${repo.id}` : repo.path.toLowerCase();
    let p = this.projects.get(key);
    if (!p) {
      p = this.api.projects.show(projectId(repo)) as Promise<unknown> as Promise<ProjectPayload>;
      this.projects.set(key, p);
      p.catch(() => this.projects.delete(key));
    }
    return p;
  }

  /** A user's id by username; null when GitLab has no such user. */
  private userId(username: string): Promise<number | null> {
    const key = username.toLowerCase();
    let p = this.userIds.get(key);
    if (!p) {
      p = (async () => {
        const users = (await this.api.users.all({ username })) as unknown as Array<{ id: number; username: string }>;
        return users.find((u) => u.username.toLowerCase() === key)?.id ?? null;
      })();
      this.userIds.set(key, p);
      p.catch(() => this.userIds.delete(key));
    }
    return p;
  }

  /** An active membership (inherited ones included), or null when the user is no member. */
  private async member(read: () => Promise<unknown>): Promise<MemberPayload | null> {
    try {
      const m = (await read()) as MemberPayload;
      if (m.state !== undefined && m.state !== 'active') return null;
      if (m.membership_state !== undefined && m.membership_state !== 'active') return null;
      return m;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async getRepo(repo: RepoRef): Promise<RepoInfo> {
    const p = await this.project(repo);
    return { defaultBranch: p.default_branch ?? 'main', cloneUrl: p.http_url_to_repo, repositoryURLs: repositoryURLsFrom(p) };
  }

  /**
   * The protected branch, the project's approval rules that apply to it and its merge
   * settings: "Pipelines must succeed" stands for every status check, "Prevent approval
   * reset" (reset_approvals_on_push) for stale approvals. A protected branch cannot be
   * deleted by a push, and binds administrators too when nobody may push to it.
   */
  async readFile(repo: RepoRef, ref: string, path: string): Promise<Buffer | null> {
    try {
      const file = (await this.api.files.show(projectId(repo), path, ref)) as unknown as { content?: string; encoding?: string };
      if (typeof file.content !== 'string') return null;
      return Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async setCommitCheck(repo: RepoRef, sha: string, branch: string, check: CheckResult): Promise<void> {
    await this.api.commits.editStatus(projectId(repo), sha, STATE[check.conclusion], { name: check.name, ref: branch, description: cut(check.title, GITLAB_STATUS_TEXT_LIMIT) });
  }

  async readProtection(repo: RepoRef, branch: string): Promise<ProtectionRead> {
    const id = projectId(repo);
    const denied = (err: unknown): ProtectionRead | null => {
      const status = statusOf(err);
      return status === 401 || status === 403
        ? { ok: false, problem: `Ferry cannot read the protection of ${branch}: grant Ferry's user the Maintainer role in this project (GitLab answered ${status})` }
        : null;
    };
    let pb: ProtectedBranchPayload;
    try {
      pb = (await this.api.protectedBranches.show(id, branch)) as unknown as ProtectedBranchPayload;
    } catch (err) {
      const refused = denied(err);
      if (refused) return refused;
      if (statusOf(err) !== 404) throw err;
      try {
        await this.api.branches.show(id, branch);
      } catch (e) {
        if (statusOf(e) === 404) return { ok: false, problem: `the branch ${branch} does not exist`, missingBranch: true };
        return denied(e) ?? Promise.reject(e);
      }
      return { ok: true, live: { protection: null, rulesets: [] } };
    }
    let rules: ApprovalRulePayload[];
    let resetOnPush: boolean;
    try {
      rules = (await this.api.approvals.allApprovalRules(id)) as unknown as ApprovalRulePayload[];
      resetOnPush = !!((await this.api.approvals.showConfiguration(id)) as unknown as { reset_approvals_on_push?: boolean }).reset_approvals_on_push;
    } catch (err) {
      const status = statusOf(err);
      if (status === 401 || status === 403 || status === 404) {
        return { ok: false, problem: `Ferry cannot read the approval rules of this project: they need GitLab Premium and the Maintainer role (GitLab answered ${status})` };
      }
      throw err;
    }
    const project = await this.freshProject(repo);
    const applies = (r: ApprovalRulePayload) => r.applies_to_all_protected_branches || !r.protected_branches?.length || r.protected_branches.some((b) => b.name === branch || b.id === pb.id);
    const levels = pb.push_access_levels ?? [];
    return {
      ok: true,
      live: {
        protection: {
          checks: project.only_allow_merge_if_pipeline_succeeds ? [EVERY_CHECK] : [],
          approvals: Math.max(0, ...rules.filter(applies).map((r) => r.approvals_required)),
          dismissStale: resetOnPush,
          allowForcePushes: !!pb.allow_force_push,
          allowDeletions: false,
          includeAdmins: levels.length > 0 && levels.every((l) => l.access_level === NO_ACCESS),
        },
        rulesets: [],
      },
    };
  }

  async applyProtection(repo: RepoRef, branch: string, s: ProtectionSettings): Promise<void> {
    const id = projectId(repo);
    try {
      let pb: ProtectedBranchPayload;
      try {
        pb = (await this.api.protectedBranches.show(id, branch)) as unknown as ProtectedBranchPayload;
        if (!!pb.allow_force_push !== s.allowForcePushes) pb = (await this.api.protectedBranches.edit(id, branch, { allowForcePush: s.allowForcePushes })) as unknown as ProtectedBranchPayload;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        pb = (await this.api.protectedBranches.protect(id, branch, {
          pushAccessLevel: s.includeAdmins ? NO_ACCESS : MAINTAINER_ACCESS, mergeAccessLevel: MAINTAINER_ACCESS, allowForcePush: s.allowForcePushes,
        } as never)) as unknown as ProtectedBranchPayload;
      }
      await this.api.approvals.editConfiguration(id, { resetApprovalsOnPush: s.dismissStale } as never);
      if (s.approvals > 0) {
        const rules = (await this.api.approvals.allApprovalRules(id)) as unknown as ApprovalRulePayload[];
        const name = ferryRule(branch);
        const own = rules.find((r) => r.name === name);
        if (own) await this.api.approvals.editApprovalRule(id, own.id, name, s.approvals, { protectedBranchIds: [pb.id] } as never);
        else await this.api.approvals.createApprovalRule(id, name, s.approvals, { protectedBranchIds: [pb.id] } as never);
      }
      if (s.checks.length) await this.api.projects.edit(id, { onlyAllowMergeIfPipelineSucceeds: true } as never);
    } catch (err) {
      const status = statusOf(err);
      if (status === 401 || status === 403) throw new Error(`Ferry cannot change the protection of ${branch}: grant Ferry's user the Maintainer role in this project (GitLab answered ${status})`);
      throw err;
    }
  }

  async ensureIssue(repo: RepoRef, marker: string, issue: IssueDraft): Promise<EnsuredIssue | null> {
    const id = projectId(repo);
    const me = await this.self();
    const open = (await this.api.issues.all({ projectId: id, state: 'opened', authorUsername: me, perPage: 100 } as never)) as unknown as Array<{ iid: number; title: string; description: string | null; author?: { username: string } }>;
    // By its author too: the author filter is GitLab's, and anyone can write the marker.
    const own = open.find((i) => i.author?.username.toLowerCase() === me.toLowerCase() && (i.description ?? '').startsWith(marker));
    const description = withoutQuickActions(issue.body);
    if (!issue.open) {
      if (!own) return null;
      await this.api.issues.edit(id, own.iid, { title: issue.title, description, stateEvent: 'close' } as never);
      return { number: own.iid, action: 'closed' };
    }
    if (own) {
      if (own.title === issue.title && own.description === description) return { number: own.iid, action: 'unchanged' };
      await this.api.issues.edit(id, own.iid, { title: issue.title, description } as never);
      return { number: own.iid, action: 'updated' };
    }
    const created = (await this.api.issues.create(id, issue.title, { description } as never)) as unknown as { iid: number };
    return { number: created.iid, action: 'created' };
  }

  /** The project as it is now (its merge settings may have just changed), not the one cached for the job. */
  private async freshProject(repo: RepoRef): Promise<ProjectPayload> {
    return (await this.api.projects.show(projectId(repo))) as unknown as ProjectPayload;
  }
}
