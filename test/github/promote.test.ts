import { execFileSync } from 'node:child_process';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readPromotionMeta } from '../../src/promote/pr.js';
import type { RunningServer } from '../../src/server.js';
import { deployment, kustomization, service } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { deliver, example, GitHubMock } from '../helpers/github.js';
import { idle as idleServer, SECRET, startTestServer } from '../helpers/server.js';

const TOKEN = 'ghs_promotiontoken0987654321';
const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const API = `/repos/${OWNER}/${REPO}`;
const COMMENT_ID = 555000111;
const BRANCH = 'ferry/promote/staging-to-production/web';
/** Old enough for any soak gate in these tests. */
const LONG_AGO = '2026-01-01T00:00:00Z';

let server: RunningServer;
const cacheDir = tempDir('ferry-cache-');
beforeAll(async () => {
  server = await startTestServer(cacheDir, { identity: { name: 'Ferry Promoter', email: 'promoter@example.invalid' } });
});
afterAll(async () => {
  await server.stop(5_000);
  nock.cleanAll();
  nock.enableNetConnect();
});
const idle = () => idleServer(server);

interface Pull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
}

/** The repository on both sides: a real bare remote, and GitHub's view of its PRs. */
interface World {
  repo: TestRepo;
  bare: string;
  /** PRs the test merged or opened, as GET /pulls/:n answers. */
  sources: Map<number, { base: string; head: string; baseRef: string; mergeSha: string | null; mergedAt: string | null; state: 'open' | 'closed'; fork: boolean }>;
  pulls: Pull[];
  comments: Array<{ issue: number; body: string }>;
  reactions: string[];
  permission: 'admin' | 'write' | 'read' | 'none';
  /** Team slug → members (GET /orgs/:org/teams/:team/memberships/:user). */
  teams: Record<string, string[]>;
  /** Statuses per commit SHA, oldest first. */
  statuses: Record<string, Array<{ context: string; state: string }>>;
  failCreatePull: number;
  failLabels: number;
  /** Check runs per commit SHA. */
  checkRuns: Record<string, Array<{ name: string; status: string; conclusion: string | null }>>;
}

let world: World;

const CONFIG = (promotion: string, envs = '') => `environments:
  - name: staging
    path: envs/staging
  - name: production
    path: envs/production
${envs}promotion:
${promotion}`;

const DIRECTORY_STEP = `  - from: staging
    to: production
    keep: ["**/replicas.yaml"]
`;

function replicas(n: number) {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${n}\n`;
}

function configMap(name: string, value: string) {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

function files(config: string): Record<string, string> {
  return {
    '.github/ferry.yml': config,
    'base/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n  - service.yaml\n'),
    'base/web/deployment.yaml': deployment('web'),
    'base/web/service.yaml': service('web'),
    'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\npatches:\n  - path: replicas.yaml\n'),
    'envs/staging/web/replicas.yaml': replicas(2),
    'envs/staging/tools/job.yaml': configMap('tools', 'staging-only'),
    'envs/production/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - old.yaml\npatches:\n  - path: replicas.yaml\n'),
    'envs/production/web/old.yaml': configMap('old', 'retired'),
    'envs/production/web/replicas.yaml': replicas(5),
    'envs/production/api/deploy.yaml': deployment('api'),
  };
}

function setupWorld(config = CONFIG(DIRECTORY_STEP), tree = files(config)): World {
  const repo = new TestRepo().write(tree);
  commitAt(repo, 'initial', LONG_AGO);
  const bare = path.join(tempDir('ferry-remote-'), 'hello-world.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  return { repo, bare, sources: new Map(), pulls: [], comments: [], reactions: [], permission: 'write', teams: {}, statuses: {}, failCreatePull: 0, failLabels: 0, checkRuns: {} };
}

function commitAt(repo: TestRepo, message: string, date: string): string {
  repo.git('add', '-A');
  execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', message], {
    cwd: repo.dir,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return repo.git('rev-parse', 'HEAD').trim();
}

/**
 * A PR into `into` with these changes, merged with a merge commit (GitHub's default) and
 * pushed with refs/pull/N/head, as GitHub keeps it after the merge.
 */
function mergePR(w: World, number: number, change: { write?: Record<string, string>; remove?: string[] }, opts: { into?: string; date?: string; merge?: boolean } = {}): string {
  const into = opts.into ?? 'main';
  const date = opts.date ?? LONG_AGO;
  w.repo.git('checkout', '--quiet', into);
  const base = w.repo.git('rev-parse', 'HEAD').trim();
  w.repo.git('checkout', '--quiet', '-b', `pr-${number}`);
  w.repo.write(change.write ?? {});
  if (change.remove) w.repo.remove(...change.remove);
  const head = commitAt(w.repo, `PR ${number}`, date);
  w.repo.git('push', '--quiet', '--force', 'origin', `HEAD:refs/pull/${number}/head`);
  let mergeSha: string | null = null;
  if (opts.merge !== false) {
    w.repo.git('checkout', '--quiet', into);
    execFileSync('git', ['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${number}`, `pr-${number}`], {
      cwd: w.repo.dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    mergeSha = w.repo.git('rev-parse', 'HEAD').trim();
    w.repo.git('push', '--quiet', 'origin', into);
  }
  w.sources.set(number, { base, head, baseRef: into, mergeSha, mergedAt: mergeSha ? date : null, state: mergeSha ? 'closed' : 'open', fork: false });
  return mergeSha ?? head;
}

