import { execFileSync } from 'node:child_process';
import type { ProtectionSettings } from '../../src/config/types.js';
import type { EnsuredIssue, Forge, ForgeCapabilities, ForgeComment, ForgeLimits, ForgeRegistry, IssueDraft, OpenedPullRequest, ProtectionRead, PullRequest, PullRequestDraft, Reaction, RepoInfo, RepoRef } from '../../src/forge/types.js';
import type { LiveProtection } from '../../src/protect/types.js';
import type { CheckResult, CommitCheck, Review } from '../../src/types.js';
import type { GitAuth } from '../../src/workspace/git.js';

export interface FakeComment {
  id: number;
  author: string;
  body: string;
  reactions: Reaction[];
}

export interface FakeCheck {
  name: string;
  sha: string;
  status: 'running' | 'completed';
  result?: CheckResult;
}

/** Everything the fake forge holds, open to the test. */
export interface FakeState {
  self: string;
  pulls: Map<number, PullRequest>;
  comments: Map<number, FakeComment[]>;
  checks: FakeCheck[];
  /** user → permission on the repository. */
  permissions: Map<string, 'admin' | 'write' | 'read'>;
  /** `org/team` → members. */
  teams: Map<string, string[]>;
  commitChecks: Map<string, CommitCheck[]>;
  labels: Map<number, string[]>;
  /** PR number → its reviews, oldest first. */
  reviews: Map<number, Review[]>;
  repoInfo: RepoInfo;
  /** Branch → its protection (absent: the branch is unprotected). */
  protection: Map<string, LiveProtection>;
  /** Branches that exist (protection of another one cannot be read). */
  branches: Set<string>;
  /** What Ferry may do with branch protection: nothing, read it, or read and write it. */
  administration: 'none' | 'read' | 'write';
  issues: FakeIssue[];
  /** Every verb called, in order, with its first arguments (for tests of what a job did). */
  calls: string[];
}

export interface FakeIssue {
  number: number;
  author: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
}

let nextComment = 1;

/**
 * An in-memory forge for the bot core's tests: what a job writes lands in `state`, what
 * it reads comes from there. It keeps the Forge contract (test/forge/contract.ts).
 */
export class FakeForge implements Forge {
  readonly limits: ForgeLimits;
  readonly capabilities: ForgeCapabilities = { checkRuns: true, reactions: true, teams: true };
  readonly words = { pull: 'pull request', write: 'write access to this repository', command: '/' };
  readonly state: FakeState = {
    self: 'ferry[bot]',
    pulls: new Map(),
    comments: new Map(),
    checks: [],
    permissions: new Map(),
    teams: new Map(),
    commitChecks: new Map(),
    labels: new Map(),
    reviews: new Map(),
    repoInfo: { defaultBranch: 'main', cloneUrl: 'https://forge.invalid/acme/gitops.git', repositoryURLs: ['https://forge.invalid/acme/gitops', 'https://forge.invalid/acme/gitops.git'] },
    protection: new Map(),
    branches: new Set(['main']),
    administration: 'write',
    issues: [],
    calls: [],
  };

  constructor(readonly repo: RepoRef = { forge: 'github', path: 'acme/gitops' }, limits: Partial<ForgeLimits> = {}) {
    this.limits = { comment: 65_536, body: 65_536, checkText: 65_535, ...limits };
  }

  /** Adds or replaces a PR as the forge sees it now. */
  putPull(pr: Partial<PullRequest> & { number: number }): PullRequest {
    const full: PullRequest = {
      repo: this.repo, headSha: 'h'.repeat(40), baseSha: 'b'.repeat(40), baseRef: 'main', state: 'open', draft: false,
      cloneUrl: 'https://forge.invalid/acme/gitops.git', repositoryURLs: ['https://forge.invalid/acme/gitops', 'https://forge.invalid/acme/gitops.git'], headRefspec: `refs/pull/${pr.number}/head`, headRef: `branch-${pr.number}`,
      fromFork: false, merged: false, mergedAt: null, mergeCommitSha: null, title: `PR ${pr.number}`, body: '', url: '', author: 'alice', labels: [],
      ...this.state.pulls.get(pr.number), ...pr,
    };
    this.state.pulls.set(pr.number, full);
    if (pr.labels) this.state.labels.set(pr.number, [...pr.labels]);
    return full;
  }

  /** A comment by someone (or by Ferry, as `state.self`). */
  postAs(number: number, author: string, body: string): FakeComment {
    const c: FakeComment = { id: nextComment++, author, body, reactions: [] };
    this.state.comments.set(number, [...(this.state.comments.get(number) ?? []), c]);
    return c;
  }

