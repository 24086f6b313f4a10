import { afterEach, expect, it } from 'vitest';
import type { ProtectionSettings } from '../../src/config/types.js';
import type { Forge, PullRequest } from '../../src/forge/types.js';
import type { CommitCheck } from '../../src/types.js';
import { protectionDrifts, UNPROTECTED } from '../../src/protect/index.js';

/** What the contract needs to set up a forge's state and read back what a verb wrote. */
export interface ForgeHarness {
  forge: Forge;
  /** An open PR (number 7, head branch `feature`, base `main`) that exists on the forge. */
  pr: PullRequest;
  /** Comments on a PR, oldest first. */
  comments(number: number): Promise<Array<{ id: number; author: string; body: string }>>;
  /** Someone's comment on a PR; returns its id. */
  commentAs(number: number, author: string, body: string): Promise<number>;
  reactions(commentId: number): Promise<string[]>;
  /** Check runs (or statuses) Ferry wrote on any commit. */
  checks(): Promise<Array<{ name: string; sha: string; status: 'running' | 'completed'; conclusion?: string }>>;
  grant(user: string, level: 'admin' | 'write' | 'read'): void;
  /** `org/team` and its members. */
  team(team: string, members: string[]): void;
  /** Another system reports on a commit, as a status or a check run. */
  report(sha: string, name: string, state: 'success' | 'pending' | 'failure', via: 'status' | 'check'): void;
  labels(number: number): Promise<string[]>;
  /** `user` approves PR `number` at its head commit (a review on GitHub, an approval on GitLab). */
  approve(number: number, user: string): void;
  /** PR `number` merged, making commit `mergeSha`. */
  merged(number: number, mergeSha: string): void;
  close(): Promise<void>;
  /** The default branch (`main`) exists; this adds another branch. */
  branch(name: string): void;
  /** The branch's protection as someone set it (null: unprotected). */
  protect(branch: string, settings: ProtectionSettings | null): void;
  /** What Ferry's credential may do with branch protection. */
  administration(level: 'none' | 'read' | 'write'): void;
  /** Issues of the repository, oldest first. */
  issues(): Promise<Array<{ number: number; author: string; title: string; body: string; state: 'open' | 'closed' }>>;
  /** Someone else opens an issue. */
  issueAs(author: string, title: string, body: string): Promise<void>;
  /** The repository has this file at the tip of `main`. */
  file(path: string, content: string): void;
}

const STRICT: ProtectionSettings = { checks: ['ferry/plan', 'ferry/validate'], approvals: 2, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true };

const PLAN = '<!-- ferry:plan -->';
const PART = (i: number) => (i === 0 ? PLAN : `<!-- ferry:plan part ${i + 1} -->`);

