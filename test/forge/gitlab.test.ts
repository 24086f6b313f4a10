import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gitLabClient } from '../../src/forge/gitlab/client.js';
import { GITLAB_LIMITS, GitLabForge, withoutQuickActions } from '../../src/forge/gitlab/forge.js';
import { GitLabApiError, retryAfterMs, type RetryOptions } from '../../src/forge/gitlab/http.js';
import { gitLabForges } from '../../src/forge/gitlab/registry.js';
import { gitLabSelf } from '../../src/forge/gitlab/self.js';
import type { PullRequest, RepoRef } from '../../src/forge/types.js';
import { FakeGitLab, type Project } from '../helpers/fake-gitlab.js';
import { GITLAB_ROUTES } from '../helpers/gitlab-routes.js';
import { forgeContract } from './contract.js';

const TOKEN = 'glpat-contract-secret-4c1d';
const PATH = 'acme/platform/gitops';
/** Retries without sleeping: the waits asked for are kept instead. */
const fast = (waits: number[] = []): RetryOptions => ({ retries: 4, minDelayMs: 10, maxDelayMs: 5_000, sleep: async (ms) => void waits.push(ms) });

const fakes: FakeGitLab[] = [];

function fakeGitLab(url = 'https://gitlab.example.test', maxPerPage = 2): FakeGitLab {
  const gl = new FakeGitLab(url, TOKEN, 'ferry-bot', maxPerPage);
  fakes.push(gl);
  return gl;
}