  commentsOf(number: number): FakeComment[] {
    return this.state.comments.get(number) ?? [];
  }

  pullRef(number: number): string {
    return `#${number}`;
  }

  fileLink(): null {
    return null;
  }

  async self(): Promise<string> {
    return this.state.self;
  }

  async gitAuth(): Promise<GitAuth> {
    this.state.calls.push('gitAuth');
    return {};
  }

  async getPull(repo: RepoRef, number: number): Promise<PullRequest> {
    this.state.calls.push(`getPull ${number}`);
    const pr = repo.path.toLowerCase() === this.repo.path.toLowerCase() ? this.state.pulls.get(number) : undefined;
    if (!pr) throw Object.assign(new Error(`no pull request ${number}`), { status: 404 });
    return { ...structuredClone(pr), labels: [...(this.state.labels.get(number) ?? pr.labels)] };
  }

  /** Someone reviews a PR. */
  review(number: number, review: Review): void {
    this.state.reviews.set(number, [...(this.state.reviews.get(number) ?? []), review]);
  }

  async reviews(pr: PullRequest): Promise<Review[]> {
    this.state.calls.push(`reviews ${pr.number}`);
    return structuredClone(this.state.reviews.get(pr.number) ?? []);
  }

  async ensureComments(pr: PullRequest, marker: (part: number) => string, bodies: string[]): Promise<void> {
    this.state.calls.push(`ensureComments ${pr.number}`);
    const all = this.commentsOf(pr.number);
    const own = all.filter((c) => c.author === this.state.self);
    const kept = new Set<number>();
    bodies.forEach((body, i) => {
      const existing = own.find((c) => c.body.startsWith(marker(i)));
      if (existing) {
        existing.body = body;
        kept.add(existing.id);
      } else kept.add(this.postAs(pr.number, this.state.self, body).id);
    });
    const markers = Array.from({ length: 64 }, (_, i) => marker(i));
    this.state.comments.set(pr.number, this.commentsOf(pr.number).filter((c) => kept.has(c.id) || c.author !== this.state.self || !markers.some((m) => c.body.startsWith(m))));
  }

  async startCheck(pr: PullRequest, name: string): Promise<void> {
    this.state.calls.push(`startCheck ${name}`);
    this.state.checks.push({ name, sha: pr.headSha, status: 'running' });
  }

  async setCheck(pr: PullRequest, check: CheckResult): Promise<void> {
    this.state.calls.push(`setCheck ${check.name} ${check.conclusion}`);
    const running = this.state.checks.find((c) => c.sha === pr.headSha && c.name === check.name && c.status === 'running');
    if (running) Object.assign(running, { status: 'completed', result: check });
    else this.state.checks.push({ name: check.name, sha: pr.headSha, status: 'completed', result: check });
  }

  async getComment(pr: PullRequest, id: number): Promise<ForgeComment | null> {
    const c = this.commentsOf(pr.number).find((x) => x.id === id);
    return c ? { author: c.author, body: c.body, bot: c.author.endsWith('[bot]') } : null;
  }

  async react(pr: PullRequest, commentId: number, reaction: Reaction): Promise<void> {
    this.state.calls.push(`react ${reaction}`);
    const c = this.commentsOf(pr.number).find((x) => x.id === commentId);
    if (!c) throw Object.assign(new Error('no such comment'), { status: 404 });
    c.reactions.push(reaction);
  }

  async reply(pr: PullRequest, body: string): Promise<void> {
    this.state.calls.push(`reply ${pr.number}`);
    if (body.length > this.limits.comment) throw Object.assign(new Error('comment too long'), { status: 422 });
    this.postAs(pr.number, this.state.self, body);
  }

  async canWrite(_pr: PullRequest, user: string): Promise<boolean> {
    const p = this.state.permissions.get(user);
    return p === 'admin' || p === 'write';
  }

  async inTeam(pr: PullRequest, team: string, user: string): Promise<boolean> {
    const full = team.includes('/') ? team : `${pr.repo.path.split('/')[0]}/${team}`;
    return (this.state.teams.get(full) ?? []).includes(user);
  }

  /** What others reported on the commit (`state.commitChecks`), then Ferry's own checks, the latest per name. */
  async commitChecks(_pr: PullRequest, sha: string): Promise<CommitCheck[]> {
    const out = new Map((this.state.commitChecks.get(sha) ?? []).map((c) => [c.name, c]));
    for (const c of this.state.checks.filter((x) => x.sha === sha)) {
      out.set(c.name, { name: c.name, state: c.status !== 'completed' ? 'pending' : c.result!.conclusion === 'success' ? 'success' : 'failure' });
    }
    return [...out.values()];
  }

