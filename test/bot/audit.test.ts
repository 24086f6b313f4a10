import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_INTERVAL_MS } from '../../src/bot/jobs/audit.js';
import { runJob } from '../../src/bot/jobs/run.js';
import { auditJob, pushCheckJob, type JobSpec } from '../../src/bot/jobs/spec.js';
import type { ProtectionSettings } from '../../src/config/types.js';
import type { ForgeRef } from '../../src/forge/types.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { fakeJobDeps } from '../helpers/job-deps.js';

const ref: ForgeRef = { kind: 'github', installationId: 42 };
const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const CONFIG = `environments:
  - { name: staging, path: envs/staging }
  - { name: production, path: envs/production }
protect:
  approvals: 2
`;
const WANTED: ProtectionSettings = { checks: ['ferry/plan', 'ferry/validate'], approvals: 2, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true };

/** A repository whose default branch has `config` as ferry.yml, behind a bare "forge" remote. */
function world(config: string | null = CONFIG) {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\n';
  const repo = new TestRepo().write({ 'envs/staging/web/cm.yaml': cm, 'envs/production/web/cm.yaml': cm, ...(config ? { '.github/ferry.yml': config } : {}) });
  repos.push(repo);
  repo.commit('initial');
  const bare = path.join(tempDir('ferry-remote-'), 'gitops.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  const fake = new FakeForge();
  fake.state.repoInfo = { defaultBranch: 'main', cloneUrl: bare };
  const { deps, queued } = fakeJobDeps(fake, cacheDir);
  const audit = (reason: 'installed' | 'config-changed' | 'daily' = 'daily') => runJob(JSON.parse(JSON.stringify(auditJob(ref, fake.repo, reason))) as JobSpec, new AbortController().signal, deps);
  const push = (files: Record<string, string>) => {
    repo.write(files).commit('change');
    repo.git('push', '--quiet', 'origin', 'main');
  };
  const head = () => repo.git('rev-parse', 'HEAD').trim();
  return { fake, queued, audit, push, head, deps };
}

describe('audit job', () => {
  it('reports drift once, then updates the same issue, then closes it when fixed', async () => {
    const w = world();
    w.fake.state.administration = 'read';
    await w.audit('installed');
    expect(w.fake.state.issues).toHaveLength(1);
    const issue = structuredClone(w.fake.state.issues[0]);
    expect(issue).toMatchObject({ state: 'open', author: 'ferry[bot]' });
    expect(issue!.body).toContain('### Branch `main` (`staging`, `production`)');
    expect(issue!.body).toContain('| required approvals | 2 | 0 |');

    // Nothing changed: the issue is left as it is, and no second one is opened.
    await w.audit();
    expect(w.fake.state.issues).toEqual([issue]);
    expect(w.fake.state.calls.filter((c) => c.startsWith('ensureIssue'))).toEqual(['ensureIssue open', 'ensureIssue open']);

    // Someone protects the branch, but with one approval only: the same issue is updated.
    w.fake.state.protection.set('main', { protection: { ...WANTED, approvals: 1 }, rulesets: [] });
    await w.audit();
    expect(w.fake.state.issues).toHaveLength(1);
    expect(w.fake.state.issues[0]!.state).toBe('open');
    expect(w.fake.state.issues[0]!.body).toContain('| required approvals | 2 | 1 |');
    expect(w.fake.state.issues[0]!.body).not.toContain('required status checks');

    // Fixed: closed, saying so.
    w.fake.state.protection.set('main', { protection: WANTED, rulesets: [] });
    await w.audit();
    expect(w.fake.state.issues).toHaveLength(1);
    expect(w.fake.state.issues[0]).toMatchObject({ number: issue!.number, state: 'closed' });
    expect(w.fake.state.issues[0]!.body).toContain('✅ Every environment branch (`main`) is protected');
    // Report only: nothing was written to the branch.
    expect(w.fake.state.calls.filter((c) => c.startsWith('applyProtection'))).toEqual([]);
  });

  it('every audit of a repository with protect: queues the next one a day later, under the same key', async () => {
    const w = world();
    await w.audit('installed');
    expect(w.queued).toEqual([{ job: auditJob(ref, w.fake.repo, 'daily'), delayMs: AUDIT_INTERVAL_MS }]);
    expect(w.queued[0]!.job.key).toBe(auditJob(ref, w.fake.repo, 'config-changed').key);
  });

  it('without permission to read, the issue says what to grant', async () => {
    const w = world();
    w.fake.state.administration = 'none';
    await w.audit();
    expect(w.fake.state.issues[0]!.body).toContain('Ferry cannot read branch protection: grant Administration: read');
    expect(w.fake.state.issues[0]!.state).toBe('open');
  });

  it('enforce: true applies the difference, says what it changed, and closes the issue', async () => {
    const w = world(`${CONFIG}  enforce: true\n`);
    w.fake.state.protection.set('main', { protection: { ...WANTED, checks: ['ci'], approvals: 1 }, rulesets: [] });
    await w.audit();
    expect(w.fake.state.protection.get('main')!.protection).toEqual({ ...WANTED, checks: ['ci', 'ferry/plan', 'ferry/validate'] });
    expect(w.fake.state.issues).toHaveLength(1);
    expect(w.fake.state.issues[0]!.state).toBe('closed');
    expect(w.fake.state.issues[0]!.body).toContain('- `main`: required approvals was 1, now 2');
    expect(w.fake.state.issues[0]!.body).toContain('- `main`: required status checks was `ci`, now `ferry/plan`, `ferry/validate`');
  });

  it('enforce: true without the permission to write keeps the issue open with the reason', async () => {
    const w = world(`${CONFIG}  enforce: true\n`);
    w.fake.state.administration = 'read';
    await w.audit();
    expect(w.fake.state.issues[0]!.state).toBe('open');
    expect(w.fake.state.issues[0]!.body).toContain('grant Administration: write');
    expect(w.fake.state.issues[0]!.body).toContain('| required approvals | 2 | 0 |');
  });

  it('no ferry.yml, or no protect:, audits nothing; removing protect: closes the issue', async () => {
    const none = world(null);
    await none.audit('installed');
    expect(none.fake.state.calls.filter((c) => c.startsWith('readProtection') || c.startsWith('ensureIssue'))).toEqual([]);
    expect(none.queued).toEqual([]);

    const w = world();
    await w.audit();
    expect(w.fake.state.issues[0]!.state).toBe('open');
    w.push({ '.github/ferry.yml': 'environments: [{ name: staging, path: envs/staging }]\n' });
    await w.audit('config-changed');
    expect(w.fake.state.issues[0]!.state).toBe('closed');
    expect(w.fake.state.issues[0]!.body).toContain('no longer has `protect:`');
    expect(w.queued).toHaveLength(1);
  });
});

describe('push-check job: a direct push to an environment branch', () => {
  const pushJob = (w: ReturnType<typeof world>, before: string, after: string, branch = 'main') =>
    runJob(pushCheckJob(ref, w.fake.repo, branch, before, after), new AbortController().signal, w.deps);

  it('not from a merged PR: its plan goes on the commit as ferry/push', async () => {
    const w = world();
    const before = w.head();
    w.push({ 'envs/staging/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: b }\n' });
    const after = w.head();
    await pushJob(w, before, after);
    const checks = w.fake.state.checks.filter((c) => c.sha === after);
    expect(checks.map((c) => [c.name, c.result?.conclusion])).toEqual([['ferry/push', 'neutral']]);
    expect(checks[0]!.result!.title).toBe('Direct push to main, not from a merged pull request: 0 to add, 1 to change, 0 to remove in 1 app; All rendered resources are valid');
    expect(checks[0]!.result!.summary).toContain('This commit reached `main` (`staging`, `production`) by a direct push');
    expect(checks[0]!.result!.summary).toContain('| staging | web |');
  });

  it('the merge commit of a merged PR, a branch no environment uses, or a repository without protect: get nothing', async () => {
    const w = world();
    const before = w.head();
    w.push({ 'envs/staging/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: c }\n' });
    const after = w.head();
    w.fake.putPull({ number: 3, state: 'closed', merged: true, mergeCommitSha: after, headSha: 'e'.repeat(40) });
    await pushJob(w, before, after);
    await pushJob(w, before, after, 'feature');
    const plain = world('environments: [{ name: staging, path: envs/staging }]\n');
    await pushJob(plain, before, after);
    expect([...w.fake.state.checks, ...plain.fake.state.checks]).toEqual([]);
  });

  it('the merge commit of a PR merged into another branch, pushed straight to an environment branch, is a direct push', async () => {
    const w = world();
    const before = w.head();
    w.push({ 'envs/production/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: unreviewed }\n' });
    const after = w.head();
    // Reviewed for a scratch branch, then pushed to main by hand: main's reviewers never saw it.
    w.fake.putPull({ number: 4, state: 'closed', merged: true, baseRef: 'scratch', mergeCommitSha: after, headSha: 'e'.repeat(40) });
    await pushJob(w, before, after);
    expect(w.fake.state.checks.filter((c) => c.sha === after).map((c) => c.name)).toEqual(['ferry/push']);
  });
});
