import type { ProbotOctokit } from 'probot';
import type { ProtectionSettings } from '../../config/types.js';
import type { RulesetProtection } from '../../protect/types.js';
import { CHECK_TEXT_LIMIT } from '../../report/checks.js';
import type { CheckResult, CommitCheck, Review } from '../../types.js';
import type { GitAuth } from '../../workspace/git.js';
import type { EnsuredIssue, Forge, ForgeCapabilities, ForgeComment, ForgeLimits, IssueDraft, OpenedPullRequest, ProtectionRead, PullRequest, PullRequestDraft, Reaction, RepoInfo, RepoRef } from '../types.js';
import { presentStrings } from '../../util/present.js';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** GitHub accepts at most 50 annotations per check-run request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/**
 * Part numbers looked for when clearing old plan parts: plans are cut at 5 parts now,
 * and the longest ever written before that cap had 17.
 */
const PART_SCAN = 64;

/** GitHub's limit on an issue comment body (a PR description has the same). */
export const GITHUB_COMMENT_LIMIT = 65_536;

export const GITHUB_LIMITS: ForgeLimits = { comment: GITHUB_COMMENT_LIMIT, body: GITHUB_COMMENT_LIMIT, checkText: CHECK_TEXT_LIMIT };
const CAPABILITIES: ForgeCapabilities = { checkRuns: true, reactions: true, teams: true };

/** A path segment in a URL, with the characters that could end a Markdown link target encoded too. */
const segment = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `owner/name` as the REST API's two parameters. */
function ownerRepo(repo: RepoRef): { owner: string; repo: string } {
  const i = repo.path.indexOf('/');
  return { owner: repo.path.slice(0, i), repo: repo.path.slice(i + 1) };
}

interface PullPayload {
  number: number;
  state: string;
  draft?: boolean;
  merged?: boolean | null;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  title?: string;
  body?: string | null;
  html_url?: string;
  user?: { login: string } | null;
  labels?: Array<{ name?: string } | string> | null;
  head: { sha: string; ref: string; repo?: { full_name: string } | null };
  base: { sha: string; ref: string; repo: { name: string; full_name?: string; owner: { login: string }; clone_url: string } & RepoUrls };
}

/** The URLs GitHub gives a repository (github.com and Enterprise alike). */
interface RepoUrls {
  clone_url?: string;
  html_url?: string;
  ssh_url?: string;
}

/** The repository's own URLs, for the engine (PullRequest.repositoryURLs). */
export function repositoryURLsFrom(r: RepoUrls): string[] {
  return presentStrings([r.html_url, r.clone_url, r.ssh_url]);
}

/** Translates GitHub's pull request shape into Ferry's. */
export function pullRequestFrom(p: PullPayload): PullRequest {
  return {
    repo: { forge: 'github', path: `${p.base.repo.owner.login}/${p.base.repo.name}` },
    number: p.number,
    headSha: p.head.sha,
    baseSha: p.base.sha,
    baseRef: p.base.ref,
    state: p.state === 'open' ? 'open' : 'closed',
    draft: !!p.draft,
    cloneUrl: p.base.repo.clone_url,
    repositoryURLs: repositoryURLsFrom(p.base.repo),
    headRefspec: `refs/pull/${p.number}/head`,
    headRef: p.head.ref,
    fromFork: !p.head.repo || p.head.repo.full_name !== (p.base.repo.full_name ?? `${p.base.repo.owner.login}/${p.base.repo.name}`),
    merged: p.merged ?? !!p.merged_at,
    mergedAt: p.merged_at ?? null,
    mergeCommitSha: p.merge_commit_sha ?? null,
    title: p.title ?? '',
    body: p.body ?? '',
    url: p.html_url ?? '',
    author: p.user?.login ?? '',
    labels: (p.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name ?? '')).filter(Boolean),
  };
}

/** GitHub's review states; PENDING (a review not submitted yet) is no stance and is left out. */
const REVIEW_STATE: Record<string, Review['state']> = { APPROVED: 'approved', CHANGES_REQUESTED: 'changes_requested', COMMENTED: 'commented', DISMISSED: 'dismissed' };