function pullJson(w: World, number: number) {
  const p = example('pull_request', (e) => e.action === 'opened').pull_request;
  const s = w.sources.get(number);
  if (s) {
    Object.assign(p, { number, state: s.state, merged: !!s.mergeSha, merged_at: s.mergedAt, merge_commit_sha: s.mergeSha, draft: false, title: `PR ${number}`, body: '' });
    p.head.sha = s.head;
    p.head.ref = `pr-${number}`;
    if (s.fork) p.head.repo.full_name = 'someone-else/Hello-World';
    p.base.sha = s.base;
    p.base.ref = s.baseRef;
  } else {
    const pull = w.pulls.find((x) => x.number === number)!;
    Object.assign(p, { number, state: pull.state, merged: pull.state === 'closed', merged_at: pull.state === 'closed' ? new Date().toISOString() : null, merge_commit_sha: null, title: pull.title, body: pull.body });
    p.head.ref = pull.head;
    p.head.sha = git(w, 'rev-parse', `refs/heads/${pull.head}`).trim();
    p.base.ref = pull.base;
    p.base.sha = git(w, 'rev-parse', `refs/heads/${pull.base}`).trim();
  }
  p.base.repo.clone_url = w.bare;
  p.html_url = `https://github.com/${OWNER}/${REPO}/pull/${number}`;
  return p;
}

/** git in the bare remote: what Ferry pushed. */
function git(w: World, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', w.bare, ...args], { encoding: 'utf8' });
}

function remoteBranch(w: World, branch: string): string | null {
  try {
    return git(w, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).trim();
  } catch {
    return null;
  }
}

function pullView(p: Pull) {
  const repo = { full_name: `${OWNER}/${REPO}` };
  return { number: p.number, html_url: `https://github.com/${OWNER}/${REPO}/pull/${p.number}`, title: p.title, body: p.body, state: p.state, head: { ref: p.head, repo }, base: { ref: p.base, repo } };
}

function mockGitHub(w: World): GitHubMock {
  const mock = new GitHubMock();
  mock.route('POST', '/app/installations/42/access_tokens', () => [201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() }]);
  // The app's own identity: comments by `ferry[bot]` are Ferry's.
  mock.route('GET', '/app', () => [200, { id: 1, slug: 'ferry', name: 'Ferry' }]);
  for (const n of [7, 8, 9, 20, 21]) {
    mock.route('GET', `${API}/pulls/${n}`, () => [200, pullJson(w, n)]);
    mock.route('POST', `${API}/issues/${n}/comments`, (body) => {
      w.comments.push({ issue: n, body: (body as { body: string }).body });
      return [201, { id: 9000 + w.comments.length }];
    });
    mock.route('POST', `${API}/issues/${n}/labels`, (body) => {
      if (w.failLabels > 0) {
        w.failLabels--;
        return [422, { message: 'Validation Failed' }];
      }
      const p = w.pulls.find((x) => x.number === n)!;
      p.labels = [...new Set([...p.labels, ...(body as { labels: string[] }).labels])];
      return [200, p.labels.map((name) => ({ name }))];
    });
    mock.route('PATCH', `${API}/pulls/${n}`, (body) => {
      const p = w.pulls.find((x) => x.number === n)!;
      Object.assign(p, body as object);
      return [200, pullView(p)];
    });
  }
  mock.route('GET', `${API}/pulls?*`, () => {
    const q = new URL(mock.requests.at(-1)!.path, 'https://api.github.com').searchParams;
    return [200, w.pulls.filter((p) => p.state === q.get('state')).map(pullView)];
  });
  mock.route('POST', `${API}/pulls`, (body) => {
    const b = body as { head: string; base: string; title: string; body: string };
    if (w.failCreatePull > 0) {
      w.failCreatePull--;
      return [422, { message: 'Validation Failed', errors: [{ message: 'simulated' }] }];
    }
    // GitHub refuses a PR whose head branch does not exist.
    if (!remoteBranch(w, b.head)) return [422, { message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] }];
    const p: Pull = { number: 20 + w.pulls.length, head: b.head, base: b.base, title: b.title, body: b.body, state: 'open', labels: [] };
    w.pulls.push(p);
    // GitHub keeps every PR's head under refs/pull/N/head.
    git(w, 'update-ref', `refs/pull/${p.number}/head`, `refs/heads/${b.head}`);
    return [201, pullView(p)];
  });
  mock.route('GET', `${API}/collaborators/Codertocat/permission`, () => [200, { permission: w.permission, user: { login: 'Codertocat' } }]);
  mock.route('GET', '/orgs/Codertocat/teams/platform/memberships/Codertocat', () =>
    (w.teams.platform ?? []).includes('Codertocat') ? [200, { state: 'active', role: 'member' }] : [404, { message: 'Not Found' }]);
  mock.route('GET', `${API}/issues/comments/${COMMENT_ID}`, () => (lastComment
    ? [200, { id: COMMENT_ID, body: lastComment.body, user: { login: lastComment.login, type: lastComment.type }, issue_url: `https://api.github.com${API}/issues/${lastComment.issue}` }]
    : [404, { message: 'Not Found' }]));
  mock.route('POST', `${API}/issues/comments/${COMMENT_ID}/reactions`, (body) => {
    w.reactions.push((body as { content: string }).content);
    return [201, { id: 1, content: (body as { content: string }).content }];
  });
  return mock;
}

