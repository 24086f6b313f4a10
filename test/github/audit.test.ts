import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobDeps } from '../../src/bot/jobs/run.js';
import { auditJob, type JobSpec } from '../../src/bot/jobs/spec.js';
import { MemoryWaiting } from '../../src/bot/waiting.js';
import { GitHubForge } from '../../src/forge/github/forge.js';
import { FakeGitHub, protectionView } from '../helpers/fake-github.js';
import { tempDir } from '../helpers/gitrepo.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
const cacheDir = tempDir('ferry-cache-');

const CONFIG = `environments:
  - { name: staging, branch: staging }
  - { name: production, branch: production }
protect:
  approvals: 1
  branches:
    production: { approvals: 2 }
`;

/** GitHub (nock, OpenAPI-checked routes and bodies) with ferry.yml on the default branch: the audit reads it through the API, no clone. */
function world(config: string) {
  const gh = new FakeGitHub('Acme', 'GitOps');
  gh.files.set('main:.github/ferry.yml', config);
  for (const b of ['staging', 'production']) gh.branches.add(b);
  const octokit = new ProbotOctokit({ auth: { token: 'ghs_audit' }, retry: { enabled: false }, throttle: { enabled: false } });
  const forge = new GitHubForge(octokit, async () => 'ferry[bot]', async () => 'ghs_audit');
  const queued: JobSpec[] = [];
  const deps: JobDeps = {
    forges: { forge: async () => forge },
    queue: { enqueue: async (job) => void queued.push(job) },
    waiting: new MemoryWaiting(),
    cacheDir,
    identity: { name: 'Ferry', email: 'ferry@example.invalid' },
    log: { info: () => undefined, warn: () => undefined },
  };
  const audit = () => runJob(auditJob({ kind: 'github', installationId: 1 }, { forge: 'github', path: 'Acme/GitOps' }, 'daily'), new AbortController().signal, deps);
  return { gh, audit, queued };
}

describe('audit against GitHub (REST routes and request bodies checked against the OpenAPI description)', () => {
  it('reports drift in one issue, updates it, and closes it when fixed; nothing is written to branch protection', async () => {
    const w = world(CONFIG);
    w.gh.administration = 'read';
    // staging is as asked; production needs 2 approvals and has 1; a ruleset forbids force pushes there.
    const put = (approvals: number) => ({ required_status_checks: { strict: false, contexts: ['ferry/plan', 'ferry/validate'] }, enforce_admins: true, required_pull_request_reviews: { required_approving_review_count: approvals, dismiss_stale_reviews: true }, restrictions: null });
    w.gh.protection.set('staging', protectionView(put(1)));
    w.gh.protection.set('production', protectionView(put(1)));
    await w.audit();
    expect(w.gh.issues).toHaveLength(1);
    expect(w.gh.issues[0]).toMatchObject({ state: 'open', user: { login: 'ferry[bot]' } });
    expect(w.gh.issues[0]!.body).toContain('### Branch `production` (`production`)');
    expect(w.gh.issues[0]!.body).toContain('| required approvals | 2 | 1 |');
    expect(w.gh.issues[0]!.body).not.toContain('### Branch `staging`');

    // Force pushes become allowed on staging: the same issue is updated.
    w.gh.protection.set('staging', { ...protectionView(put(1)), allow_force_pushes: { enabled: true } });
    await w.audit();
    expect(w.gh.issues).toHaveLength(1);
    expect(w.gh.issues[0]!.body).toContain('### Branch `staging` (`staging`)');
    expect(w.gh.issues[0]!.body).toContain('| force pushes allowed | no | yes |');

    // A ruleset forbids force pushes on staging, and production gets its second approval: closed.
    w.gh.rules.set('staging', [{ type: 'non_fast_forward', ruleset_id: 3, ruleset_source_type: 'Repository', ruleset_source: 'Acme/GitOps' }]);
    w.gh.protection.set('production', protectionView(put(2)));
    await w.audit();
    expect(w.gh.issues).toHaveLength(1);
    expect(w.gh.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(w.gh.mock.count('PUT', '/repos/Acme/GitOps/branches')).toBe(0);
    expect(w.gh.mock.count('POST', '/repos/Acme/GitOps/issues')).toBe(1);
    expect(w.gh.mock.bodyErrors).toEqual([]);
  });

  it('a missing Administration permission is said in the issue, never taken for "unprotected"', async () => {
    const w = world(CONFIG);
    w.gh.administration = 'none';
    await w.audit();
    expect(w.gh.issues[0]!.body).toContain('Ferry cannot read the branch protection of staging: grant the app the Administration: read permission (GitHub said: Resource not accessible by integration)');
    expect(w.gh.issues[0]!.body).not.toContain('| required approvals');
  });

  it('enforce: true writes the difference with a body GitHub accepts, and the issue says what changed', async () => {
    const w = world(`${CONFIG}  enforce: true\n`);
    w.gh.protection.set('production', protectionView({ required_status_checks: { strict: true, contexts: ['ci/e2e'] }, enforce_admins: false, required_pull_request_reviews: { required_approving_review_count: 1 }, restrictions: null, required_linear_history: true }));
    await w.audit();
    expect(w.gh.mock.bodyErrors).toEqual([]);
    const puts = w.gh.mock.requests.filter((r) => r.method === 'PUT').map((r) => [r.path, r.body]);
    expect(puts).toHaveLength(2);
    expect(puts.find(([p]) => p === '/repos/Acme/GitOps/branches/production/protection')![1]).toMatchObject({
      required_status_checks: { strict: true, contexts: ['ci/e2e', 'ferry/plan', 'ferry/validate'] },
      required_pull_request_reviews: { required_approving_review_count: 2, dismiss_stale_reviews: true },
      enforce_admins: true, allow_force_pushes: false, allow_deletions: false, required_linear_history: true,
    });
    expect(w.gh.issues).toHaveLength(1);
    expect(w.gh.issues[0]!.state).toBe('closed');
    expect(w.gh.issues[0]!.body).toContain('- `production`: required approvals was 1, now 2');
    expect(w.gh.issues[0]!.body).toContain('- `staging`: required approvals was 0, now 1');
    // Audited again: nothing to write, nothing reopened.
    await w.audit();
    expect(w.gh.mock.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    expect(w.gh.issues).toHaveLength(1);
  });
});
