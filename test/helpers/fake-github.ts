import { GitHubMock } from './github.js';

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
  reactions: string[];
}

interface Pull {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string;
  head: { sha: string; ref: string; repo: { full_name: string } };
  base: { sha: string; ref: string };
  merged_at: string | null;
  merge_commit_sha: string | null;
  draft: boolean;
  labels: string[];
}

const Q = '(?:\\?.*)?$';

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason?: string | null;
  user: { login: string; type: 'Bot' | 'User' };
}

/** Branch protection as GET /branches/{branch}/protection returns it (keys that are off are absent, as GitHub leaves them). */
export type RawProtection = Record<string, unknown>;

/** A PUT /branches/{branch}/protection body as GitHub then shows it on GET. */
export function protectionView(b: Record<string, any>): RawProtection { // eslint-disable-line @typescript-eslint/no-explicit-any
  const on = (v: unknown) => ({ enabled: !!v });
  const out: RawProtection = {
    url: 'https://api.github.example/protection',
    enforce_admins: { ...on(b.enforce_admins), url: 'https://api.github.example/enforce_admins' },
    required_linear_history: on(b.required_linear_history),
    allow_force_pushes: on(b.allow_force_pushes),
    allow_deletions: on(b.allow_deletions),
    block_creations: on(b.block_creations),
    required_conversation_resolution: on(b.required_conversation_resolution),
    lock_branch: on(b.lock_branch),
    allow_fork_syncing: on(b.allow_fork_syncing),
  };
  if (b.required_status_checks) {
    const contexts = b.required_status_checks.contexts ?? [];
    out.required_status_checks = { strict: !!b.required_status_checks.strict, contexts, checks: contexts.map((context: string) => ({ context, app_id: null })) };
  }
  if (b.required_pull_request_reviews) {
    const r = b.required_pull_request_reviews;
    out.required_pull_request_reviews = {
      dismiss_stale_reviews: !!r.dismiss_stale_reviews, require_code_owner_reviews: !!r.require_code_owner_reviews,
      required_approving_review_count: r.required_approving_review_count ?? 1, require_last_push_approval: !!r.require_last_push_approval,
    };
  }
  if (b.restrictions) {
    out.restrictions = { users: b.restrictions.users.map((login: string) => ({ login })), teams: b.restrictions.teams.map((slug: string) => ({ slug })), apps: (b.restrictions.apps ?? []).map((slug: string) => ({ slug })) };
  }
  return out;
}

/**
 * GitHub's REST API for one repository, with state, over nock (every route checked
 * against the OpenAPI description): what GitHubForge writes can be read back, so the
 * Forge contract suite runs against it as against any other forge.
 */
export class FakeGitHub {
  readonly mock: GitHubMock;
  readonly pulls = new Map<number, Pull>();
  readonly comments = new Map<number, Comment[]>();
  readonly permissions = new Map<string, string>();
  readonly teams = new Map<string, string[]>();
  readonly statuses = new Map<string, Array<{ context: string; state: string }>>();
  readonly reportedRuns = new Map<string, Array<{ name: string; status: string; conclusion: string | null }>>();
  /** PR number → submitted reviews, oldest first, as the REST API lists them. */
  readonly reviews = new Map<number, Array<{ login: string; state: string; commit_id: string }>>();
  readonly issues: Issue[] = [];
  readonly branches = new Set<string>(['main']);
  /** Branch → its protection as GET returns it. */
  readonly protection = new Map<string, RawProtection>();
  /** Branch → the active ruleset rules that apply to it, as GET /rules/branches/{branch} returns them. */
  readonly rules = new Map<string, unknown[]>();
  /** The app's Administration permission. */
  administration: 'none' | 'read' | 'write' = 'write';
  /** Where git fetches the repository (a local bare repository in job tests). */
  cloneUrl: string;
  /** `ref:path` → file content, as GET /contents serves it. */
  readonly files = new Map<string, string>();
  private nextId = 100;

