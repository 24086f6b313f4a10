import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeReviewCheck } from '../../src/bot/jobs/review.js';
import { runJob, type JobDeps } from '../../src/bot/jobs/run.js';
import { plan } from '../../src/engine.js';
import { autoPromoteJob, commandJob, planJob, recheckJob, reviewJob, type JobSpec } from '../../src/bot/jobs/spec.js';
import type { ForgeRef } from '../../src/forge/types.js';
import { deployment, envRepoFiles, kustomization, twoEnvConfig } from '../helpers/fixtures.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { fakeJobDeps } from '../helpers/job-deps.js';

const ref: ForgeRef = { kind: 'github', installationId: 42 };
const cacheDir = tempDir('ferry-cache-');

/** A real repository behind a bare "forge" remote, with PR 7 pushed under refs/pull/7/head. */
function world(files = envRepoFiles(), change: Record<string, string> = { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }) }) {
  const repo = new TestRepo().write(files);
  const base = repo.commit('initial');
  const bare = path.join(tempDir('ferry-remote-'), 'gitops.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  repo.git('checkout', '--quiet', '-b', 'pr-7');
  repo.write(change);
  const head = repo.commit('change');
  repo.git('push', '--quiet', 'origin', 'HEAD:refs/pull/7/head');
  const fake = new FakeForge();
  const pr = fake.putPull({ number: 7, baseSha: base, headSha: head, cloneUrl: bare });
  return { repo, bare, fake, pr, base, head };
}

const deps = (fake: FakeForge, extra: Partial<JobDeps> = {}) => fakeJobDeps(fake, cacheDir, extra);

const run = (job: JobSpec, d: JobDeps) => runJob(job, new AbortController().signal, d);
const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

describe('jobs on a fake forge', () => {
  it('a plan job shows both checks running, then writes the comment and completes them; after JSON it does the same', async () => {
    const w = world();
    repos.push(w.repo);
    const spec = planJob(ref, w.pr, w.pr);
    const outcomes: string[] = [];
    await run(spec, deps(w.fake, { onPlanOutcome: (o) => outcomes.push(o) }).deps);
    expect(outcomes).toEqual(['planned']);
    expect(w.fake.state.calls.filter((c) => !c.startsWith('getPull') && c !== 'gitAuth')).toEqual([
      'startCheck ferry/plan', 'startCheck ferry/validate', 'ensureComments 7', 'setCheck ferry/plan success', 'setCheck ferry/validate success',
    ]);
    const [comment] = w.fake.commentsOf(7);
    expect(comment!.body).toContain('<b>staging / web</b> <code>+0 ~1 -0</code>');
    expect(w.fake.state.checks.map((c) => [c.name, c.sha, c.status])).toEqual([['ferry/plan', w.head, 'completed'], ['ferry/validate', w.head, 'completed']]);

    // The same spec through JSON, on a fresh forge: the same writes.
    const again = new FakeForge();
    again.putPull(w.pr);
    await run(JSON.parse(JSON.stringify(spec)) as JobSpec, deps(again).deps);
    expect(again.commentsOf(7).map((c) => c.body)).toEqual([comment!.body]);
    expect(again.state.checks.map((c) => [c.name, c.result?.conclusion, c.result?.title])).toEqual(w.fake.state.checks.map((c) => [c.name, c.result?.conclusion, c.result?.title]));
  });

  for (const snapshot of [false, true]) {
    it(`a plan whose PR moved to another head writes nothing and queues the forge's head (${snapshot ? 'the event carried the PR' : 'the job reads the PR'})`, async () => {
      const w = world();
      repos.push(w.repo);
      const outcomes: string[] = [];
      const spec = planJob(ref, w.pr, snapshot ? w.pr : undefined);
      w.fake.putPull({ number: 7, headSha: 'f'.repeat(40) });
      const { deps: d, queued } = deps(w.fake, { onPlanOutcome: (o) => outcomes.push(o) });
      await run(spec, d);
      expect(outcomes).toEqual(['stale']);
      expect(w.fake.commentsOf(7)).toEqual([]);
      // Not even "running" checks for the old head.
      expect(w.fake.state.checks).toEqual([]);
      // An older head's event delivered after the newer one's has replaced that job in the
      // queue: the head the forge has now must still be planned (found by the load test).
      expect(queued.map((q) => [q.job.kind, q.job.version])).toEqual([['plan', 'f'.repeat(40)]]);
    });
  }

  it('without a snapshot, a plan job reads the PR from the forge (base commit included) and plans it', async () => {
    const w = world();
    repos.push(w.repo);
    const outcomes: string[] = [];
    await run(planJob(ref, { repo: w.pr.repo, number: 7, headSha: w.head }), deps(w.fake, { onPlanOutcome: (o) => outcomes.push(o) }).deps);
    expect(outcomes).toEqual(['planned']);
    expect(w.fake.state.calls[0]).toBe('getPull 7');
    expect(w.fake.commentsOf(7)[0]!.body).toContain('<b>staging / web</b> <code>+0 ~1 -0</code>');
  });

  it('a plan stopped by shutdown completes its running checks as neutral instead of leaving them running', async () => {
    const w = world();
    repos.push(w.repo);
    const controller = new AbortController();
    const d = deps(w.fake, {
      // The engine stops as a closing queue stops it: after ferry.yml was read.
      runPlan: async (_req, signal, hooks) => {
        hooks?.configured?.();
        controller.abort();
        throw Object.assign(new Error('aborted'), { name: 'AbortedError', aborted: signal?.aborted });
      },
    }).deps;
    await runJob(planJob(ref, w.pr, w.pr), controller.signal, d);
    expect(w.fake.state.checks.map((c) => [c.name, c.status, c.result?.conclusion, c.result?.title])).toEqual([
      ['ferry/plan', 'completed', 'neutral', 'Interrupted'],
      ['ferry/validate', 'completed', 'neutral', 'Interrupted'],
    ]);
    expect(w.fake.commentsOf(7)).toEqual([]);
  });

  it('/plan from a user with write access queues a plan of the current head, with 👀 then 🚀', async () => {
    const w = world();
    repos.push(w.repo);
    w.fake.state.permissions.set('alice', 'write');
    const c = w.fake.postAs(7, 'alice', '/plan');
    const { deps: d, queued } = deps(w.fake);
    await run(commandJob(ref, { repo: w.pr.repo, number: 7 }, { id: c.id, author: 'alice', body: c.body }), d);
    expect(c.reactions).toEqual(['eyes', 'rocket']);
    expect(queued.map((q) => [q.job.kind, q.job.version])).toEqual([['plan', w.head]]);
  });

  it('/plan from a user without write access is refused with a reply; nothing is queued', async () => {
    const w = world();
    repos.push(w.repo);
    w.fake.state.permissions.set('mallory', 'read');
    const c = w.fake.postAs(7, 'mallory', '/plan');
    const { deps: d, queued } = deps(w.fake);
    await run(commandJob(ref, { repo: w.pr.repo, number: 7 }, { id: c.id, author: 'mallory', body: c.body }), d);
    expect(c.reactions).toEqual(['eyes', 'confused']);
    expect(queued).toEqual([]);
    expect(w.fake.commentsOf(7).at(-1)!.body).toContain('needs write access');
  });

  it('a re-check wakes every waiting promotion of the repository and the merged PRs of the commit', async () => {
    const fake = new FakeForge();
    const waiting = fake.putPull({ number: 3, state: 'closed', merged: true, mergeCommitSha: '3'.repeat(40) });
    fake.putPull({ number: 5, state: 'closed', merged: true, mergeCommitSha: 'c'.repeat(40) });
    fake.putPull({ number: 6, state: 'closed', merged: true, mergeCommitSha: 'c'.repeat(40), fromFork: true });
    const { deps: d, queued } = deps(fake);
    await d.waiting.add(waiting);
    await run(recheckJob(ref, fake.repo, 'c'.repeat(40)), d);
    expect(queued.map((q) => [q.job.kind, q.job.key, (q.job as { announce?: boolean }).announce])).toEqual([
      ['auto-promote', 'github:acme/gitops#3:auto', false],
      ['auto-promote', 'github:acme/gitops#5:auto', false],
    ]);
  });

  it('an auto-promotion held by a soak gate is remembered and queued again, delayed until the soak ends', async () => {
    const config = twoEnvConfig('promotion:\n  - from: staging\n    to: production\n    auto: true\n    gates:\n      soak: 2h\n');
    const files = {
      '.github/ferry.yml': config,
      'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n'),
      'envs/staging/web/deploy.yaml': deployment('web'),
      'envs/production/web/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n'),
      'envs/production/web/deploy.yaml': deployment('web'),
    };
    // Every commit, and the merge of PR 7 into main, half an hour ago.
    const at = new Date(Date.now() - 30 * 60_000).toISOString();
    Object.assign(process.env, { GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at });
    let w: ReturnType<typeof world>;
    try {
      w = world(files, { 'envs/staging/web/deploy.yaml': deployment('web', { replicas: 4 }) });
    } finally {
      delete process.env.GIT_AUTHOR_DATE;
      delete process.env.GIT_COMMITTER_DATE;
    }
    repos.push(w.repo);
    w.repo.git('checkout', '--quiet', 'main');
    execFileSync('git', ['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7', 'pr-7'], { cwd: w.repo.dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at } });
    const mergeSha = w.repo.git('rev-parse', 'HEAD').trim();
    w.repo.git('push', '--quiet', 'origin', 'main');
    const pr = w.fake.putPull({ number: 7, state: 'closed', merged: true, mergedAt: at, mergeCommitSha: mergeSha });
    const { deps: d, queued } = deps(w.fake);
    await run(autoPromoteJob(ref, pr, true), d);
    expect((await d.waiting.list(pr.repo)).map((p) => p.number)).toEqual([7]);
    expect(queued).toHaveLength(1);
    const [again] = queued;
    expect(again!.job).toMatchObject({ kind: 'auto-promote', key: 'github:acme/gitops#7:auto', announce: false });
    // About 1h 30m, plus a second so the soak has surely passed.
    expect(again!.delayMs).toBeGreaterThan(89 * 60_000);
    expect(again!.delayMs).toBeLessThanOrEqual(90 * 60_000 + 1_000);
    // Announced once, on the merge.
    expect(w.fake.commentsOf(7).map((c) => c.body).join('\n')).toMatch(/soak 2h/);
  });
});

