import path from 'node:path';
import { Writable } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { serverLogger } from '../../src/util/log.js';
import { deployment, envRepoFiles, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { deliver, example, GitHubMock, openApiRoute } from '../helpers/github.js';
import { idle as idleServer, SECRET, startTestServer } from '../helpers/server.js';

const TOKEN = 'ghs_installationtoken1234567890';
const OWNER = 'Codertocat';
const COMMENT_ID = 444500041;
const REPO = 'Hello-World';

let server: RunningServer;
let gh: GitHubMock;
const cacheDir = tempDir('ferry-cache-');
/** The server's warnings, one parsed JSON line each. */
const logLines: Array<{ msg: string } & Record<string, unknown>> = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { msg: string });
    done();
  },
});

/** Requests no mock answered, to any host but the loopback test server: each one fails the test. */
const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; href?: string; hostname?: string; path?: string }) => {
  if (req.hostname === '127.0.0.1' || req.hostname === 'localhost') return;
  unmatched.push(`${req.method} ${req.href ?? `${req.hostname}${req.path}`}`);
};

beforeAll(async () => {
  server = await startTestServer(cacheDir, { logLevel: 'warn', logDestination: logSink });
  nock.emitter.on('no match', onNoMatch);
});
afterAll(async () => {
  nock.emitter.removeListener('no match', onNoMatch);
  await server.stop(5_000);
  nock.cleanAll();
  nock.enableNetConnect();
});

interface World {
  repo: TestRepo;
  bare: string;
  base: string;
  head: string;
  /** What GET /pulls/:n answers: the PR as GitHub sees it now. */
  current: { headSha: string; state: string };
  comments: Array<{ id: number; body: string; user: { login: string; type: string } }>;
  /** The commenter's permission on the repository. */
  permission: 'admin' | 'write' | 'read' | 'none';
}

let world: World;