  constructor(readonly owner: string, readonly repo: string, apiRoot = 'https://api.github.com', readonly botLogin = 'ferry[bot]') {
    const api = `/repos/${owner}/${repo}`;
    const esc = (s: string) => s.replace(/[.*+?^$()|[\]\\/]/g, '\\$&');
    const A = esc(api);
    const m = (this.mock = new GitHubMock(apiRoot));
    m.checkBodies = true;
    m.route('GET', '/app', () => [200, { id: 1, slug: botLogin.replace(/\[bot\]$/, ''), name: 'Ferry' }]);
    m.checkRuns(api);
    m.routeRe('GET', `${api}/pulls/1`, new RegExp(`^${A}/pulls/(\\d+)$`), (_b, x) => {
      const p = this.pulls.get(Number(x[1]));
      return p ? [200, this.view(p)] : [404, { message: 'Not Found' }];
    });
    m.routeRe('PATCH', `${api}/pulls/1`, new RegExp(`^${A}/pulls/(\\d+)$`), (b, x) => {
      const p = this.pulls.get(Number(x[1]));
      if (!p) return [404, { message: 'Not Found' }];
      Object.assign(p, b as object);
      return [200, this.view(p)];
    });
    m.routeRe('GET', `${api}/pulls/1/reviews`, new RegExp(`^${A}/pulls/(\\d+)/reviews${Q}`), (_b, x) => [200, (this.reviews.get(Number(x[1])) ?? []).map((r, i) => ({
      id: 500 + i, node_id: `R${i}`, user: { login: r.login, type: r.login.endsWith('[bot]') ? 'Bot' : 'User' }, body: '', state: r.state, commit_id: r.commit_id,
      html_url: `https://github.example/${owner}/${repo}/pull/${x[1]}#pullrequestreview-${500 + i}`, author_association: 'MEMBER',
    }))]);
    m.routeRe('GET', `${api}/pulls`, new RegExp(`^${A}/pulls${Q}`), (_b, _x, path) => {
      const state = new URL(path, 'https://x').searchParams.get('state') ?? 'open';
      return [200, [...this.pulls.values()].filter((p) => state === 'all' || p.state === state).sort((a, b) => a.number - b.number).map((p) => this.view(p))];
    });
    m.routeRe('POST', `${api}/pulls`, new RegExp(`^${A}/pulls$`), (b) => {
      const d = b as { head: string; base: string; title: string; body: string };
      const number = Math.max(0, ...this.pulls.keys()) + 1;
      const p = this.addPull({ number, title: d.title, body: d.body, head: { sha: 'e'.repeat(40), ref: d.head, repo: { full_name: `${owner}/${repo}` } }, base: { sha: 'b'.repeat(40), ref: d.base } });
      return [201, this.view(p)];
    });
    m.routeRe('GET', `${api}/issues/1/comments`, new RegExp(`^${A}/issues/(\\d+)/comments${Q}`), (_b, x) => [200, (this.comments.get(Number(x[1])) ?? []).map(({ reactions: _r, ...c }) => c)]);
    m.routeRe('POST', `${api}/issues/1/comments`, new RegExp(`^${A}/issues/(\\d+)/comments$`), (b, x) => {
      const body = (b as { body: string }).body;
      if (body.length > 65_536) return [422, { message: 'Validation Failed', errors: [{ message: 'body is too long (maximum is 65536 characters)' }] }];
      return [201, this.comment(Number(x[1]), botLogin, body)];
    });
    const find = (id: number) => [...this.comments.entries()].flatMap(([n, cs]) => cs.map((c) => ({ n, c }))).find((e) => e.c.id === id);
    m.routeRe('GET', `${api}/issues/comments/1`, new RegExp(`^${A}/issues/comments/(\\d+)$`), (_b, x) => {
      const e = find(Number(x[1]));
      if (!e) return [404, { message: 'Not Found' }];
      const { reactions: _r, ...c } = e.c;
      return [200, { ...c, issue_url: `${apiRoot}${api}/issues/${e.n}` }];
    });
    m.routeRe('PATCH', `${api}/issues/comments/1`, new RegExp(`^${A}/issues/comments/(\\d+)$`), (b, x) => {
      const e = find(Number(x[1]));
      if (!e) return [404, { message: 'Not Found' }];
      e.c.body = (b as { body: string }).body;
      return [200, e.c];
    });
    m.routeRe('DELETE', `${api}/issues/comments/1`, new RegExp(`^${A}/issues/comments/(\\d+)$`), (_b, x) => {
      const e = find(Number(x[1]));
      if (!e) return [404, { message: 'Not Found' }];
      this.comments.set(e.n, this.comments.get(e.n)!.filter((c) => c !== e.c));
      return [204, ''];
    });
    m.routeRe('POST', `${api}/issues/comments/1/reactions`, new RegExp(`^${A}/issues/comments/(\\d+)/reactions$`), (b, x) => {
      const e = find(Number(x[1]));
      if (!e) return [404, { message: 'Not Found' }];
      e.c.reactions.push((b as { content: string }).content);
      return [201, { id: this.nextId++, content: (b as { content: string }).content }];
    });
    m.routeRe('POST', `${api}/issues/1/labels`, new RegExp(`^${A}/issues/(\\d+)/labels$`), (b, x) => {
      const p = this.pulls.get(Number(x[1]));
      if (!p) return [404, { message: 'Not Found' }];
      p.labels = [...new Set([...p.labels, ...(b as { labels: string[] }).labels])];
      return [200, p.labels.map((name) => ({ name }))];
    });
    m.routeRe('GET', `${api}/collaborators/u/permission`, new RegExp(`^${A}/collaborators/([^/]+)/permission$`), (_b, x) => {
      const p = this.permissions.get(decodeURIComponent(x[1]!));
      return p ? [200, { permission: p, user: { login: x[1] } }] : [404, { message: 'Not Found' }];
    });
    m.routeRe('GET', '/orgs/o/teams/t/memberships/u', /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/, (_b, x) => {
      const members = this.teams.get(`${x[1]}/${x[2]}`.toLowerCase()) ?? [];
      return members.includes(decodeURIComponent(x[3]!)) ? [200, { state: 'active', role: 'member' }] : [404, { message: 'Not Found' }];
    });
    m.routeRe('GET', `${api}/commits/s/statuses`, new RegExp(`^${A}/commits/([^/]+)/statuses${Q}`), (_b, x) => [200, [...(this.statuses.get(x[1]!) ?? [])].reverse()]);
    m.routeRe('GET', `${api}/commits/s/check-runs`, new RegExp(`^${A}/commits/([^/]+)/check-runs${Q}`), (_b, x) => {
      // What other apps reported, then the runs Ferry created through the API.
      const own = [...m.runs.values()].filter((r) => r.repoPath === api && r.head_sha === x[1]).map((r) => ({ id: r.id, head_sha: r.head_sha, name: r.name, status: r.status ?? 'queued', conclusion: r.conclusion ?? null }));
      const runs = [...(this.reportedRuns.get(x[1]!) ?? []).map((r, i) => ({ id: i + 1, head_sha: x[1], ...r })), ...own];
      return [200, { total_count: runs.length, check_runs: runs }];
    });
    this.cloneUrl = `https://github.example/${owner}/${repo}.git`;
    m.route('GET', api, () => [200, { name: repo, full_name: `${owner}/${repo}`, default_branch: 'main', clone_url: this.cloneUrl }]);
    const NO_ACCESS: [number, unknown] = [403, { message: 'Resource not accessible by integration' }];
    m.routeRe('GET', `${api}/contents/README.md`, new RegExp(`^${A}/contents/(.+?)${Q}`), (_b, x, path) => {
      const ref = new URL(path, 'https://x').searchParams.get('ref') ?? 'main';
      const file = decodeURIComponent(x[1]!);
      const content = this.files.get(`${ref}:${file}`);
      return content === undefined ? [404, { message: 'Not Found' }] : [200, { type: 'file', name: file.split('/').at(-1), path: file, encoding: 'base64', content: Buffer.from(content).toString('base64'), size: content.length }];
    });
    m.routeRe('GET', `${api}/branches/main/protection`, new RegExp(`^${A}/branches/([^/]+)/protection$`), (_b, x) => {
      const branch = decodeURIComponent(x[1]!);
      if (this.administration === 'none') return NO_ACCESS;
      if (!this.branches.has(branch)) return [404, { message: 'Branch not found' }];
      const p = this.protection.get(branch);
      return p ? [200, p] : [404, { message: 'Branch not protected' }];
    });
    m.routeRe('PUT', `${api}/branches/main/protection`, new RegExp(`^${A}/branches/([^/]+)/protection$`), (b, x) => {
      const branch = decodeURIComponent(x[1]!);
      if (this.administration !== 'write') return NO_ACCESS;
      if (!this.branches.has(branch)) return [404, { message: 'Branch not found' }];
      this.protection.set(branch, protectionView(b as Record<string, unknown>));
      return [200, this.protection.get(branch)];
    });
    m.routeRe('GET', `${api}/rules/branches/main`, new RegExp(`^${A}/rules/branches/([^/?]+)${Q}`), (_b, x) => [200, this.rules.get(decodeURIComponent(x[1]!)) ?? []]);
    m.routeRe('GET', `${api}/issues`, new RegExp(`^${A}/issues${Q}`), (_b, _x, path) => {
      const state = new URL(path, 'https://x').searchParams.get('state') ?? 'open';
      return [200, this.issues.filter((i) => state === 'all' || i.state === state).map((i) => ({ ...i, id: i.number * 10 }))];
    });
    m.routeRe('POST', `${api}/issues`, new RegExp(`^${A}/issues$`), (b) => {
      const d = b as { title: string; body: string };
      const number = Math.max(0, ...this.pulls.keys(), ...this.issues.map((i) => i.number)) + 1;
      this.issues.push({ number, title: d.title, body: d.body, state: 'open', user: { login: botLogin, type: 'Bot' } });
      return [201, this.issues.at(-1)];
    });
    m.routeRe('PATCH', `${api}/issues/1`, new RegExp(`^${A}/issues/(\\d+)$`), (b, x) => {
      const i = this.issues.find((y) => y.number === Number(x[1]));
      if (!i) return [404, { message: 'Not Found' }];
      Object.assign(i, b as object);
      return [200, i];
    });
    m.routeRe('GET', `${api}/commits/s/pulls`, new RegExp(`^${A}/commits/([^/]+)/pulls${Q}`), (_b, x) => [200, [...this.pulls.values()].filter((p) => p.merge_commit_sha === x[1] || p.head.sha === x[1]).map((p) => this.view(p))]);
  }