  async findOpenPulls(_pr: PullRequest, prefix: string): Promise<OpenedPullRequest[]> {
    return [...this.state.pulls.values()].filter((p) => p.state === 'open' && !p.fromFork && p.headRef.startsWith(prefix)).sort((a, b) => a.number - b.number).map(opened);
  }

  async openPull(_pr: PullRequest, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    this.state.calls.push(`openPull ${draft.head}`);
    const number = Math.max(0, ...this.state.pulls.keys()) + 1;
    return opened(this.putPull({ number, headRef: draft.head, baseRef: draft.base, title: draft.title, body: draft.body }));
  }

  async updatePull(_pr: PullRequest, number: number, draft: PullRequestDraft): Promise<OpenedPullRequest> {
    this.state.calls.push(`updatePull ${number}`);
    return opened(this.putPull({ number, title: draft.title, body: draft.body }));
  }

  async addLabels(_pr: PullRequest, number: number, labels: string[]): Promise<void> {
    this.state.labels.set(number, [...new Set([...(this.state.labels.get(number) ?? []), ...labels])]);
  }

  async pullsForCommit(_repo: RepoRef, sha: string): Promise<PullRequest[]> {
    return [...this.state.pulls.values()].filter((p) => p.mergeCommitSha === sha || p.headSha === sha).map((p) => structuredClone(p));
  }

  async getRepo(): Promise<RepoInfo> {
    return { ...this.state.repoInfo };
  }

  /** Read from the repository behind `repoInfo.cloneUrl` (a local bare repository in job tests). */
  async readFile(_repo: RepoRef, ref: string, path: string): Promise<Buffer | null> {
    this.state.calls.push(`readFile ${path}`);
    try {
      return execFileSync('git', ['--git-dir', this.state.repoInfo.cloneUrl, 'show', `${ref}:${path}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  }

  async setCommitCheck(_repo: RepoRef, sha: string, _branch: string, check: CheckResult): Promise<void> {
    this.state.calls.push(`setCommitCheck ${check.name} ${check.conclusion}`);
    this.state.checks.push({ name: check.name, sha, status: 'completed', result: check });
  }

  async readProtection(_repo: RepoRef, branch: string): Promise<ProtectionRead> {
    this.state.calls.push(`readProtection ${branch}`);
    if (this.state.administration === 'none') return { ok: false, problem: 'Ferry cannot read branch protection: grant Administration: read' };
    if (!this.state.branches.has(branch)) return { ok: false, problem: `the branch ${branch} does not exist`, missingBranch: true };
    const live = this.state.protection.get(branch);
    return { ok: true, live: live ? structuredClone(live) : { protection: null, rulesets: [] } };
  }

  async applyProtection(_repo: RepoRef, branch: string, settings: ProtectionSettings): Promise<void> {
    this.state.calls.push(`applyProtection ${branch}`);
    if (this.state.administration !== 'write') throw new Error(`Ferry cannot change the protection of ${branch}: grant Administration: write`);
    const rulesets = this.state.protection.get(branch)?.rulesets ?? [];
    this.state.protection.set(branch, { protection: structuredClone(settings), rulesets });
  }

  async ensureIssue(_repo: RepoRef, marker: string, issue: IssueDraft): Promise<EnsuredIssue | null> {
    this.state.calls.push(`ensureIssue ${issue.open ? 'open' : 'closed'}`);
    const own = this.state.issues.find((i) => i.state === 'open' && i.author === this.state.self && i.body.startsWith(marker));
    if (!issue.open) {
      if (!own) return null;
      Object.assign(own, { title: issue.title, body: issue.body, state: 'closed' });
      return { number: own.number, action: 'closed' };
    }
    if (own) {
      if (own.title === issue.title && own.body === issue.body) return { number: own.number, action: 'unchanged' };
      Object.assign(own, { title: issue.title, body: issue.body });
      return { number: own.number, action: 'updated' };
    }
    const number = Math.max(0, ...this.state.issues.map((i) => i.number), ...this.state.pulls.keys()) + 1;
    this.state.issues.push({ number, author: this.state.self, title: issue.title, body: issue.body, state: 'open' });
    return { number, action: 'created' };
  }
}

function opened(p: PullRequest): OpenedPullRequest {
  return { number: p.number, url: p.url, head: p.headRef, title: p.title, body: p.body };
}

/** A registry serving one fake forge for every reference. */
export class FakeForges implements ForgeRegistry {
  constructor(readonly fake: FakeForge) {}
  async forge(): Promise<Forge> {
    return this.fake;
  }
}