function prPayload(w: World, number: number, headSha: string, action = 'opened') {
  const p = example('pull_request', (e) => e.action === 'opened');
  p.action = action;
  p.number = number;
  p.installation = { id: 42, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' };
  p.pull_request.number = number;
  p.pull_request.state = 'open';
  p.pull_request.draft = false;
  p.pull_request.head.sha = headSha;
  p.pull_request.base.sha = w.base;
  // The one field that must point at the test's own repository.
  p.pull_request.base.repo.clone_url = w.bare;
  p.repository.clone_url = w.bare;
  return p;
}

function pullsGetBody(w: World, number: number) {
  const p = prPayload(w, number, w.current.headSha).pull_request;
  p.state = w.current.state;
  return p;
}

function setupWorld(files = envRepoFiles()): World {
  const repo = new TestRepo().write(files);
  const base = repo.commit('initial');
  const bare = path.join(tempDir('ferry-remote-'), 'hello-world.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  return { repo, bare, base, head: base, current: { headSha: base, state: 'open' }, comments: [], permission: 'write' };
}

/** Pushes a new PR head to the bare remote under refs/pull/N/head. */
function push(w: World, number: number, files: Record<string, string>, message = 'change'): string {
  w.repo.git('checkout', '--quiet', '-B', `pr-${number}`);
  w.repo.write(files);
  const sha = w.repo.commit(message);
  w.repo.git('push', '--quiet', '--force', 'origin', `HEAD:refs/pull/${number}/head`);
  w.head = sha;
  w.current.headSha = sha;
  return sha;
}

/** The API root the server under test talks to (api.github.com, or a GitHub Enterprise Server's). */
let apiRoot = 'https://api.github.com';

function mockGitHub(w: World, opts: { failFirstCheck?: boolean; commentStatus?: number; tokenTtlMs?: number } = {}): GitHubMock {
  const mock = new GitHubMock(apiRoot);
  let nextId = 1000;
  mock
    .route('POST', '/app/installations/42/access_tokens', () => [201, { token: TOKEN, expires_at: new Date(Date.now() + (opts.tokenTtlMs ?? 3600_000)).toISOString() }])
    // The app's own identity: comments by `ferry[bot]` are Ferry's.
    .route('GET', '/app', () => [200, { id: 1, slug: 'ferry', name: 'Ferry' }])
    .route('GET', `/repos/${OWNER}/${REPO}/pulls/1`, () => [200, pullsGetBody(w, 1)])
    .route('GET', `/repos/${OWNER}/${REPO}/issues/1/comments?per_page=100`, () => [200, w.comments])
    .route('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`, (body) => {
      if (opts.commentStatus) return [opts.commentStatus, { message: 'Resource not accessible by integration' }];
      const c = { id: nextId++, body: (body as { body: string }).body, user: { login: 'ferry[bot]', type: 'Bot' } };
      w.comments.push(c);
      return [201, c];
    })
    .checkRuns(`/repos/${OWNER}/${REPO}`, (n) => (opts.failFirstCheck && n === 0 ? [500, { message: 'Server Error' }] : null));
  // Comment and check-run ids are only known at run time: match the id segment.
  mock.route('PATCH', `/repos/${OWNER}/${REPO}/issues/comments/1000`, (body) => {
    const c = w.comments.find((x) => x.id === 1000)!;
    c.body = (body as { body: string }).body;
    return [200, c];
  });
  // What is on a commit: no other app's statuses, and the check runs Ferry created.
  const commit = (what: string) => new RegExp(`^/repos/${OWNER}/${REPO}/commits/([0-9a-f]{40})/${what}(?:\\?|$)`);
  mock.routeRe('GET', `/repos/${OWNER}/${REPO}/commits/s/statuses`, commit('statuses'), () => [200, []]);
  mock.routeRe('GET', `/repos/${OWNER}/${REPO}/commits/s/check-runs`, commit('check-runs'), (_b, x) => {
    const runs = [...mock.runs.values()].filter((r) => r.head_sha === x[1]).map((r) => ({ id: r.id, name: r.name, head_sha: r.head_sha, status: r.status, conclusion: r.conclusion ?? null }));
    return [200, { total_count: runs.length, check_runs: runs }];
  });
  mock.route('GET', `/repos/${OWNER}/${REPO}/collaborators/Codertocat/permission`, () => [200, { permission: w.permission, user: { login: 'Codertocat' } }]);
  mock.route('GET', `/repos/${OWNER}/${REPO}/issues/comments/${COMMENT_ID}`, () => (lastComment
    ? [200, { id: COMMENT_ID, body: lastComment.body, user: { login: lastComment.login, type: lastComment.type }, issue_url: `https://api.github.com/repos/${OWNER}/${REPO}/issues/${lastComment.issue}` }]
    : [404, { message: 'Not Found' }]));
  mock.route('POST', `/repos/${OWNER}/${REPO}/issues/comments/${COMMENT_ID}/reactions`, (body) => [201, { id: 1, content: (body as { content: string }).content }]);
  return mock;
}

const idle = () => idleServer(server);

/** The comment last delivered, as GET /issues/comments/:id answers it (commands are read back from GitHub). */
let lastComment: { issue: number; body: string; login: string; type: string } | null = null;

function commentPayload(body: string) {
  const comment = example('issue_comment', (e) => e.action === 'created');
  lastComment = { issue: 1, body, login: comment.comment.user.login, type: comment.comment.user.type };
  comment.installation = { id: 42, node_id: 'x' };
  comment.issue.number = 1;
  comment.issue.pull_request = { url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/1` };
  comment.comment.id = COMMENT_ID;
  comment.comment.body = body;
  return comment;
}
const reactions = (mock: GitHubMock) => mock.requests.filter((r) => r.path.endsWith('/reactions')).map((r) => (r.body as { content: string }).content);
const replies = (w: World) => w.comments.filter((c) => !c.body.startsWith('<!-- ferry:plan')).map((c) => c.body);

/** Ferry's check runs once completed, in the order they completed. */
const checkRuns = (mock: GitHubMock) => mock.completed();

beforeEach(() => {
  world = setupWorld();
});
afterEach(() => {
  nock.cleanAll();
  world.repo.cleanup();
  expect(unmatched.splice(0), 'requests no mock answered').toEqual([]);
});

describe('GitHub App: plan on pull requests', () => {
  it('first plan creates one comment and both checks on the head SHA, with annotations', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'envs/staging/tools/job.yaml': envRepoFiles()['envs/staging/tools/job.yaml']!.replace('busybox:1.36', 'busybox:latest') });
    const res = await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    expect(res.status).toBe(200);
    await mock.until(() => checkRuns(mock).length === 2);
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`)).toBe(1);
    const body = world.comments[0]!.body;
    expect(body.startsWith('<!-- ferry:plan -->')).toBe(true);
    expect(body).toContain('<details open><summary><b>staging / tools</b> <code>+0 ~1 -0</code> ❌ 1 error</summary>');
    const [plan, validate] = checkRuns(mock);
    expect(plan).toMatchObject({ name: 'ferry/plan', head_sha: head, conclusion: 'success' });
    expect(validate).toMatchObject({ name: 'ferry/validate', head_sha: head, conclusion: 'failure' });
    expect(validate!.output.annotations).toEqual([
      expect.objectContaining({ path: 'envs/staging/tools/job.yaml', start_line: 12, annotation_level: 'failure' }),
    ]);
    // Both checks showed as running while the plan was made, before the comment, and the
    // same runs were completed (no second run per name).
    const writes = mock.requests.filter((r) => r.path.includes('/check-runs') || r.path.endsWith('/issues/1/comments') && r.method === 'POST');
    expect(writes.slice(0, 3).map((r) => [r.method, (r.body as { name?: string }).name, (r.body as { status?: string }).status])).toEqual([
      ['POST', 'ferry/plan', 'in_progress'],
      ['POST', 'ferry/validate', 'in_progress'],
      ['POST', undefined, undefined],
    ]);
    expect(mock.runs.size).toBe(2);
    // Nothing Ferry wrote to GitHub carries the installation token.
    expect(JSON.stringify(mock.requests)).not.toContain(TOKEN);
  });

  it('a second push edits the same comment instead of adding one', async () => {
    const mock = mockGitHub(world);
    const first = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, first));
    await mock.until(() => checkRuns(mock).length === 2);
    const second = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, second, 'synchronize'));
    await mock.until(() => checkRuns(mock).length === 4);
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`)).toBe(1);
    expect(mock.count('PATCH', `/repos/${OWNER}/${REPO}/issues/comments/1000`)).toBe(1);
    expect(world.comments).toHaveLength(1);
    expect(world.comments[0]!.body).toContain(second.slice(0, 7));
    expect(checkRuns(mock).slice(2).every((c) => c.head_sha === second)).toBe(true);
  });

  it('drops work for a superseded SHA: nothing is written for it', async () => {
    const mock = mockGitHub(world);
    const old = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const newer = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 9 }) });
    // GitHub already reports the newer head while the delivery for the older one arrives.
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, old, 'synchronize'));
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, newer, 'synchronize'));
    await mock.until(() => checkRuns(mock).length === 2);
    await idle();
    expect(checkRuns(mock).map((c) => c.head_sha)).toEqual([newer, newer]);
    expect(world.comments).toHaveLength(1);
    expect(world.comments[0]!.body).toContain(newer.slice(0, 7));
    expect(world.comments[0]!.body).not.toContain(old.slice(0, 7));
  });

  it('ignores a duplicate delivery and rejects a bad signature', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const payload = prPayload(world, 1, head);
    expect((await deliver(server.url, SECRET, 'pull_request', payload, { id: 'same-delivery' })).status).toBe(200);
    expect((await deliver(server.url, SECRET, 'pull_request', payload, { id: 'same-delivery' })).status).toBe(200);
    const bad = await deliver(server.url, SECRET, 'pull_request', payload, { signature: 'sha256=' + '0'.repeat(64) });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    await mock.until(() => checkRuns(mock).length === 2);
    await idle();
    expect(checkRuns(mock)).toHaveLength(2);
    expect(world.comments).toHaveLength(1);
  });

  it('a repository without ferry.yml gets no comment and no checks', async () => {
    world.repo.cleanup();
    const files = envRepoFiles();
    delete files['.github/ferry.yml'];
    world = setupWorld(files);
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const before = server.outcomes.get('no-config') ?? 0;
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await idle();
    expect(server.outcomes.get('no-config')).toBe(before + 1);
    expect(world.comments).toHaveLength(0);
    expect(checkRuns(mock)).toHaveLength(0);
  });

  it('judges the PR by the base branch config even when the PR loosens it', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, {
      '.github/ferry.yml': envRepoFiles()['.github/ferry.yml']! + '  rules:\n    no-latest-tag: "off"\n',
      'envs/staging/tools/job.yaml': envRepoFiles()['envs/staging/tools/job.yaml']!.replace('busybox:1.36', 'busybox:latest'),
    });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    expect(checkRuns(mock)[1]).toMatchObject({ name: 'ferry/validate', conclusion: 'failure' });
  });

  it('sends annotations 50 per request', async () => {
    const mock = mockGitHub(world);
    const pods = Array.from({ length: 120 }, (_, i) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\n  namespace: staging\nspec:\n  containers:\n    - name: c\n      image: busybox:latest\n      resources:\n        requests: { cpu: 1m, memory: 1Mi }\n        limits: { cpu: 1m, memory: 1Mi }\n`).join('---\n');
    const head = push(world, 1, { 'envs/staging/tools/pods.yaml': pods });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    await idle();
    const validate = checkRuns(mock)[1]!;
    expect(validate.name).toBe('ferry/validate');
    expect(validate.output.annotations).toHaveLength(120);
    // Created running, completed with the first 50, the rest appended: 50 per request.
    const writes = mock.requests.filter((r) => r.path.endsWith(`/check-runs/${validate.id}`) || (r.method === 'POST' && (r.body as { name?: string }).name === 'ferry/validate'));
    expect(writes.map((r) => [r.method, (r.body as { output: { annotations?: unknown[] } }).output.annotations?.length ?? 0])).toEqual([['POST', 0], ['PATCH', 50], ['PATCH', 50], ['PATCH', 20]]);
  });

  it('retries a GitHub 500 and then succeeds', async () => {
    const mock = mockGitHub(world, { failFirstCheck: true });
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    // The first create failed with a 500 and was retried: three creates, two runs.
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/check-runs`)).toBe(3);
    expect(checkRuns(mock).map((c) => [c.name, c.conclusion])).toEqual([['ferry/plan', 'success'], ['ferry/validate', 'success']]);
  });

  it('a kustomize failure is a failing ferry/plan check with the reason', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - nope.yaml\n') });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    const plan = checkRuns(mock)[0]!;
    expect(plan).toMatchObject({ name: 'ferry/plan', conclusion: 'failure' });
    expect(plan.output.summary).toMatch(/nope\.yaml/);
  });


  it('/plan in a PR comment re-plans with 👀 then 🚀; inside a code block it is text', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('Could you look again?\n```\n/plan\n```'));
    await idle();
    expect(mock.requests).toHaveLength(0);
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('thanks!\n/plan'));
    await mock.until(() => checkRuns(mock).length === 2);
    expect(checkRuns(mock)[0]!.head_sha).toBe(head);
    expect(reactions(mock)).toEqual(['eyes', 'rocket']);
  });

  it('/plan from a user without write access is refused with 😕 and a reply; nothing is planned', async () => {
    const mock = mockGitHub(world);
    world.permission = 'read';
    push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/plan'));
    await mock.until(() => reactions(mock).length === 2);
    await idle();
    expect(reactions(mock)).toEqual(['eyes', 'confused']);
    expect(replies(world)).toEqual(['@Codertocat `/plan` needs write access to this repository; nothing was done.\n']);
    expect(checkRuns(mock)).toHaveLength(0);
  });

  it('commands.plan replaces write access as the rule for /plan', async () => {
    world.repo.cleanup();
    const files = envRepoFiles();
    files['.github/ferry.yml'] += 'commands:\n  plan: { users: [someone-else] }\n';
    world = setupWorld(files);
    const mock = mockGitHub(world);
    push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/plan'));
    await mock.until(() => reactions(mock).length === 2);
    await idle();
    expect(reactions(mock)).toEqual(['eyes', 'confused']);
    // The allowed user is named in a code span, which GitHub does not turn into a mention.
    expect(replies(world)).toEqual(['@Codertocat `/plan` is limited to `@someone-else` (`commands.plan` in ferry.yml); nothing was done.\n']);
    expect(checkRuns(mock)).toHaveLength(0);
  });

  it('/help replies with the commands; a typo gets the nearest command', async () => {
    const mock = mockGitHub(world);
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/help'));
    await mock.until(() => reactions(mock).length === 2);
    expect(reactions(mock)).toEqual(['eyes', 'rocket']);
    expect(replies(world)[0]).toContain('| `/promote [ENV] [--dry-run]` |');
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/pln'));
    await mock.until(() => reactions(mock).length === 4);
    expect(reactions(mock).slice(2)).toEqual(['eyes', 'confused']);
    expect(replies(world)[1]).toBe('Unknown command `/pln`. Did you mean `/plan`? See `/help`.\n');
  });

  it('a comment with 60 commands gets one reply: the first 10 run, one line says the rest were ignored', async () => {
    const mock = mockGitHub(world);
    const body = Array.from({ length: 60 }, (_, i) => (i % 2 ? '/pln' : '/help')).join('\n');
    await deliver(server.url, SECRET, 'issue_comment', commentPayload(body));
    await mock.until(() => reactions(mock).length === 2);
    await idle();
    expect(reactions(mock)).toEqual(['eyes', 'confused']);
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`)).toBe(1);
    const [reply] = replies(world);
    // Repeats of one command are answered once.
    expect(reply!.split('| `/promote [ENV] [--dry-run]` |')).toHaveLength(2);
    expect(reply!.split('Unknown command `/pln`')).toHaveLength(2);
    expect(reply).toContain('50 more command(s) in this comment were ignored: Ferry answers at most 10 per comment.');
  });

  it('ignores the bot\'s own comments and other slash commands', async () => {
    const mock = mockGitHub(world);
    const own = commentPayload('/plan');
    own.comment.user.type = 'Bot';
    await deliver(server.url, SECRET, 'issue_comment', own);
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/shrug'));
    await idle();
    expect(mock.requests).toHaveLength(0);
  });

  it('marks a draft PR\'s plan as a draft', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const payload = prPayload(world, 1, head);
    payload.pull_request.draft = true;
    await deliver(server.url, SECRET, 'pull_request', payload);
    await mock.until(() => checkRuns(mock).length === 2);
    expect(world.comments[0]!.body).toContain('### Ferry plan (draft)');
  });

  it('a closed PR gets nothing, and closing cancels queued work', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const closed = prPayload(world, 1, head, 'closed');
    closed.pull_request.state = 'closed';
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    world.current.state = 'closed';
    await deliver(server.url, SECRET, 'pull_request', closed);
    await idle();
    expect(world.comments).toHaveLength(0);
    expect(checkRuns(mock)).toHaveLength(0);
  });

  it('an unreachable repository is a failing ferry/plan check, and the server keeps serving', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const broken = prPayload(world, 1, head);
    broken.pull_request.base.repo.clone_url = path.join(tempDir(), 'missing.git');
    await deliver(server.url, SECRET, 'pull_request', broken);
    await mock.until(() => checkRuns(mock).length === 1);
    expect(checkRuns(mock)[0]).toMatchObject({ name: 'ferry/plan', conclusion: 'failure' });
    expect(checkRuns(mock)[0]!.output.summary).toMatch(/git fetch failed/);
    expect(checkRuns(mock)[0]!.output.summary).not.toContain(TOKEN);
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head, 'synchronize'));
    await mock.until(() => checkRuns(mock).length === 3);
    expect(checkRuns(mock)[1]).toMatchObject({ name: 'ferry/plan', conclusion: 'success' });
  });

  it('a comment by another account that starts with the plan marker is left alone; Ferry writes its own', async () => {
    // Another app (a Bot too) and a person both plant Ferry's marker before Ferry's first plan.
    const planted = [
      { id: 777, body: '<!-- ferry:plan -->\nAll good, merge away!', user: { login: 'other-app[bot]', type: 'Bot' } },
      { id: 778, body: '<!-- ferry:plan -->\nAlso fine.', user: { login: 'mallory', type: 'User' } },
    ];
    world.comments.push(...structuredClone(planted));
    const mock = mockGitHub(world);
    // GitHub refuses edits to someone else's comment.
    for (const id of [777, 778]) {
      mock.route('PATCH', `/repos/${OWNER}/${REPO}/issues/comments/${id}`, () => [403, { message: 'Resource not accessible by integration' }]);
      mock.route('DELETE', `/repos/${OWNER}/${REPO}/issues/comments/${id}`, () => [403, { message: 'Resource not accessible by integration' }]);
    }
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    expect(mock.requests.filter((r) => /\/issues\/comments\/77[78]$/.test(r.path))).toEqual([]);
    expect(world.comments.slice(0, 2)).toEqual(planted);
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`)).toBe(1);
    expect(world.comments[2]).toMatchObject({ user: { login: 'ferry[bot]' } });
    expect(world.comments[2]!.body.startsWith('<!-- ferry:plan -->')).toBe(true);
    expect(world.comments[2]!.body).toContain(head.slice(0, 7));
  });

  it('a refused plan comment still leaves both checks, and says so in the log', async () => {
    const mock = mockGitHub(world, { commentStatus: 403 });
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    expect(checkRuns(mock).map((c) => [c.name, c.head_sha])).toEqual([['ferry/plan', head], ['ferry/validate', head]]);
    expect(world.comments).toHaveLength(0);
    const line = logLines.find((l) => l.msg === 'could not write the plan comment' && l.sha === head);
    expect(line).toMatchObject({ level: 40, pr: 1, status: 403 });
    expect(JSON.stringify(logLines)).not.toContain(TOKEN);
  });

  it('a job that fails is logged (redacted) and counted on /healthz; the server keeps serving', async () => {
    const mock = mockGitHub(world);
    // The PR the comment is on is gone by the time the job reads it.
    mock.route('GET', `/repos/${OWNER}/${REPO}/pulls/2`, () => [404, { message: 'Not Found' }]);
    const before = ((await (await fetch(`${server.url}/healthz`)).json()) as { failures: Record<string, number> }).failures.command ?? 0;
    const payload = commentPayload('/plan');
    payload.issue.number = 2;
    await deliver(server.url, SECRET, 'issue_comment', payload);
    await idle();
    const line = logLines.find((l) => l.msg === 'job failed' && l.kind === 'command');
    expect(line).toMatchObject({ level: 40, name: 'ferry', component: 'jobs', status: 404 });
    expect(String(line!.job)).toContain('#2:comment:');
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { failures: Record<string, number> };
    expect(health.failures.command).toBe(before + 1);
    expect(JSON.stringify(logLines)).not.toContain(TOKEN);
    // /metrics counts it, the delivery and the GitHub API answers (the 404 included).
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^ferry_job_failures_total\{kind="command"\} [1-9]/m);
    expect(metrics).toMatch(/^ferry_job_duration_seconds_count\{kind="command",outcome="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^ferry_deliveries_total\{forge="github",event="issue_comment",outcome="queued"\} [1-9]/m);
    expect(metrics).toMatch(/^ferry_forge_api_calls_total\{forge="github",status="404"\} [1-9]/m);
    expect(metrics).toMatch(/^ferry_forge_api_calls_total\{forge="github",status="201"\} [1-9]/m);
  });

  it('log lines carry one "name" key, and a component for where they come from', () => {
    const raw: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, done) { raw.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } });
    const log = serverLogger({ level: 'info' }, sink);
    log.child({ name: 'probot' }).child({ name: 'github' }).child({ id: 7 }).info('hello');
    log.info('root');
    expect(raw.map((l) => (l.match(/"name":/g) ?? []).length)).toEqual([1, 1]);
    expect(raw.map((l) => (l.match(/"component":/g) ?? []).length)).toEqual([1, 0]);
    expect(JSON.parse(raw[0]!)).toMatchObject({ name: 'ferry', component: 'probot/github', id: 7, msg: 'hello' });
  });

  it('a plan that shrank deletes every leftover part of the longer one, past a gap, and nobody else\'s', async () => {
    const ferry = { login: 'ferry[bot]', type: 'Bot' };
    world.comments.push({ id: 1000, body: '<!-- ferry:plan -->\nold plan, part 1', user: ferry });
    // Parts 2–7 of an earlier plan; part 4 was deleted by hand.
    for (const n of [2, 3, 5, 6, 7]) world.comments.push({ id: 2000 + n, body: `<!-- ferry:plan:part ${n} -->\nold part ${n}`, user: ferry });
    const foreign = { id: 3000, body: '<!-- ferry:plan:part 2 -->\nnot Ferry', user: { login: 'other-app[bot]', type: 'Bot' } };
    world.comments.push(foreign);
    const mock = mockGitHub(world);
    for (const id of [2002, 2003, 2005, 2006, 2007, 3000]) {
      mock.route('DELETE', `/repos/${OWNER}/${REPO}/issues/comments/${id}`, () => {
        world.comments = world.comments.filter((c) => c.id !== id);
        return [204, ''];
      });
    }
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    expect(world.comments.map((c) => c.id)).toEqual([1000, 3000]);
    expect(world.comments[0]!.body).toContain(head.slice(0, 7));
    expect(world.comments[1]).toEqual(foreign);
  });

  it('serves /healthz, saying whether renders are isolated', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', sandbox: { namespaces: true, filesystem: true, limits: true, required: false, memoryMiB: 2048, cpuSeconds: 60 } });
    // Idle connections outlive a load balancer's usual 60 s, so the server never closes one as a
    // delivery is sent on it (the client then sees ECONNRESET); clients read this hint.
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('ferry/review: a production change waits for a review; a submitted review (a real pull_request_review payload) turns it green', async () => {
    world.repo.cleanup();
    const files = envRepoFiles();
    files['.github/ferry.yml'] += `review:
  - name: production needs a reviewer
    when: { environments: [production] }
`;
    world = setupWorld(files);
    const mock = mockGitHub(world);
    const reviews: Array<{ id: number; user: { login: string; type: string }; state: string; commit_id: string; body: string }> = [];
    mock.route('GET', `/repos/${OWNER}/${REPO}/pulls/1/reviews?per_page=100`, () => [200, reviews]);
    // A shared base file: no file under envs/production changes, production's rendered Deployment does.
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 3);
    const waiting = checkRuns(mock)[2]!;
    expect(waiting).toMatchObject({ name: 'ferry/review', head_sha: head, conclusion: 'failure' });
    expect(waiting.output.title).toBe('Waiting for review: production needs a reviewer');
    expect(waiting.output.summary).toContain('| ⏳ production needs a reviewer | environment production | 0/1 | anyone with write access but the author |');

    // The PR's author approving their own change counts for nothing; a reviewer's approval does.
    reviews.push({ id: 1, user: { login: 'Codertocat', type: 'User' }, state: 'APPROVED', commit_id: head, body: '' });
    reviews.push({ id: 2, user: { login: 'octo-reviewer', type: 'User' }, state: 'APPROVED', commit_id: head, body: '' });
    mock.route('GET', `/repos/${OWNER}/${REPO}/collaborators/octo-reviewer/permission`, () => [200, { permission: 'write', user: { login: 'octo-reviewer' } }]);
    const submitted = example('pull_request_review', (e) => e.action === 'submitted' && !!e.installation);
    submitted.installation = { id: 42, node_id: 'x' };
    submitted.pull_request.number = 1;
    const res = await deliver(server.url, SECRET, 'pull_request_review', submitted);
    expect(res.status).toBe(200);
    await mock.until(() => checkRuns(mock).length === 4);
    await idle();
    const done = checkRuns(mock)[3]!;
    expect(done).toMatchObject({ name: 'ferry/review', head_sha: head, conclusion: 'success' });
    expect(done.output.summary).toContain('| ✅ production needs a reviewer | environment production | 1/1: octo-reviewer | — |');
    // Only ferry/review was written again: one plan comment, no second ferry/plan.
    expect(checkRuns(mock).map((r) => r.name)).toEqual(['ferry/plan', 'ferry/validate', 'ferry/review', 'ferry/review']);
    expect(mock.count('POST', `/repos/${OWNER}/${REPO}/issues/1/comments`)).toBe(1);
  });
});

describe('GitHub App on GitHub Enterprise Server (GHE_HOST)', () => {
  const GHE_ROOT = 'https://ghe.example.test/api/v3';
  let dotCom: RunningServer;
  beforeAll(async () => {
    dotCom = server;
    server = await startTestServer(tempDir('ferry-cache-'), { github: { baseUrl: GHE_ROOT }, logLevel: 'warn', logDestination: logSink });
    apiRoot = GHE_ROOT;
  });
  afterAll(async () => {
    await server.stop(5_000);
    server = dotCom;
    apiRoot = 'https://api.github.com';
  });

  it('a git token about to expire is minted again, through the Enterprise host', async () => {
    // Five minutes left: too short for a plan's fetch, so every job mints a fresh one.
    const mock = mockGitHub(world, { tokenTtlMs: 5 * 60_000 });
    const first = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, first));
    await mock.until(() => checkRuns(mock).length === 2);
    // The first job of a fresh server (this test runs first in this block) minted at least
    // the git token; Probot mints its own for REST calls.
    const minted = mock.count('POST', '/app/installations/42/access_tokens');
    expect(minted).toBeGreaterThanOrEqual(1);
    const second = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, second, 'synchronize'));
    await mock.until(() => checkRuns(mock).length === 4);
    await idle();
    expect(mock.count('POST', '/app/installations/42/access_tokens')).toBeGreaterThan(minted);
    expect(checkRuns(mock).map((c) => c.conclusion)).toEqual(['success', 'success', 'success', 'success']);
  });

  it('mints the installation token, plans and reports through the Enterprise host only', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) });
    await deliver(server.url, SECRET, 'pull_request', prPayload(world, 1, head));
    await mock.until(() => checkRuns(mock).length === 2);
    await idle();
    expect(checkRuns(mock).map((c) => [c.name, c.conclusion])).toEqual([['ferry/plan', 'success'], ['ferry/validate', 'success']]);
    expect(mock.count('POST', '/app/installations/42/access_tokens')).toBeGreaterThanOrEqual(1);
    expect(world.comments[0]!.body).toContain('<b>staging / web</b> <code>+0 ~1 -0</code>');
    // afterEach: no request went to api.github.com or anywhere else unmocked.
  });

  it('answers /plan in a comment through the Enterprise host', async () => {
    const mock = mockGitHub(world);
    const head = push(world, 1, { 'base/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    await deliver(server.url, SECRET, 'issue_comment', commentPayload('/plan'));
    await mock.until(() => checkRuns(mock).length === 2);
    await idle();
    expect(checkRuns(mock)[0]!.head_sha).toBe(head);
    expect(reactions(mock)).toEqual(['eyes', 'rocket']);
  });
});

describe('GitHub mocks', () => {
  it('accept only routes that exist in GitHub\'s OpenAPI description', () => {
    expect(openApiRoute('POST', '/repos/o/r/check-runs')).toBe('/repos/{owner}/{repo}/check-runs');
    expect(openApiRoute('PATCH', '/repos/o/r/issues/comments/5')).toBe('/repos/{owner}/{repo}/issues/comments/{comment_id}');
    expect(openApiRoute('POST', '/repos/o/r/pulls/1/plan')).toBeNull();
    expect(openApiRoute('DELETE', '/repos/o/r/check-runs')).toBeNull();
    expect(() => new GitHubMock().route('POST', '/repos/o/r/ferry-comments', () => [200, {}])).toThrow(/not a GitHub REST API route/);
  });
});