/** Statuses and check runs of every commit of main and staging, as the test set them. */
function mockStatuses(mock: GitHubMock, w: World, shas: string[]) {
  for (const sha of shas) {
    // Newest first, as GitHub lists them.
    mock.route('GET', `${API}/commits/${sha}/statuses?*`, () => [200, [...(w.statuses[sha] ?? [])].reverse()]);
    mock.route('GET', `${API}/commits/${sha}/check-runs?*`, () => {
      const runs = (w.checkRuns[sha] ?? []).map((r, i) => ({ id: i + 1, head_sha: sha, ...r }));
      return [200, { total_count: runs.length, check_runs: runs }];
    });
  }
}

/** A `pull_request` webhook for PR `number` as GitHub sees it now. */
async function deliverPull(action: 'opened' | 'closed', number: number) {
  const payload = example('pull_request', (e) => e.action === action);
  payload.installation = { id: 42, node_id: 'x' };
  payload.number = number;
  payload.pull_request = pullJson(world, number);
  await deliver(server.url, SECRET, 'pull_request', payload);
}

/** The comment last delivered, as GET /issues/comments/:id answers it (commands are read back from GitHub). */
let lastComment: { issue: number; body: string; login: string; type: string } | null = null;

function commentPayload(issue: number, body: string) {
  const c = example('issue_comment', (e) => e.action === 'created');
  lastComment = { issue, body, login: c.comment.user.login, type: c.comment.user.type };
  c.installation = { id: 42, node_id: 'x' };
  c.issue.number = issue;
  c.issue.pull_request = { url: `https://api.github.com${API}/pulls/${issue}` };
  c.comment.id = COMMENT_ID;
  c.comment.body = body;
  return c;
}

async function comment(mock: GitHubMock, issue: number, body: string) {
  const before = world.reactions.length;
  await deliver(server.url, SECRET, 'issue_comment', commentPayload(issue, body));
  await mock.until(() => world.reactions.length === before + 2);
  await idle();
}

const replies = (issue: number) => world.comments.filter((c) => c.issue === issue).map((c) => c.body);
const posts = (mock: GitHubMock, suffix: string) => mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix));

beforeEach(() => {
  world = setupWorld();
});
afterEach(() => {
  nock.cleanAll();
  world.repo.cleanup();
});

const PR7_CHANGE = {
  write: {
    'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - extra.yaml\npatches:\n  - path: replicas.yaml\n'),
    'envs/staging/web/extra.yaml': configMap('extra', 'new'),
    'envs/staging/web/replicas.yaml': replicas(3),
  },
};