function forgeFor(gl: FakeGitLab, opts: { token?: string; retry?: RetryOptions } = {}): GitLabForge {
  const token = opts.token ?? TOKEN;
  const client = gitLabClient({ url: gl.url, token, retry: opts.retry ?? fast() });
  return new GitLabForge({ url: gl.url, token, self: gitLabSelf(client), client });
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  for (const gl of fakes.splice(0)) gl.close();
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const CONCLUSION: Record<string, string> = { success: 'success', failed: 'failure', canceled: 'neutral' };

for (const url of ['https://gitlab.example.test', 'https://example.test/gitlab']) {
  describe(`GitLabForge keeps the Forge contract (${url}, a nested-group project)`, () => {
    forgeContract(async () => {
      const gl = fakeGitLab(url);
      const project = gl.addProject(PATH);
      gl.addMergeRequest(project, { iid: 7, sha: 'a'.repeat(40), source_branch: 'feature', target_branch: 'main' });
      const forge = forgeFor(gl);
      const pr = await forge.getPull({ forge: 'gitlab', path: PATH }, 7);
      return {
        forge,
        pr,
        comments: async (n) => gl.notesOf(project, n).filter((x) => !x.system).sort((a, b) => a.id - b.id).map((x) => ({ id: x.id, author: x.author, body: x.body })),
        commentAs: async (n, author, body) => gl.note(project, n, author, body).id,
        reactions: async (id) => gl.notes.find((x) => x.id === id)?.awards.map((a) => a.name) ?? [],
        checks: async () => gl.statuses.filter((s) => s.author === gl.bot.username).map((s) => {
          const running = s.status === 'running' || s.status === 'pending';
          return { name: s.name, sha: s.sha, status: running ? 'running' as const : 'completed' as const, ...(running ? {} : { conclusion: CONCLUSION[s.status] ?? s.status }) };
        }),
        grant: (user, level) => gl.grant(project, user, { admin: 40, write: 30, read: 20 }[level]),
        team: (team, members) => gl.group(team, Object.fromEntries(members.map((m) => [m, 30]))),
        report: (sha, name, state, via) => void gl.reportStatus(project, sha, name, { success: 'success', pending: 'pending', failure: 'failed' }[state], { author: via === 'check' ? 'ci-runner' : 'argocd' }),
        labels: async (n) => gl.mr(project, n)?.labels ?? [],
        approve: (n, user) => void gl.mr(project, n)!.approvedBy.push(user),
        merged: (n, sha) => void Object.assign(gl.mr(project, n)!, { state: 'merged', merged_at: new Date().toISOString(), merge_commit_sha: sha }),
        close: async () => undefined,
        branch: (name) => void project.branches.add(name),
        protect: (branch, settings) => {
          // What a Maintainer sets on the project's pages for these settings.
          if (!settings) return void project.protected.delete(branch);
          const id = 5000 + project.protected.size;
          project.protected.set(branch, { id, allow_force_push: settings.allowForcePushes, push_access_level: settings.includeAdmins ? 0 : 40, merge_access_level: 40 });
          if (settings.approvals) project.approvalRules.push({ id: id + 1, name: `rule for ${branch}`, approvals_required: settings.approvals, protected_branch_ids: [id] });
          project.resetApprovalsOnPush = settings.dismissStale;
          project.pipelineMustSucceed = settings.checks.length > 0;
        },
        administration: (level) => void (gl.protectionAccess = level),
        file: (path, content) => void project.files.set(`main:${path}`, content),
        issues: async () => project.issues.map((i) => ({ number: i.iid, author: i.author, title: i.title, body: i.description, state: i.state === 'opened' ? 'open' as const : 'closed' as const })),
        issueAs: async (author, title, body) => {
          gl.addUser(author);
          project.issues.push({ iid: 900 + project.issues.length, title, description: body, state: 'opened', author });
        },
      };
    });
  });
}

describe('GitLabForge on GitLab', () => {
  let gl: FakeGitLab;
  let project: Project;
  const repo: RepoRef = { forge: 'gitlab', path: PATH };
  const setup = (opts: { retry?: RetryOptions } = {}) => {
    gl = fakeGitLab();
    project = gl.addProject(PATH);
    gl.addMergeRequest(project, { iid: 7, sha: 'a'.repeat(40), base_sha: 'b'.repeat(40), start_sha: 'c'.repeat(40), source_branch: 'feature', target_branch: 'main', title: 'Scale web', description: 'why', author: 'alice', labels: ['sensitive', 'prod'] });
    return forgeFor(gl, opts);
  };

  it('reads a merge request: iid, head and base commits, refspec, clone URL, author', async () => {
    const forge = setup();
    expect(await forge.getPull(repo, 7)).toEqual<PullRequest>({
      repo: { forge: 'gitlab', path: PATH, id: project.id }, number: 7, headSha: 'a'.repeat(40), baseSha: 'c'.repeat(40), baseRef: 'main', state: 'open', draft: false,
      cloneUrl: `https://gitlab.example.test/${PATH}.git`, repositoryURLs: [`https://gitlab.example.test/${PATH}`, `https://gitlab.example.test/${PATH}.git`], headRefspec: 'refs/merge-requests/7/head', headRef: 'feature', fromFork: false, merged: false, mergedAt: null,
      mergeCommitSha: null, title: 'Scale web', body: 'why', url: `https://gitlab.example.test/${PATH}/-/merge_requests/7`, author: 'alice',
      labels: ['sensitive', 'prod'],
    });
    expect(forge.pullRef(7)).toBe('!7');
    expect(forge.limits).toEqual(GITLAB_LIMITS);
    expect(forge.capabilities).toEqual({ checkRuns: false, reactions: true, teams: true });
  });

  it('maps draft, fork, locked, closed and merged merge requests (fast-forward and squash included)', async () => {
    const forge = setup();
    gl.addMergeRequest(project, { iid: 8, draft: true, sourceProjectId: 999 });
    gl.addMergeRequest(project, { iid: 9, state: 'locked' });
    gl.addMergeRequest(project, { iid: 10, state: 'closed' });
    gl.addMergeRequest(project, { iid: 11, state: 'merged', sha: 'f'.repeat(40), merged_at: '2024-05-01T10:00:00Z' });
    gl.addMergeRequest(project, { iid: 12, state: 'merged', sha: 'f'.repeat(40), squash_commit_sha: 'e'.repeat(40), merged_at: '2024-05-01T10:00:00Z' });
    const pick = (p: PullRequest) => [p.draft, p.fromFork, p.state, p.merged, p.mergeCommitSha];
    expect(pick(await forge.getPull(repo, 8))).toEqual([true, true, 'open', false, null]);
    expect(pick(await forge.getPull(repo, 9))).toEqual([false, false, 'open', false, null]);
    expect(pick(await forge.getPull(repo, 10))).toEqual([false, false, 'closed', false, null]);
    expect(pick(await forge.getPull(repo, 11))).toEqual([false, false, 'closed', true, 'f'.repeat(40)]);
    expect(pick(await forge.getPull(repo, 12))).toEqual([false, false, 'closed', true, 'e'.repeat(40)]);
  });

  it('names a nested-group project by its encoded path until it knows the id, then by id', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    await forge.reply(pr, 'hi');
    const paths = gl.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /projects/acme%2Fplatform%2Fgitops/merge_requests/7');
    expect(paths).toContain('GET /projects/acme%2Fplatform%2Fgitops');
    expect(paths).toContain(`POST /projects/${project.id}/merge_requests/7/notes`);
  });

  it('a status already in the state asked for is no error; other refused moves are', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    await forge.startCheck(pr, 'ferry/plan', 'Rendering');
    await forge.startCheck(pr, 'ferry/plan', 'Rendering');
    const posts = gl.requests.filter((r) => r.route === 'POST /projects/:id/statuses/:sha');
    expect(posts.map((r) => r.status)).toEqual([201, 400]);
    expect(gl.statuses.map((s) => [s.name, s.status, s.ref])).toEqual([['ferry/plan', 'running', 'feature']]);
    await forge.setCheck(pr, { name: 'ferry/plan', conclusion: 'success', title: 'ok', summary: 'ok', annotations: [] });
    expect(gl.statuses.map((s) => [s.name, s.status])).toEqual([['ferry/plan', 'success']]);

    gl.failNext('POST /projects/:id/statuses/:sha', [400, { message: 'Cannot transition status via :run from :success (Reason(s): Status cannot transition via "run")' }]);
    await expect(forge.startCheck(pr, 'ferry/plan', 'Rendering')).rejects.toMatchObject({ status: 400 });
  });

  it('a neutral check ends its running status as canceled; the description is cut to 255 characters', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    await forge.startCheck(pr, 'ferry/validate', 'Validating');
    await forge.setCheck(pr, { name: 'ferry/validate', conclusion: 'neutral', title: `Interrupted ${'x'.repeat(300)}`, summary: 's', annotations: [] });
    const [s] = gl.statuses;
    expect([s!.status, [...s!.description!].length, s!.description!.endsWith('…'), s!.target_url]).toEqual(['canceled', 255, true, pr.url]);
  });

  it('tries 5xx and 429 again, waiting as Retry-After says, and gives up with the status', async () => {
    const waits: number[] = [];
    const forge = setup({ retry: fast(waits) });
    gl.failNext('GET /projects/:id/merge_requests/:merge_request_iid', [502, { message: 'Bad gateway' }], [503, { message: 'down' }], [429, { message: 'Retry later' }, { 'retry-after': '3' }]);
    expect((await forge.getPull(repo, 7)).headSha).toBe('a'.repeat(40));
    expect(gl.count('GET /projects/:id/merge_requests/:merge_request_iid')).toBe(4);
    expect(waits).toEqual([10, 20, 3_000]);

    const pr = await forge.getPull(repo, 7);
    gl.failNext('POST /projects/:id/merge_requests/:merge_request_iid/notes', [500, { message: '500 Internal Server Error' }]);
    await forge.reply(pr, 'after a 500');
    expect(gl.notesOf(project, 7).map((n) => n.body)).toEqual(['after a 500']);

    gl.failNext('GET /projects/:id/merge_requests/:merge_request_iid', ...Array.from({ length: 5 }, () => [503, { message: 'down' }] as [number, unknown]));
    await expect(forge.getPull(repo, 7)).rejects.toMatchObject({ status: 503 });
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:02 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(2_000);
    expect([retryAfterMs(null), retryAfterMs('soon')]).toEqual([null, null]);
  });

  it('a read with no answer is sent again; a write is not (it may have landed)', async () => {
    const host = 'https://flaky.example.test';
    const scope = nock(host)
      .get('/api/v4/user').replyWithError('socket hang up')
      .get('/api/v4/user').reply(200, { id: 1, username: 'ferry-bot' })
      .post('/api/v4/projects/1/merge_requests/7/notes').replyWithError('socket hang up');
    const api = gitLabClient({ url: host, token: TOKEN, retry: fast() });
    expect(await gitLabSelf(api)()).toBe('ferry-bot');
    const err = await api.notes.create(1, 7, 'hi').then(() => null, (e: unknown) => e as GitLabApiError);
    expect([err instanceof GitLabApiError, err?.status, err?.message.includes(TOKEN)]).toEqual([true, undefined, false]);
    expect(scope.isDone()).toBe(true);
  });

  it('a 401 is an error with status 401 and without the token', async () => {
    const wrong = 'glpat-wrong-secret-7b2e';
    gl = fakeGitLab();
    gl.addProject(PATH);
    const forge = forgeFor(gl, { token: wrong });
    const err = await forge.getPull(repo, 7).then(() => null, (e: unknown) => e as GitLabApiError);
    expect(err).toBeInstanceOf(GitLabApiError);
    expect(err!.status).toBe(401);
    expect(err!.message).toMatch(/401 Unauthorized/);
    for (const text of [err!.message, String(err), err!.stack ?? '', JSON.stringify(err)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(`oauth2:${wrong}`).toString('base64'));
    }
  });

  it('gives git the token as Basic oauth2 in a header', async () => {
    const forge = setup();
    const auth = await forge.gitAuth();
    const [, b64] = /^Authorization: Basic (\S+)$/.exec(auth.extraHeader!)!;
    expect(Buffer.from(b64!, 'base64').toString()).toBe(`oauth2:${TOKEN}`);
  });

  it('Developer (30) and above may write, Reporter (20) and Guest may not; inherited group roles count', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.grant(project, 'dev', 30);
    gl.grant(project, 'reporter', 20);
    gl.grant(project, 'guest', 10);
    gl.grant(project, 'maintainer', 40);
    gl.group('acme', { 'org-dev': 30, 'org-reporter': 20 });
    gl.grant(project, 'blocked', 30);
    gl.users.get([...gl.users.values()].find((u) => u.username === 'blocked')!.id)!.state = 'blocked';
    const can = async (u: string) => forge.canWrite(pr, u);
    expect([await can('dev'), await can('maintainer'), await can('org-dev')]).toEqual([true, true, true]);
    expect([await can('reporter'), await can('guest'), await can('org-reporter'), await can('blocked'), await can('nobody')]).toEqual([false, false, false, false, false]);
  });

  it('a team is a group by full path, or by name under the top-level namespace; members of parent groups are in it', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.group('acme/sre', { sam: 30 });
    gl.group('acme/platform/deployers', { dana: 10 });
    gl.group('acme', { olga: 50 });
    expect(await forge.inTeam(pr, 'sre', 'sam')).toBe(true);
    expect(await forge.inTeam(pr, 'acme/platform/deployers', 'dana')).toBe(true);
    expect(await forge.inTeam(pr, 'sre', 'olga')).toBe(true);
    expect(await forge.inTeam(pr, 'deployers', 'dana')).toBe(false);
    expect(await forge.inTeam(pr, 'sre', 'dana')).toBe(false);
    expect(gl.requests.map((r) => r.path)).toContain(`/groups/acme%2Fplatform%2Fdeployers/members/all/${[...gl.users.values()].find((u) => u.username === 'dana')!.id}`);
  });

  it('an emoji awarded twice is no error', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    const note = gl.note(project, 7, 'alice', '/ferry plan');
    await forge.react(pr, note.id, 'eyes');
    await forge.react(pr, note.id, 'eyes');
    expect(note.awards).toEqual([{ name: 'eyes', user: 'ferry-bot' }]);
    await expect(forge.react(pr, 424242, 'eyes')).rejects.toMatchObject({ status: 404 });
  });

  it('its notes are its own non-system notes: system notes and other people\'s markers stay', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.note(project, 7, 'ferry-bot', '<!-- ferry:plan -->\nsystem-looking', true);
    gl.note(project, 7, 'mallory', '<!-- ferry:plan -->\nnot Ferry');
    for (let i = 0; i < 5; i++) gl.note(project, 7, 'bob', `chatter ${i}`);
    const old = gl.note(project, 7, 'ferry-bot', '<!-- ferry:plan -->\nold');
    await forge.ensureComments(pr, (i) => (i === 0 ? '<!-- ferry:plan -->' : `<!-- ferry:plan part ${i + 1} -->`), ['<!-- ferry:plan -->\nnew']);
    expect(gl.notesOf(project, 7).filter((n) => n.body.startsWith('<!-- ferry:plan')).map((n) => [n.id === old.id, n.author, n.body])).toEqual([
      [false, 'ferry-bot', '<!-- ferry:plan -->\nsystem-looking'],
      [false, 'mallory', '<!-- ferry:plan -->\nnot Ferry'],
      [true, 'ferry-bot', '<!-- ferry:plan -->\nnew'],
    ]);
  });

  it('commitChecks: the latest status per name by id, the latest pipeline as `pipeline`, and GitLab states folded', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    const sha = 'd'.repeat(40);
    gl.reportStatus(project, sha, 'deploy', 'failed');
    gl.reportStatus(project, sha, 'deploy', 'success');
    gl.reportStatus(project, sha, 'lint', 'canceled');
    gl.reportStatus(project, sha, 'manual-gate', 'manual');
    gl.reportStatus(project, sha, 'e2e', 'running');
    gl.pipeline(project, sha, { status: 'failed' });
    gl.pipeline(project, sha, { status: 'success' });
    gl.reportStatus(project, 'e'.repeat(40), 'other', 'failed');
    const checks = await forge.commitChecks(pr, sha);
    expect(checks.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'deploy', state: 'success', via: 'status' },
      { name: 'e2e', state: 'pending', via: 'status' },
      { name: 'lint', state: 'failure', via: 'status' },
      { name: 'manual-gate', state: 'pending', via: 'status' },
      { name: 'pipeline', state: 'success', via: 'check' },
    ]);
    expect(await forge.commitChecks(pr, '0'.repeat(40))).toEqual([]);
  });

  it('findOpenPulls: open merge requests from this project\'s branches with the prefix, oldest first', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.addMergeRequest(project, { iid: 20, source_branch: 'ferry/promote/a' });
    gl.addMergeRequest(project, { iid: 21, source_branch: 'ferry/promote/b', sourceProjectId: 999 });
    gl.addMergeRequest(project, { iid: 22, source_branch: 'ferry/promote/c', state: 'merged' });
    gl.addMergeRequest(project, { iid: 23, source_branch: 'ferry/promote/d' });
    gl.addMergeRequest(project, { iid: 24, source_branch: 'ferry/other' });
    expect((await forge.findOpenPulls(pr, 'ferry/promote/')).map((p) => [p.number, p.head])).toEqual([[20, 'ferry/promote/a'], [23, 'ferry/promote/d']]);
  });

  it('pullsForCommit reads each merge request in full: the list has no base commit', async () => {
    const forge = setup();
    const mergeSha = '9'.repeat(40);
    Object.assign(gl.mr(project, 7)!, { state: 'merged', merged_at: '2024-05-01T10:00:00Z', merge_commit_sha: mergeSha });
    const [pr] = await forge.pullsForCommit(repo, mergeSha);
    expect([pr!.number, pr!.merged, pr!.mergeCommitSha, pr!.baseSha, pr!.repo]).toEqual([7, true, mergeSha, 'c'.repeat(40), { forge: 'gitlab', path: PATH, id: project.id }]);
    expect(await forge.pullsForCommit(repo, '0'.repeat(40))).toEqual([]);
  });

  it('openPull and addLabels send what the docs name; labels are added, never replaced', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.mr(project, 7)!.labels = ['team-a'];
    await forge.addLabels(pr, 7, ['promotion', 'auto']);
    await forge.addLabels(pr, 7, []);
    expect(gl.mr(project, 7)!.labels).toEqual(['team-a', 'promotion', 'auto']);
    const opened = await forge.openPull(pr, { head: 'ferry/promote/x', base: 'production', title: 'Promote', body: 'b' });
    expect(gl.mr(project, opened.number)).toMatchObject({ source_branch: 'ferry/promote/x', target_branch: 'production', title: 'Promote', description: 'b' });
    await expect(forge.openPull(pr, { head: 'ferry/promote/x', base: 'production', title: 'Promote', body: 'b' })).rejects.toMatchObject({ status: 409 });
  });

  it('gitLabSelf asks GET /user once, and again after a failure', async () => {
    gl = fakeGitLab();
    const self = gitLabSelf(gitLabClient({ url: gl.url, token: TOKEN, retry: { ...fast(), retries: 0 } }));
    gl.failNext('GET /user', [500, { message: 'boom' }]);
    await expect(self()).rejects.toMatchObject({ status: 500 });
    expect(await self()).toBe('ferry-bot');
    expect(await self()).toBe('ferry-bot');
    expect(gl.count('GET /user')).toBe(2);
  });

  it('reviews: approvals by project or group access token bots are bots', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    gl.mr(project, 7)!.approvedBy.push('project_42_bot_3f9a', 'group_7_bot', 'bob');
    expect(await forge.reviews(pr)).toEqual([
      { user: 'project_42_bot_3f9a', state: 'approved', commitSha: null, bot: true },
      { user: 'group_7_bot', state: 'approved', commitSha: null, bot: true },
      { user: 'bob', state: 'approved', commitSha: null, bot: false },
    ]);
  });

  it('every route of the table is one GitLabForge calls', async () => {
    const forge = setup();
    const pr = await forge.getPull(repo, 7);
    const part = (i: number) => `<!-- p${i} -->`;
    await forge.ensureComments(pr, part, [part(0), part(1)]);
    await forge.ensureComments(pr, part, [`${part(0)} edited`]);
    await forge.startCheck(pr, 'ferry/plan', 'Rendering');
    await forge.setCheck(pr, { name: 'ferry/plan', conclusion: 'success', title: 'ok', summary: 'ok', annotations: [] });
    const note = gl.note(project, 7, 'alice', '/ferry plan');
    await forge.getComment(pr, note.id);
    await forge.react(pr, note.id, 'eyes');
    await forge.canWrite(pr, 'alice');
    await forge.inTeam(pr, 'sre', 'alice');
    await forge.commitChecks(pr, pr.headSha);
    await forge.reviews(pr);
    const opened = await forge.openPull(pr, { head: 'ferry/promote/x', base: 'production', title: 't', body: 'b' });
    await forge.updatePull(pr, opened.number, { head: 'ferry/promote/x', base: 'production', title: 't2', body: 'b2' });
    await forge.addLabels(pr, opened.number, ['promotion']);
    await forge.findOpenPulls(pr, 'ferry/');
    await forge.pullsForCommit(repo, pr.headSha);
    await forge.self();
    await forge.getRepo(repo);
    await forge.readFile(repo, 'main', '.gitlab/ferry.yml');
    await forge.readProtection(repo, 'nope');
    await forge.applyProtection(repo, 'main', { checks: ['ferry/plan'], approvals: 1, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true });
    await forge.applyProtection(repo, 'main', { checks: ['ferry/plan'], approvals: 2, dismissStale: true, allowForcePushes: true, allowDeletions: false, includeAdmins: true });
    await forge.readProtection(repo, 'main');
    await forge.ensureIssue(repo, '<!-- m -->', { title: 't', body: '<!-- m -->', open: true });
    await forge.ensureIssue(repo, '<!-- m -->', { title: 't', body: '<!-- m -->', open: false });
    const called = new Set(gl.requests.map((r) => r.route));
    expect(GITLAB_ROUTES.map((r) => `${r.method} ${r.path}`).filter((k) => !called.has(k))).toEqual([]);
  });

  it('the fake serves only routes of the table, only with documented parameters, only with the token', async () => {
    gl = fakeGitLab();
    expect(() => (gl as unknown as { on: (k: string, h: unknown) => void }).on('GET /projects/:id/labels', () => [200, []])).toThrow(/not in GITLAB_ROUTES/);
    const get = (path: string, token = TOKEN) => fetch(`${gl.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': token } });
    expect((await get('/user', 'nope')).status).toBe(401);
    expect((await get('/users?username=ferry-bot&perPage=5')).status).toBe(400);
    expect((await get('/users?username=ferry-bot&per_page=5')).status).toBe(200);
    expect((await get('/projects/1/labels')).status).toBe(404);
    expect(() => gl.close()).toThrow(/GET \/projects\/1\/labels/);
    fakes.splice(fakes.indexOf(gl), 1);
  });
});

describe('what Ferry writes on GitLab', () => {
  it('no line of a note or description can run a quick action, fenced or not', () => {
    const text = ['<!-- ferry:plan -->', '/merge', '  /close', '\t/approve', '- ❌ **yaml-error**: bad', '```diff', '/in-a-fence', '+/added', '```', 'a /label ~x in the middle', '/crlf\r'].join('\n');
    expect(withoutQuickActions(text).split('\n')).toEqual(['<!-- ferry:plan -->', '&#47;merge', '  &#47;close', '\t&#47;approve', '- ❌ **yaml-error**: bad', '```diff', '&#47;in-a-fence', '+/added', '```', 'a /label ~x in the middle', '&#47;crlf\r']);
  });

  it('replies, plan notes and promotion descriptions go out without quick actions', async () => {
    const gl = fakeGitLab();
    const project = gl.addProject(PATH);
    gl.addMergeRequest(project, { iid: 7, sha: 'a'.repeat(40), source_branch: 'feature', target_branch: 'main' });
    const forge = forgeFor(gl);
    const pr = await forge.getPull({ forge: 'gitlab', path: PATH }, 7);
    await forge.reply(pr, 'File name:\n/merge');
    await forge.ensureComments(pr, (i) => `<!-- ferry:plan ${i} -->`, ['<!-- ferry:plan 0 -->\n/approve']);
    const mr = await forge.openPull(pr, { head: 'ferry/promote/a-to-b/web', base: 'main', title: 'Promote web', body: 'x\n/merge' });
    const bodies = gl.notesOf(project, 7).filter((n) => !n.system).map((n) => n.body);
    expect(bodies).toEqual(['File name:\n&#47;merge', '<!-- ferry:plan 0 -->\n&#47;approve']);
    expect((await forge.getPull(pr.repo, mr.number)).body).toBe('x\n&#47;merge');
    // The same plan again edits nothing: the stored note is compared as it was written.
    await forge.ensureComments(pr, (i) => `<!-- ferry:plan ${i} -->`, ['<!-- ferry:plan 0 -->\n/approve']);
    expect(gl.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
  });

  it('links a finding to its line at the head commit, every path segment encoded', () => {
    const gl = fakeGitLab();
    const forge = forgeFor(gl);
    const pr = { repo: { forge: 'gitlab', path: 'acme/platform/gitops', id: 5 }, headSha: 'b'.repeat(40) } as PullRequest;
    expect(forge.fileLink(pr, 'envs/staging/web (old)/svc.yaml', 12)).toBe(`https://gitlab.example.test/acme/platform/gitops/-/blob/${'b'.repeat(40)}/envs/staging/web%20%28old%29/svc.yaml#L12`);
    expect(forge.fileLink(pr, 'a.yaml', null)).toBe(`https://gitlab.example.test/acme/platform/gitops/-/blob/${'b'.repeat(40)}/a.yaml`);
  });
});

describe('gitLabForges', () => {
  it('makes forges for the configured instance only: a job naming another host is refused, no request sent', async () => {
    const make = gitLabForges({ url: 'https://gitlab.example.test', token: TOKEN });
    expect((await make({ kind: 'gitlab', host: 'https://gitlab.example.test' })).pullRef(3)).toBe('!3');
    await expect(make({ kind: 'gitlab', host: 'https://evil.example' })).rejects.toThrow('serves GitLab at https://gitlab.example.test, not https://evil.example');
  });
});
