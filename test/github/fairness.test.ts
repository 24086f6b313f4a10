import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/engine.js';
import { EnginePool } from '../../src/runtime/engine-pool.js';
import type { RunningServer } from '../../src/server.js';
import { testBinDir } from '../helpers/bin.js';
import { envRepoFiles } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { deliver, example, GitHubMock } from '../helpers/github.js';
import { idle, SECRET, startTestServer } from '../helpers/server.js';

const OWNER = 'Codertocat';

let server: RunningServer;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  // Two workers and two job slots: each repository gets one of each.
  server = await startTestServer(tempDir('ferry-cache-'), { concurrency: 2 });
});
afterEach(() => {
  nock.cleanAll();
  for (const f of cleanup.splice(0)) f();
});
afterAll(async () => {
  await server.stop(5_000);
  nock.enableNetConnect();
});

/**
 * A `kustomize` that records its pid and then never finishes: a render as slow as a
 * hostile PR can make it. The pid files live in `dir`.
 */
function slowKustomize(): { bin: string; pids: () => number[] } {
  const bin = path.join(testBinDir(), 'kustomize');
  // Renders run in their own PID namespace (where `$$` is not the host's pid) and see a
  // read-only filesystem: each run is found by a token on its command line instead.
  const token = String(Math.floor(Math.random() * 1e9));
  writeFileSync(bin, `#!/bin/sh\nexec sleep "300.${token}$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"\n`);
  chmodSync(bin, 0o755);
  const mine = new RegExp(`^sleep\u0000300\\.${token}\\d+\u0000$`);
  return {
    bin,
    pids: () =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((p) => {
          try {
            return mine.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
          } catch {
            return false; // gone meanwhile
          }
        })
        .map(Number),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls a condition without judging how long it took (the test timeout bounds it). */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 20));
}

interface Repo {
  name: string;
  git: TestRepo;
  bare: string;
  base: string;
  /** PR number → head SHA and state as GET /pulls/:n answers. */
  prs: Map<number, { head: string; state: string }>;
  comments: unknown[];
}

function repository(name: string, files: Record<string, string>): Repo {
  const git = new TestRepo().write(files);
  const base = git.commit('initial');
  const bare = path.join(tempDir('ferry-remote-'), `${name}.git`);
  git.git('clone', '--quiet', '--bare', git.dir, bare);
  git.git('remote', 'add', 'origin', bare);
  cleanup.push(() => git.cleanup());
  return { name, git, bare, base, prs: new Map(), comments: [] };
}