const opened = (p: { number: number; html_url: string; title: string; body?: string | null; head: { ref: string } }): OpenedPullRequest => ({
  number: p.number, url: p.html_url, head: p.head.ref, title: p.title, body: p.body ?? '',
});

export class GitHubForge implements Forge {
  readonly limits = GITHUB_LIMITS;
  readonly capabilities = CAPABILITIES;
  readonly words = { pull: 'pull request', write: 'write access to this repository', command: '/' };
  /** Check runs this forge started, by head SHA and name, so completing one edits it. */
  private readonly started = new Map<string, number>();

  /**
   * `self` is the app's bot login (`ferry[bot]`): only its comments are Ferry's.
   * `installationToken` mints the token git uses, through the configured API host.
   */
  constructor(
    private readonly octokit: Octokit,
    readonly self: () => Promise<string>,
    private readonly installationToken: () => Promise<string>,
    /**
     * The web host (`https://github.com`) when no check runs carry the findings (a
     * workflow's run): the comment then links each finding to its line instead.
     */
    private readonly webUrl?: string,
  ) {}

  pullRef(number: number): string {
    return `#${number}`;
  }

  /**
   * The file at the PR's head commit on the host the PR is on (github.com or Enterprise):
   * annotations show only on the diff, a link reaches a finding on any file. The PR's web
   * address gives the host, unless a web URL was configured (CI's GITHUB_SERVER_URL).
   */
  fileLink(pr: PullRequest, file: string, line: number | null): string | null {
    const path = (p: string) => p.split('/').map(segment).join('/');
    const web = this.webUrl
      ? `${this.webUrl.replace(/\/+$/, '')}/${path(pr.repo.path)}`
      : /^(https?:\/\/[^/]+\/[^/]+\/[^/]+)\/pull\/\d+$/.exec(pr.url)?.[1];
    if (!web) return null;
    return `${web}/blob/${segment(pr.headSha)}/${path(file)}${line ? `#L${line}` : ''}`;
  }

