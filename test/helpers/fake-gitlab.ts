import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { GITLAB_ROUTES, matchGitLabRoute, type GitLabRoute, type GitLabRouteKey } from './gitlab-routes.js';

export interface User {
  id: number;
  username: string;
  state: 'active' | 'blocked';
}

export interface Project {
  id: number;
  /** `group/sub/project`. */
  path: string;
  /** What `http_url_to_repo` says: a real bare repository in end-to-end tests. */
  cloneUrl?: string;
  /** Branches that exist (`main` always does). */
  branches: Set<string>;
  /** Protected branches by name. */
  protected: Map<string, { id: number; allow_force_push: boolean; push_access_level: number; merge_access_level: number }>;
  approvalRules: Array<{ id: number; name: string; approvals_required: number; protected_branch_ids: number[] }>;
  resetApprovalsOnPush: boolean;
  pipelineMustSucceed: boolean;
  issues: Array<{ iid: number; title: string; description: string; state: 'opened' | 'closed'; author: string }>;
  /** `ref:path` → file content. */
  files: Map<string, string>;
}

export interface MergeRequest {
  id: number;
  iid: number;
  projectId: number;
  sourceProjectId: number | null;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  sha: string;
  /** diff_refs.base_sha (merge base) and start_sha (target tip). */
  base_sha: string;
  start_sha: string;
  merge_commit_sha: string | null;
  squash_commit_sha: string | null;
  merged_at: string | null;
  draft: boolean;
  labels: string[];
  author: string;
  /** Usernames that approve the merge request now, in the order they approved. */
  approvedBy: string[];
}

export interface Note {
  id: number;
  projectId: number;
  iid: number;
  body: string;
  author: string;
  system: boolean;
  awards: Array<{ name: string; user: string }>;
  updated: number;
}

export interface Status {
  id: number;
  projectId: number;
  sha: string;
  ref: string;
  name: string;
  status: string;
  description: string | null;
  target_url: string | null;
  author: string;
  pipelineId: number;
}

export interface Pipeline {
  id: number;
  projectId: number;
  sha: string;
  ref: string;
  source: string;
  /** Set for a CI pipeline; an external one's status follows its statuses. */
  status?: string;
}

export interface Recorded {
  method: string;
  /** As sent, path encoding included (`/projects/acme%2Fplatform%2Fgitops/…`). */
  path: string;
  route: string | null;
  status: number;
}

type Reply = [number, unknown, Record<string, string>?];
interface Ctx {
  params: Record<string, string>;
  input: Record<string, unknown>;
  user: User;
  url: URL;
}
type Handler = (ctx: Ctx) => Reply;

const NOT_FOUND = (what = 'Not found'): Reply => [404, { message: `404 ${what}` }];

/** Where a status event moves, as CommitStatus's state machine allows it (Ci::HasStatus). */
const TRANSITIONS: Record<string, { event: string; from: string[] }> = {
  success: { event: 'success', from: ['created', 'pending', 'running'] },
  failed: { event: 'drop', from: ['created', 'pending', 'running'] },
  canceled: { event: 'cancel', from: ['created', 'pending', 'running'] },
  skipped: { event: 'skip', from: ['created', 'pending'] },
};

/** A commit SHA for a branch head the tests did not set. */
const shaOf = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * GitLab's REST API over nock, with state: merge requests, notes, award emoji, commit
 * statuses, pipelines, users, project and group members. Only routes in GITLAB_ROUTES are
 * served (registering another throws), a parameter the table does not list for its route is
 * refused with 400, and every request must carry the token (PRIVATE-TOKEN or a Bearer
 * header) or it gets GitLab's 401.
 */
export class FakeGitLab {
  readonly users = new Map<number, User>();
  readonly projects = new Map<number, Project>();
  readonly mrs: MergeRequest[] = [];
  readonly notes: Note[] = [];
  readonly statuses: Status[] = [];
  readonly pipelines: Pipeline[] = [];
  /** Access levels by project id, then user id. */
  readonly projectMembers = new Map<number, Map<number, number>>();
  /** Groups by lower-cased full path: their id and members' access levels. */
  readonly groups = new Map<string, { id: number; path: string; members: Map<number, number> }>();
  readonly requests: Recorded[] = [];
  /** Requests no route of the table matched: a test fails on them in `close()`. */
  readonly unrouted: string[] = [];
  readonly bot: User;
  /** What Ferry's user may do with protected branches and approval settings (the Maintainer role writes them). */
  protectionAccess: 'none' | 'read' | 'write' = 'write';
  private readonly handlers = new Map<string, Handler>();
  private readonly failures = new Map<string, Reply[]>();
  private nextId = 100;
  private clock = 0;
  private readonly scope: nock.Scope | null;
  /** The API's path on the host: `/api/v4`, or `/gitlab/api/v4` under a relative URL. */
  private readonly api: string;