describe('/promote with the directory strategy', () => {
  it('makes production/web equal staging/web (adds, changes, deletes) except kept files, and opens one labelled PR', async () => {
    const mock = mockGitHub(world);
    const source = mergePR(world, 7, PR7_CHANGE);
    const main = remoteBranch(world, 'main')!;
    await comment(mock, 7, '/promote');

    expect(world.reactions).toEqual(['eyes', 'rocket']);
    const pushed = remoteBranch(world, BRANCH)!;
    expect(pushed).not.toBeNull();
    // One commit on top of main, by the configured identity.
    expect(git(world, 'rev-parse', `${pushed}^`).trim()).toBe(main);
    expect(git(world, 'show', '-s', '--format=%an <%ae>|%cn <%ce>', pushed).trim()).toBe('Ferry Promoter <promoter@example.invalid>|Ferry Promoter <promoter@example.invalid>');
    // Exactly the web app in production changed: staging/tools and production/api are untouched.
    expect(git(world, 'diff', '--no-renames', '--name-status', main, pushed).trim().split('\n')).toEqual([
      'A\tenvs/production/web/extra.yaml',
      'M\tenvs/production/web/kustomization.yaml',
      'D\tenvs/production/web/old.yaml',
    ]);
    expect(git(world, 'show', `${pushed}:envs/production/web/kustomization.yaml`)).toBe(PR7_CHANGE.write['envs/staging/web/kustomization.yaml']);
    expect(git(world, 'show', `${pushed}:envs/production/web/replicas.yaml`)).toBe(replicas(5));

    expect(world.pulls).toHaveLength(1);
    const pull = world.pulls[0]!;
    expect(pull).toMatchObject({ head: BRANCH, base: 'main', title: 'Promote web to production', labels: ['promotion'] });
    const meta = readPromotionMeta(pull.body)!;
    expect(meta).toEqual({
      version: 1, from: 'staging', to: 'production', strategy: 'directory', apps: ['web'],
      sourceCommit: source, targetBase: main, sources: [{ pr: 7, commit: source }],
    });
    // The body carries the production plan rendered by the engine.
    expect(pull.body).toContain('### Plan for `production`');
    expect(pull.body).toContain('**`+ ConfigMap/extra`**');
    expect(pull.body).toContain('**`- ConfigMap/old`**');
    expect(pull.body).toContain('`envs/production/web/replicas.yaml` (kept)');
    expect(replies(7)).toEqual([`Opened #${pull.number} to promote \`web\` to \`production\`.\n`]);
    // Pushed with the installation token, nothing else: the remote saw no token in any reply or body.
    expect(JSON.stringify(world)).not.toContain(TOKEN);
  });

  it('a second /promote after new staging changes updates the same PR with a new commit on the same branch', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    const first = remoteBranch(world, BRANCH)!;

    // Same content again: nothing pushed, nothing opened.
    await comment(mock, 7, '/promote');
    expect(remoteBranch(world, BRANCH)).toBe(first);
    expect(replies(7)[1]).toMatch(/^#20 already promotes `web` to `production`/);

    const source = mergePR(world, 8, { write: { 'envs/staging/web/extra.yaml': configMap('extra', 'newer') } });
    await comment(mock, 8, '/promote production');
    const second = remoteBranch(world, BRANCH)!;
    expect(second).not.toBe(first);
    expect(git(world, 'show', `${second}:envs/production/web/extra.yaml`)).toBe(configMap('extra', 'newer'));
    expect(posts(mock, `${API}/pulls`)).toHaveLength(1);
    expect(world.pulls).toHaveLength(1);
    const meta = readPromotionMeta(world.pulls[0]!.body)!;
    expect(meta.sourceCommit).toBe(source);
    expect(meta.sources.map((s) => s.pr)).toEqual([7, 8]);
    expect(replies(8)).toEqual([`Updated #20: it now promotes \`web\` to \`production\` as of \`${source.slice(0, 7)}\`.\n`]);
  });

  it('an app the PR deleted from staging is deleted from production too (kept files stay)', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, { remove: ['envs/staging/web'] });
    const main = remoteBranch(world, 'main')!;
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'rocket']);
    const pushed = remoteBranch(world, BRANCH)!;
    expect(git(world, 'diff', '--no-renames', '--name-status', main, pushed).trim().split('\n')).toEqual([
      'D\tenvs/production/web/kustomization.yaml',
      'D\tenvs/production/web/old.yaml',
    ]);
    expect(world.pulls[0]!.title).toBe('Promote web to production');
  });

  it('a later PR changing the same app and another updates the one open PR, which then carries both', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    mergePR(world, 8, { write: { 'envs/staging/web/extra.yaml': configMap('extra', 'v2'), 'envs/staging/api/deploy.yaml': deployment('api', { image: 'nginx:1.28.0' }) } });
    await comment(mock, 8, '/promote');
    expect(world.pulls).toHaveLength(1);
    expect(posts(mock, `${API}/pulls`)).toHaveLength(1);
    const pushed = remoteBranch(world, BRANCH)!;
    expect(git(world, 'show', `${pushed}:envs/production/api/deploy.yaml`)).toBe(deployment('api', { image: 'nginx:1.28.0' }));
    expect(git(world, 'show', `${pushed}:envs/production/web/extra.yaml`)).toBe(configMap('extra', 'v2'));
    expect(readPromotionMeta(world.pulls[0]!.body)).toMatchObject({ apps: ['api', 'web'], sources: [{ pr: 7 }, { pr: 8 }] });
    expect(world.pulls[0]!.title).toBe('Promote api and web to production');

    // Another app alone is a promotion of its own.
    mergePR(world, 9, { write: { 'envs/staging/tools/job.yaml': configMap('tools', 'v2') } });
    await comment(mock, 9, '/promote');
    expect(world.pulls.map((p) => p.head)).toEqual([BRANCH, 'ferry/promote/staging-to-production/tools']);
  });

  it('a failed label does not undo the opened PR; the next run adds it', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    world.failLabels = 1;
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'rocket']);
    expect(remoteBranch(world, BRANCH)).not.toBeNull();
    expect(world.pulls).toMatchObject([{ state: 'open', labels: [] }]);
    await comment(mock, 7, '/promote');
    expect(world.pulls).toMatchObject([{ state: 'open', labels: ['promotion'] }]);
  });

  it('--dry-run replies with the PR it would open and writes nothing', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    const refsBefore = git(world, 'for-each-ref');
    await comment(mock, 7, '/promote --dry-run');
    expect(world.reactions).toEqual(['eyes', 'rocket']);
    expect(git(world, 'for-each-ref')).toBe(refsBefore);
    expect(posts(mock, `${API}/pulls`)).toHaveLength(0);
    const [reply] = replies(7);
    expect(reply).toMatch(/^\*\*Dry run\*\* — nothing was pushed or opened/);
    expect(reply).toContain(`branch \`${BRANCH}\` into \`main\``);
    expect(reply).toContain('title: Promote web to production');
    expect(reply).toContain('**`+ ConfigMap/extra`**');
    // The promotion commit exists only in Ferry's cache: no reproduce line may name it.
    expect(reply).not.toContain('Reproduce locally');
  });

  it('an opened promotion PR\'s reproduce line names commits that are on the forge', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    const body = world.pulls[0]!.body;
    const shas = [...body.matchAll(/npx ferry-gitops (?:plan --base (\w+) --head (\w+)|validate --ref (\w+))/g)].flatMap((m) => m.slice(1).filter(Boolean));
    expect(shas.length).toBe(3);
    for (const sha of shas) expect(git(world, 'cat-file', '-t', sha).trim()).toBe('commit');
  });

  it('a PR that is still open is refused with the reason, and nothing is written', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE, { merge: false });
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7)[0]).toContain('#7 is not merged yet, so its change is not in `main`');
    expect(remoteBranch(world, BRANCH)).toBeNull();
  });

  it('a user without write access is refused; nothing is pushed or opened', async () => {
    const mock = mockGitHub(world);
    world.permission = 'read';
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7)).toEqual(['@Codertocat `/promote` was refused: `/promote` needs write access to this repository\n\nNothing was changed.\n']);
    expect(remoteBranch(world, BRANCH)).toBeNull();
    expect(posts(mock, `${API}/pulls`)).toHaveLength(0);
  });

  it('a refused /promote names the allowed teams and users without mentioning them', async () => {
    world.repo.cleanup();
    world = setupWorld(CONFIG(DIRECTORY_STEP) + 'commands:\n  promote: { teams: [platform, acme/release], users: [alice, bob] }\n');
    const mock = mockGitHub(world);
    mock.route('GET', '/orgs/acme/teams/release/memberships/Codertocat', () => [404, { message: 'Not Found' }]);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    const reply = replies(7)[0]!;
    expect(reply).toContain('`/promote` is limited to team `platform`, team `acme/release`, `@alice`, `@bob`');
    // Outside code spans, only the commenter is mentioned.
    const mentions = [...reply.replace(/`[^`\n]*`/g, '').matchAll(/(?:^|[^\w])@([\w-]+(?:\/[\w.-]+)?)/g)].map((m) => m[1]);
    expect(mentions).toEqual(['Codertocat']);
    expect(remoteBranch(world, BRANCH)).toBeNull();
  });

  it('commands.promote limits promotion to team members, write access or not', async () => {
    world.repo.cleanup();
    world = setupWorld(CONFIG(DIRECTORY_STEP) + 'commands:\n  promote: { teams: [platform] }\n');
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    expect(replies(7)[0]).toContain('`/promote` is limited to team `platform` (`commands.promote` in ferry.yml)');
    expect(remoteBranch(world, BRANCH)).toBeNull();

    world.permission = 'read';
    world.teams.platform = ['Codertocat'];
    await comment(mock, 7, '/promote');
    expect(world.reactions.slice(2)).toEqual(['eyes', 'rocket']);
    expect(remoteBranch(world, BRANCH)).not.toBeNull();
  });

  it('a PR from a fork is never promoted', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    world.sources.get(7)!.fork = true;
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7)[0]).toContain('pull requests from forks are never promoted');
    expect(remoteBranch(world, BRANCH)).toBeNull();
  });

  it('a failed PR creation removes the branch it pushed; the next /promote opens the PR', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    world.failCreatePull = 1;
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7)[0]).toMatch(/^`\/promote` failed: Validation Failed/);
    expect(remoteBranch(world, BRANCH)).toBeNull();

    await comment(mock, 7, '/promote');
    expect(world.reactions.slice(2)).toEqual(['eyes', 'rocket']);
    expect(world.pulls).toHaveLength(1);
    expect(remoteBranch(world, BRANCH)).not.toBeNull();
  });

  it('a branch left behind without a PR (a crash after the push) is reused and the PR opened', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    // Stale content on the promotion branch, as an earlier attempt could have left it.
    world.repo.git('push', '--quiet', 'origin', `main~1:refs/heads/${BRANCH}`);
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'rocket']);
    const pushed = remoteBranch(world, BRANCH)!;
    expect(git(world, 'show', `${pushed}:envs/production/web/extra.yaml`)).toBe(configMap('extra', 'new'));
    expect(world.pulls).toHaveLength(1);
  });

  it('nothing to promote once production equals staging for the app (kept files aside)', async () => {
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    // The promotion PR merges: main moves to the promotion commit.
    world.repo.git('checkout', '--quiet', '--detach');
    world.repo.git('fetch', '--quiet', 'origin', `+refs/heads/${BRANCH}:refs/heads/main`);
    world.repo.git('push', '--quiet', 'origin', 'main');
    world.repo.git('push', '--quiet', 'origin', `:refs/heads/${BRANCH}`);
    mergePR(world, 8, { write: { 'envs/staging/web/replicas.yaml': replicas(9) } });
    await comment(mock, 8, '/promote');
    expect(world.reactions.slice(2)).toEqual(['eyes', 'rocket']);
    expect(replies(8)[0]).toMatch(/^Nothing to promote: `production` already equals `staging` for `web` at `[0-9a-f]{7}`/);
    expect(remoteBranch(world, BRANCH)).toBeNull();
    expect(world.pulls).toHaveLength(1);
  });
});

describe('the promotion PR is a PR like any other', () => {
  it('gets Ferry\'s plan comment and checks when it opens', async () => {
    const mock = mockGitHub(world);
    mock.route('GET', `${API}/issues/20/comments?*`, () => [200, world.comments.filter((c) => c.issue === 20).map((c, i) => ({ id: 7000 + i, body: c.body, user: { login: 'ferry[bot]', type: 'Bot' } }))]);
    mock.checkRuns(API);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    await deliverPull('opened', 20);
    await mock.until(() => mock.completed().length === 2);
    const plan = replies(20)[0]!;
    expect(plan).toMatch(/^<!-- ferry:plan -->/);
    expect(plan).toContain('<summary><b>production / web</b> <code>+1 ~0 -1</code> ✅</summary>');
    const checks = mock.completed();
    expect(checks.map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([
      ['ferry/plan', remoteBranch(world, BRANCH), 'success'],
      ['ferry/validate', remoteBranch(world, BRANCH), 'success'],
    ]);
  });
});

describe('/promote gates', () => {
  const gated = (gates: string) => CONFIG(`${DIRECTORY_STEP}    gates:\n${gates}`);

  it('an unmet status gate refuses with each gate and its state', async () => {
    world.repo.cleanup();
    world = setupWorld(gated('      statuses: ["argocd/staging", "flux/staging", "e2e"]\n'));
    const mock = mockGitHub(world);
    const source = mergePR(world, 7, PR7_CHANGE);
    // An older failure then a newer pending report: the newest counts.
    world.statuses[source] = [{ context: 'argocd/staging', state: 'failure' }, { context: 'argocd/staging', state: 'pending' }];
    world.checkRuns[source] = [{ name: 'e2e', status: 'in_progress', conclusion: null }];
    mockStatuses(mock, world, [source]);
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    const reply = replies(7)[0]!;
    expect(reply).toContain(`3 gates are not met for \`staging\` → \`production\` on \`${source.slice(0, 7)}\``);
    expect(reply).toContain('| ❌ status `argocd/staging` | pending |');
    expect(reply).toContain('| ❌ check `flux/staging` | not reported |');
    // e2e is a check run, the others commit statuses.
    expect(reply).toContain('| ❌ check `e2e` | pending |');
    expect(remoteBranch(world, BRANCH)).toBeNull();

    world.checkRuns[source] = [{ name: 'e2e', status: 'completed', conclusion: 'failure' }];
    await comment(mock, 7, '/promote');
    expect(replies(7)[1]).toContain('| ❌ check `e2e` | failure |');

    world.statuses[source]!.push({ context: 'argocd/staging', state: 'success' }, { context: 'flux/staging', state: 'success' });
    world.checkRuns[source] = [{ name: 'e2e', status: 'completed', conclusion: 'success' }];
    await comment(mock, 7, '/promote');
    expect(world.reactions.slice(4)).toEqual(['eyes', 'rocket']);
    expect(world.pulls[0]!.body).toContain('| ✅ status `argocd/staging` | met |');
  });

  it('a soak time not reached yet refuses and says how long is left', async () => {
    world.repo.cleanup();
    world = setupWorld(gated('      soak: 2h\n'));
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE, { date: new Date(Date.now() - 30 * 60_000).toISOString() });
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7)[0]).toMatch(/\| ❌ soak 2h \| live for 30m( \d+s)?, 1h (29|30)m to go \|/);
    expect(remoteBranch(world, BRANCH)).toBeNull();
  });
});