function openPR(r: Repo, number: number, replicas: number): string {
  r.git.git('checkout', '--quiet', '-B', `pr-${number}`, r.base);
  r.git.write({ 'envs/staging/web/replicas.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n` });
  const head = r.git.commit(`PR ${number}`);
  r.git.git('push', '--quiet', '--force', 'origin', `HEAD:refs/pull/${number}/head`);
  r.prs.set(number, { head, state: 'open' });
  return head;
}

function payload(r: Repo, number: number, action: 'opened' | 'closed') {
  const p = example('pull_request', (e) => e.action === 'opened');
  const pr = r.prs.get(number)!;
  p.action = action;
  p.number = number;
  p.installation = { id: 42, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' };
  Object.assign(p.pull_request, { number, state: pr.state, draft: false, merged: false, merged_at: null });
  p.pull_request.head.sha = pr.head;
  p.pull_request.base.sha = r.base;
  p.pull_request.base.repo.name = r.name;
  p.pull_request.base.repo.full_name = `${OWNER}/${r.name}`;
  p.pull_request.head.repo.full_name = `${OWNER}/${r.name}`;
  p.pull_request.base.repo.clone_url = r.bare;
  p.repository.name = r.name;
  p.repository.full_name = `${OWNER}/${r.name}`;
  return p;
}

function mock(repos: Repo[]): GitHubMock {
  const m = new GitHubMock()
    .route('POST', '/app/installations/42/access_tokens', () => [201, { token: 'ghs_fairness', expires_at: new Date(Date.now() + 3600_000).toISOString() }])
    .route('GET', '/app', () => [200, { id: 1, slug: 'ferry', name: 'Ferry' }]);
  let id = 5000;
  for (const r of repos) {
    const api = `/repos/${OWNER}/${r.name}`;
    m.checkRuns(api);
    for (const n of r.prs.keys()) {
      m.route('GET', `${api}/pulls/${n}`, () => [200, { ...payload(r, n, 'opened').pull_request }]);
      m.route('GET', `${api}/issues/${n}/comments?*`, () => [200, []]);
      m.route('POST', `${api}/issues/${n}/comments`, (body) => {
        r.comments.push(body);
        return [201, { id: id++, body: (body as { body: string }).body, user: { login: 'ferry[bot]', type: 'Bot' } }];
      });
    }
  }
  return m;
}

/** The completed check runs of a repository. */
const checkRunsOf = (m: GitHubMock, r: Repo) => m.completed(`/repos/${OWNER}/${r.name}`);

describe('engine pool: aborts and fairness', () => {
  it('closing a PR kills its render; another repository is planned while two slow PRs wait on theirs', async () => {
    const slow = slowKustomize();
    const files = envRepoFiles();
    files['.github/ferry.yml'] += `render:\n  kustomize: ${slow.bin}\n`;
    const a = repository('slow-renders', files);
    const b = repository('unrelated', envRepoFiles());
    openPR(a, 1, 3);
    openPR(a, 2, 4);
    const bHead = openPR(b, 1, 7);
    const gh = mock([a, b]);
    const staleBefore = server.outcomes.get('stale') ?? 0;

    await deliver(server.url, SECRET, 'pull_request', payload(a, 1, 'opened'));
    await deliver(server.url, SECRET, 'pull_request', payload(a, 2, 'opened'));
    await until(() => slow.pids().length > 0);
    await deliver(server.url, SECRET, 'pull_request', payload(b, 1, 'opened'));

    // The unrelated repository gets its plan while the slow renders still run.
    await gh.until(() => checkRunsOf(gh, b).length === 2);
    expect(checkRunsOf(gh, b).map((c) => [c.name, c.head_sha])).toEqual([['ferry/plan', bHead], ['ferry/validate', bHead]]);
    const first = slow.pids();
    expect(first.every(alive)).toBe(true);

    // Closing the PR stops its render: the renderer's process is gone.
    a.prs.get(1)!.state = 'closed';
    await deliver(server.url, SECRET, 'pull_request', payload(a, 1, 'closed'));
    await until(() => !first.some(alive));

    // The second slow PR was waiting its turn; it renders now, and closing it stops it too.
    await until(() => slow.pids().some((p) => !first.includes(p)));
    const second = slow.pids().filter((p) => !first.includes(p));
    a.prs.get(2)!.state = 'closed';
    await deliver(server.url, SECRET, 'pull_request', payload(a, 2, 'closed'));
    await until(() => !second.some(alive));
    await idle(server);

    expect(a.comments).toEqual([]);
    expect(checkRunsOf(gh, a)).toEqual([]);
    expect(server.outcomes.get('stale')).toBe(staleBefore + 2);
  });

  it('a job aborted while waiting for a worker leaves the line at once', async () => {
    const slow = slowKustomize();
    const files = envRepoFiles();
    files['.github/ferry.yml'] += `render:\n  kustomize: ${slow.bin}\n`;
    const a = repository('waits', files);
    const head = openPR(a, 1, 3);
    const pool = new EnginePool(1);
    cleanup.push(() => void pool.close());
    const req = { repo: a.bare, base: a.base, head, cacheDir: tempDir('ferry-cache-'), fetchRefspecs: ['+refs/pull/1/head:refs/pull/1/head'] };
    const running = new AbortController();
    const first = pool.run(req, false, running.signal);
    await until(() => slow.pids().length > 0);
    const waiting = new AbortController();
    const second = pool.run(req, false, waiting.signal);
    waiting.abort();
    // Rejected while the first plan still holds the only worker.
    await expect(second).rejects.toBeInstanceOf(AbortedError);
    expect(slow.pids().every(alive)).toBe(true);
    running.abort();
    await expect(first).rejects.toBeInstanceOf(AbortedError);
    await until(() => !slow.pids().some(alive));
  });
});
