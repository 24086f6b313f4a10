/**
 * Webhook acknowledgement latency and delivery-to-comment time for the GitHub App and
 * for a GitLab webhook, against the forges mocked with nock (loopback only). Run by bench/run.ts or alone:
 * `node --import tsx bench/webhook.ts`.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { startServer } from '../src/server.js';
import { FakeGitLab } from '../test/helpers/fake-gitlab.js';
import { generateMonorepo } from './monorepo.js';

const SECRET = 'bench-secret';
const OWNER = 'bench';
const REPO = 'monorepo';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-webhook-'));
  // A 10-app PR: the monorepo's own PR touches 30 apps; this one bumps 10 app images.
  const mono = generateMonorepo(path.join(work, 'repo'), 100);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: mono.dir, encoding: 'utf8' }).trim();
  git('checkout', '--quiet', '-b', 'pr', mono.base);
  for (let i = 0; i < 10; i++) {
    const f = path.join(mono.dir, `apps/app-${i * 10}/deployment.yaml`);
    execFileSync('sed', ['-i', 's/app:1.0.0/app:2.0.0/', f]);
  }
  git('commit', '--quiet', '-am', 'bump 10 apps');
  const head = git('rev-parse', 'HEAD');
  const bare = path.join(work, 'remote.git');
  execFileSync('git', ['clone', '--quiet', '--bare', mono.dir, bare]);
  execFileSync('git', ['--git-dir', bare, 'update-ref', 'refs/pull/1/head', head]);

  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
  let commentAt = 0;
  const pull = (sha: string) => ({
    number: 1, state: 'open', draft: false,
    head: { sha, ref: 'pr' },
    base: { sha: mono.base, ref: 'main', repo: { name: REPO, owner: { login: OWNER }, clone_url: bare } },
  });
  let currentHead = head;
  const api = nock('https://api.github.com').persist();
  // Ferry finds its own comments by its bot login, from the App's slug.
  api.get('/app').reply(200, { id: 1, slug: 'ferry', name: 'Ferry' });
  api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_bench', expires_at: new Date(Date.now() + 3600e3).toISOString() });
  api.get(`/repos/${OWNER}/${REPO}/pulls/1`).reply(200, () => pull(currentHead));
  api.get(`/repos/${OWNER}/${REPO}/issues/1/comments`).query(true).reply(200, []);
  api.post(`/repos/${OWNER}/${REPO}/issues/1/comments`).reply(201, () => {
    commentAt = performance.now();
    return { id: 1 };
  });
  api.post(`/repos/${OWNER}/${REPO}/check-runs`).reply(201, { id: 2 });
  api.patch(/\/repos\/bench\/monorepo\/check-runs\/\d+/).reply(200, { id: 2 });

  const server = await startServer({
    github: {
      appId: '1',
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey,
      webhookSecret: SECRET,
      octokit: { throttle: { enabled: false } },
    },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir: path.join(work, 'cache'),
    logLevel: 'fatal',
  });

  const send = async (id: string, sha: string) => {
    const body = JSON.stringify({ action: 'synchronize', number: 1, pull_request: pull(sha), repository: { name: REPO, owner: { login: OWNER }, clone_url: bare }, installation: { id: 1 } });
    const t = performance.now();
    const res = await fetch(`${server.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': id,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`delivery answered ${res.status}`);
    return performance.now() - t;
  };

  try {
    // End to end: one delivery, until the comment request reaches "GitHub".
    const t0 = performance.now();
    await send('e2e', head);
    while (!commentAt) await new Promise((r) => setTimeout(r, 10));
    const e2e = commentAt - t0;
    const busy = async () => {
      const s = await server.queue.size();
      return s.running + s.queued > 0;
    };
    while (await busy()) await new Promise((r) => setTimeout(r, 10));

    // Acknowledgement: 1,000 signed deliveries, sequential, while plans keep being queued
    // and superseded behind them (each delivery names the same head, so work is bounded).
    const acks: number[] = [];
    for (let i = 0; i < 1000; i++) acks.push(await send(`ack-${i}`, head));
    acks.sort((a, b) => a - b);
    console.log('GitHub App webhook (nock-mocked GitHub, loopback HTTP, real HMAC signatures)');
    console.log(`  acknowledgement over 1,000 deliveries: p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms, max ${acks[acks.length - 1]!.toFixed(1)} ms`);
    console.log(`  delivery → plan comment request, 10-app PR (cold cache): ${e2e.toFixed(0)} ms`);
    await server.stop(60_000);
    nock.cleanAll();
    await gitlab(bare, mono.base, head, path.join(work, 'cache-gitlab'));
  } finally {
    nock.cleanAll();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The same measures for a GitLab webhook: merge request updates with the token header,
 * against a stateful fake GitLab on nock (loopback HTTP to Ferry).
 */
async function gitlab(bare: string, base: string, head: string, cacheDir: string) {
  const URL_ = 'https://gitlab.bench.test';
  const TOKEN = 'glpat-bench';
  execFileSync('git', ['--git-dir', bare, 'update-ref', 'refs/merge-requests/1/head', head]);
  const gl = new FakeGitLab(URL_, TOKEN, 'ferry-bot');
  const project = gl.addProject('bench/platform/monorepo', bare);
  gl.addMergeRequest(project, { iid: 1, sha: head, source_branch: 'pr', target_branch: 'main', base_sha: base, start_sha: base });
  nock.enableNetConnect(/127\.0\.0\.1/);
  const server = await startServer({
    gitlab: { url: URL_, token: TOKEN, webhookSecret: SECRET },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir,
    logLevel: 'fatal',
  });
  const payload = (sha: string) => JSON.stringify({
    object_kind: 'merge_request',
    project: { id: project.id, path_with_namespace: project.path, git_http_url: bare },
    object_attributes: { iid: 1, action: 'update', oldrev: base, state: 'opened', source_project_id: project.id, target_project_id: project.id, last_commit: { id: sha } },
  });
  const send = async (id: string, sha: string) => {
    const t = performance.now();
    const res = await fetch(`${server.url}/api/gitlab/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': SECRET, 'idempotency-key': id },
      body: payload(sha),
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`delivery answered ${res.status}`);
    return performance.now() - t;
  };
  const noted = () => gl.notes.some((n) => n.author === 'ferry-bot' && n.body.startsWith('<!-- ferry:plan -->'));
  try {
    const t0 = performance.now();
    await send('e2e', head);
    while (!noted()) await new Promise((r) => setTimeout(r, 10));
    const e2e = performance.now() - t0;
    const acks: number[] = [];
    for (let i = 0; i < 1000; i++) acks.push(await send(`ack-${i}`, head));
    acks.sort((a, b) => a - b);
    console.log('GitLab webhook (fake GitLab on nock, loopback HTTP, X-Gitlab-Token)');
    console.log(`  acknowledgement over 1,000 deliveries: p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms, max ${acks[acks.length - 1]!.toFixed(1)} ms`);
    console.log(`  delivery → plan note, 10-app MR (cold cache): ${e2e.toFixed(0)} ms`);
  } finally {
    await server.stop(60_000);
    gl.close();
  }
}

await main();