describe('/promote gates, continued', () => {
  it('a met soak gate leaves the PR body stable: promoting again changes nothing', async () => {
    world.repo.cleanup();
    world = setupWorld(CONFIG(`${DIRECTORY_STEP}    gates:\n      soak: 1h\n`));
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    expect(world.pulls[0]!.body).toContain('| ✅ soak 1h | met |');
    const body = world.pulls[0]!.body;
    await comment(mock, 7, '/promote');
    expect(replies(7)[1]).toMatch(/^#20 already promotes `web` to `production`/);
    expect(mock.count('PATCH', `${API}/pulls/20`)).toBe(0);
    expect(world.pulls[0]!.body).toBe(body);
  });
});

describe('/promote with the branch strategy', () => {
  const BRANCH_CONFIG = `environments:
  - name: staging
    branch: staging
  - name: production
    branch: production
promotion:
  - from: staging
    to: production
    strategy: branch
`;
  /** One layout on every branch, as branch-per-environment repositories have it. */
  function branchWorld(stagingConfig: string, productionConfig: string): World {
    const w = setupWorld(productionConfig, {
      '.github/ferry.yml': productionConfig,
      'apps/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
      'apps/web/deployment.yaml': deployment('web'),
    });
    w.repo.git('push', '--quiet', 'origin', 'main:refs/heads/production');
    w.repo.git('branch', 'staging', 'main');
    if (stagingConfig !== productionConfig) mergePR(w, 5, { write: { '.github/ferry.yml': stagingConfig } }, { into: 'staging' });
    else w.repo.git('push', '--quiet', 'origin', 'staging');
    return w;
  }
  const PIN = 'ferry/promote/staging-to-production/all';

  it('pins the staging branch commit on the promotion branch and opens the PR into production', async () => {
    world.repo.cleanup();
    world = branchWorld(BRANCH_CONFIG, BRANCH_CONFIG);
    const mock = mockGitHub(world);
    const pinned = mergePR(world, 9, { write: { 'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) } }, { into: 'staging' });
    await comment(mock, 9, '/promote');
    expect(world.reactions).toEqual(['eyes', 'rocket']);
    expect(remoteBranch(world, PIN)).toBe(pinned);
    expect(world.pulls[0]).toMatchObject({ head: PIN, base: 'production', title: 'Promote apps/web to production' });
    expect(world.pulls[0]!.body).toContain('image: nginx:1.27.1');
    expect(readPromotionMeta(world.pulls[0]!.body)).toMatchObject({ strategy: 'branch', apps: [], sourceCommit: pinned });

    // A later staging change promoted again moves the same PR's pin forward.
    const later = mergePR(world, 8, { write: { 'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.2' }) } }, { into: 'staging' });
    await comment(mock, 8, '/promote');
    expect(remoteBranch(world, PIN)).toBe(later);
    expect(world.pulls).toHaveLength(1);
    expect(world.pulls[0]!.body).toContain('image: nginx:1.27.2');
  });

  it('the gates and permissions of production come from the production branch, not from staging', async () => {
    world.repo.cleanup();
    const gated = `${BRANCH_CONFIG}    gates:\n      statuses: ["argocd/staging"]\n`;
    // Someone removed the gate on staging; production's ferry.yml still has it.
    world = branchWorld(BRANCH_CONFIG, gated);
    const mock = mockGitHub(world);
    const source = mergePR(world, 9, { write: { 'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) } }, { into: 'staging' });
    mockStatuses(mock, world, [source]);
    await comment(mock, 9, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(9)[0]).toContain('| ❌ check `argocd/staging` | not reported |');
    expect(remoteBranch(world, PIN)).toBeNull();
  });
});

describe('auto-promotion and the chain', () => {
  it('auto: true waits for its status gate on merge and opens the PR when the status arrives', async () => {
    world.repo.cleanup();
    world = setupWorld(CONFIG(`${DIRECTORY_STEP}    auto: true\n    gates:\n      statuses: ["argocd/staging"]\n`));
    const mock = mockGitHub(world);
    const source = mergePR(world, 7, PR7_CHANGE);
    mockStatuses(mock, world, [source]);
    mock.route('GET', `${API}/commits/${source}/pulls?*`, () => [200, [pullJson(world, 7)]]);
    await deliverPull('closed', 7);
    await mock.until(() => replies(7).length === 1);
    await idle();
    expect(replies(7)[0]).toContain('Auto-promotion `staging` → `production` is waiting for its gates');
    expect(replies(7)[0]).toContain('| ⏳ check `argocd/staging` | not reported |');
    expect(remoteBranch(world, BRANCH)).toBeNull();

    world.statuses[source] = [{ context: 'argocd/staging', state: 'success' }];
    const status = example('status', () => true);
    Object.assign(status, { sha: source, state: 'success', context: 'argocd/staging', installation: { id: 42, node_id: 'x' } });
    await deliver(server.url, SECRET, 'status', status);
    await mock.until(() => world.pulls.length === 1);
    await idle();
    expect(world.pulls[0]!.body).toContain('Opened automatically by Ferry');
    expect(replies(7)[1]).toBe('Auto-promotion: Opened #20 to promote `web` to `production`.\n');
  });

  it('when a promotion PR merges, the next step of the chain is offered', async () => {
    world.repo.cleanup();
    world = setupWorld(CONFIG(`${DIRECTORY_STEP}  - from: production\n    to: dr\n`, '  - name: dr\n    path: envs/dr\n'));
    const mock = mockGitHub(world);
    mergePR(world, 7, PR7_CHANGE);
    await comment(mock, 7, '/promote');
    const pull = world.pulls[0]!;
    pull.state = 'closed';
    await deliverPull('closed', pull.number);
    await mock.until(() => replies(pull.number).length === 1);
    expect(replies(pull.number)[0]).toBe('Promoted to `production`. Next in the chain: `/promote dr` (production → dr).\n');
  });
});

describe('/promote against hostile file names', () => {
  it('a file name carrying a newline cannot forge index records: the promotion is refused and nothing is pushed', async () => {
    const mock = mockGitHub(world);
    const payload = 'name: pwn\non: push\njobs: {}\n';
    const oid = execFileSync('git', ['hash-object', '--stdin'], { input: payload, encoding: 'utf8' }).trim();
    // Newline-joined `update-index --index-info` input would read this one path as two
    // records, the second writing a workflow file and another production app.
    const forged = `envs/staging/web/z\n100644 ${oid}\t.github/workflows/pwn.yml\n100644 ${oid}\tenvs/production/api/deploy.yaml`;
    mergePR(world, 7, { write: { ...PR7_CHANGE.write, 'envs/staging/web/payload.yaml': payload, [forged]: 'x: 1\n' } });
    const main = remoteBranch(world, 'main')!;
    await comment(mock, 7, '/promote');
    expect(world.reactions).toEqual(['eyes', 'confused']);
    expect(replies(7).join('\n')).toMatch(/control characters/);
    expect(remoteBranch(world, BRANCH)).toBeNull();
    expect(git(world, 'for-each-ref', '--format=%(refname)', 'refs/heads/').trim().split('\n').sort()).toEqual(['refs/heads/main']);
    expect(remoteBranch(world, 'main')).toBe(main);
    expect(world.pulls).toEqual([]);
  });
});