  addPull(p: Partial<Pull> & { number: number }): Pull {
    const full: Pull = {
      state: 'open', title: `PR ${p.number}`, body: '', head: { sha: 'a'.repeat(40), ref: `branch-${p.number}`, repo: { full_name: `${this.owner}/${this.repo}` } },
      base: { sha: 'b'.repeat(40), ref: 'main' }, merged_at: null, merge_commit_sha: null, draft: false, labels: [], ...p,
    };
    this.pulls.set(p.number, full);
    return full;
  }

  comment(number: number, login: string, body: string): Comment {
    const c: Comment = { id: this.nextId++, body, user: { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' }, reactions: [] };
    this.comments.set(number, [...(this.comments.get(number) ?? []), c]);
    return c;
  }

  /** A pull request as the REST API returns it. */
  private view(p: Pull) {
    const repo = { name: this.repo, full_name: `${this.owner}/${this.repo}`, owner: { login: this.owner }, clone_url: `https://github.example/${this.owner}/${this.repo}.git` };
    return {
      number: p.number, state: p.state, title: p.title, body: p.body, draft: p.draft, merged: !!p.merged_at, merged_at: p.merged_at, merge_commit_sha: p.merge_commit_sha,
      html_url: `https://github.example/${this.owner}/${this.repo}/pull/${p.number}`, user: { login: 'alice' },
      head: { ...p.head }, base: { ...p.base, repo }, labels: p.labels.map((name) => ({ name })),
    };
  }
}