/** One test per Forge verb: any forge adapter (and the fake) must pass them all. */
export function forgeContract(make: () => Promise<ForgeHarness>): void {
  let h: ForgeHarness;
  const setup = async () => (h = await make());
  afterEach(async () => h?.close());

  it('pullRef, self and limits describe the forge', async () => {
    await setup();
    expect(h.forge.pullRef(7)).toMatch(/^[#!]7$/);
    expect(await h.forge.self()).toMatch(/\S/);
    // Plans go into comments and descriptions; a check's text may be no more than a GitLab
    // commit status description holds (255 characters), where that is all a check shows.
    expect(h.forge.limits.comment).toBeGreaterThan(1000);
    expect(h.forge.limits.body).toBeGreaterThan(1000);
    expect(h.forge.limits.checkText).toBeGreaterThanOrEqual(255);
  });

  it('getPull reads the PR as the forge has it now', async () => {
    await setup();
    const pr = await h.forge.getPull(h.pr.repo, 7);
    expect(pr).toMatchObject({ number: 7, state: 'open', headSha: h.pr.headSha, baseRef: 'main', headRef: 'feature', fromFork: false, merged: false });
    expect(pr.repo.path.toLowerCase()).toBe(h.pr.repo.path.toLowerCase());
    await expect(h.forge.getPull(h.pr.repo, 4040)).rejects.toThrow();
  });

  it('gitAuth gives a header, never a URL credential', async () => {
    await setup();
    const auth = await h.forge.gitAuth();
    if (auth.extraHeader) expect(auth.extraHeader).toMatch(/^Authorization: /);
  });

  it('ensureComments creates, edits and deletes its own parts, and leaves anyone else\'s alone', async () => {
    await setup();
    const foreign = await h.commentAs(7, 'mallory', `${PLAN}\nnot Ferry's`);
    await h.forge.ensureComments(h.pr, PART, [`${PLAN}\none`, `${PART(1)}\ntwo`]);
    const own = async () => (await h.comments(7)).filter((c) => c.id !== foreign).map((c) => c.body);
    expect(await own()).toEqual([`${PLAN}\none`, `${PART(1)}\ntwo`]);
    const ids = (await h.comments(7)).map((c) => c.id);
    await h.forge.ensureComments(h.pr, PART, [`${PLAN}\nshorter`]);
    expect(await own()).toEqual([`${PLAN}\nshorter`]);
    // Edited in place: the first part keeps its id.
    expect((await h.comments(7)).map((c) => c.id)).toEqual(ids.slice(0, 2));
    expect((await h.comments(7)).find((c) => c.id === foreign)!.body).toBe(`${PLAN}\nnot Ferry's`);
  });

  it('startCheck shows a check running; setCheck completes that one (and creates one when none ran)', async () => {
    await setup();
    await h.forge.startCheck(h.pr, 'ferry/plan', 'Rendering');
    expect(await h.checks()).toEqual([{ name: 'ferry/plan', sha: h.pr.headSha, status: 'running' }]);
    await h.forge.setCheck(h.pr, { name: 'ferry/plan', conclusion: 'success', title: 'ok', summary: 'ok', annotations: [] });
    await h.forge.setCheck(h.pr, { name: 'ferry/validate', conclusion: 'failure', title: '1 error', summary: 'bad', annotations: [{ path: 'a.yaml', line: 3, level: 'failure', title: 'schema', message: 'bad' }] });
    expect(await h.checks()).toEqual([
      { name: 'ferry/plan', sha: h.pr.headSha, status: 'completed', conclusion: 'success' },
      { name: 'ferry/validate', sha: h.pr.headSha, status: 'completed', conclusion: 'failure' },
    ]);
  });

  it('getComment reads a comment of this PR as the forge has it; another PR\'s or a missing one is null', async () => {
    await setup();
    const id = await h.commentAs(7, 'alice', 'hello\n/plan');
    expect(await h.forge.getComment(h.pr, id)).toEqual({ author: 'alice', body: 'hello\n/plan', bot: false });
    await h.forge.reply(h.pr, 'mine');
    const mine = (await h.comments(7)).at(-1)!;
    expect(await h.forge.getComment(h.pr, mine.id)).toMatchObject({ author: await h.forge.self(), bot: expect.any(Boolean) });
    expect(await h.forge.getComment(h.pr, 987_654)).toBeNull();
    const other = await h.forge.openPull(h.pr, { head: 'other-branch', base: 'main', title: 'other', body: '' });
    const elsewhere = await h.commentAs(other.number, 'alice', 'on another PR');
    expect(await h.forge.getComment(h.pr, elsewhere)).toBeNull();
  });

  it('react adds a reaction to a comment', async () => {
    await setup();
    const id = await h.commentAs(7, 'alice', '/plan');
    await h.forge.react(h.pr, id, 'eyes');
    await h.forge.react(h.pr, id, 'rocket');
    expect(await h.reactions(id)).toEqual(['eyes', 'rocket']);
  });

  it('reply posts a new comment as the bot', async () => {
    await setup();
    await h.forge.reply(h.pr, 'hello');
    const last = (await h.comments(7)).at(-1)!;
    expect(last.body).toBe('hello');
    expect(last.author).toBe(await h.forge.self());
  });

  it('canWrite is true for write and admin, false for read and for strangers', async () => {
    await setup();
    h.grant('wanda', 'write');
    h.grant('ada', 'admin');
    h.grant('rita', 'read');
    expect(await h.forge.canWrite(h.pr, 'wanda')).toBe(true);
    expect(await h.forge.canWrite(h.pr, 'ada')).toBe(true);
    expect(await h.forge.canWrite(h.pr, 'rita')).toBe(false);
    expect(await h.forge.canWrite(h.pr, 'stranger')).toBe(false);
  });

  it('inTeam answers for a team of the repository\'s owner, or one named with its org', async () => {
    await setup();
    const owner = h.pr.repo.path.split('/')[0]!;
    h.team(`${owner}/platform`, ['alice']);
    expect(await h.forge.inTeam(h.pr, 'platform', 'alice')).toBe(true);
    expect(await h.forge.inTeam(h.pr, `${owner}/platform`, 'alice')).toBe(true);
    expect(await h.forge.inTeam(h.pr, 'platform', 'bob')).toBe(false);
    expect(await h.forge.inTeam(h.pr, 'nobody-knows', 'alice')).toBe(false);
  });

  it('commitChecks folds statuses and check runs, the latest status per name', async () => {
    await setup();
    const sha = 'c'.repeat(40);
    h.report(sha, 'argocd/staging', 'pending', 'status');
    h.report(sha, 'argocd/staging', 'success', 'status');
    h.report(sha, 'e2e', 'failure', 'check');
    const checks = await h.forge.commitChecks(h.pr, sha);
    const plain = (c: CommitCheck) => ({ name: c.name, state: c.state });
    // A commit status says so: a promotion gate is named as the forge shows it.
    expect(checks.filter((c) => c.name === 'argocd/staging')).toEqual([{ name: 'argocd/staging', state: 'success', via: 'status' }]);
    expect(checks.filter((c) => c.name === 'e2e').map(plain)).toEqual([{ name: 'e2e', state: 'failure' }]);
  });

  it('commitChecks includes the checks Ferry wrote itself on the commit', async () => {
    await setup();
    await h.forge.startCheck(h.pr, 'ferry/plan', 'Rendering…');
    await h.forge.setCheck(h.pr, { name: 'ferry/review', conclusion: 'success', title: 'Review rules met', summary: 's', annotations: [] });
    const checks = await h.forge.commitChecks(h.pr, h.pr.headSha);
    const plain = (c: CommitCheck | undefined) => c && { name: c.name, state: c.state };
    expect(plain(checks.find((c) => c.name === 'ferry/review'))).toEqual({ name: 'ferry/review', state: 'success' });
    expect(plain(checks.find((c) => c.name === 'ferry/plan'))).toEqual({ name: 'ferry/plan', state: 'pending' });
  });

  it('openPull, findOpenPulls by branch prefix, updatePull', async () => {
    await setup();
    const opened = await h.forge.openPull(h.pr, { head: 'ferry/promote/staging-to-production/web', base: 'production', title: 'Promote web', body: 'b1' });
    expect(opened).toMatchObject({ head: 'ferry/promote/staging-to-production/web', title: 'Promote web', body: 'b1' });
    expect((await h.forge.findOpenPulls(h.pr, 'ferry/promote/')).map((p) => p.number)).toEqual([opened.number]);
    expect(await h.forge.findOpenPulls(h.pr, 'other/')).toEqual([]);
    const updated = await h.forge.updatePull(h.pr, opened.number, { head: opened.head, base: 'production', title: 'Promote web and api', body: 'b2' });
    expect(updated).toMatchObject({ number: opened.number, title: 'Promote web and api', body: 'b2' });
    expect((await h.forge.getPull(h.pr.repo, opened.number)).title).toBe('Promote web and api');
  });

  it('addLabels adds to the labels a PR has', async () => {
    await setup();
    await h.forge.addLabels(h.pr, 7, ['promotion']);
    // Only the new one: a forge that replaced the labels would lose `promotion`.
    await h.forge.addLabels(h.pr, 7, ['auto']);
    expect((await h.labels(7)).sort()).toEqual(['auto', 'promotion']);
  });

  it('reviews lists who approves the PR, by a person, with the head commit where the forge says', async () => {
    await setup();
    expect(await h.forge.reviews(h.pr)).toEqual([]);
    h.approve(7, 'bob');
    h.approve(7, 'carol');
    const reviews = await h.forge.reviews(h.pr);
    expect(reviews.map((r) => [r.user, r.state, r.bot])).toEqual([['bob', 'approved', false], ['carol', 'approved', false]]);
    for (const r of reviews) expect([h.pr.headSha, null]).toContain(r.commitSha);
  });

  it('getPull reads the PR\'s labels', async () => {
    await setup();
    await h.forge.addLabels(h.pr, 7, ['sensitive']);
    expect((await h.forge.getPull(h.pr.repo, 7)).labels).toEqual(['sensitive']);
  });

  it('pullsForCommit finds the merged PR whose merge made a commit', async () => {
    await setup();
    h.merged(7, 'd'.repeat(40));
    const prs = await h.forge.pullsForCommit(h.pr.repo, 'd'.repeat(40));
    expect(prs.map((p) => [p.number, p.merged, p.mergeCommitSha])).toEqual([[7, true, 'd'.repeat(40)]]);
  });

  it('getRepo gives the default branch and the clone URL', async () => {
    await setup();
    const info = await h.forge.getRepo(h.pr.repo);
    expect(info.defaultBranch).toBe('main');
    expect(info.cloneUrl).toMatch(/^https:\/\/.+\.git$/);
    // The engine tells this repository's sources from others' by these.
    expect(info.repositoryURLs).toContain(info.cloneUrl);
    expect((await h.forge.getPull(h.pr.repo, 7)).repositoryURLs).toContain(info.cloneUrl);
  });

  it('readProtection: an unprotected branch reads as null; a protected one as no weaker than it was set', async () => {
    await setup();
    expect(await h.forge.readProtection(h.pr.repo, 'main')).toEqual({ ok: true, live: { protection: null, rulesets: [] } });
    h.branch('production');
    h.protect('production', STRICT);
    const read = await h.forge.readProtection(h.pr.repo, 'production');
    if (!read.ok) throw new Error(read.problem);
    expect(protectionDrifts('production', STRICT, read.live)).toEqual([]);
    // And not stronger than set where the forge can tell: force pushes were off, approvals 2.
    expect(read.live.protection).toMatchObject({ approvals: 2, allowForcePushes: false });
  });

  it('readProtection: a missing branch or a missing permission is a problem that says what to do, never "unprotected"', async () => {
    await setup();
    const missing = await h.forge.readProtection(h.pr.repo, 'nope');
    expect(missing).toMatchObject({ ok: false, missingBranch: true });
    h.administration('none');
    const denied = await h.forge.readProtection(h.pr.repo, 'main');
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.problem).toMatch(/grant/i);
  });

  it('applyProtection writes settings that then read back without drift; refused, it throws saying what to grant', async () => {
    await setup();
    await h.forge.applyProtection(h.pr.repo, 'main', STRICT);
    const read = await h.forge.readProtection(h.pr.repo, 'main');
    if (!read.ok) throw new Error(read.problem);
    expect(protectionDrifts('main', STRICT, read.live)).toEqual([]);
    h.administration('read');
    await expect(h.forge.applyProtection(h.pr.repo, 'main', { ...UNPROTECTED, approvals: 1 })).rejects.toThrow(/grant/i);
  });

  it('applyProtection on one branch leaves what it wrote on another branch in place', async () => {
    await setup();
    h.branch('production');
    await h.forge.applyProtection(h.pr.repo, 'production', STRICT);
    await h.forge.applyProtection(h.pr.repo, 'main', { ...STRICT, approvals: 1 });
    const prod = await h.forge.readProtection(h.pr.repo, 'production');
    const main = await h.forge.readProtection(h.pr.repo, 'main');
    if (!prod.ok) throw new Error(prod.problem);
    if (!main.ok) throw new Error(main.problem);
    expect(protectionDrifts('production', STRICT, prod.live)).toEqual([]);
    expect(protectionDrifts('main', { ...STRICT, approvals: 1 }, main.live)).toEqual([]);
  });

  it('ensureIssue creates, leaves alone, edits and closes Ferry\'s own issue, and never touches anyone else\'s', async () => {
    await setup();
    const M = '<!-- ferry:protect -->';
    await h.issueAs('mallory', 'fake', `${M}\nnot Ferry's`);
    expect(await h.forge.ensureIssue(h.pr.repo, M, { title: 'T', body: `${M}\nclosed already`, open: false })).toBeNull();
    const created = await h.forge.ensureIssue(h.pr.repo, M, { title: 'T', body: `${M}\none`, open: true });
    expect(created).toMatchObject({ action: 'created' });
    expect(await h.forge.ensureIssue(h.pr.repo, M, { title: 'T', body: `${M}\none`, open: true })).toEqual({ number: created!.number, action: 'unchanged' });
    expect(await h.forge.ensureIssue(h.pr.repo, M, { title: 'T2', body: `${M}\ntwo`, open: true })).toEqual({ number: created!.number, action: 'updated' });
    expect(await h.forge.ensureIssue(h.pr.repo, M, { title: 'T2', body: `${M}\nfixed`, open: false })).toEqual({ number: created!.number, action: 'closed' });
    const issues = await h.issues();
    const self = await h.forge.self();
    expect(issues.filter((i) => i.author === self)).toEqual([{ number: created!.number, author: self, title: 'T2', body: `${M}\nfixed`, state: 'closed' }]);
    expect(issues.filter((i) => i.author === 'mallory')).toEqual([expect.objectContaining({ body: `${M}\nnot Ferry's`, state: 'open' })]);
    // Closed is closed: a new drift opens a new issue.
    expect(await h.forge.ensureIssue(h.pr.repo, M, { title: 'T', body: `${M}\nagain`, open: true })).toMatchObject({ action: 'created' });
  });

  it('setCommitCheck completes a check on a commit no PR carries', async () => {
    await setup();
    const sha = 'f'.repeat(40);
    await h.forge.setCommitCheck(h.pr.repo, sha, 'main', { name: 'ferry/push', conclusion: 'neutral', title: 'Direct push', summary: 'plan', annotations: [] });
    expect((await h.checks()).filter((c) => c.sha === sha)).toEqual([{ name: 'ferry/push', sha, status: 'completed', conclusion: 'neutral' }]);
  });

  it('readFile reads a file at a branch through the API; a missing one is null', async () => {
    await setup();
    h.file('.github/ferry.yml', 'environments: []\n');
    expect((await h.forge.readFile(h.pr.repo, 'main', '.github/ferry.yml'))?.toString('utf8')).toBe('environments: []\n');
    expect(await h.forge.readFile(h.pr.repo, 'main', '.gitlab/ferry.yml')).toBeNull();
  });
}
