import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { FakeGitLab, type Project } from '../helpers/fake-gitlab.js';
import { deployment, kustomization, twoEnvConfig } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { freePort } from '../helpers/github.js';

const URL_ = 'https://gitlab.example.test';
const TOKEN = 'glpat-e2e-token-5be0f1';
const HOOK_SECRET = 'gitlab-hook-secret';
const PATH = 'acme/platform/gitops';
/** A Secret's value in the repository: it must never reach a note, a status or a log. */
const SECRET_VALUE = 'hunter2-do-not-print-7d41';
const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'gitlab', 'webhooks');

const CONFIG = twoEnvConfig('promotion:\n  - from: staging\n    to: production\n');

function secret(value: string) {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: ${value}\n`;
}

function files(): Record<string, string> {
  return {
    '.gitlab/ferry.yml': CONFIG,
    'base/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
    'base/web/deployment.yaml': deployment('web'),
    'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - secret.yaml\n'),
    'envs/staging/web/secret.yaml': secret('first-value'),
    'envs/production/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - secret.yaml\n'),
    'envs/production/web/secret.yaml': secret('first-value'),
  };
}

let server: RunningServer;
let gl: FakeGitLab;
let project: Project;
let repo: TestRepo;
let bare: string;
let base: string;
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _e, done) {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  server = await startServer({
    gitlab: { url: URL_, token: TOKEN, webhookSecret: HOOK_SECRET },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir: tempDir('ferry-cache-'),
    logLevel: 'info',
    logDestination: logSink,
  });
});
afterAll(async () => {
  await server.stop(5_000);
  nock.cleanAll();
  nock.enableNetConnect();
});

beforeEach(() => {
  repo = new TestRepo().write(files());
  base = repo.commit('initial');
  bare = path.join(tempDir('ferry-remote-'), 'gitops.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  gl = new FakeGitLab(URL_, TOKEN, 'ferry-bot');
  project = gl.addProject(PATH, bare);
});
afterEach(() => {
  gl.close();
  repo.cleanup();
});

/** A commit on MR `iid`'s branch, pushed as GitLab keeps it (refs/merge-requests/IID/head). */
function push(iid: number, change: Record<string, string>): string {
  repo.git('checkout', '--quiet', '-B', `mr-${iid}`, iid === 7 && !hasBranch('mr-7') ? base : `mr-${iid}`);
  repo.write(change);
  const sha = repo.commit(`change for !${iid}`);
  repo.git('push', '--quiet', '--force', 'origin', `HEAD:refs/merge-requests/${iid}/head`);
  const mr = gl.mr(project, iid);
  if (mr) mr.sha = sha;
  else gl.addMergeRequest(project, { iid, sha, source_branch: `mr-${iid}`, target_branch: 'main', base_sha: base, start_sha: base });
  return sha;
}

function hasBranch(name: string): boolean {
  try {
    repo.git('rev-parse', '--verify', '--quiet', `refs/heads/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Merges MR `iid` into main with a merge commit, as GitLab does, and says so in the fake. */
function merge(iid: number): string {
  repo.git('checkout', '--quiet', 'main');
  repo.git('merge', '--quiet', '--no-ff', '-m', `Merge branch 'mr-${iid}' into 'main'`, `mr-${iid}`);
  const sha = repo.git('rev-parse', 'HEAD').trim();
  repo.git('push', '--quiet', 'origin', 'main');
  Object.assign(gl.mr(project, iid)!, { state: 'merged', merge_commit_sha: sha, merged_at: new Date(Date.now() - 3_600_000).toISOString() });
  return sha;
}

function example(name: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(path.join(examples, `${name}.json`), 'utf8'));
}

const projectJson = () => ({ ...example('merge_request.open').project, id: project.id, path_with_namespace: PATH, git_http_url: bare, web_url: `${URL_}/${PATH}` });

function mrPayload(action: 'open' | 'update', iid: number, sha: string, oldrev?: string) {
  const p = example(action === 'open' ? 'merge_request.open' : 'merge_request.update');
  p.project = projectJson();
  Object.assign(p.object_attributes, { iid, action, state: 'opened', source_project_id: project.id, target_project_id: project.id, source_branch: `mr-${iid}`, target_branch: 'main' });
  p.object_attributes.last_commit.id = sha;
  if (oldrev) p.object_attributes.oldrev = oldrev;
  else delete p.object_attributes.oldrev;
  return p;
}

function notePayload(iid: number, author: string, body: string, id: number) {
  const p = example('note.merge_request');
  p.project = projectJson();
  p.project_id = project.id;
  p.user.username = author;
  Object.assign(p.object_attributes, { id, note: body, noteable_type: 'MergeRequest', action: 'create', system: false });
  p.merge_request.iid = iid;
  return p;
}

