/**
 * GitHub's REST API for one repository as a real loopback HTTP server, for the load test:
 * the replicas are separate processes, so nock cannot stand in for GitHub there. Serves
 * only the routes a plan job uses (each exists in @octokit/openapi) under the GitHub
 * Enterprise root `/api/v3`, and records every comment and check-run write with the time
 * it arrived and the head it was for. Any other route is answered 404 and counted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Write {
  /** performance.now() in the bench process when the write arrived. */
  at: number;
  kind: 'comment' | 'check';
  op: 'create' | 'update' | 'delete';
  pr: number;
  /** The head the write is for: a check run's head_sha, the head a plan comment names. */
  sha: string | null;
  /** Check name, or the comment id. */
  name: string;
  status?: string;
}

interface Comment {
  id: number;
  pr: number;
  body: string;
}

interface CheckRun {
  id: number;
  head_sha: string;
  name: string;
  status: string;
  conclusion: string | null;
}

const BOT = 'ferry[bot]';

export class FakeGitHubServer {
  readonly writes: Write[] = [];
  readonly unknownRoutes = new Map<string, number>();
  /** PR number → its head now, as GitHub would answer GET /pulls/N. */
  readonly heads = new Map<number, string>();
  readonly comments: Comment[] = [];
  readonly runs = new Map<number, CheckRun>();
  apiCalls = 0;
  private nextId = 1000;
  private server: Server | null = null;
  private readonly prOfSha = new Map<string, number>();

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly base: { sha: string; ref: string },
    readonly cloneUrl: string,
  ) {}

  /** Says which PR a commit belongs to (check runs name only the SHA). */
  knowSha(sha: string, pr: number): void {
    this.prOfSha.set(sha, pr);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: err.message }));
    }));
    // Keep-alive connections from two replicas: no idle limit that would drop a request.
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The full 40-character head a plan comment names, from its `base → head` line. */
  shaOfComment(pr: number, body: string, candidates: string[]): string | null {
    const m = /→ `([0-9a-f]{7,40})`/.exec(body);
    if (!m) return null;
    return candidates.find((s) => s.startsWith(m[1]!)) ?? null;
  }

  /** Every SHA of a PR, for shaOfComment (set by the bench). */
  shasOf: (pr: number) => string[] = () => [];

  pull(number: number, sha = this.heads.get(number)!) {
    const repo = { id: 1, name: this.repo, full_name: `${this.owner}/${this.repo}`, owner: { login: this.owner }, clone_url: this.cloneUrl };
    return {
      number, state: 'open', draft: false, title: `Bump app ${number}`, body: '', merged: false, merged_at: null, merge_commit_sha: null,
      html_url: `https://github.example/${this.owner}/${this.repo}/pull/${number}`, user: { login: 'alice' }, labels: [],
      head: { sha, ref: `pr-${number}`, repo: { full_name: `${this.owner}/${this.repo}` } },
      base: { sha: this.base.sha, ref: this.base.ref, repo },
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.apiCalls++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/api\/v3/, '');
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4999' }).end(status === 204 ? undefined : JSON.stringify(data));
    };
    const R = `/repos/${this.owner}/${this.repo}`;
    const m = (re: RegExp) => re.exec(p);
    let x: RegExpExecArray | null;
    const now = performance.now();

    if (req.method === 'GET' && p === '/app') return send(200, { id: 1, slug: 'ferry', name: 'Ferry' });
    if (req.method === 'POST' && m(/^\/app\/installations\/\d+\/access_tokens$/)) {
      return send(201, { token: `ghs_bench${this.nextId++}`, expires_at: new Date(Date.now() + 3600e3).toISOString() });
    }
    if (req.method === 'GET' && p === R) return send(200, { name: this.repo, full_name: `${this.owner}/${this.repo}`, default_branch: 'main', clone_url: this.cloneUrl });
    if (req.method === 'GET' && (x = m(new RegExp(`^${R}/pulls/(\\d+)$`)))) {
      const n = Number(x[1]);
      return this.heads.has(n) ? send(200, this.pull(n)) : send(404, { message: 'Not Found' });
    }
    if (req.method === 'GET' && (x = m(new RegExp(`^${R}/issues/(\\d+)/comments$`)))) {
      const n = Number(x[1]);
      return send(200, this.comments.filter((c) => c.pr === n).map((c) => this.commentView(c)));
    }
    if (req.method === 'POST' && (x = m(new RegExp(`^${R}/issues/(\\d+)/comments$`)))) {
      const c: Comment = { id: this.nextId++, pr: Number(x[1]), body: String(body.body) };
      this.comments.push(c);
      this.writes.push({ at: now, kind: 'comment', op: 'create', pr: c.pr, sha: this.shaOfComment(c.pr, c.body, this.shasOf(c.pr)), name: String(c.id) });
      return send(201, this.commentView(c));
    }
    if ((x = m(new RegExp(`^${R}/issues/comments/(\\d+)$`)))) {
      const c = this.comments.find((y) => y.id === Number(x![1]));
      if (!c) return send(404, { message: 'Not Found' });
      if (req.method === 'GET') return send(200, this.commentView(c));
      if (req.method === 'PATCH') {
        c.body = String(body.body);
        this.writes.push({ at: now, kind: 'comment', op: 'update', pr: c.pr, sha: this.shaOfComment(c.pr, c.body, this.shasOf(c.pr)), name: String(c.id) });
        return send(200, this.commentView(c));
      }
      if (req.method === 'DELETE') {
        this.comments.splice(this.comments.indexOf(c), 1);
        this.writes.push({ at: now, kind: 'comment', op: 'delete', pr: c.pr, sha: null, name: String(c.id) });
        return send(204, null);
      }
    }
    if (req.method === 'POST' && p === `${R}/check-runs`) {
      const run: CheckRun = { id: this.nextId++, head_sha: String(body.head_sha), name: String(body.name), status: String(body.status ?? 'queued'), conclusion: (body.conclusion as string) ?? null };
      this.runs.set(run.id, run);
      this.writes.push({ at: now, kind: 'check', op: 'create', pr: this.prOfSha.get(run.head_sha) ?? -1, sha: run.head_sha, name: run.name, status: run.status });
      return send(201, this.runView(run));
    }
    if (req.method === 'PATCH' && (x = m(new RegExp(`^${R}/check-runs/(\\d+)$`)))) {
      const run = this.runs.get(Number(x[1]));
      if (!run) return send(404, { message: 'Not Found' });
      if (body.status) run.status = String(body.status);
      if (body.conclusion) run.conclusion = String(body.conclusion);
      this.writes.push({ at: now, kind: 'check', op: 'update', pr: this.prOfSha.get(run.head_sha) ?? -1, sha: run.head_sha, name: run.name, status: run.status });
      return send(200, this.runView(run));
    }
    const route = `${req.method} ${p.replace(/\d+/g, 'N')}`;
    this.unknownRoutes.set(route, (this.unknownRoutes.get(route) ?? 0) + 1);
    return send(404, { message: 'Not Found' });
  }

  private commentView(c: Comment) {
    return { id: c.id, body: c.body, user: { login: BOT, type: 'Bot' }, html_url: `https://github.example/${this.owner}/${this.repo}/pull/${c.pr}#issuecomment-${c.id}` };
  }

  private runView(r: CheckRun) {
    return { id: r.id, head_sha: r.head_sha, name: r.name, status: r.status, conclusion: r.conclusion };
  }
}