  constructor(
    readonly url = 'https://gitlab.example.test',
    readonly token = 'glpat-fake-token-9f3a1c',
    botUsername = 'ferry-bot',
    /** Largest page GitLab serves here (100 on GitLab), small in tests so every list spans pages. */
    readonly maxPerPage = 100,
    /** False: no nock; requests arrive through `serve()` (a real HTTP server). */
    intercept = true,
  ) {
    this.bot = this.addUser(botUsername);
    this.routes();
    // An instance can live under a relative URL (https://host/gitlab): its API is then at /gitlab/api/v4.
    const u = new URL(url);
    this.api = `${u.pathname.replace(/\/+$/, '')}/api/v4`;
    this.scope = intercept ? nock(u.origin).persist() : null;
    if (!this.scope) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    const under = new RegExp(`^${this.api.replace(/[.*+?^$()|[\]\\/]/g, '\\$&')}/`);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      this.scope!.intercept(under, method).reply(function (this: { req: { headers: Record<string, string | string[]> } }, uri, body) {
        return fake.handle(method, uri, body, this.req.headers);
      });
    }
  }

  // --- state the tests set up ---------------------------------------------------------

  addUser(username: string, state: User['state'] = 'active'): User {
    const existing = this.userByName(username);
    if (existing) return existing;
    const u: User = { id: this.nextId++, username, state };
    this.users.set(u.id, u);
    return u;
  }

  addProject(path: string, cloneUrl?: string): Project {
    const p: Project = {
      id: this.nextId++, path, ...(cloneUrl ? { cloneUrl } : {}),
      branches: new Set(['main']), protected: new Map(), approvalRules: [], resetApprovalsOnPush: false, pipelineMustSucceed: false, issues: [], files: new Map(),
    };
    this.projects.set(p.id, p);
    return p;
  }

  addMergeRequest(project: Project, mr: Partial<MergeRequest> & { iid: number }): MergeRequest {
    const full: MergeRequest = {
      id: this.nextId++, projectId: project.id, sourceProjectId: project.id, title: `MR ${mr.iid}`, description: '', state: 'opened',
      source_branch: `branch-${mr.iid}`, target_branch: 'main', sha: 'a'.repeat(40), base_sha: 'b'.repeat(40), start_sha: 'b'.repeat(40),
      merge_commit_sha: null, squash_commit_sha: null, merged_at: null, draft: false, labels: [], author: 'alice', approvedBy: [], ...mr,
    };
    this.mrs.push(full);
    return full;
  }

  mr(project: Project, iid: number): MergeRequest | undefined {
    return this.mrs.find((m) => m.projectId === project.id && m.iid === iid);
  }

  note(project: Project, iid: number, author: string, body: string, system = false): Note {
    this.addUser(author);
    const n: Note = { id: this.nextId++, projectId: project.id, iid, body, author, system, awards: [], updated: ++this.clock };
    this.notes.push(n);
    return n;
  }

  notesOf(project: Project, iid: number): Note[] {
    return this.notes.filter((n) => n.projectId === project.id && n.iid === iid);
  }

  /** A direct project member at an access level (10 Guest, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner). */
  grant(project: Project, username: string, level: number): void {
    const u = this.addUser(username);
    const members = this.projectMembers.get(project.id) ?? new Map<number, number>();
    members.set(u.id, level);
    this.projectMembers.set(project.id, members);
  }

  /** A group (and the members given) by its full path. */
  group(path: string, members: Record<string, number> = {}): void {
    const g = this.groups.get(path.toLowerCase()) ?? { id: this.nextId++, path, members: new Map<number, number>() };
    for (const [username, level] of Object.entries(members)) g.members.set(this.addUser(username).id, level);
    this.groups.set(path.toLowerCase(), g);
  }

  pipeline(project: Project, sha: string, opts: { ref?: string; status?: string; source?: string } = {}): Pipeline {
    const p: Pipeline = { id: this.nextId++, projectId: project.id, sha, ref: opts.ref ?? 'main', source: opts.source ?? 'push', ...(opts.status ? { status: opts.status } : {}) };
    this.pipelines.push(p);
    return p;
  }

  /** A status another system (or a CI job) put on a commit, in a pipeline of its own unless one is given. */
  reportStatus(project: Project, sha: string, name: string, status: string, opts: { author?: string; ref?: string; pipeline?: Pipeline } = {}): Status {
    const author = opts.author ?? 'ci-bot';
    this.addUser(author);
    const pipeline = opts.pipeline ?? this.pipeline(project, sha, { ref: opts.ref, source: 'external' });
    const s: Status = { id: this.nextId++, projectId: project.id, sha, ref: pipeline.ref, name, status, description: null, target_url: null, author, pipelineId: pipeline.id };
    this.statuses.push(s);
    return s;
  }

  /** The next requests to this route get these answers instead (then the route works again). */
  failNext(key: GitLabRouteKey, ...replies: Reply[]): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), ...replies]);
  }

  count(key: GitLabRouteKey): number {
    return this.requests.filter((r) => r.route === key).length;
  }

  /**
   * The same fake as a real HTTP server on 127.0.0.1, for code in another process (a CI
   * job's entry), where nock cannot reach: `url` is the server's. Close it with `stop()`.
   */
  static async serve(token?: string, botUsername?: string): Promise<FakeGitLab & { stop: () => Promise<void> }> {
    const server = http.createServer();
    // Longer than a client keeps an idle connection, so the server never closes one a request is being sent on (ECONNRESET under load).
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeGitLab(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, botUsername, 100, false);
    const under = `${fake.api}/`;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const method = req.method ?? 'GET';
        const raw = Buffer.concat(chunks).toString('utf8');
        const [status, body, headers] = (req.url ?? '').startsWith(under) && ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)
          ? fake.handle(method, req.url!, raw, req.headers as Record<string, string | string[]>)
          : [404, { error: '404 Not Found' }, { 'content-type': 'application/json' }] as Reply;
        res.writeHead(status, headers);
        res.end(status === 204 ? undefined : JSON.stringify(body));
      });
    });
    return Object.assign(fake, {
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        fake.close();
      },
    });
  }

  /** Stops intercepting; throws when a request matched no route of the table. */
  close(): void {
    if (this.scope) {
      this.scope.persist(false);
      nock.cleanAll();
    }
    if (this.unrouted.length) throw new Error(`requests outside GITLAB_ROUTES:\n${this.unrouted.join('\n')}`);
  }

  // --- the HTTP side --------------------------------------------------------------------

  private on(key: GitLabRouteKey, handler: Handler): void {
    if (!(GITLAB_ROUTES as readonly GitLabRoute[]).some((r) => `${r.method} ${r.path}` === key)) {
      throw new Error(`${key} is not in GITLAB_ROUTES: check it against GitLab's REST docs and add it there`);
    }
    this.handlers.set(key, handler);
  }

  private handle(method: string, uri: string, rawBody: unknown, headers: Record<string, string | string[]>): Reply {
    const url = new URL(uri, new URL(this.url).origin);
    const path = url.pathname.slice(this.api.length);
    const match = matchGitLabRoute(method, path);
    const key = match ? `${method} ${match.route.path}` : null;
    const reply = this.answer(method, url, path, match, key, rawBody, headers);
    this.requests.push({ method, path, route: key, status: reply[0] });
    return [reply[0], reply[1], { 'content-type': 'application/json', ...reply[2] }];
  }

  private answer(
    method: string, url: URL, path: string, match: ReturnType<typeof matchGitLabRoute>, key: string | null, rawBody: unknown,
    headers: Record<string, string | string[]>,
  ): Reply {
    const user = this.authenticate(headers);
    if (!user) return [401, { message: '401 Unauthorized' }];
    if (!match || !key) {
      this.unrouted.push(`${method} ${path}`);
      return [404, { error: '404 Not Found' }];
    }
    const failure = this.failures.get(key)?.shift();
    if (failure) return failure;
    const input: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const body = typeof rawBody === 'string' && rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : (rawBody as Record<string, unknown> | undefined);
    if (body && typeof body === 'object') Object.assign(input, body);
    const allowed = { ...match.route.params, ...(match.route.paginated ? { page: null, per_page: null } : {}) } as Record<string, readonly string[] | null>;
    for (const [name, value] of Object.entries(input)) {
      if (!(name in allowed)) return [400, { error: `${name} is not a documented parameter of ${key} (gitlab-routes.ts)` }];
      const values = allowed[name];
      if (values && !values.includes(String(value))) return [400, { error: `${name} does not have a valid value` }];
    }
    return this.handlers.get(key)!({ params: match.params, input, user, url });
  }

  private authenticate(headers: Record<string, string | string[]>): User | null {
    const privateToken = headers['private-token'];
    const bearer = String(headers.authorization ?? '').replace(/^Bearer /, '');
    return privateToken === this.token || bearer === this.token ? this.bot : null;
  }

  private userByName(username: string): User | undefined {
    return [...this.users.values()].find((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  private project(id: string): Project | undefined {
    return /^\d+$/.test(id) ? this.projects.get(Number(id)) : [...this.projects.values()].find((p) => p.path.toLowerCase() === id.toLowerCase());
  }

  /** One page of a list, with GitLab's pagination headers and `Link`. */
  private page<T>(items: T[], ctx: Ctx, view: (t: T) => unknown): Reply {
    const per = Math.min(Number(ctx.input.per_page) || 20, 100, this.maxPerPage);
    const page = Math.max(1, Number(ctx.input.page) || 1);
    const pages = Math.max(1, Math.ceil(items.length / per));
    const link = (p: number) => {
      const u = new URL(ctx.url);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(per));
      return u.toString();
    };
    const links = [...(page < pages ? [`<${link(page + 1)}>; rel="next"`] : []), `<${link(1)}>; rel="first"`, `<${link(pages)}>; rel="last"`];
    return [200, items.slice((page - 1) * per, page * per).map(view), {
      'x-page': String(page), 'x-per-page': String(per), 'x-total': String(items.length), 'x-total-pages': String(pages),
      'x-next-page': page < pages ? String(page + 1) : '', 'x-prev-page': page > 1 ? String(page - 1) : '', link: links.join(', '),
    }];
  }

  private userView(u: User) {
    return { id: u.id, username: u.username, name: u.username, state: u.state, avatar_url: null, web_url: `${this.url}/${u.username}` };
  }

  private projectView(p: Project) {
    return {
      id: p.id, path_with_namespace: p.path, path: p.path.split('/').at(-1), namespace: { full_path: p.path.split('/').slice(0, -1).join('/') },
      http_url_to_repo: p.cloneUrl ?? `${this.url}/${p.path}.git`, web_url: `${this.url}/${p.path}`, default_branch: 'main',
      only_allow_merge_if_pipeline_succeeds: p.pipelineMustSucceed,
    };
  }

  private mrView(m: MergeRequest, single: boolean) {
    const p = this.projects.get(m.projectId)!;
    const author = this.addUser(m.author);
    return {
      id: m.id, iid: m.iid, project_id: m.projectId, title: m.title, description: m.description, state: m.state,
      merged_at: m.merged_at, target_branch: m.target_branch, source_branch: m.source_branch,
      source_project_id: m.sourceProjectId, target_project_id: m.projectId, labels: [...m.labels], draft: m.draft, work_in_progress: m.draft,
      sha: m.sha, merge_commit_sha: m.merge_commit_sha, squash_commit_sha: m.squash_commit_sha,
      web_url: `${this.url}/${p.path}/-/merge_requests/${m.iid}`, author: this.userView(author), references: { full: `${p.path}!${m.iid}` },
      ...(single ? { diff_refs: { base_sha: m.base_sha, head_sha: m.sha, start_sha: m.start_sha } } : {}),
    };
  }

  private noteView(n: Note) {
    return {
      id: n.id, type: null, body: n.body, attachment: null, author: this.userView(this.userByName(n.author)!), system: n.system,
      noteable_type: 'MergeRequest', noteable_iid: n.iid, project_id: n.projectId, resolvable: false, confidential: false, internal: false,
    };
  }

  private statusView(s: Status) {
    return {
      id: s.id, sha: s.sha, ref: s.ref, status: s.status, name: s.name, description: s.description, target_url: s.target_url,
      allow_failure: false, coverage: null, pipeline_id: s.pipelineId, author: this.userView(this.userByName(s.author)!),
    };
  }

  /** An external pipeline is as far as its statuses: failed if any failed, running while any runs, success when all passed. */
  private pipelineStatus(p: Pipeline): string {
    if (p.status) return p.status;
    const states = this.statuses.filter((s) => s.pipelineId === p.id).map((s) => s.status);
    if (states.some((s) => s === 'failed')) return 'failed';
    if (states.some((s) => s === 'running')) return 'running';
    if (states.some((s) => s === 'pending' || s === 'created')) return 'pending';
    if (states.some((s) => s === 'canceled')) return 'canceled';
    return states.length ? 'success' : 'created';
  }

  /** A user's access to a project or group path: the highest of its own and its ancestors' memberships. */
  private access(path: string, userId: number, projectId?: number): number {
    const levels = [projectId !== undefined ? (this.projectMembers.get(projectId)?.get(userId) ?? 0) : 0];
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) levels.push(this.groups.get(parts.slice(0, i).join('/').toLowerCase())?.members.get(userId) ?? 0);
    return Math.max(...levels);
  }

  private memberView(u: User, level: number) {
    return { ...this.userView(u), access_level: level, created_at: '2024-01-01T00:00:00Z', expires_at: null };
  }

  private routes(): void {
    const withProject = (h: (p: Project, ctx: Ctx) => Reply): Handler => (ctx) => {
      const p = this.project(ctx.params.id!);
      return p ? h(p, ctx) : NOT_FOUND('Project Not Found');
    };
    const FORBIDDEN: Reply = [403, { message: '403 Forbidden' }];
    const reading = (h: (p: Project, ctx: Ctx) => Reply) => withProject((p, ctx) => (this.protectionAccess === 'none' ? FORBIDDEN : h(p, ctx)));
    const writing = (h: (p: Project, ctx: Ctx) => Reply) => withProject((p, ctx) => (this.protectionAccess !== 'write' ? FORBIDDEN : h(p, ctx)));
    const pbView = (name: string, b: Project['protected'] extends Map<string, infer V> ? V : never) => ({
      id: b.id, name, allow_force_push: b.allow_force_push, code_owner_approval_required: false,
      push_access_levels: [{ id: b.id * 10, access_level: b.push_access_level, access_level_description: String(b.push_access_level) }],
      merge_access_levels: [{ id: b.id * 10 + 1, access_level: b.merge_access_level, access_level_description: String(b.merge_access_level) }],
    });
    this.on('GET /projects/:id/repository/files/:file_path', withProject((p, ctx) => {
      const content = p.files.get(`${String(ctx.input.ref)}:${ctx.params.file_path}`);
      return content === undefined ? NOT_FOUND('File Not Found') : [200, { file_name: ctx.params.file_path!.split('/').at(-1), file_path: ctx.params.file_path, encoding: 'base64', content: Buffer.from(content).toString('base64'), ref: ctx.input.ref }];
    }));
    this.on('PUT /projects/:id', writing((p, ctx) => {
      if (ctx.input.only_allow_merge_if_pipeline_succeeds !== undefined) p.pipelineMustSucceed = String(ctx.input.only_allow_merge_if_pipeline_succeeds) === 'true';
      return [200, this.projectView(p)];
    }));
    this.on('GET /projects/:id/repository/branches/:branch', withProject((p, ctx) => (p.branches.has(ctx.params.branch!) ? [200, { name: ctx.params.branch, protected: p.protected.has(ctx.params.branch!) }] : NOT_FOUND('Branch Not Found'))));
    this.on('GET /projects/:id/protected_branches/:name', reading((p, ctx) => {
      const b = p.protected.get(ctx.params.name!);
      return b ? [200, pbView(ctx.params.name!, b)] : NOT_FOUND('Not found');
    }));
    this.on('POST /projects/:id/protected_branches', writing((p, ctx) => {
      const name = String(ctx.input.name);
      if (p.protected.has(name)) return [409, { message: 'Protected branch \'' + name + '\' already exists' }];
      const b = { id: this.nextId++, allow_force_push: String(ctx.input.allow_force_push) === 'true', push_access_level: Number(ctx.input.push_access_level ?? 40), merge_access_level: Number(ctx.input.merge_access_level ?? 40) };
      p.protected.set(name, b);
      return [201, pbView(name, b)];
    }));
    this.on('PATCH /projects/:id/protected_branches/:name', writing((p, ctx) => {
      const b = p.protected.get(ctx.params.name!);
      if (!b) return NOT_FOUND('Not found');
      if (ctx.input.allow_force_push !== undefined) b.allow_force_push = String(ctx.input.allow_force_push) === 'true';
      return [200, pbView(ctx.params.name!, b)];
    }));
    this.on('GET /projects/:id/approvals', reading((p) => [200, { approvals_before_merge: 0, reset_approvals_on_push: p.resetApprovalsOnPush, disable_overriding_approvers_per_merge_request: false }]));
    this.on('POST /projects/:id/approvals', writing((p, ctx) => {
      if (ctx.input.reset_approvals_on_push !== undefined) p.resetApprovalsOnPush = String(ctx.input.reset_approvals_on_push) === 'true';
      return [201, { reset_approvals_on_push: p.resetApprovalsOnPush }];
    }));
    const ruleView = (p: Project, r: Project['approvalRules'][number]) => ({
      id: r.id, name: r.name, rule_type: 'regular', approvals_required: r.approvals_required, applies_to_all_protected_branches: false,
      protected_branches: r.protected_branch_ids.flatMap((id) => [...p.protected].filter(([, b]) => b.id === id).map(([name]) => ({ id, name }))),
    });
    this.on('GET /projects/:id/approval_rules', reading((p, ctx) => this.page(p.approvalRules, ctx, (r) => ruleView(p, r))));
    this.on('POST /projects/:id/approval_rules', writing((p, ctx) => {
      const r = { id: this.nextId++, name: String(ctx.input.name), approvals_required: Number(ctx.input.approvals_required), protected_branch_ids: (ctx.input.protected_branch_ids as number[] | undefined ?? []).map(Number) };
      p.approvalRules.push(r);
      return [201, ruleView(p, r)];
    }));
    this.on('PUT /projects/:id/approval_rules/:approval_rule_id', writing((p, ctx) => {
      const r = p.approvalRules.find((x) => x.id === Number(ctx.params.approval_rule_id));
      if (!r) return NOT_FOUND('Not found');
      if (ctx.input.approvals_required !== undefined) r.approvals_required = Number(ctx.input.approvals_required);
      if (ctx.input.protected_branch_ids !== undefined) r.protected_branch_ids = (ctx.input.protected_branch_ids as number[]).map(Number);
      return [200, ruleView(p, r)];
    }));
    const issueView = (p: Project, i: Project['issues'][number]) => ({
      id: i.iid * 1000, iid: i.iid, project_id: p.id, title: i.title, description: i.description, state: i.state, author: this.userView(this.userByName(i.author)!),
    });
    this.on('GET /projects/:id/issues', withProject((p, ctx) => {
      const state = String(ctx.input.state ?? 'all');
      const author = ctx.input.author_username === undefined ? null : String(ctx.input.author_username).toLowerCase();
      return this.page(p.issues.filter((i) => (state === 'all' || i.state === state) && (author === null || i.author.toLowerCase() === author)), ctx, (i) => issueView(p, i));
    }));
    this.on('POST /projects/:id/issues', withProject((p, ctx) => {
      const i = { iid: Math.max(0, ...p.issues.map((x) => x.iid)) + 1, title: String(ctx.input.title), description: String(ctx.input.description ?? ''), state: 'opened' as const, author: ctx.user.username };
      p.issues.push(i);
      return [201, issueView(p, i)];
    }));
    this.on('PUT /projects/:id/issues/:issue_iid', withProject((p, ctx) => {
      const i = p.issues.find((x) => x.iid === Number(ctx.params.issue_iid));
      if (!i) return NOT_FOUND('Not found');
      if (ctx.input.title !== undefined) i.title = String(ctx.input.title);
      if (ctx.input.description !== undefined) i.description = String(ctx.input.description);
      if (ctx.input.state_event === 'close') i.state = 'closed';
      return [200, issueView(p, i)];
    }));
    const withMr = (h: (m: MergeRequest, p: Project, ctx: Ctx) => Reply): Handler => withProject((p, ctx) => {
      const m = this.mr(p, Number(ctx.params.merge_request_iid));
      return m ? h(m, p, ctx) : NOT_FOUND('Not found');
    });
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

    this.on('GET /user', (ctx) => [200, this.userView(ctx.user)]);
    this.on('GET /users', (ctx) => {
      const u = ctx.input.username ? this.userByName(String(ctx.input.username)) : undefined;
      return this.page(u ? [u] : [], ctx, (x) => this.userView(x));
    });
    this.on('GET /projects/:id', withProject((p) => [200, this.projectView(p)]));

    this.on('GET /projects/:id/members/all/:user_id', withProject((p, ctx) => {
      const u = this.users.get(Number(ctx.params.user_id));
      const level = u ? this.access(p.path, u.id, p.id) : 0;
      return u && level ? [200, this.memberView(u, level)] : NOT_FOUND();
    }));
    this.on('GET /groups/:id/members/all/:user_id', (ctx) => {
      const id = ctx.params.id!;
      const g = /^\d+$/.test(id) ? [...this.groups.values()].find((x) => x.id === Number(id)) : this.groups.get(id.toLowerCase());
      if (!g) return NOT_FOUND('Group Not Found');
      const u = this.users.get(Number(ctx.params.user_id));
      const level = u ? this.access(g.path, u.id) : 0;
      return u && level ? [200, this.memberView(u, level)] : NOT_FOUND();
    });

    this.on('GET /projects/:id/merge_requests', withProject((p, ctx) => {
      const { state = 'all', source_branch, target_branch, order_by = 'created_at', sort = 'desc' } = ctx.input as Record<string, string>;
      if (order_by !== 'created_at') throw new Error(`the fake orders merge requests by created_at only, not ${order_by}`);
      const list = this.mrs
        .filter((m) => m.projectId === p.id && (state === 'all' || m.state === state))
        .filter((m) => (!source_branch || m.source_branch === source_branch) && (!target_branch || m.target_branch === target_branch))
        .sort((a, b) => (sort === 'asc' ? a.id - b.id : b.id - a.id));
      return this.page(list, ctx, (m) => this.mrView(m, false));
    }));
    this.on('POST /projects/:id/merge_requests', withProject((p, ctx) => {
      const { source_branch, target_branch, title, description } = ctx.input as Record<string, string | undefined>;
      const missing = Object.entries({ source_branch, target_branch, title }).filter(([, v]) => !v).map(([k]) => k);
      if (missing.length) return [400, { error: `${missing.join(', ')} is missing` }];
      if ((description ?? '').length > 1_048_576) return [400, { message: { description: ['is too long (maximum is 1048576 characters)'] } }];
      const clash = this.mrs.find((m) => m.projectId === p.id && m.state === 'opened' && m.source_branch === source_branch && m.target_branch === target_branch);
      if (clash) return [409, { message: [`Another open merge request already exists for this source branch: !${clash.iid}`] }];
      const iid = Math.max(0, ...this.mrs.filter((m) => m.projectId === p.id).map((m) => m.iid)) + 1;
      const m = this.addMergeRequest(p, {
        iid, title: title!, description: description ?? '', source_branch: source_branch!, target_branch: target_branch!, sha: shaOf(source_branch!), author: ctx.user.username,
      });
      return [201, this.mrView(m, true)];
    }));
    this.on('GET /projects/:id/merge_requests/:merge_request_iid', withMr((m) => [200, this.mrView(m, true)]));
    this.on('GET /projects/:id/merge_requests/:merge_request_iid/approvals', withMr((m) => [200, {
      id: m.id, iid: m.iid, project_id: m.projectId, title: m.title, state: m.state, approved: m.approvedBy.length > 0,
      approvals_required: 0, approvals_left: 0, approved_by: m.approvedBy.map((u) => ({ user: this.userView(this.addUser(u)) })),
    }]));
    this.on('PUT /projects/:id/merge_requests/:merge_request_iid', withMr((m, _p, ctx) => {
      const { title, description, add_labels, labels } = ctx.input;
      if (title !== undefined) m.title = String(title);
      if (description !== undefined) m.description = String(description);
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((s) => s.trim()).filter(Boolean);
      if (labels !== undefined) m.labels = list(labels);
      if (add_labels !== undefined) m.labels = [...new Set([...m.labels, ...list(add_labels)])];
      return [200, this.mrView(m, true)];
    }));

    this.on('GET /projects/:id/merge_requests/:merge_request_iid/notes', withMr((m, p, ctx) => {
      const { sort = 'desc', order_by = 'created_at' } = ctx.input as Record<string, string>;
      const by = (n: Note) => (order_by === 'updated_at' ? n.updated : n.id);
      const list = this.notesOf(p, m.iid).sort((a, b) => (sort === 'asc' ? by(a) - by(b) : by(b) - by(a)));
      return this.page(list, ctx, (n) => this.noteView(n));
    }));
    this.on('POST /projects/:id/merge_requests/:merge_request_iid/notes', withMr((m, p, ctx) => {
      const body = str(ctx.input.body);
      if (!body) return [400, { error: 'body is missing' }];
      if (body.length > 1_000_000) return [400, { message: { note: ['is too long (maximum is 1000000 characters)'] } }];
      return [201, this.noteView(this.note(p, m.iid, ctx.user.username, body))];
    }));
    const ownNote = (h: (n: Note, ctx: Ctx) => Reply): Handler => withMr((m, p, ctx) => {
      const n = this.notesOf(p, m.iid).find((x) => x.id === Number(ctx.params.note_id));
      if (!n) return NOT_FOUND('Note Not Found');
      return n.author === ctx.user.username ? h(n, ctx) : [403, { message: '403 Forbidden' }];
    });
    this.on('GET /projects/:id/merge_requests/:merge_request_iid/notes/:note_id', withMr((m, p, ctx) => {
      const n = this.notesOf(p, m.iid).find((x) => x.id === Number(ctx.params.note_id));
      return n ? [200, this.noteView(n)] : NOT_FOUND('Note Not Found');
    }));
    this.on('PUT /projects/:id/merge_requests/:merge_request_iid/notes/:note_id', ownNote((n, ctx) => {
      const body = str(ctx.input.body);
      if (!body) return [400, { error: 'body is missing' }];
      if (body.length > 1_000_000) return [400, { message: { note: ['is too long (maximum is 1000000 characters)'] } }];
      n.body = body;
      n.updated = ++this.clock;
      return [200, this.noteView(n)];
    }));
    this.on('DELETE /projects/:id/merge_requests/:merge_request_iid/notes/:note_id', ownNote((n) => {
      this.notes.splice(this.notes.indexOf(n), 1);
      return [204, ''];
    }));
    this.on('POST /projects/:id/merge_requests/:merge_request_iid/notes/:note_id/award_emoji', withMr((m, p, ctx) => {
      const n = this.notesOf(p, m.iid).find((x) => x.id === Number(ctx.params.note_id));
      if (!n) return NOT_FOUND('Not found');
      const name = str(ctx.input.name) ?? '';
      if (!/^[a-z0-9_+-]+$/.test(name)) return NOT_FOUND('Award Emoji Name is not a valid emoji name Not Found');
      if (n.awards.some((a) => a.name === name && a.user === ctx.user.username)) return NOT_FOUND('Award Emoji Name has already been taken Not Found');
      n.awards.push({ name, user: ctx.user.username });
      return [201, { id: this.nextId++, name, user: this.userView(ctx.user), awardable_id: n.id, awardable_type: 'Note' }];
    }));

    this.on('POST /projects/:id/statuses/:sha', withProject((p, ctx) => this.postStatus(p, ctx)));
    this.on('GET /projects/:id/repository/commits/:sha/statuses', withProject((p, ctx) => {
      const { ref, name, sort = 'asc', order_by = 'id' } = ctx.input as Record<string, string>;
      const key = (s: Status) => (order_by === 'pipeline_id' ? s.pipelineId : s.id);
      const list = this.statuses
        .filter((s) => s.projectId === p.id && s.sha === ctx.params.sha && (!ref || s.ref === ref) && (!name || s.name === name))
        .sort((a, b) => (sort === 'asc' ? key(a) - key(b) : key(b) - key(a)));
      return this.page(list, ctx, (s) => this.statusView(s));
    }));
    this.on('GET /projects/:id/pipelines', withProject((p, ctx) => {
      const { sha, ref, status, source, order_by = 'id', sort = 'desc' } = ctx.input as Record<string, string>;
      if (order_by !== 'id') throw new Error(`the fake orders pipelines by id only, not ${order_by}`);
      const list = this.pipelines
        .filter((x) => x.projectId === p.id && (!sha || x.sha === sha) && (!ref || x.ref === ref) && (!source || x.source === source))
        .filter((x) => !status || this.pipelineStatus(x) === status)
        .sort((a, b) => (sort === 'asc' ? a.id - b.id : b.id - a.id));
      return this.page(list, ctx, (x) => ({ id: x.id, iid: x.id, project_id: x.projectId, sha: x.sha, ref: x.ref, status: this.pipelineStatus(x), source: x.source }));
    }));
    this.on('GET /projects/:id/repository/commits/:sha/merge_requests', withProject((p, ctx) => {
      const sha = ctx.params.sha;
      const list = this.mrs.filter((m) => m.projectId === p.id && (m.sha === sha || m.merge_commit_sha === sha || m.squash_commit_sha === sha));
      return this.page(list, ctx, (m) => this.mrView(m, false));
    }));
  }

  /**
   * Ci::CreateCommitStatusService as GitLab runs it: the running or pending status of the
   * same name, ref and user moves on, otherwise a new one starts (in the newest pipeline of
   * the SHA and ref, or a new external pipeline); a move the state machine forbids is a 400.
   */
  private postStatus(p: Project, ctx: Ctx): Reply {
    const { state, ref: givenRef, name: n, context, target_url, description } = ctx.input as Record<string, string | undefined>;
    const sha = ctx.params.sha!;
    if (!state) return [400, { error: 'state is missing' }];
    if (!/^[0-9a-f]{7,40}$/.test(sha)) return NOT_FOUND('Commit Not Found');
    for (const [field, value] of Object.entries({ ref: givenRef, target_url, description })) {
      if ((value ?? '').length > 255) return [400, { message: { [field]: ['is too long (maximum is 255 characters)'] } }];
    }
    const name = n ?? context ?? 'default';
    const newest = this.pipelines.filter((x) => x.projectId === p.id && x.sha === sha && (!givenRef || x.ref === givenRef)).sort((a, b) => b.id - a.id)[0];
    const ref = givenRef ?? newest?.ref;
    if (!ref) return NOT_FOUND('References for commit Not Found');
    const pipeline = newest ?? this.pipeline(p, sha, { ref, source: 'external' });
    let s = this.statuses.find((x) => x.projectId === p.id && x.pipelineId === pipeline.id && x.ref === ref && x.name === name
      && x.author === ctx.user.username && (x.status === 'running' || x.status === 'pending'));
    const fresh = !s;
    s ??= { id: this.nextId++, projectId: p.id, sha, ref, name, status: 'created', description: null, target_url: null, author: ctx.user.username, pipelineId: pipeline.id };
    const refuse = (event: string): Reply => [400, { message: `Cannot transition status via :${event} from :${s!.status} (Reason(s): Status cannot transition via "${event}")` }];
    if (state === 'pending') {
      if (s.status !== 'created') return refuse('enqueue');
      s.status = 'pending';
    } else if (state === 'running') {
      if (s.status === 'created') s.status = 'pending';
      if (s.status !== 'pending') return refuse('run');
      s.status = 'running';
    } else {
      const t = TRANSITIONS[state]!;
      if (!t.from.includes(s.status)) return refuse(t.event);
      s.status = state;
    }
    if (description !== undefined) s.description = description;
    if (target_url !== undefined) s.target_url = target_url;
    if (fresh) this.statuses.push(s);
    return [201, this.statusView(s)];
  }
}