describe('ferry/review on a fake forge', () => {
  const RULES = `review:
  - name: production needs platform
    when: { environments: [production] }
    teams: [platform]
  - name: prod files
    when: { paths: ["envs/production/**"] }
`;
  /** A PR that edits only a base file both environments include; the base config has review rules. */
  function reviewWorld() {
    const files = envRepoFiles();
    files['.github/ferry.yml'] += RULES;
    const w = world(files);
    repos.push(w.repo);
    w.fake.state.teams.set('acme/platform', ['pat']);
    return w;
  }
  const review = (w: ReturnType<typeof world>) => w.fake.state.checks.filter((c) => c.name === 'ferry/review');

  it('a plan writes ferry/review: production\'s rule applies to a shared base change and waits for platform', async () => {
    const w = reviewWorld();
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(w.fake.state.calls.filter((c) => c.startsWith('setCheck'))).toEqual(['setCheck ferry/plan success', 'setCheck ferry/validate success', 'setCheck ferry/review failure']);
    const [check] = review(w);
    expect(check).toMatchObject({ sha: w.head, status: 'completed' });
    expect(check!.result!.title).toBe('Waiting for review: production needs platform');
    expect(check!.result!.summary).toContain('| ⏳ production needs platform | environment production | 0/1 | members of platform |');
    expect(check!.result!.summary).toContain('Not applying: prod files.');
  });

  it('a review job after an approval re-plans and writes only ferry/review; the author\'s and a bot\'s approvals do not count', async () => {
    const w = reviewWorld();
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    w.fake.review(7, { user: 'alice', state: 'approved', commitSha: w.head, bot: false });
    w.fake.review(7, { user: 'ferry[bot]', state: 'approved', commitSha: w.head, bot: true });
    w.fake.state.calls.length = 0;
    const spec = reviewJob(ref, w.pr);
    await run(JSON.parse(JSON.stringify(spec)) as JobSpec, deps(w.fake).deps);
    expect(w.fake.state.calls.filter((c) => c.startsWith('setCheck') || c.startsWith('startCheck') || c.startsWith('ensureComments'))).toEqual(['setCheck ferry/review failure']);

    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: w.head, bot: false });
    await run(spec, deps(w.fake).deps);
    const last = review(w).at(-1)!.result!;
    expect(last).toMatchObject({ conclusion: 'success', title: 'Review rules met' });
    expect(last.summary).toContain('| ✅ production needs platform | environment production | 1/1: pat | — |');
  });

  it('an approval on an older commit is stale; a label makes a labels rule apply', async () => {
    const files = envRepoFiles();
    files['.github/ferry.yml'] += `review:
  - name: sensitive
    when: { labels: [sensitive] }
`;
    const w = world(files);
    repos.push(w.repo);
    w.fake.state.permissions.set('bob', 'write');
    w.fake.review(7, { user: 'bob', state: 'approved', commitSha: w.base, bot: false });
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result).toMatchObject({ conclusion: 'success', title: 'No review rule applies' });
    await w.fake.addLabels(w.pr, 7, ['sensitive']);
    await run(reviewJob(ref, w.pr), deps(w.fake).deps);
    const check = review(w).at(-1)!.result!;
    expect(check).toMatchObject({ conclusion: 'failure', title: 'Waiting for review: sensitive' });
    expect(check.summary).toContain('0/1<br>not counted, given before a push that changed what this rule covers: bob');
  });

  /** Pushes `files` as the PR's next head and tells the forge. */
  function push(w: ReturnType<typeof world>, files: Record<string, string>, message: string): string {
    w.repo.write(files);
    const sha = w.repo.commit(message);
    w.repo.git('push', '--quiet', '--force', 'origin', 'HEAD:refs/pull/7/head');
    w.fake.putPull({ number: 7, headSha: sha });
    return sha;
  }
  const replicas = (n: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${n}\n`;

  it('an approval on an older commit counts until a push changes what the rule covers', async () => {
    const w = reviewWorld();
    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: w.head, bot: false });
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.conclusion).toBe('success');

    // Staging only: production's rule is untouched, pat's approval still counts.
    const staging = push(w, { 'envs/staging/web/replicas.yaml': replicas(3) }, 'staging replicas');
    await run(planJob(ref, { ...w.pr, headSha: staging }), deps(w.fake).deps);
    expect(review(w).at(-1)).toMatchObject({ sha: staging, result: { conclusion: 'success', title: 'Review rules met' } });

    // Production changes: the approval was given before it, and no longer counts.
    const production = push(w, { 'envs/production/web/replicas.yaml': replicas(7) }, 'production replicas');
    await run(planJob(ref, { ...w.pr, headSha: production }), deps(w.fake).deps);
    const check = review(w).at(-1)!;
    expect(check).toMatchObject({ sha: production, result: { conclusion: 'failure', title: 'Waiting for review: production needs platform, prod files' } });
    expect(check.result!.summary).toContain('0/1<br>not counted, given before a push that changed what this rule covers: pat');
  });

  it('the pushes since an approval are judged by the base config, not one the PR wrote at the approved commit', async () => {
    const w = reviewWorld();
    // The approved commit also points "production" at a folder that does not exist.
    const hostile = push(w, { '.github/ferry.yml': (envRepoFiles()['.github/ferry.yml'] + RULES).replace('path: envs/production', 'path: elsewhere') }, 'move production');
    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: hostile, bot: false });
    const production = push(w, { 'envs/production/web/replicas.yaml': replicas(7) }, 'production replicas');
    await run(planJob(ref, { ...w.pr, headSha: production }), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.summary).toContain('| ⏳ production needs platform | environment production | 0/1<br>not counted, given before a push that changed what this rule covers: pat | members of platform |');
  });

  it('a plan and a review job writing ferry/review at once: the verdict written last is from the reviews read last', async () => {
    const w = reviewWorld();
    const result = await plan({ repo: w.repo.dir, base: w.base, head: w.head, mergeBase: true, requireConfig: true, cacheDir });
    // The first reader (the plan job) is slow to get its answer: it read before pat approved.
    const read = w.fake.reviews.bind(w.fake);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first = true;
    w.fake.reviews = async (pr) => {
      const got = await read(pr);
      if (first) {
        first = false;
        await held;
      }
      return got;
    };
    const opts = { cacheDir };
    const signal = new AbortController().signal;
    const slow = writeReviewCheck(w.fake, w.pr, result, opts, signal);
    await new Promise((r) => setTimeout(r, 50));
    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: w.head, bot: false });
    const fresh = writeReviewCheck(w.fake, w.pr, result, opts, signal);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([slow, fresh]);
    expect(review(w).map((c) => c.result!.conclusion)).toEqual(['failure', 'success']);
  });

  it('a plan that fails withdraws an earlier verdict for its head; a head without one gets none', async () => {
    const w = reviewWorld();
    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: w.head, bot: false });
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.conclusion).toBe('success');
    const broken = deps(w.fake, { runPlan: async () => { throw new Error('the renderer crashed'); } }).deps;
    await run(planJob(ref, w.pr, w.pr), broken);
    expect(review(w).at(-1)!.result).toMatchObject({ conclusion: 'failure', title: 'Review rules not evaluated' });
    expect(review(w).at(-1)!.result!.summary).toContain('The plan of this commit failed');
    // A review job whose re-plan fails says the same.
    await run(reviewJob(ref, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.conclusion).toBe('success');
    await run(reviewJob(ref, w.pr), broken);
    expect(review(w).at(-1)!.result!.title).toBe('Review rules not evaluated');

    const fresh = reviewWorld();
    await run(planJob(ref, fresh.pr, fresh.pr), deps(fresh.fake, { runPlan: async () => { throw new Error('the renderer crashed'); } }).deps);
    expect(fresh.fake.state.checks.map((c) => c.name)).toEqual(['ferry/plan']);
  });

  it('reviews that cannot be read: ferry/review says it was not evaluated, from a plan and from a review job', async () => {
    const w = reviewWorld();
    w.fake.review(7, { user: 'pat', state: 'approved', commitSha: w.head, bot: false });
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.conclusion).toBe('success');
    w.fake.reviews = async () => { throw Object.assign(new Error('Server Error'), { status: 502 }); };
    await run(reviewJob(ref, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result).toMatchObject({ conclusion: 'failure', title: 'Review rules not evaluated' });
    expect(review(w).at(-1)!.result!.summary).toContain('could not read the reviews');
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.title).toBe('Review rules not evaluated');
    expect(w.fake.state.checks.find((c) => c.name === 'ferry/plan')!.result!.conclusion).toBe('success');
  });

  it('codeowners: true reads CODEOWNERS at the base, not the PR\'s edit of it', async () => {
    const files = envRepoFiles();
    files['.github/ferry.yml'] += `review:
  - name: owners
    codeowners: true
`;
    files['.github/CODEOWNERS'] = '/base/ @bob\n';
    const w = world(files, { 'base/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }), '.github/CODEOWNERS': '/base/ @alice\n' });
    repos.push(w.repo);
    w.fake.review(7, { user: 'carol', state: 'approved', commitSha: w.head, bot: false });
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    const check = review(w).at(-1)!.result!;
    expect(check.conclusion).toBe('failure');
    expect(check.summary).toContain('| ⏳ owners | every change; code owners of base/web/deployment.yaml | 0/1 | bob (code owner) |');
    w.fake.review(7, { user: 'bob', state: 'approved', commitSha: w.head, bot: false });
    await run(reviewJob(ref, w.pr), deps(w.fake).deps);
    expect(review(w).at(-1)!.result!.conclusion).toBe('success');
  });

  it('a repository without review rules gets no ferry/review, from a plan or a review job', async () => {
    const w = world();
    repos.push(w.repo);
    await run(planJob(ref, w.pr, w.pr), deps(w.fake).deps);
    await run(reviewJob(ref, w.pr), deps(w.fake).deps);
    expect(review(w)).toEqual([]);
    expect(w.fake.state.calls).not.toContain('reviews 7');
  });
});
