import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApiRoute } from './github.js';

export interface LoopbackComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
}

/**
 * GitHub's REST API for one repository as a real HTTP server on 127.0.0.1, for code that
 * runs in another process (a CI entry), where nock cannot reach. It answers pull requests
 * and issue comments only; every request is first checked against GitHub's OpenAPI
 * description (an invented route is recorded in `unrouted` and answered 404), and every
 * request must carry the token or it gets GitHub's 401.
 */
export class LoopbackGitHub {
  readonly comments: LoopbackComment[] = [];
  /** Pull requests as the REST API returns them (a webhook's `pull_request` has that shape). */
  readonly pulls = new Map<number, Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly requests: Array<{ method: string; path: string; status: number }> = [];
  readonly unrouted: string[] = [];
  /**
   * Writes to comments answer this status instead (a fork's read-only token: 403), with
   * the request's credentials echoed in the message, as a careless proxy might: what the
   * entry logs of an error must still not show them.
   */
  refuseWrites: number | null = null;
  private nextId = 1000;
  private server!: http.Server;
  url = '';

  private constructor(readonly owner: string, readonly repo: string, readonly token: string, readonly login: string) {}

  static async start(owner: string, repo: string, token: string, login = 'github-actions[bot]'): Promise<LoopbackGitHub> {
    const gh = new LoopbackGitHub(owner, repo, token, login);
    gh.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [status, body] = gh.answer(req.method ?? 'GET', req.url ?? '/', raw ? (JSON.parse(raw) as unknown) : undefined, req.headers.authorization);
        gh.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', status });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(status === 204 ? undefined : JSON.stringify(body));
      });
    });
    // Longer than a client keeps an idle connection, so the server never closes one a request is being sent on (ECONNRESET under load).
    gh.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => gh.server.listen(0, '127.0.0.1', resolve));
    gh.url = `http://127.0.0.1:${(gh.server.address() as AddressInfo).port}`;
    return gh;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  commentsOn(issue: number): LoopbackComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  private answer(method: string, url: string, body: unknown, auth: string | undefined): [number, unknown] {
    const path = url.split('?')[0]!;
    if (!openApiRoute(method, path)) {
      this.unrouted.push(`${method} ${path}`);
      return [404, { message: 'Not Found' }];
    }
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) return [401, { message: 'Bad credentials' }];
    const repo = `/repos/${this.owner}/${this.repo}`;
    const m = (re: string) => new RegExp(`^${repo.replace(/[.*+?^$()|[\]\\/]/g, '\\$&')}${re}$`).exec(path);
    let x: RegExpExecArray | null;
    if (method === 'GET' && (x = m('/pulls/(\\d+)'))) {
      const p = this.pulls.get(Number(x[1]));
      return p ? [200, p] : [404, { message: 'Not Found' }];
    }
    if (method === 'GET' && (x = m('/issues/(\\d+)/comments'))) {
      return [200, this.commentsOn(Number(x[1])).map(({ issue: _i, ...c }) => c)];
    }
    if (method === 'POST' && (x = m('/issues/(\\d+)/comments'))) {
      if (this.refuseWrites) return [this.refuseWrites, { message: `Resource not accessible by integration (${auth})` }];
      const text = (body as { body: string }).body;
      if (text.length > 65_536) return [422, { message: 'Validation Failed' }];
      const c: LoopbackComment = { id: this.nextId++, issue: Number(x[1]), body: text, user: { login: this.login, type: this.login.endsWith('[bot]') ? 'Bot' : 'User' } };
      this.comments.push(c);
      return [201, { id: c.id, body: c.body, user: c.user }];
    }
    if ((method === 'PATCH' || method === 'DELETE') && (x = m('/issues/comments/(\\d+)'))) {
      if (this.refuseWrites) return [this.refuseWrites, { message: `Resource not accessible by integration (${auth})` }];
      const c = this.comments.find((k) => k.id === Number(x![1]));
      if (!c) return [404, { message: 'Not Found' }];
      if (method === 'DELETE') {
        this.comments.splice(this.comments.indexOf(c), 1);
        return [204, null];
      }
      c.body = (body as { body: string }).body;
      return [200, { id: c.id, body: c.body, user: c.user }];
    }
    // A real route this fake does not serve: the test wrote code that calls it.
    this.unrouted.push(`${method} ${path} (not served by the loopback fake)`);
    return [404, { message: 'Not Found' }];
  }
}