  async gitAuth(): Promise<GitAuth> {
    const token = await this.installationToken();
    // Basic with x-access-token is what GitHub documents for installation tokens over git.
    return { extraHeader: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` };
  }

  async getPull(repo: RepoRef, number: number): Promise<PullRequest> {
    const { data } = await this.octokit.rest.pulls.get({ ...ownerRepo(repo), pull_number: number });
    return pullRequestFrom(data as unknown as PullPayload);
  }

  async ensureComments(pr: PullRequest, marker: (part: number) => string, bodies: string[]): Promise<void> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...ownerRepo(pr.repo), issue_number: pr.number, per_page: 100,
    });
    // Only Ferry's own comments count: anyone else (another app included) can write the
    // marker, and editing their comment would fail or, worse, put Ferry's plan under their name.
    const me = (await this.self()).toLowerCase();
    const own = comments.filter((c) => c.user?.type === 'Bot' && c.user.login.toLowerCase() === me);
    const ours = (part: number) => own.find((c) => (c.body ?? '').startsWith(marker(part)));
    const kept = new Set<number>();
    for (let i = 0; i < bodies.length; i++) {
      const existing = ours(i);
      if (existing) {
        kept.add(existing.id);
        if (existing.body !== bodies[i]) {
          await this.octokit.rest.issues.updateComment({ ...ownerRepo(pr.repo), comment_id: existing.id, body: bodies[i]! });
        }
      } else {
        await this.octokit.rest.issues.createComment({ ...ownerRepo(pr.repo), issue_number: pr.number, body: bodies[i]! });
      }
    }
    // Parts of an earlier, longer plan would show a stale plan: every one goes, even past a
    // gap (a part someone deleted by hand), and so does a duplicate of a kept part.
    const markers = Array.from({ length: PART_SCAN }, (_, i) => marker(i));
    for (const c of own) {
      if (!kept.has(c.id) && markers.some((m) => (c.body ?? '').startsWith(m))) {
        await this.octokit.rest.issues.deleteComment({ ...ownerRepo(pr.repo), comment_id: c.id });
      }
    }
  }

  async getComment(pr: PullRequest, id: number): Promise<ForgeComment | null> {
    try {
      const { data } = await this.octokit.rest.issues.getComment({ ...ownerRepo(pr.repo), comment_id: id });
      // Comment ids are per repository: the one asked for must be on this PR.
      if (!data.issue_url.endsWith(`/issues/${pr.number}`)) return null;
      return { author: data.user?.login ?? '', body: data.body ?? '', bot: data.user?.type === 'Bot' };
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  async react(pr: PullRequest, commentId: number, reaction: Reaction): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({ ...ownerRepo(pr.repo), comment_id: commentId, content: reaction });
  }

  async reply(pr: PullRequest, body: string): Promise<void> {
    await this.octokit.rest.issues.createComment({ ...ownerRepo(pr.repo), issue_number: pr.number, body });
  }

  async canWrite(pr: PullRequest, user: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...ownerRepo(pr.repo), username: user });
      return data.permission === 'admin' || data.permission === 'write' || data.user?.permissions?.push === true;
    } catch (err) {
      // Not a collaborator at all.
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async inTeam(pr: PullRequest, team: string, user: string): Promise<boolean> {
    const [org, slug] = team.includes('/') ? team.split('/', 2) as [string, string] : [ownerRepo(pr.repo).owner, team];
    try {
      const { data } = await this.octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: user });
      return data.state === 'active';
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async reviews(pr: PullRequest): Promise<Review[]> {
    const all = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...ownerRepo(pr.repo), pull_number: pr.number, per_page: 100 });
    return all.flatMap((r) => {
      const state = REVIEW_STATE[r.state];
      // A review by a deleted account has no user: nobody to count.
      if (!state || !r.user) return [];
      return [{ user: r.user.login, state, commitSha: r.commit_id ?? null, bot: r.user.type === 'Bot' }];
    });
  }

  async commitChecks(pr: PullRequest, sha: string): Promise<CommitCheck[]> {
    const repo = ownerRepo(pr.repo);
    const [statuses, runs] = await Promise.all([
      this.octokit.paginate(this.octokit.rest.repos.listCommitStatusesForRef, { ...repo, ref: sha, per_page: 100 }),
      this.octokit.paginate(this.octokit.rest.checks.listForRef, { ...repo, ref: sha, filter: 'latest', per_page: 100 }),
    ]);
    const out: CommitCheck[] = [];
    // Statuses come newest first, several per context: the newest one per context counts.
    const seen = new Set<string>();
    for (const s of statuses) {
      if (seen.has(s.context)) continue;
      seen.add(s.context);
      out.push({ name: s.context, state: s.state === 'success' ? 'success' : s.state === 'pending' ? 'pending' : 'failure', via: 'status' });
    }
    for (const r of runs) {
      out.push({ name: r.name, state: r.status !== 'completed' ? 'pending' : r.conclusion === 'success' ? 'success' : 'failure', via: 'check' });
    }
    return out;
  }

  async findOpenPulls(pr: PullRequest, prefix: string): Promise<OpenedPullRequest[]> {
    const all = await this.octokit.paginate(this.octokit.rest.pulls.list, {
      ...ownerRepo(pr.repo), state: 'open', sort: 'created', direction: 'asc', per_page: 100,
    });
    const own = pr.repo.path.toLowerCase();
    return all.filter((p) => p.head.ref.startsWith(prefix) && p.head.repo?.full_name.toLowerCase() === own).map(opened);
  }

  async openPull(pr: PullRequest, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    const { data } = await this.octokit.rest.pulls.create({
      ...ownerRepo(pr.repo), head: draft.head, base: draft.base, title: draft.title, body: draft.body, maintainer_can_modify: false,
    });
    return opened(data);
  }

  async updatePull(pr: PullRequest, number: number, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    const { data } = await this.octokit.rest.pulls.update({ ...ownerRepo(pr.repo), pull_number: number, title: draft.title, body: draft.body });
    return opened(data);
  }

  async addLabels(pr: PullRequest, number: number, labels: string[]): Promise<void> {
    // Adding is idempotent, and GitHub creates a label that does not exist yet.
    if (labels.length) await this.octokit.rest.issues.addLabels({ ...ownerRepo(pr.repo), issue_number: number, labels });
  }

  async pullsForCommit(repo: RepoRef, sha: string): Promise<PullRequest[]> {
    const data = await this.octokit.paginate(this.octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
      ...ownerRepo(repo), commit_sha: sha, per_page: 100,
    });
    return data.map((p) => pullRequestFrom(p as unknown as PullPayload));
  }

  async setCheck(pr: PullRequest, check: CheckResult): Promise<void> {
    const batches: CheckResult['annotations'][] = [];
    for (let i = 0; i < check.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
      batches.push(check.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
    }
    const output = (annotations: CheckResult['annotations']) => ({
      title: check.title,
      summary: check.summary,
      ...(check.text ? { text: check.text } : {}),
      annotations: annotations.map((a) => ({
        path: a.path, start_line: a.line, end_line: a.line, annotation_level: a.level, title: a.title, message: a.message,
      })),
    });
    const completed = { status: 'completed' as const, conclusion: check.conclusion, output: output(batches[0] ?? []) };
    const key = `${pr.headSha}\0${check.name}`;
    const running = this.started.get(key);
    let id: number;
    if (running !== undefined) {
      await this.octokit.rest.checks.update({ ...ownerRepo(pr.repo), check_run_id: running, ...completed });
      this.started.delete(key);
      id = running;
    } else {
      ({ data: { id } } = await this.octokit.rest.checks.create({ ...ownerRepo(pr.repo), name: check.name, head_sha: pr.headSha, ...completed }));
    }
    // Annotations beyond the first 50 are appended by updating the same run.
    for (const batch of batches.slice(1)) {
      await this.octokit.rest.checks.update({ ...ownerRepo(pr.repo), check_run_id: id, output: output(batch) });
    }
  }

  async startCheck(pr: PullRequest, name: string, title: string): Promise<void> {
    const { data } = await this.octokit.rest.checks.create({
      ...ownerRepo(pr.repo), name, head_sha: pr.headSha, status: 'in_progress', output: { title, summary: title },
    });
    this.started.set(`${pr.headSha}\0${name}`, data.id);
  }

  async getRepo(repo: RepoRef): Promise<RepoInfo> {
    const { data } = await this.octokit.rest.repos.get(ownerRepo(repo));
    return { defaultBranch: data.default_branch, cloneUrl: data.clone_url, repositoryURLs: repositoryURLsFrom(data) };
  }

  async readFile(repo: RepoRef, ref: string, path: string): Promise<Buffer | null> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...ownerRepo(repo), path, ref });
      // A folder is a list; a file over 1 MB comes without its content: neither is a config file.
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data) || typeof data.content !== 'string') return null;
      return Buffer.from(data.content, 'base64');
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  async setCommitCheck(repo: RepoRef, sha: string, _branch: string, check: CheckResult): Promise<void> {
    await this.octokit.rest.checks.create({
      ...ownerRepo(repo), name: check.name, head_sha: sha, status: 'completed', conclusion: check.conclusion,
      output: { title: check.title, summary: check.summary, ...(check.text ? { text: check.text } : {}) },
    });
  }

  async readProtection(repo: RepoRef, branch: string): Promise<ProtectionRead> {
    let raw: RawProtection | null;
    try {
      raw = await this.rawProtection(repo, branch);
    } catch (err) {
      const e = err as { status?: number; message?: string };
      if (e.status === 404 && /branch not found/i.test(githubMessage(err))) return { ok: false, problem: `the branch ${branch} does not exist`, missingBranch: true };
      if (e.status === 403 || e.status === 404) {
        return { ok: false, problem: `Ferry cannot read the branch protection of ${branch}: grant the app the Administration: read permission (GitHub said: ${githubMessage(err)})` };
      }
      throw err;
    }
    let rulesets: RulesetProtection[];
    try {
      const rules = await this.octokit.paginate(this.octokit.rest.repos.getBranchRules, { ...ownerRepo(repo), branch, per_page: 100 });
      rulesets = rulesetsFrom(rules as unknown as RawRule[]);
    } catch (err) {
      const e = err as { status?: number };
      if (e.status === 403 || e.status === 404) return { ok: false, problem: `Ferry cannot read the rulesets that apply to ${branch} (GitHub said: ${githubMessage(err)})` };
      throw err;
    }
    return { ok: true, live: { protection: raw ? settingsFrom(raw) : null, rulesets } };
  }

  async applyProtection(repo: RepoRef, branch: string, settings: ProtectionSettings): Promise<void> {
    const refused = (err: unknown): never => {
      const e = err as { status?: number };
      if (e.status === 403 || e.status === 404) {
        throw new Error(`Ferry cannot change the branch protection of ${branch}: grant the app the Administration: write permission (GitHub said: ${githubMessage(err)})`);
      }
      throw err;
    };
    // A PUT replaces the whole protection: what Ferry does not manage is sent back as it is.
    const raw = await this.rawProtection(repo, branch).catch(refused);
    await this.octokit.rest.repos.updateBranchProtection({ ...ownerRepo(repo), branch, ...protectionBody(settings, raw) }).catch(refused);
  }

  async ensureIssue(repo: RepoRef, marker: string, issue: IssueDraft): Promise<EnsuredIssue | null> {
    const open = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, { ...ownerRepo(repo), state: 'open', per_page: 100 });
    // Ferry's own by its account, not by the marker alone: anyone can write the marker.
    const me = (await this.self()).toLowerCase();
    const own = open.find((i) => !i.pull_request && i.user?.type === 'Bot' && i.user.login.toLowerCase() === me && (i.body ?? '').startsWith(marker));
    if (!issue.open) {
      if (!own) return null;
      await this.octokit.rest.issues.update({ ...ownerRepo(repo), issue_number: own.number, title: issue.title, body: issue.body, state: 'closed', state_reason: 'completed' });
      return { number: own.number, action: 'closed' };
    }
    if (own) {
      if (own.title === issue.title && own.body === issue.body) return { number: own.number, action: 'unchanged' };
      await this.octokit.rest.issues.update({ ...ownerRepo(repo), issue_number: own.number, title: issue.title, body: issue.body });
      return { number: own.number, action: 'updated' };
    }
    const { data } = await this.octokit.rest.issues.create({ ...ownerRepo(repo), title: issue.title, body: issue.body });
    return { number: data.number, action: 'created' };
  }

  /** The branch's protection as GitHub returns it, or null when the branch is not protected. */
  private async rawProtection(repo: RepoRef, branch: string): Promise<RawProtection | null> {
    try {
      const { data } = await this.octokit.rest.repos.getBranchProtection({ ...ownerRepo(repo), branch });
      return data as unknown as RawProtection;
    } catch (err) {
      if ((err as { status?: number }).status === 404 && /not protected/i.test(githubMessage(err))) return null;
      throw err;
    }
  }
}

/** GitHub's own words for an error, for a message a person reads (never a token: it is the response's text). */
function githubMessage(err: unknown): string {
  const e = err as { response?: { data?: { message?: unknown } }; message?: string };
  const m = e.response?.data?.message;
  return typeof m === 'string' ? m : (e.message ?? 'no message');
}

interface Enabled {
  enabled?: boolean;
}

/** The parts of GET /branches/{branch}/protection Ferry reads or sends back. */
interface RawProtection {
  required_status_checks?: { strict?: boolean; contexts?: string[]; checks?: Array<{ context: string }> };
  enforce_admins?: Enabled;
  required_pull_request_reviews?: {
    dismiss_stale_reviews?: boolean;
    require_code_owner_reviews?: boolean;
    required_approving_review_count?: number;
    require_last_push_approval?: boolean;
    dismissal_restrictions?: { users?: Array<{ login: string }>; teams?: Array<{ slug: string }>; apps?: Array<{ slug?: string } | null> };
    bypass_pull_request_allowances?: { users?: Array<{ login: string }>; teams?: Array<{ slug: string }>; apps?: Array<{ slug?: string } | null> };
  };
  restrictions?: { users?: Array<{ login: string }>; teams?: Array<{ slug: string }>; apps?: Array<{ slug?: string } | null> };
  required_linear_history?: Enabled;
  allow_force_pushes?: Enabled;
  allow_deletions?: Enabled;
  block_creations?: Enabled;
  required_conversation_resolution?: Enabled;
  lock_branch?: Enabled;
  allow_fork_syncing?: Enabled;
}

function settingsFrom(raw: RawProtection): ProtectionSettings {
  const checks = raw.required_status_checks;
  const reviews = raw.required_pull_request_reviews;
  return {
    checks: [...new Set([...(checks?.contexts ?? []), ...(checks?.checks ?? []).map((c) => c.context)])],
    approvals: reviews ? (reviews.required_approving_review_count ?? 0) : 0,
    dismissStale: !!reviews?.dismiss_stale_reviews,
    allowForcePushes: !!raw.allow_force_pushes?.enabled,
    allowDeletions: !!raw.allow_deletions?.enabled,
    includeAdmins: !!raw.enforce_admins?.enabled,
  };
}

type Actors = RawProtection['restrictions'];
const actors = (a: Actors) => ({
  users: (a?.users ?? []).map((u) => u.login),
  teams: (a?.teams ?? []).map((t) => t.slug),
  apps: (a?.apps ?? []).flatMap((x) => (x?.slug ? [x.slug] : [])),
});

/** The PUT body: Ferry's settings, and everything else as the branch has it now. */
function protectionBody(s: ProtectionSettings, raw: RawProtection | null) {
  const reviews = raw?.required_pull_request_reviews;
  return {
    required_status_checks: s.checks.length ? { strict: raw?.required_status_checks?.strict ?? false, contexts: s.checks } : null,
    enforce_admins: s.includeAdmins,
    required_pull_request_reviews: s.approvals > 0 || s.dismissStale || reviews
      ? {
        dismiss_stale_reviews: s.dismissStale,
        required_approving_review_count: s.approvals,
        require_code_owner_reviews: reviews?.require_code_owner_reviews ?? false,
        require_last_push_approval: reviews?.require_last_push_approval ?? false,
        ...(reviews?.dismissal_restrictions ? { dismissal_restrictions: actors(reviews.dismissal_restrictions) } : {}),
        ...(reviews?.bypass_pull_request_allowances ? { bypass_pull_request_allowances: actors(reviews.bypass_pull_request_allowances) } : {}),
      }
      : null,
    restrictions: raw?.restrictions ? actors(raw.restrictions) : null,
    required_linear_history: raw?.required_linear_history?.enabled ?? false,
    allow_force_pushes: s.allowForcePushes,
    allow_deletions: s.allowDeletions,
    block_creations: raw?.block_creations?.enabled ?? false,
    required_conversation_resolution: raw?.required_conversation_resolution?.enabled ?? false,
    lock_branch: raw?.lock_branch?.enabled ?? false,
    allow_fork_syncing: raw?.allow_fork_syncing?.enabled ?? false,
  };
}

/** One active rule that applies to the branch (GET /rules/branches/{branch}). */
interface RawRule {
  type: string;
  ruleset_id?: number;
  ruleset_source?: string;
  parameters?: {
    required_status_checks?: Array<{ context: string }>;
    required_approving_review_count?: number;
    dismiss_stale_reviews_on_push?: boolean;
  };
}

/** Rules grouped by their ruleset, as the settings each asks for (read-only to Ferry). */
function rulesetsFrom(rules: RawRule[]): RulesetProtection[] {
  const byId = new Map<string, RulesetProtection>();
  for (const r of rules) {
    const name = `ruleset ${r.ruleset_id ?? '?'}${r.ruleset_source ? ` of ${r.ruleset_source}` : ''}`;
    const set = byId.get(name) ?? { name, settings: {} };
    byId.set(name, set);
    const p = r.parameters ?? {};
    if (r.type === 'required_status_checks') set.settings.checks = [...(set.settings.checks ?? []), ...(p.required_status_checks ?? []).map((c) => c.context)];
    if (r.type === 'pull_request') {
      set.settings.approvals = Math.max(set.settings.approvals ?? 0, p.required_approving_review_count ?? 0);
      set.settings.dismissStale = !!set.settings.dismissStale || !!p.dismiss_stale_reviews_on_push;
    }
    if (r.type === 'non_fast_forward') set.settings.allowForcePushes = false;
    if (r.type === 'deletion') set.settings.allowDeletions = false;
  }
  return [...byId.values()];
}