let deliveries = 0;
async function deliver(event: string, payload: unknown, opts: { token?: string; key?: string } = {}): Promise<Response> {
  return fetch(`${server.url}/api/gitlab/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-token': opts.token ?? HOOK_SECRET,
      'idempotency-key': opts.key ?? `e2e-${process.pid}-${++deliveries}`,
    },
    body: JSON.stringify(payload),
  });
}

/** A user's note on MR `iid`, written in the fake and delivered as GitLab would. */
async function comment(iid: number, author: string, body: string) {
  const n = gl.note(project, iid, author, body);
  await deliver('Note Hook', notePayload(iid, author, body, n.id));
  return n;
}

async function until(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; requests:\n${gl.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function idle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  for (;;) {
    const s = await server.queue.size();
    if (s.running + s.queued === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const botNotes = (iid: number) => gl.notesOf(project, iid).filter((n) => n.author === 'ferry-bot');
const planNotes = (iid: number) => botNotes(iid).filter((n) => n.body.startsWith('<!-- ferry:plan -->'));
const statusesOf = (sha: string) => gl.statuses.filter((s) => s.sha === sha && s.author === 'ferry-bot');
const final = (sha: string, name: string) => statusesOf(sha).filter((s) => s.name === name).at(-1)?.status;
/** Status writes for a commit, in order: GitLab keeps one status per name and moves it, so the requests tell the steps. */
const statusPosts = (sha: string) => gl.requests.filter((r) => r.route === 'POST /projects/:id/statuses/:sha' && r.path.includes(sha) && r.status < 300).length;

describe('GitLab merge requests, end to end over HTTP (nested-group project)', () => {
  it('opening plans into one note and two statuses; a second push edits the same note; the Secret never shows', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }), 'envs/staging/web/secret.yaml': secret(SECRET_VALUE) });
    const res = await deliver('Merge Request Hook', mrPayload('open', 7, head));
    expect(res.status).toBe(202);
    await until(() => final(head, 'ferry/validate') === 'success' && final(head, 'ferry/plan') === 'success', 'statuses');
    // Running first, then the verdict (GitLab refuses any other order), on the head commit.
    expect(statusPosts(head)).toBe(4);
    expect(statusesOf(head).every((s) => s.target_url === `${URL_}/${PATH}/-/merge_requests/7`)).toBe(true);
    expect(planNotes(7)).toHaveLength(1);
    const first = planNotes(7)[0]!;
    expect(first.body).toContain('<b>staging / web</b> <code>+0 ~2 -0</code>');
    expect(first.body).toContain('<b>production / web</b> <code>+0 ~1 -0</code>');
    // The footer names GitLab's form of the commands.
    expect(first.body).toContain('Comment `/ferry plan` to plan again');

    const second = push(7, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.2' }) });
    await deliver('Merge Request Hook', mrPayload('update', 7, second, head));
    await until(() => final(second, 'ferry/plan') === 'success' && final(second, 'ferry/validate') === 'success', 'statuses of the second push');
    await idle();
    expect(planNotes(7)).toHaveLength(1);
    expect(planNotes(7)[0]!.id).toBe(first.id);
    expect(planNotes(7)[0]!.body).toContain(second.slice(0, 7));

    const written = JSON.stringify([gl.notes, gl.statuses, gl.mrs]);
    expect(written).not.toContain(SECRET_VALUE);
    expect(logLines.join('\n')).not.toContain(SECRET_VALUE);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });

  it('a delivery sent twice with the same Idempotency-Key plans once', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    const payload = mrPayload('open', 7, head);
    const a = await deliver('Merge Request Hook', payload, { key: 'same-key' });
    const b = await deliver('Merge Request Hook', payload, { key: 'same-key' });
    expect([a.status, b.status]).toEqual([202, 200]);
    expect(((await b.json()) as { result: string }).result).toBe('duplicate');
    await until(() => final(head, 'ferry/plan') === 'success', 'the plan');
    await idle();
    expect(statusPosts(head)).toBe(4);
    expect(planNotes(7)).toHaveLength(1);
  });

  it('a wrong or missing token gets 401 and does nothing', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    for (const token of ['wrong', '']) {
      const res = await deliver('Merge Request Hook', mrPayload('open', 7, head), { token });
      expect(res.status).toBe(401);
    }
    await idle();
    expect(gl.requests).toEqual([]);
  });

  it('a Developer\'s `/ferry plan` plans again, with 👀 then 🚀', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    gl.grant(project, 'dora', 30);
    const n = await comment(7, 'dora', 'please\n/ferry plan');
    await until(() => final(head, 'ferry/plan') === 'success', 'the plan');
    await idle();
    expect(n.awards.map((a) => a.name)).toEqual(['eyes', 'rocket']);
    expect(planNotes(7)).toHaveLength(1);
  });

  it('a Guest\'s `/ferry promote` is refused with a reply and 😕; nothing is pushed or opened', async () => {
    push(7, { 'envs/staging/web/secret.yaml': secret('second-value') });
    merge(7);
    gl.grant(project, 'gus', 10);
    const n = await comment(7, 'gus', '/ferry promote');
    await until(() => n.awards.length === 2, 'the reactions');
    await idle();
    expect(n.awards.map((a) => a.name)).toEqual(['eyes', 'confused']);
    expect(botNotes(7).at(-1)!.body).toContain('`/ferry promote` needs the Developer role (or higher) in this project');
    expect(gl.mrs.map((m) => m.iid)).toEqual([7]);
    expect(execFileSync('git', ['--git-dir', bare, 'branch', '--list', 'ferry/*'], { encoding: 'utf8' }).trim()).toBe('');
  });

  it('`/ferry promote` opens one promotion MR (`!N`), and a later promotion of the same app updates it', async () => {
    gl.grant(project, 'dora', 30);
    push(7, { 'envs/staging/web/secret.yaml': secret('second-value') });
    merge(7);
    const first = await comment(7, 'dora', '/ferry promote');
    await until(() => first.awards.length === 2, 'the first promotion');
    await idle();
    expect(first.awards.map((a) => a.name)).toEqual(['eyes', 'rocket']);
    const promotions = gl.mrs.filter((m) => m.source_branch.startsWith('ferry/promote/'));
    expect(promotions.map((m) => [m.source_branch, m.target_branch, m.labels])).toEqual([['ferry/promote/staging-to-production/web', 'main', ['promotion']]]);
    const promo = promotions[0]!;
    expect(botNotes(7).at(-1)!.body).toContain(`!${promo.iid}`);
    expect(promo.description).toContain('!7');
    const branchSha = () => execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/ferry/promote/staging-to-production/web'], { encoding: 'utf8' }).trim();
    const pushed = branchSha();
    expect(execFileSync('git', ['--git-dir', bare, 'show', `${pushed}:envs/production/web/secret.yaml`], { encoding: 'utf8' })).toContain('second-value');

    // A later merge request (iid 30: the promotion MR took the next free iid).
    repo.git('checkout', '--quiet', '-B', 'mr-30', 'main');
    push(30, { 'envs/staging/web/secret.yaml': secret('third-value') });
    merge(30);
    const second = await comment(30, 'dora', '/ferry promote');
    await until(() => second.awards.length === 2, 'the second promotion');
    await idle();
    expect(second.awards.map((a) => a.name)).toEqual(['eyes', 'rocket']);
    expect(gl.mrs.filter((m) => m.source_branch.startsWith('ferry/promote/'))).toHaveLength(1);
    expect(promo.description).toContain('!30');
    expect(branchSha()).not.toBe(pushed);
    expect(JSON.stringify([gl.notes, gl.mrs])).not.toContain('third-value');
  });

  it('a 5xx from GitLab is tried again and the plan still lands', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    gl.failNext('POST /projects/:id/statuses/:sha', [502, { message: 'Bad Gateway' }]);
    gl.failNext('GET /projects/:id/merge_requests/:merge_request_iid/notes', [503, { message: 'Service Unavailable' }]);
    await deliver('Merge Request Hook', mrPayload('open', 7, head));
    await until(() => final(head, 'ferry/validate') === 'success' && final(head, 'ferry/plan') === 'success', 'statuses');
    await idle();
    expect(gl.requests.filter((r) => r.status >= 500).length).toBe(2);
    expect(planNotes(7)).toHaveLength(1);
  });
});

describe('a note payload is not proof of who wrote the note', () => {
  it('a Guest\'s own note, delivered with a Developer named as its author, promotes nothing', async () => {
    gl.grant(project, 'dora', 30);
    gl.grant(project, 'gus', 10);
    push(7, { 'envs/staging/web/secret.yaml': secret('second-value') });
    merge(7);
    // gus writes the note himself (anyone may comment); someone holding the shared webhook
    // secret delivers it as dora's. Ferry reads the note back from GitLab: it is gus's.
    const n = gl.note(project, 7, 'gus', '/ferry promote');
    await deliver('Note Hook', notePayload(7, 'dora', '/ferry promote', n.id));
    await until(() => n.awards.length === 2, 'the reactions');
    await idle();
    expect(n.awards.map((a) => a.name)).toEqual(['eyes', 'confused']);
    expect(gl.mrs.filter((m) => m.source_branch.startsWith('ferry/promote/'))).toEqual([]);
    expect(botNotes(7).at(-1)!.body).toContain('@gus');
  });

  it('a delivered note whose text differs from GitLab\'s runs GitLab\'s text; Ferry\'s own notes are never obeyed', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { replicas: 3 }) });
    gl.grant(project, 'dora', 30);
    const n = gl.note(project, 7, 'dora', 'just a remark');
    await deliver('Note Hook', notePayload(7, 'dora', '/ferry plan', n.id));
    const own = gl.note(project, 7, 'ferry-bot', '/ferry plan');
    await deliver('Note Hook', notePayload(7, 'ferry-bot', '/ferry plan', own.id));
    await idle();
    expect(n.awards).toEqual([]);
    expect(own.awards).toEqual([]);
    expect(statusesOf(head)).toEqual([]);
  });
});


/** One series' value in Prometheus text, or null when the series is absent. */
function series(text: string, name: string, labels: Record<string, string>): number | null {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return null;
}

describe('observability over HTTP: /metrics, /readyz, quiet probes', () => {
  it('event names a stranger sends are not metric labels: refused deliveries add no series per name', async () => {
    const before = (await (await fetch(`${server.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('ferry_deliveries_total')).length;
    for (let i = 0; i < 20; i++) {
      expect((await deliver(`Junk Hook ${i}`, {}, { token: 'wrong' })).status).toBe(401);
      expect((await fetch(`${server.url}/api/github/webhooks`, { method: 'POST', headers: { 'x-github-event': `junk_${i}` }, body: '{}' })).status).toBeGreaterThanOrEqual(400);
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toContain('Junk Hook');
    expect(text).not.toContain('junk_');
    expect(series(text, 'ferry_deliveries_total', { forge: 'gitlab', event: 'other', outcome: 'refused' })).toBeGreaterThanOrEqual(20);
    expect(text.split('\n').filter((l) => l.startsWith('ferry_deliveries_total')).length).toBeLessThanOrEqual(before + 2);
  });

  it('counts deliveries, plan phases, renders, forge calls, findings and promotions; /readyz is ready; probes are not logged at info', async () => {
    const head = push(7, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:latest' }) });
    const payload = mrPayload('open', 7, head);
    expect((await deliver('Merge Request Hook', payload, { key: 'metrics-key' })).status).toBe(202);
    expect((await deliver('Merge Request Hook', payload, { key: 'metrics-key' })).status).toBe(200);
    expect((await deliver('Merge Request Hook', payload, { token: 'wrong' })).status).toBe(401);
    await until(() => final(head, 'ferry/validate') === 'failed', 'the validate status');
    await idle();
    push(7, { 'envs/staging/web/secret.yaml': secret('third-value') });
    merge(7);
    gl.grant(project, 'gus', 10);
    const n = await comment(7, 'gus', '/ferry promote');
    await until(() => n.awards.length === 2, 'the reactions');
    await idle();

    const logged = logLines.length;
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { accepting: true, engine: true } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();

    const mr = { forge: 'gitlab', event: 'Merge Request Hook' };
    expect(series(text, 'ferry_deliveries_total', { ...mr, outcome: 'queued' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_deliveries_total', { ...mr, outcome: 'duplicate' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_deliveries_total', { ...mr, outcome: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_deliveries_total', { forge: 'gitlab', event: 'Note Hook', outcome: 'queued' })).toBeGreaterThanOrEqual(1);
    for (const phase of ['fetch', 'render', 'diff', 'validate', 'report']) {
      expect(series(text, 'ferry_plan_phase_seconds_count', { phase }), phase).toBeGreaterThanOrEqual(1);
    }
    expect(series(text, 'ferry_render_cache_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_job_duration_seconds_count', { kind: 'plan', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_plans_total', { outcome: 'planned' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_findings_total', { rule: 'no-latest-tag', severity: 'error' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_forge_api_calls_total', { forge: 'gitlab', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_promotions_total', { outcome: 'refused' })).toBeGreaterThanOrEqual(1);
    expect(series(text, 'ferry_queue_jobs', { state: 'queued' })).toBe(0);
    expect(series(text, 'ferry_queue_oldest_job_age_seconds', {})).toBe(0);
    // Probes come every few seconds: not an info line each. Webhooks still are.
    expect(logLines.slice(logged).filter((l) => /GET \/(healthz|readyz|metrics)/.test(l))).toEqual([]);
    expect(logLines.some((l) => l.includes('POST /api/gitlab/webhooks 202'))).toBe(true);
  });
});
